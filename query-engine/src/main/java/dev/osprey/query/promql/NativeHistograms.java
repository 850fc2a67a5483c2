package dev.osprey.query.promql;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.histogram.FloatHistogram.CounterResetHint;
import dev.osprey.query.promql.Ast.Call;
import dev.osprey.query.promql.Ast.Expr;
import dev.osprey.query.promql.Values.Sample;
import dev.osprey.query.promql.Values.Series;
import java.util.ArrayList;

/** PromQL's functions over native-histogram samples, with upstream's annotations. */
final class NativeHistograms {
  private NativeHistograms() {}

  /** The outcome "no sample for this series". */
  static final Object DROP = new Object();

  static String mixMessage(Series s) {
    return "encountered a mix of histograms and floats for metric name "
        + GoFloat.quote(s.labels.metricName());
  }

  static String schemaMixMessage(String metric) {
    return "vector contains a mix of histograms with exponential and custom buckets schemas for"
        + " metric name "
        + GoFloat.quote(metric);
  }

  /** The series without its histogram points (null when nothing is left). */
  static Series floatsOnly(Series s) {
    Series f = new Series(s.labels, s.n);
    f.dropName = s.dropName;
    for (int i = 0; i < s.n; i++) {
      if (s.histogram(i) == null) {
        f.add(s.t[i], s.v[i]);
      }
    }
    return f.n == 0 ? null : f;
  }

  /** The vector without its histogram samples (in place). */
  static ArrayList<Sample> floats(ArrayList<Sample> v) {
    v.removeIf(s -> s.h != null);
    return v;
  }

  /**
   * Range function {@code name} over a series that holds histogram points: a {@link Sample}, {@link
   * #DROP}, or a {@link Series} (possibly {@code s} itself) for the float path to finish.
   */
  static Object range(
      Evaluator ev,
      Call c,
      Expr arg,
      String name,
      Series s,
      long rangeEnd,
      long rangeMs,
      long ts,
      boolean keepName) {
    int nh = 0;
    for (int i = 0; i < s.n; i++) {
      if (s.histogram(i) != null) {
        nh++;
      }
    }
    int nf = s.n - nh;
    if (nh == 0) {
      return s;
    }
    switch (name) {
      case "count_over_time",
          "present_over_time",
          "absent_over_time",
          "ts_of_last_over_time",
          "ts_of_first_over_time" -> {
        return s;
      }
      case "last_over_time", "first_over_time" -> {
        int i = name.startsWith("last") ? s.n - 1 : 0;
        if (s.histogram(i) == null) {
          return s;
        }
        return new Sample(s.labels, s.histogram(i), ts, !keepName || s.dropName);
      }
      case "resets", "changes" -> {
        int r = 0;
        for (int i = 1; i < s.n; i++) {
          FloatHistogram p = s.histogram(i - 1);
          FloatHistogram h = s.histogram(i);
          if (name.equals("resets")) {
            if (p == null && h == null) {
              r += s.v[i] < s.v[i - 1] ? 1 : 0;
            } else if (p != null && h != null) {
              r += h.detectReset(p) ? 1 : 0;
            }
          } else {
            if (p == null && h == null) {
              double a = s.v[i - 1];
              double b = s.v[i];
              r += a != b && !(Double.isNaN(a) && Double.isNaN(b)) ? 1 : 0;
            } else if (p != null && h != null) {
              r += h.equalsIgnoringHint(p) ? 0 : 1;
            } else {
              r++;
            }
          }
        }
        return new Sample(s.labels, r, ts, true);
      }
      case "sum_over_time", "avg_over_time" -> {
        if (nf > 0) {
          ev.warn(arg, mixMessage(s));
          return DROP;
        }
        try {
          FloatHistogram.Notes notes = new FloatHistogram.Notes();
          FloatHistogram acc = s.histogram(0);
          for (int i = 1; i < s.n; i++) {
            FloatHistogram h = s.histogram(i);
            if (name.equals("sum_over_time")) {
              acc = acc.add(h, notes);
            } else {
              double cnt = i + 1;
              acc = acc.add(h.div(cnt).sub(acc.div(cnt), notes), notes);
            }
          }
          annotate(ev, c, arg, notes, "aggregation");
          return new Sample(s.labels, acc, ts, true);
        } catch (FloatHistogram.IncompatibleSchemaException e) {
          ev.warn(arg, schemaMixMessage(s.labels.metricName()));
          return DROP;
        }
      }
      case "rate", "increase", "delta" -> {
        if (s.n < 2) {
          return DROP;
        }
        if (nf > 0) {
          ev.warn(arg, mixMessage(s));
          return DROP;
        }
        FloatHistogram h = histogramRate(ev, c, arg, s, !name.equals("delta"));
        if (h == null) {
          return DROP;
        }
        double factor =
            factor(
                s,
                rangeEnd - rangeMs,
                rangeEnd,
                rangeMs,
                !name.equals("delta"),
                name.equals("rate"),
                h.count());
        return new Sample(s.labels, h.mul(factor), ts, true);
      }
      case "irate", "idelta" -> {
        if (s.n < 2) {
          return DROP;
        }
        FloatHistogram prev = s.histogram(s.n - 2);
        FloatHistogram last = s.histogram(s.n - 1);
        if (prev == null || last == null) {
          if (prev != null || last != null) {
            ev.warn(arg, mixMessage(s));
            return DROP;
          }
          return floatsOnly(s);
        }
        boolean rate = name.equals("irate");
        FloatHistogram r;
        try {
          FloatHistogram.Notes notes = new FloatHistogram.Notes();
          if (rate && last.detectReset(prev)) {
            r = last;
          } else {
            r = last.sub(prev, notes);
          }
          annotate(ev, c, arg, notes, "subtraction");
        } catch (FloatHistogram.IncompatibleSchemaException e) {
          ev.warn(arg, schemaMixMessage(s.labels.metricName()));
          return DROP;
        }
        if (!rate
            && (prev.counterResetHint() != CounterResetHint.GAUGE
                || last.counterResetHint() != CounterResetHint.GAUGE)) {
          ev.warn(arg, notGauge(s));
        }
        if (rate
            && (prev.counterResetHint() == CounterResetHint.GAUGE
                || last.counterResetHint() == CounterResetHint.GAUGE)) {
          ev.warn(arg, notCounter(s));
        }
        long interval = s.t[s.n - 1] - s.t[s.n - 2];
        if (rate) {
          r = r.div(interval / 1000.0);
        }
        return new Sample(s.labels, r.withHint(CounterResetHint.GAUGE), ts, true);
      }
      default -> {
        if (nf == 0) {
          return DROP;
        }
        ev.info(
            arg,
            "ignored histograms in a range containing both floats and histograms for metric name "
                + GoFloat.quote(s.labels.metricName()));
        return floatsOnly(s);
      }
    }
  }

  static String notGauge(Series s) {
    return "this native histogram metric is not a gauge: " + GoFloat.quote(s.labels.metricName());
  }

  static String notCounter(Series s) {
    return "this native histogram metric is not a counter: " + GoFloat.quote(s.labels.metricName());
  }

  static void annotate(Evaluator ev, Expr c, Expr arg, FloatHistogram.Notes n, String op) {
    if (n.customBucketsReconciled) {
      ev.info(arg, "mismatched custom buckets were reconciled during " + op);
    }
    if (n.counterResetCollision) {
      ev.warn(arg, "conflicting counter resets during histogram " + op);
    }
  }

  /** Upstream's histogramRate: last minus first, counter resets added back. */
  private static FloatHistogram histogramRate(
      Evaluator ev, Call c, Expr arg, Series s, boolean counter) {
    FloatHistogram first = s.histogram(0);
    FloatHistogram last = s.histogram(s.n - 1);
    int minSchema = Math.min(first.schema(), last.schema());
    boolean custom = first.usesCustomBuckets();
    if (last.usesCustomBuckets() != custom) {
      ev.warn(arg, schemaMixMessage(s.labels.metricName()));
      return null;
    }
    for (int i = 1; i < s.n - 1; i++) {
      FloatHistogram h = s.histogram(i);
      if (counter && h.counterResetHint() == CounterResetHint.GAUGE) {
        ev.warn(arg, notCounter(s));
      }
      minSchema = Math.min(minSchema, h.schema());
      if (h.usesCustomBuckets() != custom) {
        ev.warn(arg, schemaMixMessage(s.labels.metricName()));
        return null;
      }
    }
    if (counter
        && (first.counterResetHint() == CounterResetHint.GAUGE
            || last.counterResetHint() == CounterResetHint.GAUGE)) {
      ev.warn(arg, notCounter(s));
    }
    FloatHistogram.Notes notes = new FloatHistogram.Notes();
    FloatHistogram h = last.reduce(minSchema).sub(first, notes);
    if (counter) {
      FloatHistogram prev = first;
      for (int i = 1; i < s.n; i++) {
        FloatHistogram cur = s.histogram(i);
        if (cur.detectReset(prev)) {
          h = h.add(prev, notes);
        }
        prev = cur;
      }
    } else if (first.counterResetHint() != CounterResetHint.GAUGE
        || last.counterResetHint() != CounterResetHint.GAUGE) {
      ev.warn(arg, notGauge(s));
    }
    annotate(ev, c, arg, notes, "subtraction");
    return h.withHint(CounterResetHint.GAUGE);
  }

  /** The extrapolation factor of rate/increase/delta (as the float path) for a result count. */
  private static double factor(
      Series s,
      long rangeStart,
      long rangeEnd,
      long rangeMs,
      boolean counter,
      boolean rate,
      double resultCount) {
    int last = s.n - 1;
    double durationToStart = (s.t[0] - rangeStart) / 1000.0;
    double durationToEnd = (rangeEnd - s.t[last]) / 1000.0;
    double sampledInterval = (s.t[last] - s.t[0]) / 1000.0;
    double avgBetween = sampledInterval / last;
    double threshold = avgBetween * 1.1;
    if (durationToStart >= threshold) {
      durationToStart = avgBetween / 2;
    }
    double firstCount = s.histogram(0).count();
    if (counter && resultCount > 0 && firstCount >= 0) {
      double durationToZero = sampledInterval * (firstCount / resultCount);
      if (durationToZero < durationToStart) {
        durationToStart = durationToZero;
      }
    }
    if (durationToEnd >= threshold) {
      durationToEnd = avgBetween / 2;
    }
    double factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
    if (rate) {
      factor /= rangeMs / 1000.0;
    }
    return factor;
  }
}
