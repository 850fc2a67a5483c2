package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent ships to a real Prometheus (Debian's 2.42, remote_write receiver on), not only to
 * Osprey.
 */
class AgentToPrometheusIT {
  private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");

  @Test
  void agentMetricsLandInARealPrometheus(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isExecutable(PROMETHEUS), "Debian's prometheus is not installed");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Files.writeString(dir.resolve("empty.yml"), "global:\n  scrape_interval: 15s\n");
    Process prom =
        new ProcessBuilder(
                PROMETHEUS.toString(),
                "--config.file=" + dir.resolve("empty.yml"),
                "--storage.tsdb.path=" + dir.resolve("prom-data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--web.enable-remote-write-receiver")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("prometheus.log").toFile())
            .start();
    Process agent = null;
    HttpClient client = HttpClient.newHttpClient();
    try {
      Path scrape = dir.resolve("scrape.yml");
      Files.writeString(scrape, "global:\n  scrape_interval: 15s\nscrape_configs: []\n");
      agent = AgentOutageIT.startAgent(dir, port, scrape);
      String q = "count(node_cpu_seconds_total)";
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      JsonNode result = null;
      while (System.nanoTime() < deadline) {
        try {
          HttpResponse<String> r =
              client.send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:"
                                  + port
                                  + "/api/v1/query?query="
                                  + URLEncoder.encode(q, StandardCharsets.UTF_8)))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          result = new ObjectMapper().readTree(r.body()).at("/data/result");
          if (result.size() > 0) {
            break;
          }
        } catch (java.io.IOException e) {
          // Prometheus still starting
        }
        Thread.sleep(500);
      }
      assertThat(result).as("Prometheus answered %s", q).isNotNull();
      assertThat(result.size()).isEqualTo(1);
      assertThat(result.at("/0/value/1").asInt())
          .isGreaterThanOrEqualTo(Runtime.getRuntime().availableProcessors());
    } finally {
      if (agent != null) {
        agent.destroy();
        agent.waitFor(30, TimeUnit.SECONDS);
      }
      prom.destroy();
      prom.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
