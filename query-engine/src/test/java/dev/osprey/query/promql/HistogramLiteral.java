package dev.osprey.query.promql;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.histogram.FloatHistogram.CounterResetHint;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code {{...}}} native-histogram notation of the PromQL test scripts (FORMAT.md 4.2), and the
 * comparison of 8.4.
 */
record HistogramLiteral(FloatHistogram h, boolean hintWritten) {

  /** Expands one series-line item: {@code {{H}}}, {@code {{H}}xN}, {@code {{A}}+{{B}}xN}, ... */
  static List<HistogramLiteral> expand(String item) {
    int close = item.indexOf("}}");
    HistogramLiteral a = parse(item.substring(0, close + 2));
    String rest = item.substring(close + 2);
    List<HistogramLiteral> out = new ArrayList<>();
    if (rest.isEmpty()) {
      out.add(a);
      return out;
    }
    if (rest.startsWith("x")) {
      int n = Integer.parseInt(rest.substring(1));
      for (int k = 0; k <= n; k++) {
        out.add(a);
      }
      return out;
    }
    boolean sub = rest.charAt(0) == '-';
    int close2 = rest.indexOf("}}");
    HistogramLiteral b = parse(rest.substring(1, close2 + 2));
    int n = Integer.parseInt(rest.substring(close2 + 3));
    FloatHistogram cur = a.h;
    for (int k = 0; k <= n; k++) {
      out.add(new HistogramLiteral(cur, b.hintWritten));
      cur = sub ? cur.sub(b.h, null) : cur.add(b.h, null);
    }
    return out;
  }

  static HistogramLiteral parse(String lit) {
    String body = lit.substring(2, lit.length() - 2).strip();
    int schema = 0;
    double sum = 0;
    double count = 0;
    double zb = 0;
    double zw = 0;
    double[] buckets = new double[0];
    double[] nBuckets = new double[0];
    int offset = 0;
    int nOffset = 0;
    double[] cv = null;
    CounterResetHint hint = CounterResetHint.UNKNOWN;
    boolean hintWritten = false;
    int i = 0;
    while (i < body.length()) {
      while (i < body.length() && body.charAt(i) == ' ') {
        i++;
      }
      if (i >= body.length()) {
        break;
      }
      int colon = body.indexOf(':', i);
      String key = body.substring(i, colon);
      int j = colon + 1;
      String val;
      if (body.charAt(j) == '[') {
        int e = body.indexOf(']', j);
        val = body.substring(j, e + 1);
        i = e + 1;
      } else {
        int e = body.indexOf(' ', j);
        if (e < 0) {
          e = body.length();
        }
        val = body.substring(j, e);
        i = e;
      }
      switch (key) {
        case "schema" -> schema = Integer.parseInt(val);
        case "sum" -> sum = ScriptRunner.parseNumber(val);
        case "count" -> count = ScriptRunner.parseNumber(val);
        case "z_bucket" -> zb = ScriptRunner.parseNumber(val);
        case "z_bucket_w" -> zw = ScriptRunner.parseNumber(val);
        case "buckets" -> buckets = list(val);
        case "n_buckets" -> nBuckets = list(val);
        case "offset" -> offset = Integer.parseInt(val);
        case "n_offset" -> nOffset = Integer.parseInt(val);
        case "custom_values" -> cv = list(val);
        case "counter_reset_hint" -> {
          hintWritten = true;
          hint =
              switch (val) {
                case "unknown" -> CounterResetHint.UNKNOWN;
                case "reset" -> CounterResetHint.COUNTER_RESET;
                case "not_reset" -> CounterResetHint.NOT_COUNTER_RESET;
                case "gauge" -> CounterResetHint.GAUGE;
                default -> throw new IllegalArgumentException("bad hint " + val);
              };
        }
        default -> throw new IllegalArgumentException("unknown histogram key " + key);
      }
    }
    FloatHistogram h =
        FloatHistogram.of(
            schema,
            zw,
            zb,
            count,
            sum,
            new int[] {offset, buckets.length},
            buckets,
            new int[] {nOffset, nBuckets.length},
            nBuckets,
            cv,
            hint);
    return new HistogramLiteral(h, hintWritten);
  }

  private static double[] list(String v) {
    String in = v.substring(1, v.length() - 1).strip();
    if (in.isEmpty()) {
      return new double[0];
    }
    String[] p = in.split("\\s+");
    double[] out = new double[p.length];
    for (int k = 0; k < p.length; k++) {
      out[k] = ScriptRunner.parseNumber(p[k]);
    }
    return out;
  }

  /** FORMAT.md 8.4: null when {@code got} matches this expectation, else why not. */
  String mismatch(FloatHistogram got) {
    FloatHistogram e = h;
    if (e.schema() != got.schema()) {
      return "schema " + got.schema() + " want " + e.schema();
    }
    if (!ScriptRunner.floatEq(e.count(), got.count())
        || !ScriptRunner.floatEq(e.sum(), got.sum())
        || !ScriptRunner.floatEq(e.zeroCount(), got.zeroCount())) {
      return "count/sum/zero count differ";
    }
    if (e.usesCustomBuckets() && !java.util.Arrays.equals(e.customValues(), got.customValues())) {
      return "custom values differ";
    }
    if (Double.compare(e.zeroThreshold(), got.zeroThreshold()) != 0) {
      return "zero threshold differs";
    }
    if (e.positiveBuckets() != got.positiveBuckets()
        || e.negativeBuckets() != got.negativeBuckets()) {
      return "bucket sets differ";
    }
    for (int k = 0; k < e.positiveBuckets(); k++) {
      if (e.positiveIndex(k) != got.positiveIndex(k)
          || !ScriptRunner.floatEq(e.positiveCount(k), got.positiveCount(k))) {
        return "positive bucket " + e.positiveIndex(k) + " differs";
      }
    }
    for (int k = 0; k < e.negativeBuckets(); k++) {
      if (e.negativeIndex(k) != got.negativeIndex(k)
          || !ScriptRunner.floatEq(e.negativeCount(k), got.negativeCount(k))) {
        return "negative bucket " + e.negativeIndex(k) + " differs";
      }
    }
    if (hintWritten && e.counterResetHint() != got.counterResetHint()) {
      return "hint " + got.counterResetHint() + " want " + e.counterResetHint();
    }
    return null;
  }
}
