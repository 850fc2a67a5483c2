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
    if (i >= s.n || s.t[i] >= t + lookback || StaleNaN.is(s.v[i])) {
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
