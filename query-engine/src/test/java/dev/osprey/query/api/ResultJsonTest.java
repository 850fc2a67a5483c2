package dev.osprey.query.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.labels.Labels;
import dev.osprey.query.promql.QueryResult;
import dev.osprey.query.promql.Values.Sample;
import dev.osprey.query.promql.Values.Series;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The byte writer against the StringBuilder writer it replaced ({@link ResultJsonReference}): the
 * same bytes for every result type, special and awkward floats, timestamps with and without
 * milliseconds (negative too), label values needing escapes or multi-byte UTF-8 (lone surrogates
 * included), native histograms, annotations and limits.
 */
class ResultJsonTest {
  private static final double[] AWKWARD = {
    0.0,
    -0.0,
    1,
    -1,
    5,
    1e15,
    -1e15,
    999_999_999_999_999.0,
    1e21,
    1e-7,
    123.456,
    0.1 + 0.2,
    Double.NaN,
    Double.POSITIVE_INFINITY,
    Double.NEGATIVE_INFINITY,
    Double.MIN_VALUE,
    Double.MAX_VALUE,
    -Double.MAX_VALUE,
    Long.MAX_VALUE,
    (double) Long.MIN_VALUE,
    4.35,
    1.0 / 3,
    Math.PI * 1e10
  };

  private static final String[] STRINGS = {
    "",
    "plain",
    "q\"uote\\back",
    "new\nline\r\ttab",
    "<tag>&amp;",
    "\u0001\u001f\u007f",
    "é ü ß",
    "日本語",
    "emoji \uD83D\uDE00 pair",
    "lone \uD83D high",
    "lone \uDE00 low",
    "raw \uDC80\uDCff",
    "\u2028\u2029",
    "\uD83D"
  };

  private final Random r = new Random(3);

  private double value() {
    return switch (r.nextInt(4)) {
      case 0 -> AWKWARD[r.nextInt(AWKWARD.length)];
      case 1 -> r.nextInt(100_000);
      case 2 -> r.nextGaussian() * Math.pow(10, r.nextInt(30) - 15);
      default -> Double.longBitsToDouble(r.nextLong());
    };
  }

  private long time() {
    return switch (r.nextInt(3)) {
      case 0 -> r.nextLong(2_000_000_000_000L);
      case 1 -> r.nextLong(2_000_000_000L) * 1000;
      default -> -r.nextLong(100_000_000L);
    };
  }

  private Labels labels() {
    List<String> kv = new ArrayList<>();
    int n = r.nextInt(4);
    for (int i = 0; i < n; i++) {
      kv.add("l" + i);
      kv.add(STRINGS[r.nextInt(STRINGS.length)] + r.nextInt(3));
    }
    return Labels.of(kv.toArray(String[]::new));
  }

  private FloatHistogram histogram() {
    boolean custom = r.nextBoolean();
    return FloatHistogram.of(
        custom ? FloatHistogram.CUSTOM_BUCKETS_SCHEMA : r.nextInt(4) - 1,
        0.001,
        r.nextInt(3),
        value(),
        value(),
        new int[] {r.nextInt(5), 2},
        new double[] {r.nextInt(4), 1.5},
        custom ? new int[0] : new int[] {1, 1},
        custom ? new double[0] : new double[] {r.nextInt(2)},
        custom ? new double[] {0.5, 1, 2, 4, 8, 16, 32} : null,
        null);
  }

  private List<String> annotations() {
    List<String> l = new ArrayList<>();
    int n = r.nextInt(3);
    for (int i = 0; i < n; i++) {
      l.add("PromQL info: " + STRINGS[r.nextInt(STRINGS.length)] + " (1:" + i + ")");
    }
    return r.nextBoolean() ? l : null;
  }

  private QueryResult result() {
    long t = time();
    return switch (r.nextInt(4)) {
      case 0 ->
          new QueryResult(
              QueryResult.Type.SCALAR, t, value(), null, null, null, annotations(), annotations());
      case 1 ->
          new QueryResult(
              QueryResult.Type.STRING,
              t,
              0,
              STRINGS[r.nextInt(STRINGS.length)],
              null,
              null,
              annotations(),
              annotations());
      case 2 -> {
        List<Sample> v = new ArrayList<>();
        int n = r.nextInt(6);
        for (int i = 0; i < n; i++) {
          v.add(
              r.nextInt(5) == 0
                  ? new Sample(labels(), histogram(), t, false)
                  : new Sample(labels(), value(), t, false));
        }
        yield new QueryResult(
            QueryResult.Type.VECTOR, t, 0, null, v, null, annotations(), annotations());
      }
      default -> {
        List<Series> m = new ArrayList<>();
        int n = r.nextInt(6);
        for (int i = 0; i < n; i++) {
          Series s = new Series(labels(), 4);
          int points = r.nextInt(8);
          long ts = time();
          for (int k = 0; k < points; k++) {
            ts += 1 + r.nextInt(90_000);
            if (r.nextInt(5) == 0) {
              s.addHistogram(ts, histogram());
            } else {
              s.add(ts, value());
            }
          }
          m.add(s);
        }
        yield new QueryResult(
            QueryResult.Type.MATRIX, t, 0, null, null, m, annotations(), annotations());
      }
    };
  }

  @Test
  void bytesEqualTheStringBuilderWriters() {
    for (int i = 0; i < 20_000; i++) {
      QueryResult res = result();
      long limit = r.nextInt(4) == 0 ? r.nextInt(3) : 0;
      byte[] want = ResultJsonReference.write(res, limit);
      byte[] got = ResultJson.write(res, limit);
      assertThat(new String(got, StandardCharsets.UTF_8))
          .as("case %d", i)
          .isEqualTo(new String(want, StandardCharsets.UTF_8));
      assertThat(got).as("case %d", i).isEqualTo(want);
    }
  }

  @Test
  void aLargeAnswerThenASmallOne() {
    List<Series> m = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      Series s = new Series(Labels.of("pod", "pod-" + i, "x", "y".repeat(300)), 61);
      for (int k = 0; k < 61; k++) {
        s.add(1_700_000_000_000L + k * 60_000L, k % 7);
      }
      m.add(s);
    }
    QueryResult big =
        new QueryResult(QueryResult.Type.MATRIX, 0, 0, null, null, m, List.of(), List.of());
    byte[] b = ResultJson.write(big, 0);
    assertThat(b.length).isGreaterThan(ResultJson.KEEP);
    assertThat(b).isEqualTo(ResultJsonReference.write(big, 0));
    QueryResult small =
        new QueryResult(QueryResult.Type.SCALAR, 1500, 2.5, null, null, null, null, null);
    assertThat(new String(ResultJson.write(small, 0), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1.500,\"2.5\"]}}");
  }
}
