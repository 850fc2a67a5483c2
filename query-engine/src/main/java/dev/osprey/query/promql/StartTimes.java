package dev.osprey.query.promql;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.histogram.FloatHistogram.CounterResetHint;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.StaleNaN;
import dev.osprey.query.promql.Ast.Call;
import dev.osprey.query.promql.Ast.Expr;
import dev.osprey.query.promql.Ast.VectorSelector;
import dev.osprey.query.promql.Evaluator.Loaded;
import dev.osprey.query.promql.Values.Sample;
import dev.osprey.query.promql.Values.Series;
import dev.osprey.query.promql.Values.VectorV;
import java.util.ArrayList;
import java.util.List;

/**
 * Start timestamps (created timestamps) in PromQL, as upstream Prometheus uses them: a sample's
 * start time says when its counter last started from zero, so
 *
 * <ul>
 *   <li>rate/increase/irate/resets count a counter reset where a start time says one happened
 *       between two samples, even if the value did not drop (a delta series: every sample starts
 *       where the previous one ended);
 *   <li>rate/increase assume a zero sample at the first sample's start time when that lies inside
 *       the range, instead of extrapolating to the left (one sample is then enough);
 *   <li>a start time before the previous sample's timestamp that is not the previous sample's own
 *       start time is reported as an overlap (a warning, once per series);
 *   <li>{@code start_timestamp(v)} returns each selected sample's start time in seconds.
 * </ul>
 *
 * Start times reach a function only in windows read straight from a selector ({@link Series#st});
 * subqueries and any other expression cut them. Series without start times never get here: their
 * windows keep the plain paths of {@link FunctionCalls} and {@link NativeHistograms}.
 */
final class StartTimes {
  private StartTimes() {}

  /** The range functions whose result depends on start times (delta and idelta do not). */
  static boolean appliesTo(String fn) {
    return switch (fn) {
      case "rate", "increase", "irate", "resets" -> true;
      default -> false;
    };
  }

  /**
   * The start times of the window {@code first..last} of a loaded series, aligned with the points
   * {@link Evaluator#rangeSelect} keeps (staleness markers dropped), {@code n} of them.
   */
  static long[] window(Loaded s, int first, int last, int n) {
    long[] out = new long[Math.max(n, 1)];
    int k = 0;
    for (int i = first; i <= last; i++) {
      if ((s.h != null && s.h[i] != null) || !StaleNaN.is(s.v[i])) {
        out[k++] = s.st[i];
      }
    }
    if (k != n) {
      throw new IllegalStateException("BUG: " + k + " start times for " + n + " points");
    }
    return out;
  }

  /**
   * Whether the start times say that the counter was reset between the previous sample and the
   * current one. An unknown (0) or invalid (after its sample) start time, and one equal to its own
   * sample's timestamp (OTel's "unknown start"), never do; one after the previous sample does; one
   * equal to the previous sample's timestamp does when the previous sample had a valid known start
   * time of its own (a delta series), not otherwise (a cumulative series whose start is unknown).
   */
  static boolean isReset(long prevSt, long prevT, long curSt, long curT) {
    if (curSt == SampleIterator.NO_START_TIME || curSt >= curT || curSt < prevT) {
      return false;
    }
    if (curSt > prevT) {
      return true;
    }
    if (prevSt > prevT) {
      return false;
    }
    return prevSt != SampleIterator.NO_START_TIME && prevSt != prevT;
  }

  /**
   * Whether the current sample's start time lies before the previous sample while not being the
   * previous sample's own start time: the two samples' counting intervals overlap.
   */
  static boolean overlaps(long prevSt, long prevT, long curSt) {
    return curSt != SampleIterator.NO_START_TIME && curSt < prevT && curSt != prevSt;
  }

  private static String overlapMessage(Series s) {
    return "sample has start time that overlaps with previous sample timestamp for metric "
        + GoFloat.quote(s.labels.metricName());
  }

  /** Range function {@code fn} (see {@link #appliesTo}) over a window with start times. */
  static Sample range(
      Evaluator ev, Call c, Expr arg, String fn, Series s, long rangeEnd, long rangeMs, long ts) {
    int nh = 0;
    for (int i = 0; i < s.n; i++) {
      if (s.histogram(i) != null) {
        nh++;
      }
    }
    return switch (fn) {
      case "resets" -> new Sample(s.labels, resets(s), ts, true);
      case "irate" -> irate(ev, c, arg, s, ts);
      default -> {
        if (nh > 0 && nh < s.n) {
          ev.warn(arg, NativeHistograms.mixMessage(s));
          yield null;
        }
        boolean rate = fn.equals("rate");
        if (nh > 0) {
          yield histogramIncrease(ev, c, arg, s, rangeEnd, rangeMs, rate, ts);
        }
        double v = floatIncrease(ev, arg, s, rangeEnd, rangeMs, rate);
        if (Double.isNaN(v) && s.n < 2 && !startsInside(s, rangeEnd - rangeMs)) {
          yield null;
        }
        FunctionCalls.counterCheck(ev, c, arg, s.labels);
        yield new Sample(s.labels, v, ts, true);
      }
    };
  }

  private static int resets(Series s) {
    int r = 0;
    for (int i = 1; i < s.n; i++) {
      FloatHistogram p = s.histogram(i - 1);
      FloatHistogram h = s.histogram(i);
      if (isReset(s.st[i - 1], s.t[i - 1], s.st[i], s.t[i])) {
        r++;
      } else if (p == null && h == null) {
        r += s.v[i] < s.v[i - 1] ? 1 : 0;
      } else if (p != null && h != null) {
        r += h.detectReset(p) ? 1 : 0;
      } else {
        r++; // a switch between float and histogram counts as a reset
      }
    }
    return r;
  }

  /** Whether the first sample's start time lies inside the range (rangeStart exclusive). */
  private static boolean startsInside(Series s, long rangeStart) {
    long st = s.st[0];
    return st != SampleIterator.NO_START_TIME && st > rangeStart && st < s.t[0];
  }

  /** Warns (once per series) when consecutive samples' counting intervals overlap. */
  private static void checkOverlaps(Evaluator ev, Expr arg, Series s) {
    for (int i = 1; i < s.n; i++) {
      if (overlaps(s.st[i - 1], s.t[i - 1], s.st[i])) {
        ev.warn(arg, overlapMessage(s));
        return;
      }
    }
  }

  /** rate/increase of float samples; NaN when there is no result. */
  private static double floatIncrease(
      Evaluator ev, Expr arg, Series s, long rangeEnd, long rangeMs, boolean rate) {
    int last = s.n - 1;
    double result = s.v[last] - s.v[0];
    checkOverlaps(ev, arg, s);
    for (int i = 1; i <= last; i++) {
      if (s.v[i] < s.v[i - 1] || isReset(s.st[i - 1], s.t[i - 1], s.st[i], s.t[i])) {
        result += s.v[i - 1];
      }
    }
    long rangeStart = rangeEnd - rangeMs;
    boolean inside = startsInside(s, rangeStart);
    if (inside) {
      result += s.v[0]; // from the zero sample at the start time to the first sample
    }
    double f = factor(s, rangeStart, rangeEnd, rangeMs, rate, inside, s.v[0], result);
    return Double.isNaN(f) ? Double.NaN : result * f;
  }

  private static Sample histogramIncrease(
      Evaluator ev,
      Call c,
      Expr arg,
      Series s,
      long rangeEnd,
      long rangeMs,
      boolean rate,
      long ts) {
    long rangeStart = rangeEnd - rangeMs;
    FloatHistogram first = s.histogram(0);
    FloatHistogram r = null;
    try {
      if (s.n > 1) {
        r = histogramIncrease(ev, c, arg, s);
        if (r == null) {
          return null;
        }
      }
      boolean inside = startsInside(s, rangeStart);
      if (inside) {
        FloatHistogram.Notes notes = new FloatHistogram.Notes();
        r = r == null ? first : r.add(first, notes);
        notes.counterResetCollision = false;
        NativeHistograms.annotate(ev, c, arg, notes, "aggregation");
      }
      if (r == null) {
        return null;
      }
      double f = factor(s, rangeStart, rangeEnd, rangeMs, rate, inside, first.count(), r.count());
      if (Double.isNaN(f)) {
        return null;
      }
      return new Sample(s.labels, r.mul(f), ts, true);
    } catch (FloatHistogram.IncompatibleSchemaException e) {
      ev.warn(arg, NativeHistograms.schemaMixMessage(s.labels.metricName()));
      return null;
    }
  }

  /**
   * Last minus first of a counter histogram series with every reset (by value or by start time)
   * added back; a reset between the first two samples drops the first one altogether. Null (after a
   * warning) for incompatible histograms.
   */
  private static FloatHistogram histogramIncrease(Evaluator ev, Call c, Expr arg, Series s) {
    FloatHistogram first = s.histogram(0);
    FloatHistogram second = s.histogram(1);
    FloatHistogram last = s.histogram(s.n - 1);
    boolean resetAtFirst = isReset(s.st[0], s.t[0], s.st[1], s.t[1]) || second.detectReset(first);
    FloatHistogram base = resetAtFirst ? null : first;
    FloatHistogram layout = resetAtFirst ? second : first;
    if (first.counterResetHint() == CounterResetHint.GAUGE
        || last.counterResetHint() == CounterResetHint.GAUGE) {
      ev.warn(arg, NativeHistograms.notCounter(s));
    }
    boolean custom = layout.usesCustomBuckets();
    if (last.usesCustomBuckets() != custom) {
      ev.warn(arg, NativeHistograms.schemaMixMessage(s.labels.metricName()));
      return null;
    }
    int minSchema = Math.min(last.schema(), layout.schema());
    for (int i = 1; i < s.n - 1; i++) {
      FloatHistogram h = s.histogram(i);
      if (h.counterResetHint() == CounterResetHint.GAUGE) {
        ev.warn(arg, NativeHistograms.notCounter(s));
      }
      minSchema = Math.min(minSchema, h.schema());
      if (h.usesCustomBuckets() != custom) {
        ev.warn(arg, NativeHistograms.schemaMixMessage(s.labels.metricName()));
        return null;
      }
    }
    FloatHistogram.Notes notes = new FloatHistogram.Notes();
    FloatHistogram r = last.reduce(minSchema);
    if (base != null) {
      r = r.sub(base, notes);
    }
    checkOverlaps(ev, arg, s);
    FloatHistogram prev = base;
    for (int i = 1; i < s.n; i++) {
      FloatHistogram cur = s.histogram(i);
      if (prev != null
          && (isReset(s.st[i - 1], s.t[i - 1], s.st[i], s.t[i]) || cur.detectReset(prev))) {
        r = r.add(prev, notes);
      }
      prev = cur;
    }
    notes.counterResetCollision = false; // hints of a counter's own samples do not collide
    NativeHistograms.annotate(ev, c, arg, notes, "subtraction");
    return r.withHint(CounterResetHint.GAUGE);
  }

  /**
   * Upstream's extrapolation of rate/increase to the range's ends, with the left end at the first
   * sample's start time when that is {@code inside} the range. NaN for a single sample without such
   * a start time (no result).
   */
  private static double factor(
      Series s,
      long rangeStart,
      long rangeEnd,
      long rangeMs,
      boolean rate,
      boolean inside,
      double first,
      double result) {
    long firstT = s.t[0];
    long lastT = s.t[s.n - 1];
    double durationToStart = (firstT - rangeStart) / 1000.0;
    double durationToEnd = (rangeEnd - lastT) / 1000.0;
    double sampledInterval = (lastT - firstT) / 1000.0;
    double avgBetween = s.n > 1 ? sampledInterval / (s.n - 1) : 0;
    double threshold = avgBetween * 1.1;
    if (inside) {
      durationToStart = 0;
      sampledInterval = (lastT - s.st[0]) / 1000.0;
    } else if (s.n < 2) {
      return Double.NaN;
    } else {
      if (durationToStart >= threshold) {
        durationToStart = avgBetween / 2;
      }
      if (result > 0 && first >= 0) {
        double durationToZero = sampledInterval * (first / result);
        if (durationToZero < durationToStart) {
          durationToStart = durationToZero;
        }
      }
    }
    if (durationToEnd >= threshold) {
      durationToEnd = avgBetween / 2;
    }
    double factor =
        sampledInterval == 0
            ? 1
            : (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
    if (rate) {
      factor /= rangeMs / 1000.0;
    }
    return factor;
  }

  /** irate over the window's last two samples, a start-time reset counting as a reset. */
  private static Sample irate(Evaluator ev, Call c, Expr arg, Series s, long ts) {
    if (s.n < 2) {
      return null;
    }
    int i = s.n - 1;
    long interval = s.t[i] - s.t[i - 1];
    boolean reset = isReset(s.st[i - 1], s.t[i - 1], s.st[i], s.t[i]);
    FloatHistogram prev = s.histogram(i - 1);
    FloatHistogram last = s.histogram(i);
    if (prev == null && last == null) {
      if (interval == 0) {
        return null;
      }
      double r = s.v[i] < s.v[i - 1] || reset ? s.v[i] : s.v[i] - s.v[i - 1];
      return new Sample(s.labels, r / (interval / 1000.0), ts, true);
    }
    if (prev == null || last == null) {
      ev.warn(arg, NativeHistograms.mixMessage(s));
      return null;
    }
    if (interval == 0) {
      return null;
    }
    if (prev.counterResetHint() == CounterResetHint.GAUGE
        || last.counterResetHint() == CounterResetHint.GAUGE) {
      ev.warn(arg, NativeHistograms.notCounter(s));
    }
    FloatHistogram r;
    try {
      FloatHistogram.Notes notes = new FloatHistogram.Notes();
      r = reset || last.detectReset(prev) ? last : last.sub(prev, notes);
      NativeHistograms.annotate(ev, c, arg, notes, "subtraction");
    } catch (FloatHistogram.IncompatibleSchemaException e) {
      ev.warn(arg, NativeHistograms.schemaMixMessage(s.labels.metricName()));
      return null;
    }
    r = r.div(interval / 1000.0);
    return new Sample(s.labels, r.withHint(CounterResetHint.GAUGE), ts, true);
  }

  /**
   * {@code start_timestamp(v)}: the start time, in seconds, of each sample a selector selects (0
   * where it is unknown). Only a selector has start times: for any other expression the result is
   * empty.
   */
  static VectorV startTimestamp(Evaluator ev, Call c, long ts) {
    Expr a = FunctionCalls.unwrap(c.args.get(0));
    ArrayList<Sample> out = new ArrayList<>();
    if (!(a instanceof VectorSelector vs) || vs.smoothed) {
      FunctionCalls.vec(ev, c.args.get(0), ts); // evaluated for its errors and limits only
      return new VectorV(out);
    }
    List<Loaded> series = ev.loadSelector(vs);
    long ref = ev.refTime(vs.mods, ts) - ev.offsetMs(vs.mods);
    for (Loaded s : series) {
      int i = Evaluator.lastAtOrBefore(s.t, s.n, ref);
      if (i < 0 || s.t[i] <= ref - ev.lookback) {
        continue;
      }
      boolean histogram = s.h != null && s.h[i] != null;
      if (!histogram && StaleNaN.is(s.v[i])) {
        continue;
      }
      long st = s.st == null ? SampleIterator.NO_START_TIME : s.st[i];
      out.add(new Sample(s.labels, st / 1000.0, ts, true));
    }
    ev.addSamples(out.size());
    return new VectorV(out);
  }
}
