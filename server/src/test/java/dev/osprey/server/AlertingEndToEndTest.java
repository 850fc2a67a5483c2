package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.osprey.core.config.AlertingConfig;
import dev.osprey.core.config.OspreyConfig;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Alerting through the real path: samples imported over HTTP into the tsdb, a Prometheus rule file
 * evaluated by the PromQL engine, routed by an Alertmanager config, delivered as Alertmanager's
 * webhook payload to a local sink.
 */
class AlertingEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void ruleOverImportedDataPagesTheWebhookOnce(@TempDir Path dir) throws Exception {
    List<JsonNode> received = new CopyOnWriteArrayList<>();
    HttpServer sink = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    sink.createContext(
        "/hook",
        ex -> {
          received.add(JSON.readTree(ex.getRequestBody().readAllBytes()));
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    sink.start();
    try {
      Path rules = dir.resolve("rules.yml");
      Files.writeString(
          rules,
          """
          groups:
            - name: e2e
              interval: 1s
              rules:
                - alert: ErrorsRising
                  expr: sum by (job) (rate(errors_total[5m])) > 0
                  labels:
                    severity: page
                  annotations:
                    summary: "{{ $labels.job }} errors at {{ $value | printf \\"%.3f\\" }}/s"
          """);
      Path am = dir.resolve("alertmanager.yml");
      Files.writeString(
          am,
          """
          route:
            receiver: hook
            group_by: [alertname, job]
            group_wait: 1s
            group_interval: 1s
            repeat_interval: 1h
          receivers:
            - name: hook
              webhook_configs:
                - url: http://127.0.0.1:%d/hook
          """
              .formatted(sink.getAddress().getPort()));
      OspreyConfig base = OspreyServerTest.config(dir.resolve("data"));
      OspreyConfig c =
          new OspreyConfig(
              base.server(),
              base.tsdb(),
              base.logs(),
              base.query(),
              new AlertingConfig(List.of(rules.toString()), am.toString(), Duration.ofSeconds(1)),
              base.agent());
      try (OspreyServer server = new OspreyServer(c, SelfMetrics.create()).start()) {
        // Ten minutes of a counter rising by 6 a minute, up to now.
        long now = System.currentTimeMillis();
        StringBuilder body = new StringBuilder();
        for (int i = 0; i <= 40; i++) {
          long t = now - (40 - i) * 15_000L;
          body.append("errors_total{job=\"api\"} ")
              .append(i * 1.5)
              .append(' ')
              .append(t)
              .append('\n');
        }
        HttpResponse<String> r =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create(server.baseUrl() + "/api/v1/import/prometheus"))
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(204);

        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (received.isEmpty() && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        assertThat(received).as("webhook payloads").isNotEmpty();
        JsonNode p = received.get(0);
        assertThat(p.get("version").asText()).isEqualTo("4");
        assertThat(p.get("status").asText()).isEqualTo("firing");
        assertThat(p.get("receiver").asText()).isEqualTo("hook");
        JsonNode alert = p.get("alerts").get(0);
        assertThat(alert.at("/labels/alertname").asText()).isEqualTo("ErrorsRising");
        assertThat(alert.at("/labels/job").asText()).isEqualTo("api");
        assertThat(alert.at("/labels/severity").asText()).isEqualTo("page");
        assertThat(alert.at("/annotations/summary").asText()).isEqualTo("api errors at 0.100/s");

        // The alert is visible as Prometheus shows it, and is not paged again within the repeat
        // interval.
        HttpResponse<String> alerts =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(URI.create(server.baseUrl() + "/api/v1/alerts")).build(),
                    HttpResponse.BodyHandlers.ofString());
        assertThat(alerts.body())
            .contains("\"alertname\":\"ErrorsRising\"")
            .contains("\"state\":\"firing\"");
        Thread.sleep(3000);
        assertThat(received).hasSize(1);
      }
    } finally {
      sink.stop(0);
    }
  }
}
