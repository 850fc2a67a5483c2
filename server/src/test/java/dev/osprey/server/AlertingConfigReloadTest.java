package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.osprey.core.config.ConfigLoader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload (POST /-/reload, and {@link OspreyServer#reload()} which SIGHUP calls) re-reads
 * osprey.yaml's {@code global.external_labels} and {@code alerting.alertmanagers}, as Prometheus
 * re-reads its whole config; a bad file changes nothing, not even the rule files.
 */
class AlertingConfigReloadTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client = HttpClient.newHttpClient();

  private static String rules(String... alerts) {
    StringBuilder sb =
        new StringBuilder("groups:\n  - name: reload\n    interval: 1s\n    rules:\n");
    for (String a : alerts) {
      sb.append("      - alert: ")
          .append(a)
          .append("\n        expr: vector(1)\n")
          .append("        annotations: {summary: \"cluster {{ $externalLabels.cluster }}\"}\n");
    }
    return sb.toString();
  }

  private static String ospreyYaml(Path dir, String cluster, Integer amPort) {
    String am =
        amPort == null
            ? ""
            : "  alertmanagers:\n    - static_configs: [{targets: ['127.0.0.1:" + amPort + "']}]\n";
    return """
        global:
          external_labels: {cluster: %2$s}
        server:
          listen: 127.0.0.1:0
          data_dir: %1$s/data
        alerting:
          rule_files: [%1$s/rules.yml]
          evaluation_interval: 1s
        """
            .formatted(dir, cluster)
        + am;
  }

  @Test
  void reloadReadsExternalLabelsAndAlertmanagersAndABadFileChangesNothing(@TempDir Path dir)
      throws Exception {
    List<JsonNode> received = new CopyOnWriteArrayList<>();
    HttpServer am = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    am.createContext(
        "/api/v2/alerts",
        ex -> {
          JSON.readTree(ex.getRequestBody().readAllBytes()).forEach(received::add);
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    am.start();
    Path yaml = dir.resolve("osprey.yaml");
    Path ruleFile = dir.resolve("rules.yml");
    Files.writeString(ruleFile, rules("First"));
    Files.writeString(yaml, ospreyYaml(dir, "eu-1", null));
    try (OspreyServer server =
        new OspreyServer(ConfigLoader.load(yaml), SelfMetrics.create())
            .reloadConfigFrom(yaml)
            .start()) {
      String base = server.baseUrl();
      assertThat(await(() -> summaries(base).equals(List.of("First=cluster eu-1")), 30))
          .as("First fires with the external label of the file; got %s", summaries(base))
          .isTrue();

      // new labels and a new Alertmanager, with a new rule whose alert is sent at once
      Files.writeString(ruleFile, rules("First", "Second"));
      Files.writeString(yaml, ospreyYaml(dir, "us-2", am.getAddress().getPort()));
      assertThat(postReload(base).statusCode()).isEqualTo(200);
      assertThat(
              await(
                  () ->
                      received.stream()
                          .anyMatch(a -> a.at("/labels/alertname").asText().equals("Second")),
                  30))
          .as("the Alertmanager added by the reload receives Second")
          .isTrue();
      JsonNode second =
          received.stream()
              .filter(a -> a.at("/labels/alertname").asText().equals("Second"))
              .findFirst()
              .orElseThrow();
      assertThat(second.at("/labels/cluster").asText()).isEqualTo("us-2");
      assertThat(second.at("/annotations/summary").asText()).isEqualTo("cluster us-2");
      assertThat(await(() -> summaries(base).contains("First=cluster us-2"), 30))
          .as("templates see the new external labels; got %s", summaries(base))
          .isTrue();

      // a bad osprey.yaml: neither it nor the (valid) new rule file is taken
      Files.writeString(ruleFile, rules("First", "Second", "Third"));
      for (String bad :
          List.of(
              ospreyYaml(dir, "ap-3", null).replace("external_labels", "external_lables"),
              ospreyYaml(dir, "ap-3", 9093).replace(":9093", ""),
              ospreyYaml(dir, "__bad", null).replace("cluster: __bad", "__x: y"))) {
        Files.writeString(yaml, bad);
        HttpResponse<String> r = postReload(base);
        assertThat(r.statusCode()).as(bad).isEqualTo(500);
        assertThat(r.body()).contains(yaml.toString());
        server.reload(); // the SIGHUP path: logs, never throws
        assertThat(ruleNames(base)).containsExactly("First", "Second");
        assertThat(summaries(base)).contains("First=cluster us-2");
      }

      // a good file again: the Alertmanager is gone from the config, the labels change
      Files.writeString(yaml, ospreyYaml(dir, "ap-3", null));
      assertThat(postReload(base).statusCode()).isEqualTo(200);
      assertThat(ruleNames(base)).containsExactly("First", "Second", "Third");
      assertThat(await(() -> summaries(base).contains("Third=cluster ap-3"), 30))
          .as("got %s", summaries(base))
          .isTrue();
      assertThat(received)
          .noneMatch(a -> a.at("/labels/alertname").asText().equals("Third"))
          .noneMatch(a -> a.at("/labels/cluster").asText().equals("ap-3"));
    } finally {
      am.stop(0);
    }
  }

  private HttpResponse<String> postReload(String base) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(base + "/-/reload"))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode get(String url) throws Exception {
    return JSON.readTree(
        client
            .send(
                HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString())
            .body());
  }

  /** {@code alertname=summary} of every firing alert, sorted. */
  private List<String> summaries(String base) throws Exception {
    List<String> out = new ArrayList<>();
    for (JsonNode a : get(base + "/api/v1/alerts").at("/data/alerts")) {
      if (a.get("state").asText().equals("firing")) {
        out.add(a.at("/labels/alertname").asText() + "=" + a.at("/annotations/summary").asText());
      }
    }
    out.sort(null);
    return out;
  }

  private List<String> ruleNames(String base) throws Exception {
    List<String> out = new ArrayList<>();
    for (JsonNode g : get(base + "/api/v1/rules").at("/data/groups")) {
      g.get("rules").forEach(r -> out.add(r.get("name").asText()));
    }
    return out;
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
}
