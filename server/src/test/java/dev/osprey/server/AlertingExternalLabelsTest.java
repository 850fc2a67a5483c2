package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.osprey.core.config.ConfigLoader;
import dev.osprey.core.config.OspreyConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code global.external_labels} and {@code alerting.alertmanagers} from osprey.yaml: external
 * labels on what the webhook receives and on what Debian's real prometheus-alertmanager receives
 * (served under a path prefix, requiring basic auth), and not on the ALERTS series, as in
 * Prometheus.
 */
class AlertingExternalLabelsTest {
  private static final Path ALERTMANAGER = Path.of("/usr/bin/prometheus-alertmanager");
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client = HttpClient.newHttpClient();

  @Test
  void externalLabelsReachTheWebhookAndARealAlertmanagerFromOspreyYaml(@TempDir Path dir)
      throws Exception {
    assumeTrue(Files.isExecutable(ALERTMANAGER), "prometheus-alertmanager is not installed");
    int amPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      amPort = s.getLocalPort();
    }
    Files.writeString(
        dir.resolve("real-am.yml"), "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n");
    // the Alertmanager requires basic auth (bcrypt of "am-pass", cost 4); Osprey reads the
    // password from a file named in osprey.yaml
    Files.writeString(
        dir.resolve("web.yml"),
        "basic_auth_users:\n"
            + "  osprey: $2b$04$TJC.o8nl3SV1cp0nxCFHeu7ZtnrstXSxohq7HM62ac0zg//DwLa6.\n");
    Files.writeString(dir.resolve("am.pw"), "am-pass\n");
    Process am =
        new ProcessBuilder(
                ALERTMANAGER.toString(),
                "--web.config.file=" + dir.resolve("web.yml"),
                "--config.file=" + dir.resolve("real-am.yml"),
                "--storage.path=" + dir.resolve("am-data"),
                "--web.listen-address=127.0.0.1:" + amPort,
                "--web.route-prefix=/am",
                "--cluster.listen-address=")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("am.log").toFile())
            .start();
    List<JsonNode> hooks = new CopyOnWriteArrayList<>();
    HttpServer sink = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    sink.createContext(
        "/hook",
        ex -> {
          hooks.add(JSON.readTree(ex.getRequestBody().readAllBytes()));
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    sink.start();
    try {
      Files.writeString(
          dir.resolve("rules.yml"),
          """
          groups:
            - name: ext
              interval: 1s
              rules:
                - alert: Always
                  expr: vector(1)
                  labels: {severity: page}
                  annotations: {summary: "cluster {{ $externalLabels.cluster }}"}
          """);
      Files.writeString(
          dir.resolve("alertmanager.yml"),
          """
          route:
            receiver: hook
            group_by: [alertname]
            group_wait: 1s
            group_interval: 1s
          receivers:
            - name: hook
              webhook_configs: [{url: 'http://127.0.0.1:%d/hook'}]
          """
              .formatted(sink.getAddress().getPort()));
      Path yaml = dir.resolve("osprey.yaml");
      Files.writeString(
          yaml,
          """
          global:
            external_labels:
              cluster: eu-1
              severity: low
          server:
            listen: 127.0.0.1:0
            data_dir: %1$s/data
          alerting:
            rule_files: [%1$s/rules.yml]
            alertmanager_config: %1$s/alertmanager.yml
            evaluation_interval: 1s
            alertmanagers:
              - path_prefix: /am/
                timeout: 5s
                basic_auth:
                  username: osprey
                  password_file: %1$s/am.pw
                static_configs:
                  - targets: ['127.0.0.1:%2$d']
          """
              .formatted(dir, amPort));
      OspreyConfig config = ConfigLoader.load(yaml);
      try (OspreyServer server = new OspreyServer(config, SelfMetrics.create()).start()) {
        String amBase = "http://127.0.0.1:" + amPort + "/am";
        JsonNode forwarded = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && (forwarded == null || hooks.isEmpty())) {
          try {
            JsonNode got = JSON.readTree(get(amBase + "/api/v2/alerts", AM_AUTH));
            if (got.isArray() && got.size() > 0) {
              forwarded = got;
            }
          } catch (java.io.IOException e) {
            // alertmanager still starting
          }
          Thread.sleep(200);
        }
        assertThat(forwarded)
            .as(
                "alerts in the real alertmanager; its log: %s",
                Files.readString(dir.resolve("am.log")))
            .isNotNull();
        Map<String, String> expected =
            Map.of("alertname", "Always", "severity", "page", "cluster", "eu-1");
        // the alert's own severity wins over the external label of the same name
        assertThat(forwarded).hasSize(1);
        assertThat(labels(forwarded.get(0).get("labels"))).isEqualTo(expected);
        assertThat(forwarded.get(0).at("/annotations/summary").asText()).isEqualTo("cluster eu-1");
        assertThat(forwarded.get(0).at("/status/state").asText()).isEqualTo("active");
        // the Alertmanager really checks: without the credentials it refuses
        assertThat(
                client
                    .send(
                        HttpRequest.newBuilder(URI.create(amBase + "/api/v2/alerts")).build(),
                        HttpResponse.BodyHandlers.discarding())
                    .statusCode())
            .isEqualTo(401);

        assertThat(hooks).as("webhook payloads").isNotEmpty();
        JsonNode hook = hooks.get(0);
        assertThat(labels(hook.at("/alerts/0/labels"))).isEqualTo(expected);
        assertThat(labels(hook.get("commonLabels"))).isEqualTo(expected);
        assertThat(hook.at("/alerts/0/fingerprint").asText())
            .isEqualTo(forwarded.get(0).get("fingerprint").asText());

        // ALERTS in the tsdb carries no external labels (Prometheus adds them only on the way out)
        JsonNode series =
            JSON.readTree(
                    get(
                        server.baseUrl()
                            + "/api/v1/query?query="
                            + URLEncoder.encode("ALERTS", StandardCharsets.UTF_8)))
                .at("/data/result");
        assertThat(series).hasSize(1);
        assertThat(labels(series.at("/0/metric")))
            .isEqualTo(
                Map.of(
                    "__name__", "ALERTS",
                    "alertname", "Always",
                    "alertstate", "firing",
                    "severity", "page"));
      }
    } finally {
      sink.stop(0);
      am.destroy();
      if (!am.waitFor(10, TimeUnit.SECONDS)) {
        am.destroyForcibly();
      }
    }
  }

  private static final String AM_AUTH =
      "Basic "
          + java.util.Base64.getEncoder()
              .encodeToString("osprey:am-pass".getBytes(StandardCharsets.UTF_8));

  private String get(String url) throws Exception {
    return client
        .send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private String get(String url, String authorization) throws Exception {
    return client
        .send(
            HttpRequest.newBuilder(URI.create(url)).header("Authorization", authorization).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> labels(JsonNode n) {
    return JSON.convertValue(n, Map.class);
  }
}
