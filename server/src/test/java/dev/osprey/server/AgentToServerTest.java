package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.core.config.AgentConfig;
import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.util.ByteSize;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two processes wired as users run them, in one JVM: the agent reads this machine's real
 * cgroups and /proc and real CRI log files, spools them in Chronicle Queue, and ships them to the
 * server; the test reads them back through the Prometheus and Loki APIs.
 */
class AgentToServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client = HttpClient.newHttpClient();

  private JsonNode get(String base, String path, String query) throws Exception {
    String url = base + path + "?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8);
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  @Test
  void agentShipsNodeMetricsAndContainerLogsIntoTheServer(@TempDir Path dir) throws Exception {
    Path pods = dir.resolve("pods");
    Path log = pods.resolve("shop_web-1_0b7a0f9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b/nginx/0.log");
    Files.createDirectories(log.getParent());
    List<String> written = new ArrayList<>();
    StringBuilder cri = new StringBuilder();
    for (int i = 0; i < 50; i++) {
      String line = "GET /item/" + i + " 200 e2e-marker";
      written.add(line);
      cri.append(Instant.now()).append(" stdout F ").append(line).append('\n');
    }
    Files.writeString(log, cri.toString());

    OspreyConfig base = OspreyServerTest.config(dir.resolve("data"));
    try (OspreyServer server = new OspreyServer(base, SelfMetrics.create()).start()) {
      // The agent also scrapes the server's own /metrics, as a Prometheus job.
      Path prom = dir.resolve("prometheus.yml");
      Files.writeString(
          prom,
          "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: osprey\n"
              + "    static_configs:\n      - targets: ['"
              + URI.create(server.baseUrl()).getAuthority()
              + "']\n");
      AgentConfig agent =
          new AgentConfig(
              server.baseUrl(),
              dir.resolve("spool").toString(),
              new ByteSize(256L << 20),
              pods + "/*/*/*.log",
              "/sys/fs/cgroup",
              prom.toString(),
              Duration.ofSeconds(1));
      OspreyConfig withAgent =
          new OspreyConfig(
              base.server(), base.tsdb(), base.logs(), base.query(), base.alerting(), agent);
      try (OspreyAgent a = new OspreyAgent(withAgent, SelfMetrics.create(), false).start()) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode cpu = null;
        JsonNode lines = null;
        JsonNode up = null;
        JsonNode containers = null;
        while (System.nanoTime() < deadline) {
          up = get(server.baseUrl(), "/api/v1/query", "up{job=\"osprey\"}");
          containers =
              get(server.baseUrl(), "/api/v1/query", "count(container_cpu_usage_seconds_total)");
          cpu = get(server.baseUrl(), "/api/v1/query", "count(node_cpu_seconds_total)");
          lines =
              get(
                  server.baseUrl(),
                  "/loki/api/v1/query",
                  "sum(count_over_time({namespace=\"shop\", pod=\"web-1\", container=\"nginx\"} |= \"e2e-marker\" [10m]))");
          if (cpu.at("/data/result").size() > 0
              && up.at("/data/result").size() > 0
              && containers.at("/data/result").size() > 0
              && lines.at("/data/result").size() > 0
              && lines.at("/data/result/0/value/1").asInt() == written.size()) {
            break;
          }
          Thread.sleep(250);
        }
        // node_exporter's cpu x mode series from this machine's /proc/stat
        assertThat(cpu.at("/data/result/0/value/1").asInt())
            .isGreaterThanOrEqualTo(Runtime.getRuntime().availableProcessors());
        // a scraped target, as Prometheus records it
        assertThat(up.at("/data/result/0/value/1").asText()).isEqualTo("1");
        // cAdvisor-named container metrics from this machine's cgroups (at least the root "/")
        assertThat(containers.at("/data/result/0/value/1").asInt()).isPositive();
        // every line exactly once
        assertThat(lines.at("/data/result/0/value/1").asInt()).isEqualTo(written.size());
      }
    }
  }
}
