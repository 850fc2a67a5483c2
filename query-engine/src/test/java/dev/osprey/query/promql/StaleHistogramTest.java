package dev.osprey.query.promql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.StaleNaN;
import dev.osprey.core.storage.memory.MemStorage;
import dev.osprey.query.promql.Values.Sample;
import dev.osprey.query.promql.Values.Series;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A histogram whose sum is the stale NaN is a stale marker, as upstream's engine has it ({@code
 * value.IsStaleNaN(h.Sum)}): storages return it as stored (the in-memory one and the tsdb alike),
 * so the engine has to recognise it. Every query answers as it does when the marker is the float
 * stale marker.
 */
class StaleHistogramTest {
  private static final long S = 15_000;

  static FloatHistogram hist(int i) {
    return FloatHistogram.ofSparse(
        0,
        0.001,
        i,
        4.0 * i + 1,
        1.5 * i,
        new int[] {0, 1},
        new double[] {i + 1, 2.0 * i},
        new int[0],
        new double[0],
        null,
        FloatHistogram.CounterResetHint.UNKNOWN);
  }

  static FloatHistogram staleHistogram() {
    return FloatHistogram.ofSparse(
        0,
        0,
        0,
        0,
        StaleNaN.VALUE,
        new int[0],
        new double[0],
        new int[0],
        new double[0],
        null,
        FloatHistogram.CounterResetHint.UNKNOWN);
  }

  /**
   * Two series: {@code lat} ends with a stale marker at 75 s; {@code gap} has one at 75 s and
   * resumes at 150 s. The markers are histograms, or float markers when {@code floatMarkers}.
   */
  static MemStorage data(boolean floatMarkers) {
    MemStorage s = new MemStorage();
    Appender a = s.appender();
    Labels lat = Labels.of("__name__", "lat", "job", "a");
    Labels gap = Labels.of("__name__", "lat", "job", "gap");
    for (int i = 0; i < 5; i++) {
      a.appendHistogram(0, lat, i * S, hist(i));
      a.appendHistogram(0, gap, i * S, hist(i));
    }
    for (Labels l : List.of(lat, gap)) {
      if (floatMarkers) {
        a.append(0, l, 5 * S, StaleNaN.VALUE);
      } else {
        a.appendHistogram(0, l, 5 * S, staleHistogram());
      }
    }
    for (int i = 10; i < 14; i++) {
      a.appendHistogram(0, gap, i * S, hist(i));
    }
    a.commit();
    return s;
  }

  static Engine engine(MemStorage s) {
    return new Engine(s, 60_000, 50_000_000, 300_000, 60_000);
  }

  @Test
  void aStaleHistogramEndsTheSeries() {
    Engine e = engine(data(false));
    assertThat(e.instantQuery("lat{job=\"a\"}", 70_000).vector()).hasSize(1);
    assertThat(e.instantQuery("lat", 80_000).vector()).as("after the marker").isEmpty();
    assertThat(e.instantQuery("histogram_count(lat)", 80_000).vector()).isEmpty();
    assertThat(e.instantQuery("timestamp(lat)", 80_000).vector()).isEmpty();
    // a range selector leaves the marker out
    List<Series> m = e.instantQuery("lat{job=\"a\"}[10m]", 80_000).matrix();
    assertThat(m).hasSize(1);
    assertThat(m.get(0).n).isEqualTo(5);
    for (int i = 0; i < m.get(0).n; i++) {
      assertThat(m.get(0).h[i]).isEqualTo(hist(i));
    }
    Sample c = e.instantQuery("count_over_time(lat{job=\"a\"}[10m])", 80_000).vector().get(0);
    assertThat(c.v).isEqualTo(5.0);
    // a marker between samples inside a rate's window: only histograms counted, no mixed warning
    QueryResult r = e.instantQuery("rate(lat{job=\"gap\"}[3m])", 180_000);
    assertThat(r.warnings()).isEmpty();
    assertThat(r.vector()).hasSize(1);
    assertThat(r.vector().get(0).h).isNotNull();
    // a range query: the series stops at the marker, not 5 minutes of lookback later
    List<Series> rq = e.rangeQuery("histogram_count(lat{job=\"a\"})", 0, 300_000, S).matrix();
    assertThat(rq).hasSize(1);
    assertThat(rq.get(0).n).isEqualTo(5);
    assertThat(rq.get(0).t[rq.get(0).n - 1]).isEqualTo(4 * S);
  }

  @Test
  void histogramMarkersAnswerAsFloatMarkers() {
    Engine hist = engine(data(false));
    Engine flt = engine(data(true));
    List<String> queries =
        List.of(
            "lat",
            "lat[2m]",
            "lat[10m]",
            "histogram_count(lat)",
            "histogram_sum(lat)",
            "histogram_quantile(0.9, lat)",
            "histogram_fraction(0, 2, lat)",
            "rate(lat[1m])",
            "rate(lat[3m])",
            "increase(lat[5m])",
            "irate(lat[5m])",
            "delta(lat[5m])",
            "resets(lat[5m])",
            "changes(lat[5m])",
            "count_over_time(lat[5m])",
            "sum_over_time(lat[5m])",
            "avg_over_time(lat[5m])",
            "last_over_time(lat[5m])",
            "present_over_time(lat[5m])",
            "timestamp(lat)",
            "sum(lat)",
            "sum by (job) (rate(lat[2m]))",
            "count(lat)",
            "lat * 2",
            "max_over_time(timestamp(lat)[5m:15s])",
            "sum_over_time(histogram_count(lat)[5m:15s])");
    int nonEmpty = 0;
    for (String q : queries) {
      for (long t = 0; t <= 300_000; t += 7_500) {
        String want = render(flt.instantQuery(q, t));
        assertThat(render(hist.instantQuery(q, t))).as("%s at %d", q, t).isEqualTo(want);
        nonEmpty += want.contains("{") ? 1 : 0;
      }
      if (!q.endsWith("]")) {
        assertThat(render(hist.rangeQuery(q, 0, 300_000, 10_000)))
            .as("range %s", q)
            .isEqualTo(render(flt.rangeQuery(q, 0, 300_000, 10_000)));
      }
    }
    assertThat(nonEmpty).as("answers with samples").isGreaterThan(300);
  }

  /** Every label, timestamp, value (its bits), histogram, warning and info of a result. */
  static String render(QueryResult r) {
    StringBuilder sb = new StringBuilder(r.type().json()).append('\n');
    if (r.vector() != null) {
      for (Sample s : r.vector()) {
        sb.append(s.labels).append(' ').append(s.t).append(' ');
        sb.append(s.h != null ? s.h + " " + s.h.counterResetHint() : value(s.v)).append('\n');
      }
    }
    if (r.matrix() != null) {
      for (Series s : r.matrix()) {
        sb.append(s.labels).append('\n');
        for (int i = 0; i < s.n; i++) {
          FloatHistogram h = s.h == null ? null : s.h[i];
          sb.append("  ").append(s.t[i]).append(' ');
          sb.append(h != null ? h + " " + h.counterResetHint() : value(s.v[i])).append('\n');
        }
      }
    }
    return sb.append(r.warnings()).append(r.infos()).toString();
  }

  private static String value(double v) {
    return v + "/" + Long.toHexString(Double.doubleToRawLongBits(v));
  }
}
