package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
}
