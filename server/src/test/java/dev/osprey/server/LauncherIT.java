package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs after 'package' (failsafe), when the runnable jar exists: the launcher as users run it. */
class LauncherIT {
  @Test
  void findsANewerJdkWhenTheDefaultJavaIsTooOld() throws Exception {
    Path jdk17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64");
    assumeTrue(
        Files.isExecutable(jdk17.resolve("bin/java")), "needs Debian's JDK 17 as the default java");
    Path jar = ConfigurationDocsTest.repoRoot().resolve("server/target/osprey.jar");
    assertThat(jar).as("built by package").exists();
    // The default java on PATH is 17 and JAVA_HOME is unset, as on this machine.
    LauncherTest.Run r =
        LauncherTest.run(
            Map.of("PATH", jdk17.resolve("bin") + ":/usr/bin:/bin", "OSPREY_SKIP_BUILD", "1"),
            "version");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("osprey ").contains("running on Java");
    assertThat(r.out()).doesNotContain("running on Java 17");
  }

  /**
   * A server start without a class cache newer than the jar records one, which the JVM writes when
   * the server exits; the next start uses it (JDK 25+; older JDKs get the dynamic CDS archive). A
   * start that only prints help records nothing.
   */
  @Test
  void serverRecordsAClassCacheOnceAndUsesItAtTheNextStart(@TempDir Path data) throws Exception {
    Path root = ConfigurationDocsTest.repoRoot();
    Path jar = root.resolve("server/target/osprey.jar");
    assertThat(jar).as("built by package").exists();
    Path aot = root.resolve("server/target/osprey-server.aot");
    Files.deleteIfExists(aot);
    LauncherTest.Run help =
        LauncherTest.run(
            Map.of("PATH", "/usr/bin:/bin", "OSPREY_SKIP_BUILD", "1"), "server", "--help");
    assertThat(help.code()).as(help.err()).isZero();
    assertThat(aot).as("a run that only prints help records no cache").doesNotExist();
    List<String> first = startAndStop(root, data);
    if (first.stream().anyMatch(a -> a.startsWith("-XX:SharedArchiveFile="))) {
      assumeTrue(false, "the launcher found a JDK older than 25: dynamic CDS, no AOT cache");
    }
    assertThat(first).contains("-XX:AOTCacheOutput=" + aot);
    assertThat(aot).as("written at exit").exists();
    assertThat(Files.getLastModifiedTime(aot)).isGreaterThan(Files.getLastModifiedTime(jar));
    List<String> second = startAndStop(root, data);
    assertThat(second).contains("-XX:AOTCache=" + aot).noneMatch(a -> a.contains("AOTCacheOutput"));
  }

  /** Starts {@code ./osprey server}, waits for ready, stops it as an orchestrator would. */
  private static List<String> startAndStop(Path root, Path data) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    ProcessBuilder pb =
        new ProcessBuilder(
                root.resolve("osprey").toString(),
                "server",
                "--listen=127.0.0.1:" + port,
                "--data-dir=" + data)
            .redirectErrorStream(true)
            .redirectOutput(data.resolve("server-" + port + ".log").toFile());
    pb.environment().put("OSPREY_SKIP_BUILD", "1");
    Process p = pb.start(); // the launcher execs java: this is the server's process
    try {
      HttpClient http = HttpClient.newHttpClient();
      URI ready = URI.create("http://127.0.0.1:" + port + "/-/ready");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (true) {
        assertThat(p.isAlive()).as("server exited; see its log").isTrue();
        assertThat(System.nanoTime()).as("ready within 120 s").isLessThan(deadline);
        try {
          if (http.send(HttpRequest.newBuilder(ready).build(), BodyHandlers.discarding())
                  .statusCode()
              == 200) {
            break;
          }
        } catch (java.io.IOException e) {
          // not listening yet
        }
        Thread.sleep(50);
      }
      return List.of(p.info().arguments().orElseThrow());
    } finally {
      p.destroy();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
      }
    }
  }
}
