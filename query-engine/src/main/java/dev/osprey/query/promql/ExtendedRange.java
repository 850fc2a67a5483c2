package dev.osprey.query.promql;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.storage.StaleNaN;
import dev.osprey.query.promql.Ast.Call;
import dev.osprey.query.promql.Ast.MatrixSelector;
import dev.osprey.query.promql.Evaluator.Loaded;
import dev.osprey.query.promql.Values.Sample;
import dev.osprey.query.promql.Values.Series;
import dev.osprey.query.promql.Values.Value;
import dev.osprey.query.promql.Values.VectorV;
import java.util.ArrayList;
import java.util.List;

/**
 * The experimental {@code anchored} and {@code smoothed} range selectors: no extrapolation.
 * Anchored ranges start with the last sample at or before the range start (within the lookback
 * delta); smoothed ranges start and end with values interpolated linearly at the range boundaries
 * (counter-aware for rate and increase).
 */
final class ExtendedRange {
  private ExtendedRange() {}

  static Value eval(Evaluator ev, Call c, MatrixSelector ms, long ts, String fn) {
    if (ms.smoothed && !(fn.equals("delta") || fn.equals("increase") || fn.equals("rate"))) {
      throw QueryException.exec(
          "smoothed modifier can only be used with: delta, increase, rate - not with " + fn);
    }
    if (ms.anchored
        && !(fn.equals("changes")
            || fn.equals("delta")
            || fn.equals("increase")
            || fn.equals("rate")
            || fn.equals("resets"))) {
      throw QueryException.exec(
          "anchored modifier can only be used with: changes, delta, increase, rate, resets - not"
              + " with "
              + fn);
    }
    boolean counter = fn.equals("rate") || fn.equals("increase");
    long end = ev.refTime(ms.vs.mods, ts) - ev.offsetMs(ms.vs.mods);
    long range = ev.durMs(ms.range);
    long start = end - range;
    List<Loaded> series = ev.loadSelector(ms.vs);
    ArrayList<Sample> out = new ArrayList<>();
    for (Loaded s : series) {
      if (ms.smoothed && s.h != null) {
        Object hs = smoothedHistogram(ev, ms, fn, s, start, end, range, ts);
        if (hs instanceof Sample smp) {
          out.add(smp);
        }
        if (hs != FLOATS) {
          continue;
        }
      }
      Series pts =
          ms.anchored
              ? anchored(s, start, end, ev.lookback)
              : smoothed(s, start, end, ev.lookback, counter);
      if (pts == null) {
        continue;
      }
      if (pts.h != null) {
        Sample hs = NativeHistograms.anchored(ev, ms, fn, pts, range, ts);
        if (hs != null) {
          out.add(hs);
        }
        continue;
      }
      double v;
      switch (fn) {
        case "rate", "increase" -> {
          v = counterIncrease(pts);
          if (fn.equals("rate")) {
            v /= range / 1000.0;
          }
        }
        case "delta" -> v = pts.v[pts.n - 1] - pts.v[0];
        case "changes" -> {
          int n = 0;
          for (int i = 1; i < pts.n; i++) {
            double a = pts.v[i - 1];
            double b = pts.v[i];
            if (!(a == b || (Double.isNaN(a) && Double.isNaN(b)))) {
              n++;
            }
          }
          v = n;
        }
        case "resets" -> {
          int n = 0;
          for (int i = 1; i < pts.n; i++) {
            if (pts.v[i] < pts.v[i - 1]) {
              n++;
            }
          }
          v = n;
        }
        default -> throw new IllegalStateException("BUG: " + fn);
      }
      out.add(new Sample(s.labels, v, ts, true));
    }
    ev.addSamples(out.size());
    return new VectorV(out);
  }

  private static double counterIncrease(Series p) {
    double result = p.v[p.n - 1] - p.v[0];
    for (int i = 1; i < p.n; i++) {
      if (p.v[i] < p.v[i - 1]) {
        result += p.v[i - 1];
      }
    }
    return result;
  }

  /** Index of the first non-stale sample with t in (lo, hi], or -1. */
  private static Series inRange(Loaded s, long lo, long hi) {
    int last = Evaluator.lastAtOrBefore(s.t, s.n, hi);
    int first = Evaluator.lastAtOrBefore(s.t, s.n, lo) + 1;
    Series r = new Series(s.labels, Math.max(2, last - first + 3));
    for (int i = first; i <= last; i++) {
      if (s.h != null && s.h[i] != null) {
        r.addHistogram(s.t[i], s.h[i]);
      } else if (!StaleNaN.is(s.v[i])) {
        r.add(s.t[i], s.v[i]);
      }
    }
    return r;
  }

  /** The last non-stale sample index at or before t and after t - lookback, or -1. */
  private static int before(Loaded s, long t, long lookback) {
    int i = Evaluator.lastAtOrBefore(s.t, s.n, t);
    if (i < 0
        || s.t[i] <= t - lookback
        || ((s.h == null || s.h[i] == null) && StaleNaN.is(s.v[i]))) {
      return -1;
    }
    return i;
  }

  /** The first non-stale sample index after t and before t + lookback, or -1. */
  private static int after(Loaded s, long t, long lookback) {
    int i = Evaluator.lastAtOrBefore(s.t, s.n, t) + 1;
    if (i >= s.n || s.t[i] >= t + lookback || (!isHistogram(s, i) && StaleNaN.is(s.v[i]))) {
      return -1;
    }
    return i;
  }

  private static Series anchored(Loaded s, long start, long end, long lookback) {
    Series in = inRange(s, start, end);
    if (in.n == 0) {
      return null;
    }
    int b = before(s, start, lookback);
    Series r = new Series(s.labels, in.n + 1);
    FloatHistogram bh = b >= 0 ? (s.h == null ? null : s.h[b]) : in.histogram(0);
    if (bh != null) {
      r.addHistogram(start, bh);
    } else if (b >= 0) {
      r.add(start, s.v[b]);
    } else {
      r.add(start, in.v[0]);
    }
    for (int i = 0; i < in.n; i++) {
      if (in.histogram(i) != null) {
        r.addHistogram(in.t[i], in.histogram(i));
      } else {
        r.add(in.t[i], in.v[i]);
      }
    }
    return r;
  }

  private static Series smoothed(Loaded s, long start, long end, long lookback, boolean counter) {
    Series in = inRange(s, start, end);
    if (in.n == 0 && (before(s, start, lookback) < 0 || after(s, end, lookback) < 0)) {
      return null;
    }
    double startV = interpolate(s, start, lookback, counter, in);
    double endV;
    if (in.n > 0 && in.t[in.n - 1] == end) {
      endV = in.v[in.n - 1];
    } else {
      endV = interpolate(s, end, lookback, counter, in);
    }
    if (Double.isNaN(startV) && Double.isNaN(endV) && in.n == 0) {
      return null;
    }
    Series r = new Series(s.labels, in.n + 2);
    r.add(start, startV);
    for (int i = 0; i < in.n; i++) {
      if (in.t[i] != end) {
        r.add(in.t[i], in.v[i]);
      }
    }
    r.add(end, endV);
    return r;
  }

  /** Answer of the histogram paths when the samples involved are all floats. */
  static final Object FLOATS = new Object();

  /** A smoothed boundary over histograms. */
  private static final class Bound {
    FloatHistogram h;
    String problem; // a warning instead of a value
    boolean floats; // the neighbours are floats
    boolean crossedReset; // interpolated across a counter reset: the part after it
    boolean copyOfNext; // no sample before t: the next one stands in
    boolean gauge; // the neighbours are gauge histograms
  }

  private static boolean isHistogram(Loaded s, int i) {
    return s.h != null && s.h[i] != null;
  }

  /**
   * The histogram at t between its neighbours, as upstream interpolates smoothed selectors: the
   * exact sample, or the only neighbour, or prev + (next - prev) * fraction; for counters, when
   * next shows a reset, the part of next after the reset (next * fraction). Null when t has no
   * neighbour.
   */
  private static Bound histogramAt(Loaded s, long t, long lookback, Boolean counter) {
    int b = before(s, t, lookback);
    int a = after(s, t, lookback);
    if (b < 0 && a < 0) {
      return null;
    }
    Bound r = new Bound();
    int only = b >= 0 && (s.t[b] == t || a < 0) ? b : (b < 0 ? a : -1);
    if (only >= 0) {
      if (!isHistogram(s, only)) {
        r.floats = true;
        return r;
      }
      r.h = s.h[only].withHint(FloatHistogram.CounterResetHint.UNKNOWN);
      r.copyOfNext = b < 0;
      r.gauge = s.h[only].counterResetHint() == FloatHistogram.CounterResetHint.GAUGE;
      if (s.t[only] == t) {
        r.h = s.h[only];
      }
      return r;
    }
    if (!isHistogram(s, b) || !isHistogram(s, a)) {
      if (isHistogram(s, b) || isHistogram(s, a)) {
        r.problem = NativeHistograms.mixMessage(new Series(s.labels, 1));
      } else {
        r.floats = true;
      }
      return r;
    }
    FloatHistogram hb = s.h[b];
    FloatHistogram ha = s.h[a];
    if (hb.usesCustomBuckets() != ha.usesCustomBuckets()) {
      r.problem = NativeHistograms.schemaMixMessage(s.labels.metricName());
      return r;
    }
    r.gauge =
        hb.counterResetHint() == FloatHistogram.CounterResetHint.GAUGE
            && ha.counterResetHint() == FloatHistogram.CounterResetHint.GAUGE;
    boolean isCounter =
        counter != null ? counter : ha.counterResetHint() != FloatHistogram.CounterResetHint.GAUGE;
    double frac = (double) (t - s.t[b]) / (s.t[a] - s.t[b]);
    if (isCounter && ha.detectReset(hb)) {
      r.h = ha.mul(frac).withHint(FloatHistogram.CounterResetHint.COUNTER_RESET);
      r.crossedReset = true;
      return r;
    }
    r.h =
        hb.add(ha.sub(hb, null).mul(frac), null).withHint(FloatHistogram.CounterResetHint.UNKNOWN);
    return r;
  }

  /**
   * Smoothed instant selector over a series holding histograms: the histogram sample, null for
   * none, {@link #FLOATS} when the neighbours are floats; a warning instead when the neighbours mix
   * floats and histograms or exponential and custom buckets.
   */
  static Object histogramValueAt(Evaluator ev, Ast.Expr node, Loaded s, long t, long lookback) {
    Bound r = histogramAt(s, t, lookback, null);
    if (r == null) {
      return null;
    }
    if (r.floats) {
      return FLOATS;
    }
    if (r.problem != null) {
      ev.warn(node, r.problem);
      return null;
    }
    return new Sample(s.labels, r.h, t, false);
  }

  /**
   * rate/increase/delta over a smoothed range of histograms: interpolated boundaries, the samples
   * between them, and (counters) the resets among them, where a boundary interpolated across a
   * reset already holds the part after it.
   */
  private static Object smoothedHistogram(
      Evaluator ev,
      MatrixSelector ms,
      String fn,
      Loaded s,
      long start,
      long end,
      long range,
      long ts) {
    boolean counter = !fn.equals("delta");
    Series in = inRange(s, start, end);
    if (in.n == 0 && (before(s, start, ev.lookback) < 0 || after(s, end, ev.lookback) < 0)) {
      return null;
    }
    Bound left = histogramAt(s, start, ev.lookback, counter);
    Bound right = histogramAt(s, end, ev.lookback, counter);
    if (left == null || right == null) {
      return null;
    }
    int nh = 0;
    for (int i = 0; i < in.n; i++) {
      nh += in.histogram(i) != null ? 1 : 0;
    }
    if (left.floats && right.floats && nh == 0) {
      return FLOATS;
    }
    if (left.floats || right.floats || nh != in.n) {
      ev.warn(ms, NativeHistograms.mixMessage(in));
      return null;
    }
    if (left.problem != null || right.problem != null) {
      ev.warn(ms, left.problem != null ? left.problem : right.problem);
      return null;
    }
    ArrayList<FloatHistogram> inner = new ArrayList<>();
    for (int i = 0; i < in.n; i++) {
      if (in.t[i] != end) {
        inner.add(in.histogram(i));
      }
    }
    boolean custom = left.h.usesCustomBuckets();
    boolean gaugeInside = false;
    for (FloatHistogram h : inner) {
      if (h.usesCustomBuckets() != custom || right.h.usesCustomBuckets() != custom) {
        ev.warn(ms, NativeHistograms.schemaMixMessage(s.labels.metricName()));
        return null;
      }
      gaugeInside |= h.counterResetHint() == FloatHistogram.CounterResetHint.GAUGE;
    }
    if (right.h.usesCustomBuckets() != custom) {
      ev.warn(ms, NativeHistograms.schemaMixMessage(s.labels.metricName()));
      return null;
    }
    FloatHistogram.Notes notes = new FloatHistogram.Notes();
    FloatHistogram h;
    try {
      h = right.h.sub(left.h, notes);
      if (counter && !((left.crossedReset || left.copyOfNext) && inner.isEmpty())) {
        FloatHistogram prev = left.h;
        int i0 = 0;
        if (left.crossedReset || left.copyOfNext) {
          // the first sample inside is the one the left boundary came from
          prev = inner.get(0);
          i0 = 1;
        }
        for (int i = i0; i < inner.size(); i++) {
          FloatHistogram cur = inner.get(i);
          if (cur.detectReset(prev)) {
            h = h.add(prev, notes);
          }
          prev = cur;
        }
        if (right.h.detectReset(prev)) {
          h = h.add(prev, notes);
        }
      }
    } catch (FloatHistogram.IncompatibleSchemaException e) {
      ev.warn(ms, NativeHistograms.schemaMixMessage(s.labels.metricName()));
      return null;
    }
    if (counter && (gaugeInside || left.gauge || right.gauge)) {
      ev.warn(ms, NativeHistograms.notCounter(in));
    } else if (!counter && !(left.gauge && right.gauge)) {
      ev.warn(ms, NativeHistograms.notGauge(in));
    }
    notes.counterResetCollision = false;
    NativeHistograms.annotate(ev, ms, ms, notes, "subtraction");
    if (fn.equals("rate")) {
      h = h.div(range / 1000.0);
    }
    ev.addSamples(1);
    return new Sample(s.labels, h.withHint(FloatHistogram.CounterResetHint.GAUGE), ts, true);
  }

  /** Smoothed instant selector value: interpolated between the neighbours of t (not counter). */
  static double valueAt(Loaded s, long t, long lookback) {
    return interpolate(s, t, lookback, false, null);
  }

  static boolean hasNeighbour(Loaded s, long t, long lookback) {
    return before(s, t, lookback) >= 0 || after(s, t, lookback) >= 0;
  }

  /** The value at t: interpolated between neighbours, or the nearest one when one side lacks. */
  private static double interpolate(Loaded s, long t, long lookback, boolean counter, Series in) {
    int b = before(s, t, lookback);
    int a = after(s, t, lookback);
    if (b >= 0 && s.t[b] == t) {
      return s.v[b];
    }
    if (b < 0 && a < 0) {
      return Double.NaN;
    }
    if (b < 0) {
      return s.v[a];
    }
    if (a < 0) {
      return s.v[b];
    }
    double frac = (double) (t - s.t[b]) / (s.t[a] - s.t[b]);
    double vb = s.v[b];
    double va = s.v[a];
    if (counter && va < vb) {
      return va * frac; // counter reset between the neighbours: the value after the reset
    }
    return vb + (va - vb) * frac;
  }
}
