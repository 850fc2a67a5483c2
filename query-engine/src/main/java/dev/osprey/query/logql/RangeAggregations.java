package dev.osprey.query.logql;

import java.util.Arrays;

/**
 * LogQL range aggregations over one series' samples in a window (t - range, t]. Samples are
 * timestamps (ascending) and values (the unwrapped value, or the line's byte count for the bytes
 * functions, or 1).
 */
final class RangeAggregations {
  private RangeAggregations() {}

  /** Fills {@code out[i]} with the aggregate at step i, NaN where the window is empty. */
  static void evaluate(
      String fn,
      Double param,
      long[] ts,
      double[] vs,
      int n,
      long start,
      long step,
      int steps,
      long range,
      long offset,
      double[] out) {
    int lo = 0;
    int hi = 0;
    double rangeSec = range / 1e9;
    for (int i = 0; i < steps; i++) {
      long t = start + i * step - offset;
      long from = t - range; // exclusive
      while (hi < n && ts[hi] <= t) {
        hi++;
      }
      while (lo < hi && ts[lo] <= from) {
        lo++;
      }
      if (lo >= hi) {
        out[i] = Double.NaN;
        continue;
      }
      out[i] =
          fn.equals("rate_counter")
              ? rateCounter(ts, vs, lo, hi, range)
              : aggregate(fn, param, vs, lo, hi, rangeSec);
    }
  }

  static double aggregate(String fn, Double param, double[] v, int lo, int hi, double rangeSec) {
    int n = hi - lo;
    switch (fn) {
      case "count_over_time":
        return n;
      case "rate":
      case "bytes_rate":
        return sum(v, lo, hi) / rangeSec;
      case "bytes_over_time":
      case "sum_over_time":
        return sum(v, lo, hi);
      case "avg_over_time":
        {
          // Kahan-free mean, incremental like Prometheus for stability
          double mean = 0;
          for (int i = lo; i < hi; i++) {
            mean += (v[i] - mean) / (i - lo + 1);
          }
          return mean;
        }
      case "min_over_time":
        {
          double m = v[lo];
          for (int i = lo + 1; i < hi; i++) {
            if (v[i] < m || Double.isNaN(m)) {
              m = v[i];
            }
          }
          return m;
        }
      case "max_over_time":
        {
          double m = v[lo];
          for (int i = lo + 1; i < hi; i++) {
            if (v[i] > m || Double.isNaN(m)) {
              m = v[i];
            }
          }
          return m;
        }
      case "first_over_time":
        return v[lo];
      case "last_over_time":
        return v[hi - 1];
      case "stdvar_over_time":
        return stdvar(v, lo, hi);
      case "stddev_over_time":
        return Math.sqrt(stdvar(v, lo, hi));
      case "quantile_over_time":
        return quantile(param, Arrays.copyOfRange(v, lo, hi));
      default:
        throw new IllegalStateException("BUG: range aggregation " + fn);
    }
  }

  /**
   * {@code rate_counter}: Prometheus's extrapolated rate as Loki computes it for unwrapped values,
   * with Loki's own bounds: the window is taken to start one range before the first sample and to
   * end at the last one (so the end is never extrapolated and the start by half an interval unless
   * the counter's zero point is nearer); fewer than two samples give 0; times in milliseconds.
   */
  static double rateCounter(long[] ts, double[] v, int lo, int hi, long rangeNanos) {
    if (hi - lo < 2) {
      return 0;
    }
    long rangeMs = rangeNanos / 1_000_000;
    long firstMs = ts[lo] / 1_000_000;
    long lastMs = ts[hi - 1] / 1_000_000;
    double result = v[hi - 1] - v[lo];
    double prev = 0;
    for (int i = lo; i < hi; i++) {
      if (v[i] < prev) {
        result += prev;
      }
      prev = v[i];
    }
    double toStart = rangeMs / 1000.0;
    double toEnd = 0;
    double sampled = (lastMs - firstMs) / 1000.0;
    double avg = sampled / (hi - lo - 1);
    if (result > 0 && v[lo] >= 0) {
      double toZero = sampled * (v[lo] / result);
      if (toZero < toStart) {
        toStart = toZero;
      }
    }
    double threshold = avg * 1.1;
    double interval = sampled;
    interval += toStart < threshold ? toStart : avg / 2;
    interval += toEnd < threshold ? toEnd : avg / 2;
    return result * (interval / sampled) / (rangeNanos / 1e9);
  }

  private static double sum(double[] v, int lo, int hi) {
    double s = 0;
    for (int i = lo; i < hi; i++) {
      s += v[i];
    }
    return s;
  }

  private static double stdvar(double[] v, int lo, int hi) {
    double mean = 0;
    double m2 = 0;
    int c = 0;
    for (int i = lo; i < hi; i++) {
      c++;
      double d = v[i] - mean;
      mean += d / c;
      m2 += d * (v[i] - mean);
    }
    return m2 / c;
  }

  /** Prometheus's quantile: linear interpolation between closest ranks. */
  static double quantile(double q, double[] vals) {
    if (vals.length == 0) {
      return Double.NaN;
    }
    if (q < 0) {
      return Double.NEGATIVE_INFINITY;
    }
    if (q > 1) {
      return Double.POSITIVE_INFINITY;
    }
    Arrays.sort(vals);
    double rank = q * (vals.length - 1);
    int lower = (int) Math.max(0, Math.floor(rank));
    int upper = Math.min(vals.length - 1, lower + 1);
    double w = rank - Math.floor(rank);
    return vals[lower] * (1 - w) + vals[upper] * w;
  }

  /** Aggregations that fold a sample into per-step accumulators without keeping it. */
  static boolean streamable(String fn) {
    return switch (fn) {
      case "count_over_time",
          "rate",
          "bytes_over_time",
          "bytes_rate",
          "sum_over_time",
          "avg_over_time",
          "min_over_time",
          "max_over_time",
          "absent_over_time" ->
          true;
      default -> false;
    };
  }

  /**
   * Per-step running count, sum, min and max of one series: each sample is folded into every step
   * whose window (t - range, t] holds it, so memory is per step, not per sample.
   */
  static final class StepAccumulator {
    final int[] count;
    final double[] sum;
    final double[] min;
    final double[] max;

    StepAccumulator(int steps) {
      count = new int[steps];
      sum = new double[steps];
      min = new double[steps];
      max = new double[steps];
    }

    void add(long ts, double v, long start, long step, int steps, long range, long offset) {
      int from;
      int to;
      if (step <= 0) {
        long t = start - offset;
        if (!(ts > t - range && ts <= t)) {
          return;
        }
        from = 0;
        to = 0;
      } else {
        long lo = ts + offset - start;
        from = (int) Math.max(0, Math.ceilDiv(lo, step));
        to = (int) Math.min(steps - 1, Math.ceilDiv(lo + range, step) - 1);
      }
      for (int i = from; i <= to; i++) {
        if (count[i]++ == 0) {
          min[i] = v;
          max[i] = v;
        } else {
          if (v < min[i]) {
            min[i] = v;
          }
          if (v > max[i]) {
            max[i] = v;
          }
        }
        sum[i] += v;
      }
    }

    void result(String fn, double rangeSec, double[] out) {
      for (int i = 0; i < out.length; i++) {
        if (count[i] == 0) {
          out[i] = Double.NaN;
          continue;
        }
        out[i] =
            switch (fn) {
              case "count_over_time", "absent_over_time" -> count[i];
              case "rate", "bytes_rate" -> sum[i] / rangeSec;
              case "bytes_over_time", "sum_over_time" -> sum[i];
              case "avg_over_time" -> sum[i] / count[i];
              case "min_over_time" -> min[i];
              case "max_over_time" -> max[i];
              default -> throw new IllegalStateException("BUG: not streamable: " + fn);
            };
      }
    }
  }
}
