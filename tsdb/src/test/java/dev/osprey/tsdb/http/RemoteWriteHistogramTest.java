package dev.osprey.tsdb.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.Router;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import dev.osprey.core.wire.prompb.Remote;
import dev.osprey.tsdb.Tsdb;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.Snappy;

/** remote_write Histogram messages read in place: their meaning, and refusals by reason. */
class RemoteWriteHistogramTest {
  @TempDir Path dir;

  private static HttpResponse write(Router router, Remote.WriteRequest w) throws Exception {
    Router.Match m = router.match("POST", "/api/v1/write");
    HttpRequest req =
        new HttpRequest(
            "POST",
            "/api/v1/write",
            Map.of(),
            m.pathParams(),
            Map.of("content-type", "application/x-protobuf"),
            Snappy.compress(w.toByteArray()),
            null,
            "127.0.0.1");
    return m.route().handler().handle(req);
  }

  private static List<FloatHistogram> stored(Tsdb db) {
    List<FloatHistogram> out = new ArrayList<>();
    try (Querier q = db.querier()) {
      SeriesSet set =
          q.select(
              Long.MIN_VALUE,
              Long.MAX_VALUE,
              SelectHints.of(0, 0),
              LabelMatcher.equal("__name__", "h"));
      while (set.next()) {
        SampleIterator it = set.iterator(null);
        while (it.next()) {
          out.add(it.histogram());
        }
      }
    }
    return out;
  }

  private static Remote.TimeSeries.Builder series() {
    return Remote.TimeSeries.newBuilder()
        .addLabels(Remote.Label.newBuilder().setName("__name__").setValue("h"));
  }

  @Test
  void integerFloatAndCustomBucketHistogramsMeanWhatPrometheusMeans() throws Exception {
    try (Tsdb db =
        Tsdb.open(dir, new TsdbConfig(null, null, null, "never"), new SimpleMeterRegistry())) {
      Router router = RouterHandler.ingestRouter(db);
      Remote.TimeSeries.Builder ts = series();
      // integer: spans [-2, 2 buckets], gap 1, [1 bucket]; deltas 3, +1, -4 (a zero, dropped)
      ts.addHistograms(
          Remote.Histogram.newBuilder()
              .setCountInt(12)
              .setZeroCountInt(5)
              .setZeroThreshold(0.01)
              .setSum(17.5)
              .setSchema(2)
              .addPositiveSpans(Remote.BucketSpan.newBuilder().setOffset(-2).setLength(2))
              .addPositiveSpans(Remote.BucketSpan.newBuilder().setOffset(1).setLength(1))
              .addPositiveDeltas(3)
              .addPositiveDeltas(1)
              .addPositiveDeltas(-4)
              .addNegativeSpans(Remote.BucketSpan.newBuilder().setOffset(0).setLength(1))
              .addNegativeDeltas(0)
              .setResetHint(Remote.Histogram.ResetHint.GAUGE)
              .setTimestamp(1000));
      // float counts, unpacked fields would read the same
      ts.addHistograms(
          Remote.Histogram.newBuilder()
              .setCountFloat(2.5)
              .setSum(-1)
              .setSchema(0)
              .addPositiveSpans(Remote.BucketSpan.newBuilder().setOffset(3).setLength(2))
              .addPositiveCounts(0.5)
              .addPositiveCounts(2)
              .setResetHint(Remote.Histogram.ResetHint.NO)
              .setTimestamp(2000));
      // custom buckets
      ts.addHistograms(
          Remote.Histogram.newBuilder()
              .setCountInt(6)
              .setSum(3)
              .setSchema(-53)
              .addCustomValues(1)
              .addCustomValues(2)
              .addPositiveSpans(Remote.BucketSpan.newBuilder().setOffset(0).setLength(3))
              .addPositiveDeltas(1)
              .addPositiveDeltas(1)
              .addPositiveDeltas(1)
              .setResetHint(Remote.Histogram.ResetHint.YES)
              .setTimestamp(3000));
      HttpResponse r = write(router, Remote.WriteRequest.newBuilder().addTimeseries(ts).build());
      assertThat(r.status()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(204);
      assertThat(stored(db))
          .containsExactly(
              FloatHistogram.ofSparse(
                  2,
                  0.01,
                  5,
                  12,
                  17.5,
                  new int[] {-2, -1},
                  new double[] {3, 4},
                  new int[0],
                  new double[0],
                  null,
                  FloatHistogram.CounterResetHint.GAUGE),
              FloatHistogram.ofSparse(
                  0,
                  0,
                  0,
                  2.5,
                  -1,
                  new int[] {3, 4},
                  new double[] {0.5, 2},
                  new int[0],
                  new double[0],
                  null,
                  FloatHistogram.CounterResetHint.NOT_COUNTER_RESET),
              FloatHistogram.ofSparse(
                  -53,
                  0,
                  0,
                  6,
                  3,
                  new int[] {0, 1, 2},
                  new double[] {1, 2, 3},
                  new int[0],
                  new double[0],
                  new double[] {1, 2},
                  FloatHistogram.CounterResetHint.COUNTER_RESET));
    }
  }

  @Test
  void invalidHistogramsAreRefusedWithTheirReasonAndTheRestStored() throws Exception {
    try (Tsdb db =
        Tsdb.open(dir, new TsdbConfig(null, null, null, "never"), new SimpleMeterRegistry())) {
      Router router = RouterHandler.ingestRouter(db);
      Remote.TimeSeries.Builder ts = series();
      ts.addHistograms(
          Remote.Histogram.newBuilder()
              .setCountInt(1)
              .addPositiveSpans(Remote.BucketSpan.newBuilder().setOffset(0).setLength(2))
              .addPositiveDeltas(1)
              .setTimestamp(1000));
      ts.addHistograms(
          Remote.Histogram.newBuilder()
              .setCountInt(1)
              .addPositiveSpans(Remote.BucketSpan.newBuilder().setOffset(0).setLength(2))
              .addPositiveDeltas(1)
              .addPositiveDeltas(-2)
              .setTimestamp(2000));
      ts.addHistograms(
          Remote.Histogram.newBuilder().setCountInt(1).setSchema(9).setTimestamp(2500));
      ts.addHistograms(
          Remote.Histogram.newBuilder().setCountInt(2).setZeroCountInt(3).setTimestamp(2600));
      ts.addHistograms(
          Remote.Histogram.newBuilder().setCountInt(1).setZeroCountInt(1).setTimestamp(3000));
      ts.addHistograms(
          Remote.Histogram.newBuilder().setCountInt(1).setZeroCountInt(1).setTimestamp(2900));
      HttpResponse r = write(router, Remote.WriteRequest.newBuilder().addTimeseries(ts).build());
      String body = new String(r.body(), StandardCharsets.UTF_8);
      assertThat(r.status()).isEqualTo(400);
      assertThat(body)
          .contains("5 samples rejected, 1 accepted")
          .contains("histogram positive spans specify 2 buckets but 1 are given")
          .contains("histogram has a positive bucket with a negative count")
          .contains("histogram has an invalid schema 9")
          .contains("histogram has 3 observations in its buckets but a count of 2")
          .contains("out of order sample");
      assertThat(stored(db)).hasSize(1);
    }
  }
}
