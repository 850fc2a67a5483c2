package dev.osprey.query.promql;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.histogram.FloatHistogram.CounterResetHint;
import dev.osprey.core.util.Kahan;
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
            } else {
              r++; // a switch between float and histogram counts as a reset
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
          // Kahan-compensated like upstream; avg sums until the sum overflows, then goes on as
          // an incremental mean
          boolean avg = name.equals("avg_over_time");
          FloatHistogram acc = s.histogram(0);
          FloatHistogram comp = null;
          FloatHistogram mean = null;
          for (int i = 0; i < s.n; i++) {
            noteHint(s.histogram(i), notes);
          }
          notes.counterResetCollision = notes.resetSeen && notes.notResetSeen;
          for (int i = 1; i < s.n; i++) {
            FloatHistogram h = s.histogram(i);
            double cnt = i + 1;
            if (mean == null) {
              FloatHistogram.Compensated k = acc.kahanAdd(h, comp, notes);
              if (!avg || !k.sum().hasOverflow()) {
                acc = k.sum();
                comp = k.compensation();
                continue;
              }
              mean = acc.div(cnt - 1);
              comp = comp == null ? null : comp.div(cnt - 1);
            }
            double q = (cnt - 1) / cnt;
            FloatHistogram.Compensated k =
                mean.mul(q).kahanAdd(h.div(cnt), comp == null ? null : comp.mul(q), notes);
            mean = k.sum();
            comp = k.compensation();
          }
          FloatHistogram result;
          if (mean != null) {
            result = new FloatHistogram.Compensated(mean, comp).value();
          } else if (avg) {
            result =
                new FloatHistogram.Compensated(acc.div(s.n), comp == null ? null : comp.div(s.n))
                    .value();
          } else {
            result = new FloatHistogram.Compensated(acc, comp).value();
          }
          annotate(ev, c, arg, notes, "aggregation");
          return new Sample(s.labels, result, ts, true);
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
    if (counter && s.n > 1 && s.histogram(1).detectReset(first)) {
      // a reset right after the first sample: only its count matters (extrapolation), so its
      // layout may differ from the rest (upstream starts from an empty histogram then)
      FloatHistogram second = s.histogram(1);
      first =
          FloatHistogram.ofSparse(
              second.schema(),
              0,
              0,
              0,
              0,
              new int[0],
              new double[0],
              new int[0],
              new double[0],
              second.customValues(),
              CounterResetHint.UNKNOWN);
    }
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
        && (s.histogram(0).counterResetHint() == CounterResetHint.GAUGE
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
    notes.counterResetCollision = false; // hints of a counter's own samples do not collide
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
    return FunctionCalls.extrapolationFactor(
        s.t[0],
        s.t[s.n - 1],
        s.n,
        rangeStart,
        rangeEnd,
        rangeMs,
        counter,
        rate,
        s.histogram(0).count(),
        resultCount);
  }

  // ------------------------------------------------------------ bucket iteration

  /** One bucket of a histogram in ascending order: negative, zero, positive. */
  record Bucket(double lower, double upper, double count, boolean zero) {}

  /** Every bucket, negative ones first (most negative first), then zero, then positive. */
  static ArrayList<Bucket> buckets(FloatHistogram h) {
    ArrayList<Bucket> out = new ArrayList<>(h.positiveBuckets() + h.negativeBuckets() + 1);
    for (int k = h.negativeBuckets() - 1; k >= 0; k--) {
      int idx = h.negativeIndex(k);
      out.add(new Bucket(-h.upperBound(idx), -h.lowerBound(idx), h.negativeCount(k), false));
    }
    if (!h.usesCustomBuckets() && (h.zeroThreshold() != 0 || h.zeroCount() != 0)) {
      out.add(new Bucket(-h.zeroThreshold(), h.zeroThreshold(), h.zeroCount(), true));
    }
    for (int k = 0; k < h.positiveBuckets(); k++) {
      int idx = h.positiveIndex(k);
      out.add(new Bucket(h.lowerBound(idx), h.upperBound(idx), h.positiveCount(k), false));
    }
    return out;
  }

  /** Upstream's HistogramQuantile for one native histogram. */
  static double quantile(Evaluator ev, Expr node, double q, FloatHistogram h, String metric) {
    if (q < 0) {
      return Double.NEGATIVE_INFINITY;
    }
    if (q > 1) {
      return Double.POSITIVE_INFINITY;
    }
    if (h.count() == 0 || Double.isNaN(q)) {
      return Double.NaN;
    }
    ArrayList<Bucket> bs = buckets(h);
    boolean forward = Double.isNaN(h.sum()) || q < 0.5;
    double rank = forward ? q * h.count() : (1 - q) * h.count();
    double count = 0;
    Bucket b = null;
    for (int k = 0; k < bs.size(); k++) {
      Bucket x = bs.get(forward ? k : bs.size() - 1 - k);
      if (x.count == 0) {
        continue;
      }
      b = x;
      count += x.count;
      if (count >= rank) {
        break;
      }
    }
    if (b == null) {
      if (Double.isNaN(h.sum())) {
        // every observation was NaN: no bucket holds any
        ev.info(
            node,
            "input to histogram_quantile has NaN observations, result is NaN for metric name "
                + GoFloat.quote(metric));
      }
      return Double.NaN;
    }
    double lower = b.lower;
    double upper = b.upper;
    if (!h.usesCustomBuckets() && lower < 0 && upper > 0) {
      if (h.negativeBuckets() == 0 && h.positiveBuckets() > 0) {
        lower = 0;
      } else if (h.positiveBuckets() == 0 && h.negativeBuckets() > 0) {
        upper = 0;
      }
    } else if (h.usesCustomBuckets()) {
      if (lower == Double.NEGATIVE_INFINITY) {
        if (upper <= 0) {
          return upper;
        }
        lower = 0;
      } else if (upper == Double.POSITIVE_INFINITY) {
        return lower;
      }
    }
    if (count > h.count()) {
      count = h.count();
    }
    if (count < rank) {
      if (Double.isNaN(h.sum())) {
        ev.info(
            node,
            "input to histogram_quantile has NaN observations, result is NaN for metric name "
                + GoFloat.quote(metric));
        return Double.NaN;
      }
      return upper;
    }
    if (Double.isNaN(h.sum())) {
      ev.info(
          node,
          "input to histogram_quantile has NaN observations, result is skewed higher for metric"
              + " name "
              + GoFloat.quote(metric));
    }
    if (forward) {
      rank -= count - b.count;
    } else {
      rank = count - rank;
    }
    double fraction = rank / b.count;
    if (h.usesCustomBuckets() || (lower <= 0 && upper >= 0)) {
      return lower + (upper - lower) * fraction;
    }
    double logLower = FunctionCalls.log2(Math.abs(lower));
    double logUpper = FunctionCalls.log2(Math.abs(upper));
    if (lower > 0) {
      return Math.pow(2, logLower + (logUpper - logLower) * fraction);
    }
    return -Math.pow(2, logUpper + (logLower - logUpper) * (1 - fraction));
  }

  /** Upstream's HistogramFraction for one native histogram. */
  static double fraction(double lo, double hi, FloatHistogram h) {
    if (h.count() == 0 || Double.isNaN(lo) || Double.isNaN(hi)) {
      return Double.NaN;
    }
    if (lo >= hi) {
      return 0;
    }
    double rank = 0;
    double lowerRank = 0;
    double upperRank = 0;
    boolean lowerSet = false;
    boolean upperSet = false;
    for (Bucket x : buckets(h)) {
      double bl = x.lower;
      double bu = x.upper;
      boolean zero = false;
      if (bl <= 0 && bu >= 0 && !h.usesCustomBuckets()) {
        zero = true;
        if (h.negativeBuckets() == 0 && h.positiveBuckets() > 0) {
          bl = 0;
        } else if (h.positiveBuckets() == 0 && h.negativeBuckets() > 0) {
          bu = 0;
        }
      }
      if (h.usesCustomBuckets() && bl == Double.NEGATIVE_INFINITY && bu > 0) {
        bl = 0;
      }
      if (!lowerSet && bl >= lo) {
        lowerRank = rank;
        lowerSet = true;
      }
      if (!upperSet && bl >= hi) {
        upperRank = rank;
        upperSet = true;
      }
      if (lowerSet && upperSet) {
        break;
      }
      boolean linear = h.usesCustomBuckets() || zero;
      if (!lowerSet && bl < lo && bu > lo) {
        lowerRank = interpolate(rank, x.count, bl, bu, lo, linear);
        lowerSet = true;
      }
      if (!upperSet && bl < hi && bu > hi) {
        upperRank = interpolate(rank, x.count, bl, bu, hi, linear);
        upperSet = true;
      }
      if (lowerSet && upperSet) {
        break;
      }
      rank += x.count;
    }
    // NaN observations are in the count but in no bucket: no range includes them
    double all = h.count();
    if (Double.isNaN(h.sum())) {
      double inBuckets = 0;
      for (Bucket x : buckets(h)) {
        inBuckets += x.count;
      }
      all = Math.min(all, inBuckets);
    }
    if (!lowerSet || lowerRank > all) {
      lowerRank = all;
    }
    if (!upperSet || upperRank > all) {
      upperRank = all;
    }
    return (upperRank - lowerRank) / h.count();
  }

  private static double interpolate(
      double rank, double count, double bl, double bu, double v, boolean linear) {
    if (linear) {
      if (Double.isInfinite(bu) || Double.isInfinite(bl)) {
        return Double.isInfinite(bu) ? rank : rank + count;
      }
      return rank + count * (v - bl) / (bu - bl);
    }
    double logLower = FunctionCalls.log2(Math.abs(bl));
    double logUpper = FunctionCalls.log2(Math.abs(bu));
    double logV = FunctionCalls.log2(Math.abs(v));
    double f;
    if (v > 0) {
      f = (logV - logLower) / (logUpper - logLower);
    } else {
      f = 1 - ((logV - logUpper) / (logLower - logUpper));
    }
    return rank + count * f;
  }

  /**
   * Records an input's counter-reset hint: upstream warns about conflicting counter resets when a
   * sum or average has seen both a reset and a not-reset hint among its inputs, whatever their
   * order and whether gauges are among them.
   */
  static void noteHint(FloatHistogram h, FloatHistogram.Notes notes) {
    if (h.counterResetHint() == FloatHistogram.CounterResetHint.COUNTER_RESET) {
      notes.resetSeen = true;
    } else if (h.counterResetHint() == FloatHistogram.CounterResetHint.NOT_COUNTER_RESET) {
      notes.notResetSeen = true;
    }
  }

  /** histogram_count/sum/avg/stddev/stdvar: one float per histogram sample, floats dropped. */
  static ArrayList<Sample> property(String name, ArrayList<Sample> in, long ts) {
    ArrayList<Sample> out = new ArrayList<>(in.size());
    for (Sample s : in) {
      FloatHistogram h = s.h;
      if (h == null) {
        continue;
      }
      double v =
          switch (name) {
            case "histogram_count" -> h.count();
            case "histogram_sum" -> h.sum();
            case "histogram_avg" -> h.sum() / h.count();
            default -> {
              double var = variance(h);
              yield name.equals("histogram_stddev") ? Math.sqrt(var) : var;
            }
          };
      out.add(new Sample(s.labels, v, ts, true));
    }
    return out;
  }

  private static double variance(FloatHistogram h) {
    double mean = h.sum() / h.count();
    double[] k = new double[] {0, 0};
    for (Bucket b : buckets(h)) {
      if (b.count == 0) {
        continue;
      }
      double val;
      if (h.usesCustomBuckets()) {
        val = (b.upper + b.lower) / 2.0;
      } else if (b.lower <= 0 && b.upper >= 0) {
        val = 0;
      } else {
        val = Math.sqrt(b.upper * b.lower);
        if (b.upper < 0) {
          val = -val;
        }
      }
      double delta = val - mean;
      Kahan.step(b.count * delta * delta, k[0], k[1], k);
    }
    return (k[0] + k[1]) / h.count();
  }

  // ------------------------------------------------------------ binary operators

  /** The outcome of one element pair of a binary operation involving a histogram. */
  static final class Elem {
    double f;
    FloatHistogram h;
    boolean keep;
  }

  /**
   * Upstream's vectorElemBinop where at least one side is a histogram. False when the pair is
   * dropped for incompatible types (with upstream's info); else {@code out} holds the result.
   */
  static boolean binop(
      Evaluator ev,
      Ast.BinaryExpr b,
      double fl,
      FloatHistogram hl,
      double fr,
      FloatHistogram hr,
      Elem out) {
    Ast.Op op = b.op;
    out.f = 0;
    out.h = null;
    out.keep = true;
    try {
      if (hl == null) {
        if (op == Ast.Op.MUL) {
          out.h = hr.mul(fl);
          return true;
        }
      } else if (hr == null) {
        if (op == Ast.Op.MUL) {
          out.h = hl.mul(fr);
          return true;
        }
        if (op == Ast.Op.DIV) {
          out.h = hl.div(fr);
          return true;
        }
        if (op == Ast.Op.TRIM_UPPER || op == Ast.Op.TRIM_LOWER) {
          out.h = trim(hl, fr, op == Ast.Op.TRIM_UPPER);
          return true;
        }
      } else {
        FloatHistogram.Notes notes = new FloatHistogram.Notes();
        switch (op) {
          case ADD -> {
            out.h = hl.add(hr, notes);
            annotate(ev, b, b, notes, "addition");
            return true;
          }
          case SUB -> {
            out.h = hl.sub(hr, notes).withHint(CounterResetHint.GAUGE);
            annotate(ev, b, b, notes, "subtraction");
            return true;
          }
          case EQLC, NEQ -> {
            out.h = hl;
            boolean eq = hl.equalsIgnoringHint(hr);
            out.keep = op == Ast.Op.EQLC ? eq : !eq;
            return true;
          }
          default -> {}
        }
      }
    } catch (FloatHistogram.IncompatibleSchemaException e) {
      ev.warn(b, schemaMixMessage(""));
      return false;
    }
    ev.info(
        b,
        "incompatible sample types encountered for binary operator "
            + GoFloat.quote(op.text)
            + ": "
            + (hl == null ? "float" : "histogram")
            + " "
            + op.text
            + " "
            + (hr == null ? "float" : "histogram"));
    return false;
  }

  // ------------------------------------------------------------ trim operators

  /**
   * {@code h </ x} (upper: keep observations below x) and {@code h >/ x} (keep those above): a
   * bucket the cutoff falls into keeps the interpolated part of its count (logarithmically in
   * exponential buckets, linearly in custom and zero buckets), and the sum is re-estimated from the
   * kept buckets (geometric mean of exponential bounds, arithmetic mean otherwise). A histogram
   * nothing is cut from is returned unchanged.
   */
  static FloatHistogram trim(FloatHistogram h, double x, boolean upper) {
    boolean custom = h.usesCustomBuckets();
    double zeroCount = 0;
    double count = 0;
    double sum = 0;
    boolean changed = false;
    int[] pIdx = new int[h.positiveBuckets()];
    double[] pCnt = new double[h.positiveBuckets()];
    int[] nIdx = new int[h.negativeBuckets()];
    double[] nCnt = new double[h.negativeBuckets()];
    // negative buckets, zero bucket, positive buckets: index k < 0 marks the zero bucket
    int total = nIdx.length + pIdx.length + 1;
    for (int k = 0; k < total; k++) {
      double lo;
      double hi;
      double c;
      boolean zero = false;
      int side; // -1 negative, 0 zero, 1 positive
      int j;
      if (k < nIdx.length) {
        j = k;
        int idx = h.negativeIndex(j);
        lo = -h.upperBound(idx);
        hi = -h.lowerBound(idx);
        c = h.negativeCount(j);
        side = -1;
      } else if (k == nIdx.length) {
        j = -1;
        if (custom) {
          continue;
        }
        lo = -h.zeroThreshold();
        hi = h.zeroThreshold();
        c = h.zeroCount();
        zero = true;
        side = 0;
        if (h.negativeBuckets() == 0 && h.positiveBuckets() > 0) {
          lo = 0;
        } else if (h.positiveBuckets() == 0 && h.negativeBuckets() > 0) {
          hi = 0;
        }
      } else {
        j = k - nIdx.length - 1;
        int idx = h.positiveIndex(j);
        lo = h.lowerBound(idx);
        hi = h.upperBound(idx);
        c = h.positiveCount(j);
        side = 1;
      }
      // containment by the real bounds; the first custom bucket counts from 0 when it reaches
      // above 0, and a cut through an infinitely wide part removes the whole bucket
      double origLo = lo;
      if (custom && lo == Double.NEGATIVE_INFINITY && hi > 0) {
        lo = 0;
      }
      boolean linear = custom || zero;
      double kept;
      double klo = lo;
      double khi = hi;
      if (upper ? hi <= x : origLo >= x) {
        kept = c;
      } else if (upper ? origLo >= x : hi <= x) {
        kept = 0;
      } else if (custom && hi == Double.POSITIVE_INFINITY && origLo != Double.NEGATIVE_INFINITY) {
        // the +Inf bucket: all of it lies above any finite cut
        kept = upper ? 0 : c;
        klo = x;
      } else if (custom
          && origLo == Double.NEGATIVE_INFINITY
          && (hi == Double.POSITIVE_INFINITY || !(hi > 0 && x >= 0))) {
        // the first bucket below 0: all of it lies below the cut
        kept = upper && hi <= 0 ? c : 0;
        khi = x;
        klo = Double.NEGATIVE_INFINITY;
      } else {
        double below = belowFraction(lo, hi, x, linear);
        kept = upper ? c * below : c * (1 - below);
        if (upper) {
          khi = x;
        } else {
          klo = x;
        }
      }
      if (kept != c) {
        changed = true;
      }
      count += kept;
      if (kept != 0) {
        sum += kept * representative(klo, khi, linear);
      }
      if (side < 0) {
        nIdx[j] = h.negativeIndex(j);
        nCnt[j] = kept;
      } else if (side == 0) {
        zeroCount = kept;
      } else {
        pIdx[j] = h.positiveIndex(j);
        pCnt[j] = kept;
      }
    }
    if (!changed) {
      return h;
    }
    return FloatHistogram.ofSparse(
        h.schema(),
        h.zeroThreshold(),
        zeroCount,
        count,
        sum,
        pIdx,
        pCnt,
        nIdx,
        nCnt,
        h.customValues(),
        h.counterResetHint());
  }

  /** The fraction of a bucket's observations below x (lo &lt; x &lt; hi). */
  private static double belowFraction(double lo, double hi, double x, boolean linear) {
    if (linear) {
      if (Double.isInfinite(hi)) {
        return 0;
      }
      if (Double.isInfinite(lo)) {
        return 1;
      }
      return (x - lo) / (hi - lo);
    }
    if (x > 0 || lo >= 0) {
      double logLo = FunctionCalls.log2(Math.abs(lo));
      double logHi = FunctionCalls.log2(Math.abs(hi));
      return (FunctionCalls.log2(Math.abs(x)) - logLo) / (logHi - logLo);
    }
    double logLo = FunctionCalls.log2(Math.abs(lo));
    double logHi = FunctionCalls.log2(Math.abs(hi));
    return 1 - ((FunctionCalls.log2(Math.abs(x)) - logHi) / (logLo - logHi));
  }

  private static double representative(double lo, double hi, boolean linear) {
    if (hi == Double.POSITIVE_INFINITY) {
      return lo;
    }
    if (lo == Double.NEGATIVE_INFINITY) {
      return hi;
    }
    if (linear) {
      return (lo + hi) / 2;
    }
    double g = Math.sqrt(lo * hi);
    return hi < 0 ? -g : g;
  }

  /** Upstream's FloatHistogram.String(), which count_values uses as the label value. */
  static String goString(FloatHistogram h) {
    StringBuilder sb = new StringBuilder("{count:");
    sb.append(GoFloat.formatG(h.count())).append(", sum:").append(GoFloat.formatG(h.sum()));
    for (Bucket b : buckets(h)) {
      if (b.count == 0) {
        continue;
      }
      boolean negative = !b.zero && b.upper <= 0 && !h.usesCustomBuckets();
      sb.append(", ")
          .append(negative || b.zero ? '[' : '(')
          .append(GoFloat.formatG(b.lower))
          .append(',')
          .append(GoFloat.formatG(b.upper))
          .append(negative ? ')' : ']')
          .append(':')
          .append(GoFloat.formatG(b.count));
    }
    return sb.append('}').toString();
  }

  /**
   * An anchored (or smoothed, when its boundary points are histograms) range function over points
   * that hold histograms: no extrapolation, the first point is the value at the range start.
   */
  static Sample anchored(
      Evaluator ev, Ast.MatrixSelector ms, String fn, Series pts, long rangeMs, long ts) {
    int nh = 0;
    for (int i = 0; i < pts.n; i++) {
      nh += pts.histogram(i) != null ? 1 : 0;
    }
    if (fn.equals("changes") || fn.equals("resets")) {
      Object o = range(ev, null, ms, fn, pts, 0, 0, ts, false);
      return o instanceof Sample smp ? smp : null;
    }
    if (nh != pts.n) {
      ev.warn(ms, mixMessage(pts));
      return null;
    }
    boolean counter = !fn.equals("delta");
    FloatHistogram first = pts.histogram(0);
    FloatHistogram last = pts.histogram(pts.n - 1);
    for (int i = 0; i < pts.n; i++) {
      if (pts.histogram(i).usesCustomBuckets() != first.usesCustomBuckets()) {
        ev.warn(ms, schemaMixMessage(pts.labels.metricName()));
        return null;
      }
    }
    FloatHistogram.Notes notes = new FloatHistogram.Notes();
    FloatHistogram h = last.sub(first, notes);
    if (counter) {
      for (int i = 1; i < pts.n; i++) {
        FloatHistogram cur = pts.histogram(i);
        if (cur.counterResetHint() == CounterResetHint.GAUGE) {
          ev.warn(ms, notCounter(pts));
        }
        if (cur.detectReset(pts.histogram(i - 1))) {
          h = h.add(pts.histogram(i - 1), notes);
        }
      }
    } else if (first.counterResetHint() != CounterResetHint.GAUGE
        || last.counterResetHint() != CounterResetHint.GAUGE) {
      ev.warn(ms, notGauge(pts));
    }
    notes.counterResetCollision = false;
    annotate(ev, ms, ms, notes, "subtraction");
    if (fn.equals("rate")) {
      h = h.div(rangeMs / 1000.0);
    }
    return new Sample(pts.labels, h.withHint(CounterResetHint.GAUGE), ts, true);
  }
}
