package dev.osprey.tsdb.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.http.Router;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import dev.osprey.core.testing.ProtoWriter;
import dev.osprey.core.testing.ProtobufExposition;
import dev.osprey.tsdb.Tsdb;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's Prometheus 2.42 with {@code --enable-feature=native-histograms} as a real sender of
 * native histograms: it scrapes a target of this test that exposes one native histogram in the
 * protobuf exposition format (growing every scrape) and remote-writes to Osprey; every histogram
 * Prometheus stored itself (read back through its API) must be in Osprey with the same timestamp,
 * count, sum and bucket boundaries and counts.
 */
class PrometheusNativeHistogramTest {
  private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");

  @TempDir Path tmp;

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Scrape n: schema 0, buckets 0..4 with (k+1)*n observations each, n in the zero bucket. */
  static byte[] exposition(int n) {
    ProtoWriter h = new ProtoWriter();
    long count = n;
    for (int k = 0; k < 5; k++) {
      count += (long) (k + 1) * n;
    }
    h.uint(1, count).dbl(2, n * 1.25).sint(5, 0).dbl(6, 1e-3).uint(7, n);
    h.bytes(
        12,
        new ProtoWriter().sint(1, 0).uint(2, 5).toBytes()); // positive span: offset 0, 5 buckets
    long last = 0;
    for (int k = 0; k < 5; k++) {
      long c = (long) (k + 1) * n;
      h.sint(13, c - last);
      last = c;
    }
    ProtoWriter metric =
        new ProtoWriter().bytes(1, new ProtoWriter().str(1, "path").str(2, "/x").toBytes());
    metric.bytes(7, h.toBytes());
    ProtoWriter family =
        new ProtoWriter()
            .str(1, "test_latency_seconds")
            .str(2, "Latency.")
            .uint(3, 4)
            .bytes(4, metric.toBytes());
    byte[] f = family.toBytes();
    return concat(new ProtoWriter().varint(f.length).toBytes(), f); // length-delimited
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = new byte[a.length + b.length];
    System.arraycopy(a, 0, c, 0, a.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  @Test
  void nativeHistogramsPrometheusSendsAreWhatItStores() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(PROMETHEUS), "needs Debian's prometheus");
    Tsdb db =
        Tsdb.open(
            tmp.resolve("osprey"),
            new TsdbConfig(null, null, null, "never"),
            new SimpleMeterRegistry());
    Router router = RouterHandler.ingestRouter(db);
    HttpServer sink = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    sink.createContext("/api/", RouterHandler.of(router));
    AtomicInteger scrapes = new AtomicInteger();
    sink.createContext(
        "/metrics", ProtobufExposition.handler(() -> exposition(scrapes.incrementAndGet())));
    sink.start();
    int promPort = freePort();
    Process prom = null;
    try {
      Path cfg = tmp.resolve("prometheus.yml");
      Files.writeString(
          cfg,
          """
          global:
            scrape_interval: 1s
          scrape_configs:
            - job_name: nh
              static_configs: [{targets: ['127.0.0.1:%d']}]
          remote_write:
            - url: http://127.0.0.1:%d/api/v1/write
              queue_config: {batch_send_deadline: 200ms, max_samples_per_send: 2000}
              send_native_histograms: true
          """
              .formatted(sink.getAddress().getPort(), sink.getAddress().getPort()));
      prom =
          new ProcessBuilder(
                  PROMETHEUS.toString(),
                  "--config.file=" + cfg,
                  "--storage.tsdb.path=" + tmp.resolve("prom-data"),
                  "--web.listen-address=127.0.0.1:" + promPort,
                  "--enable-feature=native-histograms")
              .redirectErrorStream(true)
              .redirectOutput(tmp.resolve("prometheus.log").toFile())
              .start();
      HttpClient http = HttpClient.newHttpClient();
      JsonNode series = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline) {
        Thread.sleep(1000);
        try {
          JsonNode r = PrometheusQuery.instant(http, promPort, "test_latency_seconds[10m]");
          if (r.size() == 1
              && r.get(0).has("histograms")
              && r.get(0).get("histograms").size() >= 5) {
            series = r.get(0);
            break;
          }
        } catch (IOException e) {
          // not up yet
        }
      }
      assertThat(series)
          .as("Prometheus scraped native histograms; see %s", tmp.resolve("prometheus.log"))
          .isNotNull();
      JsonNode hs = series.get("histograms");
      long first = Math.round(hs.get(0).get(0).asDouble() * 1000);
      long last = Math.round(hs.get(hs.size() - 1).get(0).asDouble() * 1000);
      Map<Long, FloatHistogram> got = Map.of();
      long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (System.nanoTime() < waitUntil) {
        got = stored(db, first, last);
        if (got.containsKey(last)) {
          break;
        }
        Thread.sleep(200);
      }
      int compared = 0;
      for (JsonNode p : hs) {
        long t = Math.round(p.get(0).asDouble() * 1000);
        JsonNode want = p.get(1);
        FloatHistogram h = got.get(t);
        assertThat(h).as("histogram at %d", t).isNotNull();
        assertThat(h.count()).isEqualTo(Double.parseDouble(want.get("count").asText()));
        assertThat(h.sum()).isEqualTo(Double.parseDouble(want.get("sum").asText()));
        JsonNode buckets = want.get("buckets");
        // Prometheus lists the zero bucket first, then the positive buckets in order
        assertThat(buckets.size()).isEqualTo(1 + h.positiveBuckets());
        assertThat(Double.parseDouble(buckets.get(0).get(3).asText())).isEqualTo(h.zeroCount());
        assertThat(Double.parseDouble(buckets.get(0).get(2).asText())).isEqualTo(h.zeroThreshold());
        for (int k = 0; k < h.positiveBuckets(); k++) {
          JsonNode b = buckets.get(k + 1);
          int idx = h.positiveIndex(k);
          assertThat(Double.parseDouble(b.get(1).asText())).isEqualTo(h.lowerBound(idx));
          assertThat(Double.parseDouble(b.get(2).asText())).isEqualTo(h.upperBound(idx));
          assertThat(Double.parseDouble(b.get(3).asText())).isEqualTo(h.positiveCount(k));
        }
        compared++;
      }
      assertThat(compared).isGreaterThanOrEqualTo(5);
      assertThat(got).hasSize(compared);
    } finally {
      if (prom != null) {
        prom.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      sink.stop(0);
      db.close();
    }
  }

  private static Map<Long, FloatHistogram> stored(Tsdb db, long mint, long maxt) {
    Map<Long, FloatHistogram> out = new LinkedHashMap<>();
    try (Querier q = db.querier()) {
      SeriesSet set =
          q.select(
              mint,
              maxt,
              SelectHints.of(mint, maxt),
              LabelMatcher.equal("__name__", "test_latency_seconds"));
      while (set.next()) {
        SampleIterator it = set.iterator(null);
        while (it.next()) {
          if (it.histogram() != null) {
            out.put(it.t(), it.histogram());
          }
        }
      }
    }
    return out;
  }
}
