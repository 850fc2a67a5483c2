package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.osprey.core.http.Json;
import dev.osprey.core.testing.ProtoWriter;
import dev.osprey.core.testing.ProtobufExposition;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Native histograms, differentially: Debian's Prometheus 2.42 ({@code
 * --enable-feature=native-histograms}) scrapes a target of this test that exposes three native
 * histograms in the protobuf format (exponential schemas 0 and 1, negative buckets, a bucket that
 * appears later, a counter reset, a series that leaves the target and goes stale) and remote-writes
 * them to an Osprey server; then both answer the same PromQL queries at the same times, instant and
 * range, and the answers must be equal (floats within upstream's test epsilon, 1e-6 relative).
 * Mismatches are written with the query and both answers to {@code
 * target/native-histogram-differential.txt}.
 *
 * <p>Evaluation times fall halfway between scrapes, so 2.42's closed ranges and 3.x's left-open
 * ranges select the same samples. Where 2.42's PromQL answers differently from the upstream 3.x
 * semantics Osprey implements, the query is in {@link #KNOWN} with the reason and what must still
 * hold between the two answers; those are reported and fail the test only when that does not hold.
 * Needs Debian's {@code prometheus}; skipped without it.
 *
 * <p>Not compared: {@code irate}, {@code idelta}, {@code resets} and {@code changes} over native
 * histograms. 2.42 reads a histogram sample as the float 0 in these functions (tried on 2026-12-03:
 * it answered 0 for every series and time, where 3.x and Osprey answer a histogram or count the
 * resets and changes), so 2.42 is no reference for them; upstream's native_histograms.test checks
 * them (9 evals), and those pass.
 */
class NativeHistogramDifferentialTest {
  private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
  private static final int SCRAPES = 34; // one a second
  private static final int RESET_AT = 15; // the "db" series restarts from zero at this scrape
  private static final int GONE_AT = SCRAPES + 4; // and leaves the target from this scrape on

  /**
   * Where 2.42 answers differently from the upstream 3.x semantics Osprey implements: the reason,
   * and what still has to hold between the two answers (each number of Prometheus's answer against
   * the one at the same place in Osprey's; the shapes must be equal).
   */
  record Known(String reason, BiPredicate<Double, Double> holds) {}

  private static final String EXPONENTIAL =
      "upstream 3.x interpolates exponentially within an exponential bucket (native_histograms.test:"
          + " \"Median is 1.414213562373095 ... due to exponential interpolation\"), 2.42"
          + " linearly; both answers must lie in the same bucket";

  static final Map<String, Known> KNOWN =
      Map.of(
          "histogram_quantile(0.1, test_latency_seconds)",
          new Known(EXPONENTIAL, NativeHistogramDifferentialTest::sameBucket),
          "histogram_quantile(0.5, test_latency_seconds)",
          new Known(EXPONENTIAL, NativeHistogramDifferentialTest::sameBucket),
          "histogram_quantile(0.9, test_latency_seconds)",
          new Known(EXPONENTIAL, NativeHistogramDifferentialTest::sameBucket),
          "histogram_quantile(0.99, test_latency_seconds)",
          new Known(EXPONENTIAL, NativeHistogramDifferentialTest::sameBucket),
          "histogram_quantile(0.9, rate(test_latency_seconds[10s]))",
          new Known(EXPONENTIAL, NativeHistogramDifferentialTest::sameBucket),
          "histogram_quantile(0.9, sum by (kind) (rate(test_latency_seconds[10s])))",
          new Known(EXPONENTIAL, NativeHistogramDifferentialTest::sameBucket),
          "histogram_quantile(0.9, sum by (kind) (rate(test_latency_seconds[5s])))",
          new Known(EXPONENTIAL, NativeHistogramDifferentialTest::sameBucket),
          "histogram_fraction(0.3, 3, test_latency_seconds)",
          new Known(
              "upstream 3.x interpolates exponentially within an exponential bucket for"
                  + " histogram_fraction too, 2.42 linearly (bounds 0.3 and 3 are inside buckets;"
                  + " the queries with bounds on bucket boundaries agree); both within [0, 1]",
              (p, o) -> p >= 0 && p <= 1 && o >= 0 && o <= 1),
          "test_latency_seconds * 2",
          new Known(
              "2.42 returns a histogram times a scalar unchanged (multiplying and dividing"
                  + " histograms by scalars came with Prometheus 2.46); Osprey's counts and sum"
                  + " are twice 2.42's, the bounds the same",
              (p, o) -> almostEqual(p, o) || almostEqual(2 * p, o)),
          "test_latency_seconds / 4",
          new Known(
              "2.42 returns a histogram divided by a scalar unchanged (see * 2); Osprey's counts"
                  + " and sum are a quarter of 2.42's, the bounds the same",
              (p, o) -> almostEqual(p, o) || almostEqual(p / 4, o)));

  /** Positive, negative or zero alike and in the same schema-0 bucket (2^(k-1), 2^k]. */
  static boolean sameBucket(double p, double o) {
    if (almostEqual(p, o)) {
      return true;
    }
    if (Math.signum(p) != Math.signum(o) || p == 0) {
      return false;
    }
    return Math.ceil(log2(Math.abs(p))) == Math.ceil(log2(Math.abs(o)));
  }

  private static double log2(double v) {
    return Math.log(v) / Math.log(2);
  }

  @TempDir Path tmp;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  static final List<String> QUERIES =
      List.of(
          "test_latency_seconds",
          "test_latency_seconds[5s]",
          "histogram_count(test_latency_seconds)",
          "histogram_sum(test_latency_seconds)",
          "histogram_quantile(0.5, test_latency_seconds)",
          "histogram_quantile(0.9, test_latency_seconds)",
          "histogram_quantile(0.99, test_latency_seconds)",
          "histogram_quantile(0.1, test_latency_seconds)",
          "histogram_fraction(0, 0.5, test_latency_seconds)",
          "histogram_fraction(-1, 1, test_latency_seconds)",
          "histogram_fraction(0.25, 4, test_latency_seconds)",
          "histogram_fraction(0.3, 3, test_latency_seconds)",
          "rate(test_latency_seconds[5s])",
          "rate(test_latency_seconds[10s])",
          "increase(test_latency_seconds[10s])",
          "histogram_count(rate(test_latency_seconds[10s]))",
          "histogram_sum(increase(test_latency_seconds[10s]))",
          "histogram_quantile(0.9, rate(test_latency_seconds[10s]))",
          "sum(test_latency_seconds)",
          "sum by (kind) (rate(test_latency_seconds[10s]))",
          "histogram_quantile(0.9, sum by (kind) (rate(test_latency_seconds[10s])))",
          "histogram_fraction(0, 1, sum by (kind) (rate(test_latency_seconds[5s])))",
          "histogram_count(sum(increase(test_latency_seconds[20s])))",
          "count_over_time(test_latency_seconds[10s])",
          "test_latency_seconds * 2",
          "test_latency_seconds / 4",
          "count by (kind) (test_latency_seconds)");

  static final List<String> RANGE_QUERIES =
      List.of(
          "histogram_count(test_latency_seconds)",
          "histogram_quantile(0.9, sum by (kind) (rate(test_latency_seconds[5s])))",
          "rate(test_latency_seconds[5s])",
          "histogram_sum(increase(test_latency_seconds[10s]))",
          "histogram_fraction(0, 2, test_latency_seconds)");

  /** Asked just before and just after the stale marker of the series that left the target. */
  static final List<String> STALE_QUERIES =
      List.of(
          "test_latency_seconds",
          "histogram_count(test_latency_seconds)",
          "count_over_time(test_latency_seconds[1h])",
          "rate(test_latency_seconds[5s])",
          "sum by (kind) (test_latency_seconds)",
          "count(test_latency_seconds)");

  @Test
  void prometheusAndOspreyAnswerTheSame() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(PROMETHEUS), "needs Debian's prometheus");
    AtomicInteger scrapes = new AtomicInteger();
    HttpServer target = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    target.createContext(
        "/metrics",
        // after SCRAPES the values stay as they are: the data the queries look at is settled
        ProtobufExposition.handler(
            () -> exposition(Math.min(scrapes.incrementAndGet(), SCRAPES + 10))));
    target.start();
    Process prom = null;
    try (OspreyServer osprey =
        new OspreyServer(OspreyServerTest.config(tmp.resolve("osprey")), SelfMetrics.create())
            .start()) {
      int promPort = freePort();
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
            - url: %s/api/v1/write
              queue_config: {batch_send_deadline: 200ms, max_samples_per_send: 2000}
              send_native_histograms: true
          """
              .formatted(target.getAddress().getPort(), osprey.baseUrl()));
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
      String promUrl = "http://127.0.0.1:" + promPort;

      // Prometheus's scrape timestamps of the series, once it has SCRAPES of them
      List<Long> ts = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SCRAPES + 60);
      while (System.nanoTime() < deadline && ts.size() < SCRAPES) {
        Thread.sleep(1000);
        ts.clear();
        try {
          JsonNode r =
              query(promUrl, "test_latency_seconds{path=\"/a\"}[10m]", now()).get("result");
          if (r.size() == 1 && r.get(0).has("histograms")) {
            for (JsonNode p : r.get(0).get("histograms")) {
              ts.add(Math.round(p.get(0).asDouble() * 1000));
            }
          }
        } catch (IOException e) {
          // not up yet
        }
      }
      assertThat(ts)
          .as("Prometheus scraped; see %s", tmp.resolve("prometheus.log"))
          .hasSizeGreaterThanOrEqualTo(SCRAPES);
      long last = ts.get(SCRAPES - 1);

      // the same raw data in both, up to the last scrape the queries look at
      String raw = "test_latency_seconds[1h]";
      JsonNode want = query(promUrl, raw, last + 500).get("result");
      assertThat(want).hasSize(3);
      JsonNode got = null;
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < until) {
        got = query(osprey.baseUrl(), raw, last + 500).get("result");
        if (same(sorted(want), sorted(got), NativeHistogramDifferentialTest::almostEqual)) {
          break;
        }
        Thread.sleep(250);
      }
      assertThat(same(sorted(want), sorted(got), NativeHistogramDifferentialTest::almostEqual))
          .as("raw data remote-written: Prometheus %s, Osprey %s", want, got)
          .isTrue();

      StringBuilder report = new StringBuilder();
      List<String> unexplained = new ArrayList<>();
      int compared = 0;
      int nonEmpty = 0;
      for (String q : QUERIES) {
        // halfway between scrapes, before and after the reset
        for (int k = 3; k < SCRAPES; k += 2) {
          long t = ts.get(k) + 500;
          JsonNode p = query(promUrl, q, t);
          JsonNode o = query(osprey.baseUrl(), q, t);
          compared++;
          nonEmpty += p.get("result").isEmpty() ? 0 : 1;
          compare(report, unexplained, q + " @ " + t, q, p, o);
        }
      }
      long start = ts.get(2) + 500;
      long end = ts.get(SCRAPES - 1) + 500;
      for (String q : RANGE_QUERIES) {
        JsonNode p = queryRange(promUrl, q, start, end);
        JsonNode o = queryRange(osprey.baseUrl(), q, start, end);
        compared++;
        nonEmpty += p.get("result").isEmpty() ? 0 : 1;
        compare(report, unexplained, "range " + q, q, p, o);
      }

      // the "db" series left the target after the settled data: Prometheus wrote a stale
      // histogram for it at its next scrape; both must forget it from then on, and only then
      List<Long> gone = new ArrayList<>();
      String c = "test_latency_seconds{path=\"/c\"}";
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(GONE_AT - SCRAPES + 60);
      while (System.nanoTime() < deadline && gone.isEmpty()) {
        Thread.sleep(1000);
        if (query(promUrl, c, now()).get("result").isEmpty()) {
          for (JsonNode p :
              query(promUrl, c + "[10m]", now()).get("result").get(0).get("histograms")) {
            gone.add(Math.round(p.get(0).asDouble() * 1000));
          }
        }
      }
      assertThat(gone).as("the db series went stale in Prometheus").isNotEmpty();
      long lastOfC = gone.get(gone.size() - 1);
      long afterStale = lastOfC + 1500; // halfway between the stale marker and the scrape after
      want = query(promUrl, raw, afterStale).get("result");
      until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < until) {
        got = query(osprey.baseUrl(), raw, afterStale).get("result");
        if (same(sorted(want), sorted(got), NativeHistogramDifferentialTest::almostEqual)) {
          break;
        }
        Thread.sleep(250);
      }
      assertThat(query(osprey.baseUrl(), c, lastOfC + 500).get("result"))
          .as("before its stale marker the db series is there")
          .hasSize(1);
      assertThat(query(osprey.baseUrl(), c, afterStale).get("result"))
          .as("after its stale marker the db series is gone")
          .isEmpty();
      for (String q : STALE_QUERIES) {
        for (long t : new long[] {lastOfC + 500, afterStale}) {
          JsonNode p = query(promUrl, q, t);
          JsonNode o = query(osprey.baseUrl(), q, t);
          compared++;
          nonEmpty += p.get("result").isEmpty() ? 0 : 1;
          compare(report, unexplained, "stale " + q + " @ " + t, q, p, o);
        }
      }

      Path out = Path.of("target", "native-histogram-differential.txt");
      Files.createDirectories(out.getParent());
      Files.writeString(
          out,
          "compared %d answers (%d non-empty), %d unexplained mismatches%n%s"
              .formatted(compared, nonEmpty, unexplained.size(), report));
      assertThat(nonEmpty).as("answers with samples").isGreaterThan(compared * 3 / 4);
      assertThat(unexplained).as("mismatches, see %s", out.toAbsolutePath()).isEmpty();
    } finally {
      if (prom != null) {
        prom.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      target.stop(0);
    }
  }

  /**
   * Compares one answer; a mismatch is reported, and unexplained unless the query is {@link #KNOWN}
   * and what must hold between the answers holds.
   */
  private static void compare(
      StringBuilder report,
      List<String> unexplained,
      String what,
      String q,
      JsonNode prometheus,
      JsonNode osprey) {
    boolean types = prometheus.get("resultType").equals(osprey.get("resultType"));
    List<JsonNode> p = sorted(prometheus.get("result"));
    List<JsonNode> o = sorted(osprey.get("result"));
    if (types && same(p, o, NativeHistogramDifferentialTest::almostEqual)) {
      return;
    }
    Known k = KNOWN.get(q);
    report.append(what).append('\n');
    report.append("  prometheus 2.42: ").append(prometheus).append('\n');
    report.append("  osprey:          ").append(osprey).append('\n');
    if (k != null && types && same(p, o, k.holds())) {
      report.append("  known: ").append(k.reason()).append('\n');
    } else {
      unexplained.add(what);
      report.append("  UNEXPLAINED\n");
    }
  }

  private static long now() {
    return System.currentTimeMillis();
  }

  private static String time(long ms) {
    return String.format(Locale.ROOT, "%.3f", ms / 1000.0);
  }

  private JsonNode query(String base, String q, long t) throws Exception {
    return get(
        base
            + "/api/v1/query?query="
            + URLEncoder.encode(q, StandardCharsets.UTF_8)
            + "&time="
            + time(t));
  }

  private JsonNode queryRange(String base, String q, long start, long end) throws Exception {
    return get(
        base
            + "/api/v1/query_range?query="
            + URLEncoder.encode(q, StandardCharsets.UTF_8)
            + "&start="
            + time(start)
            + "&end="
            + time(end)
            + "&step=2");
  }

  private JsonNode get(String uri) throws Exception {
    HttpResponse<byte[]> r =
        http.send(
            HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(30)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new IOException(
          uri
              + " answered "
              + r.statusCode()
              + ": "
              + new String(r.body(), StandardCharsets.UTF_8));
    }
    return Json.MAPPER.readTree(r.body()).get("data");
  }

  /** The result's series in the order of their label sets. */
  static List<JsonNode> sorted(JsonNode result) {
    List<JsonNode> l = new ArrayList<>();
    result.forEach(l::add);
    l.sort((a, b) -> a.path("metric").toString().compareTo(b.path("metric").toString()));
    return l;
  }

  static boolean same(List<JsonNode> a, List<JsonNode> b, BiPredicate<Double, Double> numbers) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (!same(a.get(i), b.get(i), numbers)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Equal trees, except that numeric strings (values, counts, bounds) need only satisfy {@code
   * numbers}; timestamps equal.
   */
  static boolean same(JsonNode a, JsonNode b, BiPredicate<Double, Double> numbers) {
    if (a.isObject()) {
      if (!b.isObject() || a.size() != b.size()) {
        return false;
      }
      for (Iterator<String> it = a.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!b.has(f) || !same(a.get(f), b.get(f), numbers)) {
          return false;
        }
      }
      return true;
    }
    if (a.isArray()) {
      if (!b.isArray() || a.size() != b.size()) {
        return false;
      }
      for (int i = 0; i < a.size(); i++) {
        if (!same(a.get(i), b.get(i), numbers)) {
          return false;
        }
      }
      return true;
    }
    if (a.isNumber() && b.isNumber()) {
      return a.asDouble() == b.asDouble();
    }
    if (a.isTextual() && b.isTextual()) {
      if (a.asText().equals(b.asText())) {
        return true;
      }
      try {
        return numbers.test(Double.parseDouble(a.asText()), Double.parseDouble(b.asText()));
      } catch (NumberFormatException e) {
        return false;
      }
    }
    return a.equals(b);
  }

  /** Upstream's promql test almostEqual with defaultEpsilon 0.000001. */
  static boolean almostEqual(double a, double b) {
    if (Double.isNaN(a) || Double.isNaN(b)) {
      return Double.isNaN(a) && Double.isNaN(b);
    }
    if (a == b) {
      return true;
    }
    double diff = Math.abs(a - b);
    if (a == 0 || b == 0 || diff < Double.MIN_NORMAL) {
      return diff < 1e-6 * Double.MIN_NORMAL;
    }
    return diff / (Math.abs(a) + Math.abs(b)) < 1e-6;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  // ---- the exposition: io.prometheus.client.MetricFamily, length-delimited protobuf ----

  /** Scrape n of the three histograms. */
  static byte[] exposition(int n) {
    ByteArrayOutputStream family = new ByteArrayOutputStream();
    ProtoWriter f = new ProtoWriter().str(1, "test_latency_seconds").str(2, "Latency.").uint(3, 4);
    // schema 0, zero bucket, buckets 0..4 growing with n
    f.bytes(
        4,
        metric(
            "/a",
            "api",
            histogram(
                0,
                1e-3,
                n,
                n * 1.25,
                0,
                new long[] {n, 2L * n, 3L * n, 4L * n, 5L * n},
                0,
                new long[0])));
    // schema 1 with negative observations and a bucket that appears at scrape 8
    long late = Math.max(0, n - 7);
    f.bytes(
        4,
        metric(
            "/b",
            "api",
            histogram(
                1,
                1e-3,
                n / 3,
                n * 0.5 - late,
                -2,
                new long[] {n + n / 3, 2L * n, n / 2 + 1, 3L * n, late},
                0,
                new long[] {n, n / 4})));
    // restarts from zero at RESET_AT; gone from GONE_AT on (Prometheus writes a stale marker)
    long m = n < RESET_AT ? n : n - RESET_AT + 1;
    if (n < GONE_AT) {
      f.bytes(
          4,
          metric(
              "/c",
              "db",
              histogram(0, 1e-3, 0, m * 0.7, 1, new long[] {2 * m, 3 * m, m}, 0, new long[0])));
    }
    byte[] b = f.toBytes();
    family.writeBytes(new ProtoWriter().varint(b.length).toBytes());
    family.writeBytes(b);
    return family.toByteArray();
  }

  private static byte[] metric(String path, String kind, byte[] histogram) {
    return new ProtoWriter()
        .bytes(1, new ProtoWriter().str(1, "path").str(2, path).toBytes())
        .bytes(1, new ProtoWriter().str(1, "kind").str(2, kind).toBytes())
        .bytes(7, histogram)
        .toBytes();
  }

  /** One span per side, from {@code posStart} and {@code negStart}; counts as deltas. */
  private static byte[] histogram(
      int schema,
      double zeroThreshold,
      long zeroCount,
      double sum,
      int posStart,
      long[] pos,
      int negStart,
      long[] neg) {
    long count = zeroCount;
    for (long c : pos) {
      count += c;
    }
    for (long c : neg) {
      count += c;
    }
    ProtoWriter h =
        new ProtoWriter().uint(1, count).dbl(2, sum).sint(5, schema).dbl(6, zeroThreshold);
    h.uint(7, zeroCount);
    if (neg.length > 0) {
      h.bytes(9, new ProtoWriter().sint(1, negStart).uint(2, neg.length).toBytes());
      long prev = 0;
      for (long c : neg) {
        h.sint(10, c - prev);
        prev = c;
      }
    }
    h.bytes(12, new ProtoWriter().sint(1, posStart).uint(2, pos.length).toBytes());
    long prev = 0;
    for (long c : pos) {
      h.sint(13, c - prev);
      prev = c;
    }
    return h.toBytes();
  }
}
