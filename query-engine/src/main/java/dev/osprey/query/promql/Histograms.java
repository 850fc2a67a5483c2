package dev.osprey.query.promql;

import dev.osprey.core.labels.Labels;
import dev.osprey.query.promql.Ast.Call;
import dev.osprey.query.promql.Ast.Expr;
import dev.osprey.query.promql.Values.Sample;
import dev.osprey.query.promql.Values.Value;
import dev.osprey.query.promql.Values.VectorV;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Locale;

/** histogram_quantile and histogram_fraction over classic (le-bucketed) histograms. */
final class Histograms {
  private Histograms() {}

  /** A bucket series' parsed bound and group key. */
  record Bucket(String le, double upper, Labels key) {}

  private static final class Buckets {
    final Labels out;
    double[] ub = new double[8];
    double[] count = new double[8];
    int n;

    String name = "";
    boolean forced;

    Buckets(Labels out) {
      this.out = out;
    }

    Buckets copy() {
      Buckets b = new Buckets(out);
      b.name = name;
      b.ub = ub.clone();
      b.count = count.clone();
      b.n = n;
      return b;
    }

    void add(double u, double c) {
      if (n == ub.length) {
        ub = java.util.Arrays.copyOf(ub, n * 2);
        count = java.util.Arrays.copyOf(count, n * 2);
      }
      ub[n] = u;
      count[n] = c;
      n++;
    }

    /** Sorts by upper bound and merges equal bounds. Returns false if no +Inf bucket. */
    boolean prepare() {
      // A stable insertion sort of indices by bound (bucket counts are small), so equal bounds
      // are merged in input order exactly as a stable sort would.
      int[] idx = new int[n];
      for (int i = 0; i < n; i++) {
        int j = i;
        while (j > 0 && Double.compare(ub[idx[j - 1]], ub[i]) > 0) {
          idx[j] = idx[j - 1];
          j--;
        }
        idx[j] = i;
      }
      double[] u2 = new double[n];
      double[] c2 = new double[n];
      int m = 0;
      for (int k = 0; k < n; k++) {
        int i = idx[k];
        if (m > 0 && u2[m - 1] == ub[i]) {
          c2[m - 1] += count[i];
        } else {
          u2[m] = ub[i];
          c2[m] = count[i];
          m++;
        }
      }
      ub = u2;
      count = c2;
      n = m;
      return n > 0 && ub[n - 1] == Double.POSITIVE_INFINITY;
    }

    /** Returns whether monotonicity had to be forced. */
    boolean ensureMonotonic() {
      boolean forced = false;
      double prev = count[0];
      for (int i = 1; i < n; i++) {
        double cur = count[i];
        if (cur == prev) {
          continue;
        }
        if (almostEqual(prev, cur, 1e-12)) {
          count[i] = prev;
          continue;
        }
        if (cur < prev) {
          count[i] = prev;
          forced = true;
          continue;
        }
        prev = cur;
      }
      return forced;
    }
  }

  static boolean almostEqual(double a, double b, double eps) {
    if (a == b) {
      return true;
    }
    double absSum = Math.abs(a) + Math.abs(b);
    double diff = Math.abs(a - b);
    if (a == 0 || b == 0 || absSum < Double.MIN_NORMAL) {
      return diff < eps * Double.MIN_NORMAL;
    }
    return diff / Math.min(absSum, Double.MAX_VALUE) < eps;
  }

  /** Go's strconv.ParseFloat for bucket bounds; NaN when unparsable. */
  static double parseGoFloat(String s) {
    String l = s.toLowerCase(Locale.ROOT);
    switch (l) {
      case "+inf", "inf", "+infinity", "infinity" -> {
        return Double.POSITIVE_INFINITY;
      }
      case "-inf", "-infinity" -> {
        return Double.NEGATIVE_INFINITY;
      }
      case "nan" -> {
        return Double.NaN;
      }
      default -> {}
    }
    if (s.isEmpty() || l.endsWith("d") || l.endsWith("f") || l.contains("infinity")) {
      return Double.NaN;
    }
    try {
      return Double.parseDouble(s.replace("_", ""));
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  private static LinkedHashMap<Labels, Buckets> group(ArrayList<Sample> in, Evaluator ev, Call c) {
    return group(in, ev, c, null);
  }

  /**
   * Groups classic buckets; native-histogram samples go to {@code nativeOut} (those whose labels
   * equal a classic group's are dropped with upstream's warning, and so is that group).
   */
  private static LinkedHashMap<Labels, Buckets> group(
      ArrayList<Sample> in, Evaluator ev, Call c, ArrayList<Sample> nativeOut) {
    LinkedHashMap<Labels, Buckets> groups = new LinkedHashMap<>();
    java.util.IdentityHashMap<Labels, Bucket> memo = ev.bucketMemo(c);
    ArrayList<Sample> natives = new ArrayList<>();
    for (Sample s : in) {
      if (s.h != null) {
        natives.add(s);
        continue;
      }
      // Series keep their label set instance from step to step: parse "le" and build the group
      // key once per instance.
      Bucket bk = memo.get(s.labels);
      if (bk == null) {
        String le = s.labels.get("le");
        double u = le.isEmpty() ? Double.NaN : parseGoFloat(le);
        bk = new Bucket(le, u, Double.isNaN(u) ? null : s.labels.toBuilder().del("le").build());
        if (memo.size() > 1_000_000) {
          memo.clear();
        }
        memo.put(s.labels, bk);
      }
      String le = bk.le;
      double u = bk.upper;
      if (Double.isNaN(u)) {
        ev.warn(
            c.args.get(c.fn.name().equals("histogram_quantiles") ? 0 : c.args.size() - 1),
            "bucket label \"le\" is missing or has a malformed value of "
                + GoFloat.quote(le)
                + " for metric name "
                + GoFloat.quote(s.labels.metricName()));
        continue;
      }
      Labels key = bk.key;
      Buckets b = groups.get(key);
      if (b == null) {
        b = new Buckets(key.toBuilder().del(Labels.METRIC_NAME).build());
        b.name = s.labels.metricName();
        groups.put(key, b);
      }
      b.add(u, s.v);
    }
    Expr node = c.args.get(c.fn.name().equals("histogram_quantiles") ? 0 : c.args.size() - 1);
    for (Sample s : natives) {
      Buckets b = groups.get(s.labels);
      if (b != null && b.n > 0) {
        ev.warn(
            node,
            "vector contains a mix of classic and native histograms for metric name "
                + GoFloat.quote(s.labels.metricName()));
        groups.remove(s.labels);
        continue;
      }
      if (nativeOut != null) {
        nativeOut.add(s);
      }
    }
    return groups;
  }

  static Value quantile(Evaluator ev, Call c, long ts) {
    double q = FunctionCalls.scalar(ev, c.args.get(0), ts);
    ArrayList<Sample> in = FunctionCalls.vec(ev, c.args.get(1), ts);
    ArrayList<Sample> out = new ArrayList<>();
    if (q < 0 || q > 1 || Double.isNaN(q)) {
      ev.warn(c.args.get(0), "quantile value should be between 0 and 1, got " + GoFloat.formatG(q));
    }
    ArrayList<Sample> natives = new ArrayList<>();
    LinkedHashMap<Labels, Buckets> groups = group(in, ev, c, natives);
    for (Sample s : natives) {
      out.add(
          new Sample(
              s.labels,
              NativeHistograms.quantile(ev, c.args.get(1), q, s.h, s.labels.metricName()),
              ts,
              true));
    }
    for (Buckets b : groups.values()) {
      out.add(new Sample(b.out, bucketQuantile(q, b), ts, true));
      if (b.forced && ev.firstReport(c.args.get(1), b.name)) {
        ev.info(
            c.args.get(1),
            "input to histogram_quantile needed to be fixed for monotonicity (see"
                + " https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)"
                + " for metric name "
                + GoFloat.quote(b.name));
      }
    }
    return new VectorV(out);
  }

  /** histogram_quantiles(v, "label", q1, q2, ...): one series per quantile, labelled with it. */
  static Value quantiles(Evaluator ev, Call c, long ts) {
    ArrayList<Sample> in = FunctionCalls.vec(ev, c.args.get(0), ts);
    String label = ((dev.osprey.query.promql.Values.StringV) ev.eval(c.args.get(1), ts)).s();
    double[] qs = new double[c.args.size() - 2];
    for (int i = 0; i < qs.length; i++) {
      qs[i] = FunctionCalls.scalar(ev, c.args.get(i + 2), ts);
      if (qs[i] < 0 || qs[i] > 1 || Double.isNaN(qs[i])) {
        ev.warn(
            c.args.get(i + 2),
            "quantile value should be between 0 and 1, got " + GoFloat.formatG(qs[i]));
      }
    }
    ArrayList<Sample> out = new ArrayList<>();
    ArrayList<Sample> natives = new ArrayList<>();
    LinkedHashMap<Labels, Buckets> groups = group(in, ev, c, natives);
    for (Sample s : natives) {
      for (double q : qs) {
        Labels l = s.labels.toBuilder().set(label, quantileLabel(q)).build();
        out.add(
            new Sample(
                l,
                NativeHistograms.quantile(ev, c.args.get(0), q, s.h, s.labels.metricName()),
                ts,
                true));
      }
    }
    for (Buckets b : groups.values()) {
      for (double q : qs) {
        Buckets copy = b.copy();
        String qs2 = GoFloat.formatF(q);
        if (!qs2.contains(".")
            && !qs2.contains("e")
            && !qs2.contains("Inf")
            && !qs2.equals("NaN")) {
          qs2 += ".0";
        }
        Labels l = b.out.toBuilder().set(label, qs2).build();
        out.add(new Sample(l, bucketQuantile(q, copy), ts, true));
        if (copy.forced && ev.firstReport(c.args.get(0), b.name)) {
          ev.info(
              c.args.get(0),
              "input to histogram_quantile needed to be fixed for monotonicity (see"
                  + " https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)"
                  + " for metric name "
                  + GoFloat.quote(b.name));
        }
      }
    }
    return new VectorV(out);
  }

  private static String quantileLabel(double q) {
    String qs2 = GoFloat.formatF(q);
    if (!qs2.contains(".") && !qs2.contains("e") && !qs2.contains("Inf") && !qs2.equals("NaN")) {
      qs2 += ".0";
    }
    return qs2;
  }

  static double bucketQuantile(double q, Buckets b) {
    if (Double.isNaN(q)) {
      return Double.NaN;
    }
    if (q < 0) {
      return Double.NEGATIVE_INFINITY;
    }
    if (q > 1) {
      return Double.POSITIVE_INFINITY;
    }
    if (!b.prepare()) {
      return Double.NaN;
    }
    b.forced = b.ensureMonotonic();
    if (b.n < 2) {
      return Double.NaN;
    }
    double observations = b.count[b.n - 1];
    if (observations == 0) {
      return Double.NaN;
    }
    double rank = q * observations;
    int i = 0;
    while (i < b.n - 1 && !(b.count[i] >= rank)) {
      i++;
    }
    if (i == b.n - 1) {
      return b.ub[b.n - 2];
    }
    if (i == 0 && b.ub[0] <= 0) {
      return b.ub[0];
    }
    double bucketStart = 0;
    double bucketEnd = b.ub[i];
    double count = b.count[i];
    if (i > 0) {
      bucketStart = b.ub[i - 1];
      count -= b.count[i - 1];
      rank -= b.count[i - 1];
    }
    return bucketStart + (bucketEnd - bucketStart) * (rank / count);
  }

  static Value fraction(Evaluator ev, Call c, long ts) {
    double lower = FunctionCalls.scalar(ev, c.args.get(0), ts);
    double upper = FunctionCalls.scalar(ev, c.args.get(1), ts);
    ArrayList<Sample> in = FunctionCalls.vec(ev, c.args.get(2), ts);
    ArrayList<Sample> out = new ArrayList<>();
    ArrayList<Sample> natives = new ArrayList<>();
    LinkedHashMap<Labels, Buckets> groups = group(in, ev, c, natives);
    for (Sample s : natives) {
      if (Double.isNaN(s.h.sum()) && s.h.count() > 0) {
        ev.info(
            c.args.get(2),
            "input to histogram_fraction has NaN observations, which are excluded from all"
                + " fractions for metric name "
                + GoFloat.quote(s.labels.metricName()));
      }
      out.add(new Sample(s.labels, NativeHistograms.fraction(lower, upper, s.h), ts, true));
    }
    for (Buckets b : groups.values()) {
      out.add(new Sample(b.out, bucketFraction(lower, upper, b), ts, true));
    }
    return new VectorV(out);
  }

  static double bucketFraction(double lower, double upper, Buckets b) {
    if (!b.prepare()) {
      return Double.NaN;
    }
    b.ensureMonotonic();
    double total = b.count[b.n - 1];
    if (total == 0 || Double.isNaN(lower) || Double.isNaN(upper)) {
      return Double.NaN;
    }
    if (lower >= upper) {
      return 0;
    }
    return (rankAt(upper, b) - rankAt(lower, b)) / total;
  }

  /** Interpolated cumulative count at value v. */
  private static double rankAt(double v, Buckets b) {
    double prevCount = 0;
    for (int i = 0; i < b.n; i++) {
      double ub = b.ub[i];
      double lb;
      if (i == 0) {
        lb = ub > 0 ? 0 : Double.NEGATIVE_INFINITY;
      } else {
        lb = b.ub[i - 1];
      }
      if (v == ub) {
        return b.count[i];
      }
      if (v < ub) {
        if (v <= lb) {
          return prevCount;
        }
        if (Double.isInfinite(lb)) {
          return b.count[i]; // no interpolation in an infinitely wide first bucket
        }
        if (Double.isInfinite(ub)) {
          return prevCount;
        }
        return prevCount + (b.count[i] - prevCount) * (v - lb) / (ub - lb);
      }
      if (v == ub) {
        return b.count[i];
      }
      prevCount = b.count[i];
    }
    return b.count[b.n - 1];
  }
}
