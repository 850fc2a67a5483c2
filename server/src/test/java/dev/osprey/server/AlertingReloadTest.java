package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code osprey server} process reloads its rule files (and osprey.yaml's external labels)
 * on SIGHUP and on {@code POST /-/reload}, as Prometheus does; an invalid file changes nothing.
 */
class AlertingReloadTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static String rules(String group) {
    return """
    groups:
      - name: %s
        interval: 1s
        rules:
          - alert: Always
            expr: vector(1)
            annotations: {summary: "cluster {{ $externalLabels.cluster }}"}
    """
        .formatted(group);
  }

  @Test
  void sighupAndPostReloadSwapRulesAndABadFileChangesNothing(@TempDir Path dir) throws Exception {
    Path rules = dir.resolve("rules.yml");
    Files.writeString(rules, rules("first"));
    Path config = dir.resolve("osprey.yaml");
    Files.writeString(config, "global:\n  external_labels: {cluster: c1}\n");
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort();
    }
    String base = "http://127.0.0.1:" + port;
    Path log = dir.resolve("server.log");
    List<String> cmd = new ArrayList<>();
    if (Processes.sighupIgnored()) {
      // run under nohup (say): the child would inherit SIGHUP ignored, and the JVM keeps it so
      cmd.addAll(List.of("env", "--default-signal=HUP"));
    }
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(ServerCrashIT.jvmFlagsForTests());
    cmd.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "server",
            "--listen=127.0.0.1:" + port,
            "--data-dir=" + dir.resolve("data"),
            "--config=" + config,
            "--rules=" + rules));
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      assertThat(await(() -> groups(base).equals(List.of("first")), 90))
          .as("server up with group first; log: %s", read(log))
          .isTrue();

      assertThat(await(() -> summaries(base).equals(List.of("cluster c1")), 30))
          .as("external labels of --config in templates; log: %s", read(log))
          .isTrue();

      Files.writeString(rules, rules("second"));
      Files.writeString(config, "global:\n  external_labels: {cluster: c2}\n");
      hangup(p);
      assertThat(await(() -> groups(base).equals(List.of("second")), 30))
          .as("SIGHUP reloaded; log: %s", read(log))
          .isTrue();
      assertThat(await(() -> summaries(base).equals(List.of("cluster c2")), 30))
          .as("SIGHUP re-read osprey.yaml's external labels; log: %s", read(log))
          .isTrue();

      Files.writeString(rules, "groups:\n  - name: broken\n    rules:\n      - alert: X\n");
      hangup(p);
      assertThat(await(() -> read(log).contains("event=reload_failed"), 30))
          .as("reload failure logged; log: %s", read(log))
          .isTrue();
      assertThat(groups(base)).containsExactly("second");

      Files.writeString(rules, rules("third"));
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create(base + "/-/reload"))
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(groups(base)).containsExactly("third");
    } finally {
      p.destroy();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  private static void hangup(Process p) throws Exception {
    Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).isZero();
  }

  private List<String> groups(String base) {
    try {
      JsonNode r =
          JSON.readTree(
              client
                  .send(
                      HttpRequest.newBuilder(URI.create(base + "/api/v1/rules")).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body());
      List<String> out = new ArrayList<>();
      r.at("/data/groups").forEach(g -> out.add(g.get("name").asText()));
      return out;
    } catch (IOException | InterruptedException e) {
      return List.of(); // not up yet
    }
  }

  private List<String> summaries(String base) {
    try {
      JsonNode r =
          JSON.readTree(
              client
                  .send(
                      HttpRequest.newBuilder(URI.create(base + "/api/v1/alerts")).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body());
      List<String> out = new ArrayList<>();
      r.at("/data/alerts").forEach(a -> out.add(a.at("/annotations/summary").asText()));
      return out;
    } catch (IOException | InterruptedException e) {
      return List.of(); // not up yet
    }
  }

  interface Check {
    boolean ok() throws Exception;
  }

  private static boolean await(Check c, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (c.ok()) {
        return true;
      }
      Thread.sleep(100);
    }
    return c.ok();
  }

  private static String read(Path log) throws IOException {
    return Files.exists(log) ? Files.readString(log) : "";
  }
}
