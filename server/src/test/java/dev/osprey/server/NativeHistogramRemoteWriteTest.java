package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.http.Router;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.memory.MemStorage;
import dev.osprey.core.wire.prompb.Remote;
import dev.osprey.query.api.PrometheusApi;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.Snappy;

/**
 * Native histograms sent by remote_write (built with the generated prompb classes: integer and
 * float histograms, exponential and custom buckets, resets, schema changes, explicit zero buckets
 * in spans), stored by the tsdb of a running server and queried over {@code /api/v1/query} and
 * {@code /api/v1/query_range}: every answer must equal, byte for byte, the answer of the same API
 * over the in-memory reference storage holding the same histograms.
 */
class NativeHistogramRemoteWriteTest {
  private final HttpClient client = HttpClient.newHttpClient();

  /** One generated sample: what is sent, and what it means. */
  record Gen(Remote.Histogram proto, FloatHistogram want) {}

  static Gen histogram(
      SplittableRandom r,
      long t,
      int schema,
      double[] custom,
      long[] cum,
      int[] idx,
      boolean floats,
      double sum,
      Remote.Histogram.ResetHint hint) {
    Remote.Histogram.Builder b =
        Remote.Histogram.newBuilder()
            .setSchema(schema)
            .setSum(sum)
            .setTimestamp(t)
            .setResetHint(hint);
    if (custom != null) {
      for (double c : custom) {
        b.addCustomValues(c);
      }
    } else {
      b.setZeroThreshold(0.001);
    }
    long zero = custom == null ? cum[cum.length - 1] / 7 : 0;
    long count = zero;
    // spans: consecutive indices in one span; a gap of 1 is sometimes spelled as an explicit zero
    List<int[]> spans = new ArrayList<>();
    List<Long> counts = new ArrayList<>();
    int prev = 0;
    for (int i = 0; i < idx.length; i++) {
      long c = cum[i];
      count += c;
      if (i > 0 && idx[i] == prev + 1) {
        spans.get(spans.size() - 1)[1]++;
      } else if (i > 0 && idx[i] == prev + 2 && r.nextBoolean()) {
        spans.get(spans.size() - 1)[1] += 2;
        counts.add(0L);
      } else {
        spans.add(new int[] {i == 0 ? idx[i] : idx[i] - prev - 1, 1});
      }
      counts.add(c);
      prev = idx[i];
    }
    for (int[] s : spans) {
      b.addPositiveSpans(Remote.BucketSpan.newBuilder().setOffset(s[0]).setLength(s[1]));
    }
    double[] wantCounts = new double[idx.length];
    for (int i = 0; i < idx.length; i++) {
      wantCounts[i] = cum[i];
    }
    if (floats) {
      b.setCountFloat(count).setZeroCountFloat(zero);
      counts.forEach(c -> b.addPositiveCounts(c));
    } else {
      b.setCountInt(count).setZeroCountInt(zero);
      long last = 0;
      for (long c : counts) {
        b.addPositiveDeltas(c - last);
        last = c;
      }
    }
    FloatHistogram.CounterResetHint h = FloatHistogram.CounterResetHint.values()[hint.getNumber()];
    FloatHistogram want =
        FloatHistogram.ofSparse(
            schema,
            custom == null ? 0.001 : 0,
            zero,
            count,
            sum,
            idx,
            wantCounts,
            new int[0],
            new double[0],
            custom,
            h);
    return new Gen(b.build(), want);
  }

  @Test
  void histogramsSentByRemoteWriteAnswerPromqlAsTheReferenceStorage(@TempDir Path dir)
      throws Exception {
    SplittableRandom r = new SplittableRandom(42);
    Remote.WriteRequest.Builder w = Remote.WriteRequest.newBuilder();
    MemStorage ref = new MemStorage();
    Appender ra = ref.appender();
    long start = 1_700_000_000_000L;
    String[] jobs = {"exp-int", "exp-float", "custom"};
    for (String job : jobs) {
      Labels labels = Labels.of("__name__", "rpc_seconds", "job", job);
      Remote.TimeSeries.Builder ts = Remote.TimeSeries.newBuilder();
      ts.addLabels(Remote.Label.newBuilder().setName("__name__").setValue("rpc_seconds"));
      ts.addLabels(Remote.Label.newBuilder().setName("job").setValue(job));
      int schema = job.equals("custom") ? FloatHistogram.CUSTOM_BUCKETS_SCHEMA : 3;
      double[] custom = job.equals("custom") ? new double[] {0.1, 0.25, 0.5, 1, 2.5, 5} : null;
      int[] idx = job.equals("custom") ? new int[] {0, 1, 2, 4, 6} : new int[] {-3, -1, 0, 1, 4, 5};
      long[] cum = new long[idx.length];
      double sum = 0;
      for (int i = 0; i < 120; i++) {
        long t = start + i * 15_000L;
        Remote.Histogram.ResetHint hint = Remote.Histogram.ResetHint.UNKNOWN;
        if (i == 60) {
          java.util.Arrays.fill(cum, 0); // a counter reset
          sum = 0;
          hint = Remote.Histogram.ResetHint.YES;
          if (schema == 3) {
            schema = 1; // and a schema change
            idx = new int[] {-1, 0, 2};
            cum = new long[idx.length];
          }
        }
        for (int k = 0; k < cum.length; k++) {
          cum[k] += 1 + r.nextInt(30);
        }
        sum += r.nextInt(4) == 0 ? r.nextInt(50) : r.nextDouble() * 40;
        Gen g = histogram(r, t, schema, custom, cum, idx, job.equals("exp-float"), sum, hint);
        ts.addHistograms(g.proto());
        ra.appendHistogram(0, labels, t, g.want());
      }
      w.addTimeseries(ts);
    }
    // a float series beside them, and a series that turns from floats into histograms
    Labels up = Labels.of("__name__", "up", "job", "x");
    Remote.TimeSeries.Builder upTs =
        Remote.TimeSeries.newBuilder()
            .addLabels(Remote.Label.newBuilder().setName("__name__").setValue("up"))
            .addLabels(Remote.Label.newBuilder().setName("job").setValue("x"));
    for (int i = 0; i < 120; i++) {
      upTs.addSamples(Remote.Sample.newBuilder().setTimestamp(start + i * 15_000L).setValue(i % 7));
      ra.append(0, up, start + i * 15_000L, i % 7);
    }
    w.addTimeseries(upTs);
    ra.commit();

    try (OspreyServer s =
        new OspreyServer(OspreyServerTest.config(dir), SelfMetrics.create()).start()) {
      HttpResponse<String> wr =
          client.send(
              HttpRequest.newBuilder(URI.create(s.baseUrl() + "/api/v1/write"))
                  .header("Content-Type", "application/x-protobuf")
                  .header("Content-Encoding", "snappy")
                  .header("X-Prometheus-Remote-Write-Version", "0.1.0")
                  .POST(
                      HttpRequest.BodyPublishers.ofByteArray(
                          Snappy.compress(w.build().toByteArray())))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(wr.statusCode()).as(wr.body()).isEqualTo(204);

      Router router = new Router();
      new PrometheusApi(ref, QueryConfig.DEFAULTS, new SimpleMeterRegistry()).register(router);
      long end = start + 119 * 15_000L;
      String at = Double.toString(end / 1000.0);
      List<String> queries =
          List.of(
              "rpc_seconds",
              "rpc_seconds[2m]",
              "rate(rpc_seconds[5m])",
              "increase(rpc_seconds[10m])",
              "sum(rate(rpc_seconds[5m]))",
              "sum by (job) (rpc_seconds)",
              "histogram_quantile(0.9, rate(rpc_seconds[5m]))",
              "histogram_quantile(0.5, sum(rate(rpc_seconds{job=~\"exp.*\"}[5m])))",
              "histogram_count(rate(rpc_seconds[5m]))",
              "histogram_sum(rpc_seconds)",
              "histogram_fraction(0, 0.5, rpc_seconds)",
              "resets(rpc_seconds[30m])",
              "up",
              "rpc_seconds / 2");
      int histograms = 0;
      for (String q : queries) {
        for (String t : List.of(at, Double.toString((start + 61 * 15_000L) / 1000.0))) {
          String got = get(s, "/api/v1/query?query=" + enc(q) + "&time=" + t);
          String want = local(router, "/api/v1/query", Map.of("query", q, "time", t));
          assertThat(got).as("%s at %s", q, t).isEqualTo(want);
          histograms += got.contains("\"histogram\"") ? 1 : 0;
        }
        if (q.endsWith("]")) {
          continue; // a range vector is no range query
        }
        String range = "&start=" + (start / 1000.0) + "&end=" + at + "&step=60";
        String got = get(s, "/api/v1/query_range?query=" + enc(q) + range);
        String want =
            local(
                router,
                "/api/v1/query_range",
                Map.of(
                    "query", q, "start", Double.toString(start / 1000.0), "end", at, "step", "60"));
        assertThat(got).as("range %s", q).isEqualTo(want);
      }
      assertThat(histograms).as("answers holding histograms").isGreaterThan(8);
      // one answer checked by hand: the histogram count and sum of the custom-bucket series
      String cnt =
          get(
              s,
              "/api/v1/query?query="
                  + enc("histogram_count(rpc_seconds{job=\"custom\"})")
                  + "&time="
                  + at);
      FloatHistogram last = lastOf(ref, "custom", end);
      assertThat(cnt).contains("\"" + fmt(last.count()) + "\"");
    }
  }

  @Test
  void aStaleHistogramEndsTheSeriesAsInPrometheus(@TempDir Path dir) throws Exception {
    long start = 1_700_000_000_000L;
    Remote.TimeSeries.Builder ts =
        Remote.TimeSeries.newBuilder()
            .addLabels(Remote.Label.newBuilder().setName("__name__").setValue("gone_seconds"));
    for (int i = 0; i < 5; i++) {
      ts.addHistograms(
          Remote.Histogram.newBuilder()
              .setCountInt(i + 1)
              .setSum(i)
              .setSchema(0)
              .addPositiveSpans(Remote.BucketSpan.newBuilder().setOffset(0).setLength(1))
              .addPositiveDeltas(i + 1)
              .setTimestamp(start + i * 15_000L));
    }
    // Prometheus's stale marker for a histogram series: an empty histogram whose sum is the stale
    // NaN
    ts.addHistograms(
        Remote.Histogram.newBuilder()
            .setSum(dev.osprey.core.storage.StaleNaN.VALUE)
            .setTimestamp(start + 75_000L));
    try (OspreyServer s =
        new OspreyServer(OspreyServerTest.config(dir), SelfMetrics.create()).start()) {
      HttpResponse<String> wr =
          client.send(
              HttpRequest.newBuilder(URI.create(s.baseUrl() + "/api/v1/write"))
                  .header("Content-Type", "application/x-protobuf")
                  .header("Content-Encoding", "snappy")
                  .POST(
                      HttpRequest.BodyPublishers.ofByteArray(
                          Snappy.compress(
                              Remote.WriteRequest.newBuilder()
                                  .addTimeseries(ts)
                                  .build()
                                  .toByteArray())))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(wr.statusCode()).as(wr.body()).isEqualTo(204);
      String before = get(s, "/api/v1/query?query=gone_seconds&time=" + (start + 70_000L) / 1000.0);
      assertThat(before).contains("\"histogram\"").contains("\"count\":\"5\"");
      String after = get(s, "/api/v1/query?query=gone_seconds&time=" + (start + 80_000L) / 1000.0);
      assertThat(after).contains("\"result\":[]");
      String counted =
          get(
              s,
              "/api/v1/query?query="
                  + enc("count_over_time(gone_seconds[10m])")
                  + "&time="
                  + (start + 80_000L) / 1000.0);
      assertThat(counted).contains("\"5\"");
      assertStaleMarkerLeftOut(s, start);
      // the marker is kept as a histogram in blocks cut from the head, and still read as stale
      HttpResponse<String> flushed =
          client.send(
              HttpRequest.newBuilder(URI.create(s.baseUrl() + "/api/v1/admin/tsdb/flush"))
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(flushed.statusCode()).as(flushed.body()).isEqualTo(204);
      assertThat(get(s, "/api/v1/query?query=gone_seconds&time=" + (start + 80_000L) / 1000.0))
          .contains("\"result\":[]");
      assertStaleMarkerLeftOut(s, start);
    }
  }

  /** A range selector and a range query over the stale histogram at start + 75 s leave it out. */
  private void assertStaleMarkerLeftOut(OspreyServer s, long start) throws Exception {
    String range =
        get(
            s,
            "/api/v1/query?query="
                + enc("gone_seconds[10m]")
                + "&time="
                + (start + 80_000L) / 1000.0);
    assertThat(range).contains("\"histograms\"");
    assertThat(range.split("\"count\"", -1)).as(range).hasSize(6); // five histograms, no marker
    assertThat(range).doesNotContain("NaN");
    String rq =
        get(
            s,
            "/api/v1/query_range?query="
                + enc("histogram_count(gone_seconds)")
                + "&start="
                + start / 1000.0
                + "&end="
                + (start + 300_000L) / 1000.0
                + "&step=15");
    // the series ends at the last histogram, not 5 minutes of lookback after it
    assertThat(rq)
        .contains("[" + (start + 60_000L) / 1000 + ",\"5\"]]")
        .doesNotContain(String.valueOf((start + 75_000L) / 1000));
  }

  private static FloatHistogram lastOf(MemStorage ref, String job, long t) {
    try (var q = ref.querier()) {
      var set =
          q.select(
              t,
              t,
              dev.osprey.core.storage.SelectHints.of(t, t),
              dev.osprey.core.labels.LabelMatcher.equal("job", job));
      assertThat(set.next()).isTrue();
      var it = set.iterator(null);
      assertThat(it.seek(t)).isTrue();
      return it.histogram();
    }
  }

  private static String fmt(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private String get(OspreyServer s, String path) throws Exception {
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(URI.create(s.baseUrl() + path)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("%s: %s", path, r.body()).isEqualTo(200);
    return r.body();
  }

  private static String local(Router router, String path, Map<String, String> params)
      throws Exception {
    Router.Match m = router.match("GET", path);
    Map<String, List<String>> p = new LinkedHashMap<>();
    params.forEach((k, v) -> p.put(k, List.of(v)));
    dev.osprey.core.http.HttpRequest req =
        new dev.osprey.core.http.HttpRequest(
            "GET", path, p, m.pathParams(), new HashMap<>(), new byte[0], null, "t");
    dev.osprey.core.http.HttpResponse r = m.route().handler().handle(req);
    assertThat(r.status()).isEqualTo(200);
    return new String(r.body(), StandardCharsets.UTF_8);
  }
}
