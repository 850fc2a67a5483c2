package dev.osprey.tsdb.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.http.Router;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import dev.osprey.core.storage.StaleNaN;
import dev.osprey.tsdb.Tsdb;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's Prometheus as a real remote_write sender: it scrapes a real node exporter and itself
 * every second and remote-writes to our endpoint (served by a JDK HTTP server in this test); then
 * what we stored must equal, sample for sample and bit for bit, what Prometheus returns from its
 * own storage for the same series.
 */
class PrometheusRemoteWriteTest {
  private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
  private static final Path NODE_EXPORTER = Path.of("/usr/bin/prometheus-node-exporter");

  @TempDir Path tmp;

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void whatPrometheusSendsIsWhatPrometheusStores() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(PROMETHEUS), "needs Debian's prometheus");
    Assumptions.assumeTrue(Files.isExecutable(NODE_EXPORTER), "needs prometheus-node-exporter");
    Tsdb db =
        Tsdb.open(
            tmp.resolve("osprey"),
            new TsdbConfig(null, null, null, "never"),
            new SimpleMeterRegistry());
    Router router = RouterHandler.ingestRouter(db);
    HttpServer sink = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    sink.createContext("/", RouterHandler.of(router));
    sink.start();
    int nodePort = freePort();
    int promPort = freePort();
    Process node = null;
    Process prom = null;
    try {
      node =
          new ProcessBuilder(NODE_EXPORTER.toString(), "--web.listen-address=127.0.0.1:" + nodePort)
              .redirectErrorStream(true)
              .redirectOutput(tmp.resolve("node.log").toFile())
              .start();
      Path cfg = tmp.resolve("prometheus.yml");
      Files.writeString(
          cfg,
          """
          global:
            scrape_interval: 1s
          scrape_configs:
            - job_name: node
              static_configs: [{targets: ['127.0.0.1:%d']}]
            - job_name: prometheus
              static_configs: [{targets: ['127.0.0.1:%d']}]
          remote_write:
            - url: http://127.0.0.1:%d/api/v1/write
              queue_config: {batch_send_deadline: 200ms, max_samples_per_send: 2000}
          """
              .formatted(nodePort, promPort, sink.getAddress().getPort()));
      prom =
          new ProcessBuilder(
                  PROMETHEUS.toString(),
                  "--config.file=" + cfg,
                  "--storage.tsdb.path=" + tmp.resolve("prom-data"),
                  "--web.listen-address=127.0.0.1:" + promPort)
              .redirectErrorStream(true)
              .redirectOutput(tmp.resolve("prometheus.log").toFile())
              .start();
      HttpClient http = HttpClient.newHttpClient();
      String matcher =
          "{__name__=~\"up|node_cpu_seconds_total|node_load1|node_memory_MemFree_bytes|prometheus_tsdb_head_series|scrape_duration_seconds\"}";
      // let Prometheus scrape a few times
      JsonNode result = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline) {
        Thread.sleep(1000);
        try {
          result = PrometheusQuery.instant(http, promPort, matcher + "[10m]");
        } catch (IOException e) {
          continue; // not up yet
        }
        int minSamples = Integer.MAX_VALUE;
        for (JsonNode s : result) {
          minSamples = Math.min(minSamples, s.get("values").size());
        }
        if (result.size() >= 6 && minSamples >= 6) {
          break;
        }
      }
      assertThat(result)
          .as("Prometheus scraped; see %s", tmp.resolve("prometheus.log"))
          .isNotNull();
      assertThat(result.size()).isGreaterThanOrEqualTo(6);
      int compared = 0;
      for (JsonNode s : result) {
        Labels.Builder b = Labels.builder();
        for (Map.Entry<String, JsonNode> e : s.get("metric").properties()) {
          b.set(e.getKey(), e.getValue().asText());
        }
        Labels labels = b.build();
        List<long[]> expected = new ArrayList<>();
        for (JsonNode v : s.get("values")) {
          long t = Math.round(v.get(0).asDouble() * 1000);
          expected.add(
              new long[] {t, Double.doubleToRawLongBits(Double.parseDouble(v.get(1).asText()))});
        }
        long last = expected.get(expected.size() - 1)[0];
        List<long[]> got = List.of();
        long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < waitUntil) {
          got = stored(db, labels, expected.get(0)[0], last);
          if (!got.isEmpty() && got.get(got.size() - 1)[0] >= last) {
            break;
          }
          Thread.sleep(200);
        }
        assertThat(got).as("samples of %s", labels).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
          assertThat(got.get(i)).as("sample %d of %s", i, labels).containsExactly(expected.get(i));
        }
        compared++;
      }
      assertThat(compared).isGreaterThanOrEqualTo(6);
    } finally {
      if (prom != null) {
        prom.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      if (node != null) {
        node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      sink.stop(0);
      db.close();
    }
  }

  /**
   * Our samples of exactly this series in [mint, maxt], without stale markers (the API hides them).
   */
  private static List<long[]> stored(Tsdb db, Labels labels, long mint, long maxt) {
    List<long[]> out = new ArrayList<>();
    LabelMatcher[] ms = new LabelMatcher[labels.size()];
    for (int i = 0; i < labels.size(); i++) {
      ms[i] = LabelMatcher.equal(labels.name(i), labels.value(i));
    }
    try (Querier q = db.querier()) {
      SeriesSet set = q.select(mint, maxt, SelectHints.of(mint, maxt), ms);
      while (set.next()) {
        if (!set.labels().equals(labels)) {
          continue;
        }
        SampleIterator it = set.iterator(null);
        while (it.next()) {
          if (!StaleNaN.is(it.v())) {
            out.add(new long[] {it.t(), Double.doubleToRawLongBits(it.v())});
          }
        }
      }
    }
    return out;
  }
}
