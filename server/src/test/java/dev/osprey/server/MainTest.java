package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: exit codes and the one-line messages users see. */
class MainTest {
  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void configCheckNamesAMisspelledKeyAndItsLine(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("osprey.yaml");
    Files.writeString(f, "server:\n  listen: 127.0.0.1:9400\n  data_dri: /tmp/x\n");
    Result r = run("config", "check", f.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .isEqualTo(
            "osprey: "
                + f
                + ":3:3: unknown key \"server.data_dri\" (did you mean \"data_dir\"?)\n");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void configCheckPrintsTheEffectiveConfig(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("osprey.yaml");
    Files.writeString(f, "tsdb:\n  retention: 3d\n");
    Result r = run("config", "check", f.toString());
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("retention: 3d").contains("listen: 0.0.0.0:9400");
  }

  @Test
  void configCheckPrintsSecretsAsSecret(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("osprey.yaml");
    Files.writeString(
        f,
        """
        server:
          auth: {username: admin, password: hunter2-pw}
        alerting:
          alertmanagers:
            - static_configs: [{targets: ['127.0.0.1:9093']}]
              authorization: {credentials: hunter2-token}
        """);
    Result r = run("config", "check", f.toString());
    assertThat(r.code()).isZero();
    assertThat(r.out() + r.err()).doesNotContain("hunter2");
    assertThat(r.out())
        .contains("password: <secret>")
        .contains("credentials: <secret>")
        .contains("username: admin");
  }

  @Test
  void malformedYamlIsOneLineWithoutStackTrace(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("osprey.yaml");
    Files.writeString(f, "server:\n  listen: \"127.0.0.1\n");
    Result r = run("config", "check", f.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).startsWith("osprey: " + f + ": cannot parse YAML:").doesNotContain("\tat ");
  }

  @Test
  void unknownFlagIsExit2() {
    Result r = run("server", "--lisen", "x");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).startsWith("osprey: Unknown options: '--lisen'");
  }

  @Test
  void portInUseIsOneLineExit2(@TempDir Path dir) throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Result r =
          run(
              "server",
              "--listen",
              "127.0.0.1:" + taken.getLocalPort(),
              "--data-dir",
              dir.toString());
      assertThat(r.code()).isEqualTo(2);
      assertThat(r.err())
          .isEqualTo(
              "osprey: cannot listen on 127.0.0.1:"
                  + taken.getLocalPort()
                  + ": address already in use\n");
    }
  }

  @Test
  void unwritableDataDirIsOneLineExit2(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("not-a-dir");
    Files.writeString(file, "x");
    Result r =
        run("server", "--listen", "127.0.0.1:0", "--data-dir", file.resolve("sub").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .startsWith("osprey: cannot use data directory " + file.resolve("sub") + ": not writable");
    assertThat(r.err().lines()).hasSize(1);
  }

  @Test
  void badListenAddressIsExit2(@TempDir Path dir) {
    Result r = run("server", "--listen", "localhost", "--data-dir", dir.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("osprey: invalid --listen \"localhost\": expected HOST:PORT\n");
  }

  @Test
  void versionPrints() {
    Result r = run("version");
    assertThat(r.code()).isZero();
    assertThat(r.out()).startsWith("osprey ");
  }

  @Test
  void agentWithACgroupRootThatIsNoneIsOneLineExit2(@TempDir Path dir) {
    Result r =
        run(
            "agent",
            "--listen",
            "127.0.0.1:0",
            "--spool-dir",
            dir.resolve("spool").toString(),
            "--cgroup-root",
            dir.toString(),
            "--log-files",
            dir + "/*.log");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .startsWith("osprey: cannot open cgroup root " + dir)
        .doesNotContain("\tat ");
  }
}
