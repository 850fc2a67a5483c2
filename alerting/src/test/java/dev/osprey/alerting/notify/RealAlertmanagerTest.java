package dev.osprey.alerting.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.osprey.core.http.Json;
import dev.osprey.core.labels.Labels;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Forwards alerts to Debian's prometheus-alertmanager and reads them back through its API. */
class RealAlertmanagerTest {
  static final Path BIN = Path.of("/usr/bin/prometheus-alertmanager");
  @TempDir Path dir;
  Process am;

  @AfterEach
  void stop() throws Exception {
    if (am != null) {
      am.destroy();
      am.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
      if (am.isAlive()) {
        am.destroyForcibly();
      }
    }
  }

  @Test
  void realAlertmanagerReceivesForwardedAlerts() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(BIN), "prometheus-alertmanager not installed");
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort();
    }
    Path cfg = dir.resolve("am.yml");
    Files.writeString(cfg, "route:\n  receiver: sink\nreceivers:\n  - name: sink\n");
    am =
        new ProcessBuilder(
                BIN.toString(),
                "--config.file=" + cfg,
                "--storage.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--cluster.listen-address=")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("am.log").toFile())
            .start();
    String base = "http://127.0.0.1:" + port;
    HttpClient c = HttpClient.newHttpClient();
    boolean ready = false;
    for (int i = 0; i < 100 && !ready; i++) {
      try {
        ready =
            c.send(
                        HttpRequest.newBuilder(URI.create(base + "/-/ready")).build(),
                        HttpResponse.BodyHandlers.discarding())
                    .statusCode()
                == 200;
      } catch (java.io.IOException e) {
        // not listening yet
      }
      if (!ready) {
        Thread.sleep(100);
      }
    }
    assertThat(ready)
        .as("alertmanager ready; log: " + Files.readString(dir.resolve("am.log")))
        .isTrue();

    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    Alert a =
        new Alert(
            Labels.of("alertname", "NodeDown", "instance", "n1:9100", "severity", "page"),
            Map.of("summary", "n1 is down"),
            now.minusSeconds(60),
            now.plus(Duration.ofMinutes(4)),
            "http://osprey:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1",
            now,
            false);
    AlertmanagerForwarder f =
        AlertmanagerForwarder.forUrls(List.of(base), d -> Thread.sleep(d.toMillis()));
    assertThat(f.send(List.of(a))).isEqualTo(1);

    JsonNode got =
        Json.MAPPER.readTree(
            c.send(
                    HttpRequest.newBuilder(URI.create(base + "/api/v2/alerts")).build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    assertThat(got.size()).isEqualTo(1);
    JsonNode g = got.get(0);
    assertThat(g.at("/labels/alertname").asText()).isEqualTo("NodeDown");
    assertThat(g.at("/labels/instance").asText()).isEqualTo("n1:9100");
    assertThat(g.at("/annotations/summary").asText()).isEqualTo("n1 is down");
    assertThat(Instant.parse(g.get("startsAt").asText())).isEqualTo(a.startsAt());
    assertThat(Instant.parse(g.get("endsAt").asText())).isEqualTo(a.endsAt());
    assertThat(g.get("generatorURL").asText()).isEqualTo(a.generatorURL());
    // the same fingerprint as Alertmanager computes
    assertThat(g.get("fingerprint").asText()).isEqualTo(a.fingerprintHex());
    assertThat(g.at("/status/state").asText()).isEqualTo("active");
  }

  static final String RECEIVERS_CONFIG =
      """
      global:
        slack_api_url: %1$s/slack
      route:
        receiver: hook
        group_by: [alertname]
        group_wait: 1s
        group_interval: 2s
        routes:
          - receiver: hook
            continue: true
          - receiver: pd
            continue: true
          - receiver: chat
      receivers:
        - name: hook
          webhook_configs: [{url: '%1$s/hook'}]
        - name: pd
          pagerduty_configs: [{routing_key: rk, url: '%1$s/pd'}]
        - name: chat
          slack_configs: [{channel: '#ops', title: '{{ .CommonLabels.alertname }} on {{ .CommonLabels.instance }}'}]
      """;

  /** The same alert through Alertmanager 0.25 and through Osprey gives the same three payloads. */
  @Test
  void webhookSlackAndPagerDutyPayloadsEqualAlertmanagers() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(BIN), "prometheus-alertmanager not installed");
    try (dev.osprey.alerting.Sink amSink = new dev.osprey.alerting.Sink();
        dev.osprey.alerting.Sink ourSink = new dev.osprey.alerting.Sink()) {
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
        port = s.getLocalPort();
      }
      Path cfg = dir.resolve("am.yml");
      Files.writeString(cfg, RECEIVERS_CONFIG.formatted(amSink.url("")));
      am =
          new ProcessBuilder(
                  BIN.toString(),
                  "--config.file=" + cfg,
                  "--storage.path=" + dir.resolve("data"),
                  "--web.listen-address=127.0.0.1:" + port,
                  "--web.external-url=http://am.example",
                  "--cluster.listen-address=")
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("am.log").toFile())
              .start();
      String base = "http://127.0.0.1:" + port;
      Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
      Alert a =
          new Alert(
              Labels.of("alertname", "NodeDown", "instance", "n1:9100", "severity", "page"),
              Map.of("summary", "n1 is down"),
              now.minusSeconds(60),
              now.plus(Duration.ofMinutes(4)),
              "http://osprey:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1",
              now,
              false);
      AlertmanagerForwarder f =
          AlertmanagerForwarder.forUrls(List.of(base), d -> Thread.sleep(100));
      boolean sent = false;
      for (int i = 0; i < 100 && !sent; i++) {
        sent = f.send(List.of(a)) == 1;
        if (!sent) {
          Thread.sleep(100);
        }
      }
      assertThat(sent).as("alertmanager up; " + Files.readString(dir.resolve("am.log"))).isTrue();

      Dispatcher ours =
          new Dispatcher(
              AmConfig.parse(RECEIVERS_CONFIG.formatted(ourSink.url("")), null),
              Renderer.empty(),
              java.time.Clock.systemUTC(),
              new Silences(java.time.Clock.systemUTC(), null),
              new NotificationLog(null),
              null,
              "http://am.example",
              d -> {},
              new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
      ours.put(List.of(a));
      ours.tick(); // startsAt is past group_wait: flushes at once, as Alertmanager does

      for (int i = 0; i < 150 && amSink.received.size() < 3; i++) {
        Thread.sleep(100);
      }
      for (String path : List.of("/hook", "/pd", "/slack")) {
        assertThat(amSink.at(path)).as("alertmanager sent " + path).hasSize(1);
        assertThat(ourSink.at(path)).as("osprey sent " + path).hasSize(1);
        JsonNode theirs = amSink.at(path).get(0).body();
        JsonNode mine = ourSink.at(path).get(0).body();
        assertThat(mine)
            .as(path + "\nalertmanager: " + theirs + "\nosprey:       " + mine)
            .isEqualTo(theirs);
      }

      // the alert resolves: both send the resolution at the next group interval (Slack does not:
      // send_resolved defaults to false there)
      Alert resolved =
          new Alert(
              a.labels(),
              a.annotations(),
              a.startsAt(),
              Instant.now().truncatedTo(ChronoUnit.SECONDS),
              a.generatorURL(),
              Instant.now(),
              false);
      assertThat(f.send(List.of(resolved))).isEqualTo(1);
      ours.put(List.of(resolved));
      for (int i = 0; i < 100 && amSink.received.size() < 5; i++) {
        Thread.sleep(100);
      }
      for (int i = 0; i < 100 && ourSink.received.size() < 5; i++) {
        ours.tick();
        Thread.sleep(100);
      }
      for (String path : List.of("/hook", "/pd")) {
        assertThat(amSink.at(path)).as("alertmanager resolved " + path).hasSize(2);
        assertThat(ourSink.at(path)).as("osprey resolved " + path).hasSize(2);
        JsonNode theirs = amSink.at(path).get(1).body();
        JsonNode mine = ourSink.at(path).get(1).body();
        assertThat(mine)
            .as(path + "\nalertmanager: " + theirs + "\nosprey:       " + mine)
            .isEqualTo(theirs);
      }
      assertThat(amSink.at("/slack")).hasSize(1);
      assertThat(ourSink.at("/slack")).hasSize(1);
    }
  }

  /** Field names at every level, arrays by their first element. */
  static String shape(JsonNode n) {
    if (n.isObject()) {
      StringBuilder sb = new StringBuilder("{");
      java.util.List<String> names = new java.util.ArrayList<>();
      n.fieldNames().forEachRemaining(names::add);
      java.util.Collections.sort(names);
      for (String k : names) {
        JsonNode v = n.get(k);
        // label and annotation maps are data, not shape
        sb.append(k)
            .append(':')
            .append(k.equals("labels") || k.equals("annotations") ? "map" : shape(v))
            .append(',');
      }
      return sb.append('}').toString();
    }
    if (n.isArray()) {
      return n.isEmpty() ? "[]" : "[" + shape(n.get(0)) + "]";
    }
    return n.getNodeType().toString();
  }

  /** GET /api/v2/alerts and /api/v2/silences have Alertmanager's shapes and values. */
  @Test
  void apiV2ShapesEqualAlertmanagers() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(BIN), "prometheus-alertmanager not installed");
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort();
    }
    String yaml =
        "route:\n  receiver: sink\n  routes:\n    - receiver: other\n      matchers: [team=db]\n"
            + "receivers:\n  - name: sink\n  - name: other\n";
    Path cfg = dir.resolve("am.yml");
    Files.writeString(cfg, yaml);
    am =
        new ProcessBuilder(
                BIN.toString(),
                "--config.file=" + cfg,
                "--storage.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--cluster.listen-address=")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("am.log").toFile())
            .start();
    String base = "http://127.0.0.1:" + port;
    dev.osprey.alerting.AlertingService ours =
        new dev.osprey.alerting.AlertingService(
            List.of(),
            cfg,
            dir.resolve("osprey"),
            (e, t) -> List.of(),
            new dev.osprey.core.storage.memory.MemStorage(),
            "http://osprey",
            new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    dev.osprey.core.http.Router router = new dev.osprey.core.http.Router();
    ours.api().register(router);
    HttpClient c = HttpClient.newHttpClient();
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    String alerts =
        "[{\"labels\":{\"alertname\":\"A\",\"team\":\"db\"},\"annotations\":{\"s\":\"x\"},"
            + "\"startsAt\":\""
            + now.minusSeconds(60)
            + "\",\"generatorURL\":\"http://g\"},"
            + "{\"labels\":{\"alertname\":\"B\"}}]";
    String silence =
        "{\"matchers\":[{\"name\":\"alertname\",\"value\":\"A\",\"isRegex\":false,\"isEqual\":true}],"
            + "\"startsAt\":\""
            + now
            + "\",\"endsAt\":\""
            + now.plus(Duration.ofHours(1))
            + "\",\"createdBy\":\"sre\",\"comment\":\"c\"}";
    boolean up = false;
    for (int i = 0; i < 100 && !up; i++) {
      try {
        up = post(c, base + "/api/v2/alerts", alerts).statusCode() == 200;
      } catch (java.io.IOException e) {
        Thread.sleep(100);
      }
    }
    assertThat(up).isTrue();
    assertThat(post(c, base + "/api/v2/silences", silence).statusCode()).isEqualTo(200);
    assertThat(call(router, "POST", "/api/v2/alerts", alerts).status()).isEqualTo(200);
    assertThat(call(router, "POST", "/api/v2/silences", silence).status()).isEqualTo(200);

    for (String path : List.of("/api/v2/alerts", "/api/v2/silences")) {
      JsonNode theirs =
          Json.MAPPER.readTree(
              c.send(
                      HttpRequest.newBuilder(URI.create(base + path)).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body());
      JsonNode mine = Json.MAPPER.readTree(call(router, "GET", path, null).body());
      assertThat(mine.size()).as(path).isEqualTo(theirs.size());
      assertThat(shape(mine)).as(path).isEqualTo(shape(theirs));
    }
    JsonNode theirs =
        Json.MAPPER.readTree(
            c.send(
                    HttpRequest.newBuilder(
                            URI.create(base + "/api/v2/alerts?filter=alertname%3D%22A%22"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    JsonNode mine = Json.MAPPER.readTree(call(router, "GET", "/api/v2/alerts", null).body());
    JsonNode mineA =
        mine.get(0).at("/labels/alertname").asText().equals("A") ? mine.get(0) : mine.get(1);
    JsonNode a = theirs.get(0);
    for (String f :
        List.of(
            "/labels",
            "/annotations",
            "/fingerprint",
            "/receivers",
            "/status/state",
            "/startsAt",
            "/generatorURL")) {
      assertThat(mineA.at(f)).as(f).isEqualTo(a.at(f));
    }
    assertThat(mineA.at("/status/silencedBy").size()).isEqualTo(1);
    ours.close();
  }

  static HttpResponse<String> post(HttpClient c, String url, String body) throws Exception {
    return c.send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static dev.osprey.core.http.HttpResponse call(
      dev.osprey.core.http.Router r, String method, String path, String body) throws Exception {
    dev.osprey.core.http.Router.Match m = r.match(method, path);
    return m.route()
        .handler()
        .handle(
            new dev.osprey.core.http.HttpRequest(
                method,
                path,
                Map.of(),
                m.pathParams(),
                Map.of(),
                body == null ? new byte[0] : body.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                null,
                "127.0.0.1"));
  }

  static final String HTTP_CONFIG =
      """
      global:
        slack_api_url: %1$s/slack
        http_config:
          basic_auth: {username: global-user, password: global-pass}
      route:
        receiver: hook
        group_by: [alertname]
        group_wait: 1s
        group_interval: 2s
        routes:
          - receiver: hook
            continue: true
          - receiver: pd
            continue: true
          - receiver: chat
      receivers:
        - name: hook
          webhook_configs:
            - url: '%1$s/hook'
              http_config:
                basic_auth: {username: hook-user, password_file: '%2$s'}
            - url: '%1$s/hook-bearer'
              http_config:
                authorization: {credentials: s3cret}
        - name: pd
          pagerduty_configs:
            - routing_key: rk
              url: '%1$s/pd'
              http_config:
                authorization: {type: Token, credentials_file: '%3$s'}
        - name: chat
          slack_configs: [{channel: '#ops'}]
      """;

  /**
   * One Alertmanager file with http_config (basic_auth with password_file, authorization with
   * default and custom types, credentials_file, the global http_config inherited by Slack): the
   * real Alertmanager and Osprey send the same Authorization header to each endpoint.
   */
  @Test
  void httpConfigAuthorizationHeadersEqualAlertmanagers() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(BIN), "prometheus-alertmanager not installed");
    Path pw = dir.resolve("hook.pw");
    Files.writeString(pw, "hook-pass\n");
    Path token = dir.resolve("pd.token");
    Files.writeString(token, "pd-token");
    try (dev.osprey.alerting.Sink amSink = new dev.osprey.alerting.Sink();
        dev.osprey.alerting.Sink ourSink = new dev.osprey.alerting.Sink()) {
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
        port = s.getLocalPort();
      }
      Path cfg = dir.resolve("am.yml");
      Files.writeString(cfg, HTTP_CONFIG.formatted(amSink.url(""), pw, token));
      am =
          new ProcessBuilder(
                  BIN.toString(),
                  "--config.file=" + cfg,
                  "--storage.path=" + dir.resolve("data"),
                  "--web.listen-address=127.0.0.1:" + port,
                  "--cluster.listen-address=")
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("am.log").toFile())
              .start();
      Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
      Alert a =
          new Alert(
              Labels.of("alertname", "NodeDown", "instance", "n1:9100"),
              Map.of("summary", "n1 is down"),
              now.minusSeconds(60),
              now.plus(Duration.ofMinutes(4)),
              "http://osprey:9090/graph",
              now,
              false);
      AlertmanagerForwarder f =
          AlertmanagerForwarder.forUrls(
              List.of("http://127.0.0.1:" + port), d -> Thread.sleep(100));
      boolean sent = false;
      for (int i = 0; i < 100 && !sent; i++) {
        sent = f.send(List.of(a)) == 1;
        if (!sent) {
          Thread.sleep(100);
        }
      }
      assertThat(sent).as("alertmanager up; " + Files.readString(dir.resolve("am.log"))).isTrue();
      Dispatcher ours =
          new Dispatcher(
              AmConfig.parse(HTTP_CONFIG.formatted(ourSink.url(""), pw, token), null),
              Renderer.empty(),
              java.time.Clock.systemUTC(),
              new Silences(java.time.Clock.systemUTC(), null),
              new NotificationLog(null),
              null,
              "http://am.example",
              d -> {},
              new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
      ours.put(List.of(a));
      ours.tick();
      for (int i = 0; i < 150 && (amSink.received.size() < 4 || ourSink.received.size() < 4); i++) {
        Thread.sleep(100);
      }
      Map<String, String> expected =
          Map.of(
              "/hook",
              basic("hook-user", "hook-pass"),
              "/hook-bearer",
              "Bearer s3cret",
              "/pd",
              "Token pd-token",
              "/slack",
              basic("global-user", "global-pass"));
      for (var e : expected.entrySet()) {
        assertThat(amSink.at(e.getKey())).as("alertmanager sent " + e.getKey()).hasSize(1);
        assertThat(ourSink.at(e.getKey())).as("osprey sent " + e.getKey()).hasSize(1);
        assertThat(amSink.at(e.getKey()).get(0).authorization())
            .as("alertmanager's header at " + e.getKey())
            .isEqualTo(e.getValue());
        assertThat(ourSink.at(e.getKey()).get(0).authorization())
            .as("osprey's header at " + e.getKey())
            .isEqualTo(e.getValue());
      }
    }
  }

  private static String basic(String user, String pass) {
    return "Basic "
        + java.util.Base64.getEncoder()
            .encodeToString((user + ":" + pass).getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
