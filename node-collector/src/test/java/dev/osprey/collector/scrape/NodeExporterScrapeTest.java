package dev.osprey.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.osprey.collector.CapturingSink;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Scrapes a real Debian node_exporter on 127.0.0.1 through the whole scrape path. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeExporterScrapeTest {
  static final Path BINARY = Path.of("/usr/bin/prometheus-node-exporter");

  @Test
  void scrapesNodeExporter() throws Exception {
    assumeTrue(Files.isExecutable(BINARY), "needs Debian package prometheus-node-exporter");
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Process ne =
        new ProcessBuilder(BINARY.toString(), "--web.listen-address=127.0.0.1:" + port)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      boolean listening = false;
      while (!listening && System.nanoTime() < deadline) {
        try (Socket s = new Socket("127.0.0.1", port)) {
          listening = true;
        } catch (java.io.IOException e) {
          Thread.sleep(100);
        }
      }
      assertThat(listening).as("node_exporter listening").isTrue();
      PrometheusConfig c =
          PrometheusConfig.parse(
              """
          scrape_configs:
            - job_name: node
              scrape_timeout: 10s
              static_configs: [{targets: ['127.0.0.1:%d'], labels: {node: n1}}]
              metric_relabel_configs:
                - {source_labels: [__name__], regex: 'go_.*|promhttp_.*', action: drop}
          """
                  .formatted(port));
      CapturingSink sink = new CapturingSink();
      ScrapeLoop loop =
          new ScrapeLoop(
              Target.fromStatic(c.scrapeConfigs().get(0)).get(0),
              HttpClient.newHttpClient(),
              sink,
              c.externalLabels());
      ScrapeLoop.Result r = loop.scrapeOnce(System.currentTimeMillis());
      assertThat(r.error()).isEmpty();
      assertThat(r.up()).isTrue();
      assertThat(r.scraped()).isGreaterThan(200);
      assertThat(r.postRelabel()).isLessThan(r.scraped()).isGreaterThan(100);
      assertThat(sink.find("go_goroutines")).isEmpty();
      var cpu = sink.find("node_cpu_seconds_total", "mode", "idle");
      assertThat(cpu).hasSizeGreaterThanOrEqualTo(1);
      assertThat(cpu.get(0).labels().get("job")).isEqualTo("node");
      assertThat(cpu.get(0).labels().get("instance")).isEqualTo("127.0.0.1:" + port);
      assertThat(cpu.get(0).labels().get("node")).isEqualTo("n1");
      assertThat(sink.one("up").v()).isEqualTo(1);

      // node_exporter down: up 0 and every series it gave goes stale
      ne.destroy();
      assertThat(ne.waitFor(10, TimeUnit.SECONDS)).isTrue();
      sink.clear();
      ScrapeLoop.Result down = loop.scrapeOnce(System.currentTimeMillis());
      assertThat(down.up()).isFalse();
      assertThat(sink.one("up").v()).isEqualTo(0);
      assertThat(sink.find("node_cpu_seconds_total", "mode", "idle"))
          .allSatisfy(s -> assertThat(dev.osprey.core.storage.StaleNaN.is(s.v())).isTrue())
          .hasSameSizeAs(cpu);
    } finally {
      ne.destroyForcibly();
      ne.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
