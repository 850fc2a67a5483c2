package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ./osprey launcher script itself: how it finds a JDK, and what it says when it cannot. */
class LauncherTest {
  private static final Path LAUNCHER = ConfigurationDocsTest.repoRoot().resolve("osprey");

  record Run(int code, String out, String err) {}

  static Run run(Map<String, String> env, String... args) throws Exception {
    String[] cmd = new String[args.length + 1];
    cmd[0] = LAUNCHER.toString();
    System.arraycopy(args, 0, cmd, 1, args.length);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().clear();
    pb.environment().putAll(env);
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Run(
        p.exitValue(),
        new String(out, StandardCharsets.UTF_8),
        new String(err, StandardCharsets.UTF_8));
  }

  @Test
  void noJdk21AnywhereIsOneLineExit2(@TempDir Path empty) throws Exception {
    Path jdk17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64");
    assumeTrue(
        Files.isExecutable(jdk17.resolve("bin/java")),
        "needs Debian's JDK 17 to stand in for an old JDK");
    Run r =
        run(
            Map.of(
                "PATH", jdk17.resolve("bin") + ":/usr/bin:/bin",
                "JAVA_HOME", jdk17.toString(),
                "OSPREY_JVM_DIRS", empty.toString()),
            "version");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).startsWith("osprey: no JDK 21 or newer found");
  }
}
