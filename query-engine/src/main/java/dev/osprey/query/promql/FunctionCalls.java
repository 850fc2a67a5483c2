package dev.osprey.query.promql;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.util.Kahan;
import dev.osprey.query.promql.Ast.Call;
import dev.osprey.query.promql.Ast.Expr;
import dev.osprey.query.promql.Ast.MatrixSelector;
import dev.osprey.query.promql.Ast.ParenExpr;
import dev.osprey.query.promql.Ast.StringLiteral;
import dev.osprey.query.promql.Ast.SubqueryExpr;
import dev.osprey.query.promql.Ast.VectorSelector;
import dev.osprey.query.promql.Values.MatrixV;
import dev.osprey.query.promql.Values.Sample;
import dev.osprey.query.promql.Values.ScalarV;
import dev.osprey.query.promql.Values.Series;
import dev.osprey.query.promql.Values.Value;
import dev.osprey.query.promql.Values.VectorV;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

/** The implementations of PromQL's functions for float samples. */
final class FunctionCalls {
  private FunctionCalls() {}

  private static final Map<String, DoubleUnaryOperator> MATH = new HashMap<>();

  static {
    MATH.put("abs", Math::abs);
    MATH.put("ceil", Math::ceil);
    MATH.put("floor", Math::floor);
    MATH.put("exp", Math::exp);
    MATH.put("sqrt", Math::sqrt);
    MATH.put("ln", Math::log);
    MATH.put("log2", FunctionCalls::log2);
    MATH.put("log10", Math::log10);
    MATH.put("sgn", x -> x > 0 ? 1 : x < 0 ? -1 : x);
    MATH.put("deg", x -> x * 180 / Math.PI);
    MATH.put("rad", x -> x * Math.PI / 180);
    MATH.put("sin", Math::sin);
    MATH.put("cos", Math::cos);
    MATH.put("tan", Math::tan);
    MATH.put("asin", Math::asin);
    MATH.put("acos", Math::acos);
    MATH.put("atan", Math::atan);
    MATH.put("sinh", Math::sinh);
    MATH.put("cosh", Math::cosh);
    MATH.put("tanh", Math::tanh);
    MATH.put("asinh", x -> Double.isInfinite(x) ? x : Math.log(x + Math.sqrt(x * x + 1)));
    MATH.put("acosh", x -> x < 1 ? Double.NaN : Math.log(x + Math.sqrt(x * x - 1)));
    MATH.put("atanh", x -> 0.5 * Math.log((1 + x) / (1 - x)));
  }

  /** Go's math.Log2: exact for powers of two. */
  static double log2(double x) {
    if (x > 0 && !Double.isInfinite(x)) {
      int exp = Math.getExponent(x);
      if (x == Math.scalb(1.0, exp)) {
        return exp;
      }
    }
    return Math.log(x) / Math.log(2);
  }

  static Value call(Evaluator ev, Call c, long ts) {
    String name = c.fn.name();
    DoubleUnaryOperator m = MATH.get(name);
    if (m != null) {
      ArrayList<Sample> v = NativeHistograms.floats(vec(ev, c.args.get(0), ts));
      for (Sample s : v) {
        s.v = m.applyAsDouble(s.v);
        s.dropName = true;
      }
      return new VectorV(v);
    }
    return switch (name) {
      case "time" -> new ScalarV(ts / 1000.0);
      case "min_of" ->
          new ScalarV(Math.min(scalar(ev, c.args.get(0), ts), scalar(ev, c.args.get(1), ts)));
      case "max_of" ->
          new ScalarV(Math.max(scalar(ev, c.args.get(0), ts), scalar(ev, c.args.get(1), ts)));
      case "histogram_quantiles" -> Histograms.quantiles(ev, c, ts);
      case "info" -> Info.info(ev, c, ts);
      case "start" -> new ScalarV(ev.start / 1000.0);
      case "end" -> new ScalarV(ev.end / 1000.0);
      case "range" -> new ScalarV((ev.end - ev.start) / 1000.0);
      case "step" -> new ScalarV(ev.interval / 1000.0);
      case "pi" -> new ScalarV(Math.PI);
      case "vector" -> {
        double v = scalar(ev, c.args.get(0), ts);
        ArrayList<Sample> out = new ArrayList<>();
        out.add(new Sample(Labels.EMPTY, v, ts, false));
        yield new VectorV(out);
      }
      case "scalar" -> {
        ArrayList<Sample> v = NativeHistograms.floats(vec(ev, c.args.get(0), ts));
        yield new ScalarV(v.size() == 1 ? v.get(0).v : Double.NaN);
      }
      case "timestamp" -> {
        Expr a = unwrap(c.args.get(0));
        ArrayList<Sample> v = vec(ev, c.args.get(0), ts);
        boolean direct = a instanceof VectorSelector;
        for (Sample s : v) {
          s.h = null; // a histogram sample's timestamp is a float
          s.v = (direct ? s.t : ts) / 1000.0;
          s.dropName = true;
        }
        yield new VectorV(v);
      }
      case "start_timestamp" -> StartTimes.startTimestamp(ev, c, ts);
      case "round" -> {
        ArrayList<Sample> v = NativeHistograms.floats(vec(ev, c.args.get(0), ts));
        double to = c.args.size() > 1 ? scalar(ev, c.args.get(1), ts) : 1;
        double inv = 1.0 / to;
        for (Sample s : v) {
          s.v = Math.floor(s.v * inv + 0.5) / inv;
          s.dropName = true;
        }
        yield new VectorV(v);
      }
      case "clamp", "clamp_min", "clamp_max" -> {
        ArrayList<Sample> v = NativeHistograms.floats(vec(ev, c.args.get(0), ts));
        double min = Double.NEGATIVE_INFINITY;
        double max = Double.POSITIVE_INFINITY;
        if (name.equals("clamp")) {
          min = scalar(ev, c.args.get(1), ts);
          max = scalar(ev, c.args.get(2), ts);
          if (max < min) {
            yield new VectorV(new ArrayList<>());
          }
        } else if (name.equals("clamp_min")) {
          min = scalar(ev, c.args.get(1), ts);
        } else {
          max = scalar(ev, c.args.get(1), ts);
        }
        for (Sample s : v) {
          double x = s.v;
          if (name.equals("clamp")) {
            x = goMax(min, goMin(max, x));
          } else if (name.equals("clamp_min")) {
            x = goMax(min, x);
          } else {
            x = goMin(max, x);
          }
          s.v = x;
          s.dropName = true;
        }
        yield new VectorV(v);
      }
      case "minute",
          "hour",
          "day_of_week",
          "day_of_month",
          "day_of_year",
          "days_in_month",
          "month",
          "year" ->
          dateFn(ev, c, ts, name);
      case "absent" -> {
        ArrayList<Sample> v = vec(ev, c.args.get(0), ts);
        ArrayList<Sample> out = new ArrayList<>();
        if (v.isEmpty()) {
          out.add(new Sample(absentLabels(c.args.get(0)), 1, ts, false));
        }
        yield new VectorV(out);
      }
      case "absent_over_time" -> {
        ArrayList<Series> mat = matrix(ev, c.args.get(0), ts);
        ArrayList<Sample> out = new ArrayList<>();
        if (mat.isEmpty()) {
          out.add(new Sample(absentLabels(c.args.get(0)), 1, ts, false));
        }
        yield new VectorV(out);
      }
      case "sort", "sort_desc" -> {
        if (ev.interval > 0) {
          ev.warn(
              c,
              "sort is ineffective for range queries since results are always ordered by labels");
        }
        ArrayList<Sample> v = NativeHistograms.floats(vec(ev, c.args.get(0), ts));
        boolean desc = name.equals("sort_desc");
        v.sort(
            (a, b) -> {
              if (Double.isNaN(a.v) || Double.isNaN(b.v)) {
                return Boolean.compare(Double.isNaN(a.v), Double.isNaN(b.v));
              }
              return desc ? Double.compare(b.v, a.v) : Double.compare(a.v, b.v);
            });
        yield new VectorV(v);
      }
      case "sort_by_label", "sort_by_label_desc" -> {
        if (ev.interval > 0) {
          ev.warn(
              c,
              "sort is ineffective for range queries since results are always ordered by labels");
        }
        ArrayList<Sample> v = vec(ev, c.args.get(0), ts);
        List<String> ls = new ArrayList<>();
        for (int i = 1; i < c.args.size(); i++) {
          ls.add(((StringLiteral) unwrap(c.args.get(i))).val);
        }
        boolean desc = name.endsWith("_desc");
        Comparator<Sample> cmp =
            (a, b) -> {
              for (String l : ls) {
                String x = a.labels.get(l);
                String y = b.labels.get(l);
                if (x.equals(y)) {
                  continue;
                }
                return naturalCompare(x, y);
              }
              return a.labels.compareTo(b.labels);
            };
        v.sort(desc ? cmp.reversed() : cmp);
        yield new VectorV(v);
      }
      case "label_replace" -> labelReplace(ev, c, ts);
      case "label_join" -> labelJoin(ev, c, ts);
      case "histogram_quantile" -> Histograms.quantile(ev, c, ts);
      case "histogram_fraction" -> Histograms.fraction(ev, c, ts);
      case "histogram_count",
          "histogram_sum",
          "histogram_avg",
          "histogram_stddev",
          "histogram_stdvar" ->
          new VectorV(NativeHistograms.property(name, vec(ev, c.args.get(0), ts), ts));
      default -> rangeFunction(ev, c, ts, name);
    };
  }

  static double goMax(double a, double b) {
    if (Double.isNaN(a) || Double.isNaN(b)) {
      return Double.NaN;
    }
    return Math.max(a, b);
  }

  static double goMin(double a, double b) {
    if (Double.isNaN(a) || Double.isNaN(b)) {
      return Double.NaN;
    }
    return Math.min(a, b);
  }

  static Expr unwrap(Expr e) {
    while (e instanceof ParenExpr p) {
      e = p.expr;
    }
    return e;
  }

  static ArrayList<Sample> vec(Evaluator ev, Expr e, long ts) {
    return ((VectorV) ev.eval(e, ts)).samples();
  }

  static double scalar(Evaluator ev, Expr e, long ts) {
    return ((ScalarV) ev.eval(e, ts)).v();
  }

  static ArrayList<Series> matrix(Evaluator ev, Expr e, long ts) {
    return ((MatrixV) ev.eval(e, ts)).series();
  }

  private static Labels absentLabels(Expr arg) {
    arg = unwrap(arg);
    VectorSelector vs = null;
    if (arg instanceof VectorSelector v) {
      vs = v;
    } else if (arg instanceof MatrixSelector m) {
      vs = m.vs;
    } else if (arg instanceof SubqueryExpr) {
      return Labels.EMPTY;
    }
    if (vs == null) {
      return Labels.EMPTY;
    }
    Labels.Builder b = Labels.builder();
    Map<String, Integer> seen = new HashMap<>();
    for (LabelMatcher m : vs.matchers) {
      if (m.type() == LabelMatcher.Type.EQUAL && !m.name().equals(Labels.METRIC_NAME)) {
        seen.merge(m.name(), 1, Integer::sum);
        b.set(m.name(), m.value());
      }
    }
    for (LabelMatcher m : vs.matchers) {
      if (m.type() != LabelMatcher.Type.EQUAL) {
        seen.merge(m.name(), 2, Integer::sum);
      }
    }
    for (Map.Entry<String, Integer> en : seen.entrySet()) {
      if (en.getValue() > 1) {
        b.del(en.getKey());
      }
    }
    return b.build();
  }

  private static Value dateFn(Evaluator ev, Call c, long ts, String name) {
    ArrayList<Sample> v;
    if (c.args.isEmpty()) {
      v = new ArrayList<>();
      v.add(new Sample(Labels.EMPTY, ts / 1000.0, ts, false));
    } else {
      v = NativeHistograms.floats(vec(ev, c.args.get(0), ts));
    }
    for (Sample s : v) {
      s.dropName = true;
      if (Double.isNaN(s.v) || Double.isInfinite(s.v)) {
        continue;
      }
      ZonedDateTime t = Instant.ofEpochSecond((long) s.v).atZone(ZoneOffset.UTC);
      s.v =
          switch (name) {
            case "minute" -> t.getMinute();
            case "hour" -> t.getHour();
            case "day_of_week" -> t.getDayOfWeek().getValue() % 7;
            case "day_of_month" -> t.getDayOfMonth();
            case "day_of_year" -> t.getDayOfYear();
            case "days_in_month" -> t.toLocalDate().lengthOfMonth();
            case "month" -> t.getMonthValue();
            default -> t.getYear();
          };
    }
    return new VectorV(v);
  }

  static int naturalCompare(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      char ca = a.charAt(i);
      char cb = b.charAt(j);
      if (Character.isDigit(ca) && Character.isDigit(cb)) {
        int si = i;
        int sj = j;
        while (i < a.length() && Character.isDigit(a.charAt(i))) {
          i++;
        }
        while (j < b.length() && Character.isDigit(b.charAt(j))) {
          j++;
        }
        String na = a.substring(si, i).replaceFirst("^0+(?=.)", "");
        String nb = b.substring(sj, j).replaceFirst("^0+(?=.)", "");
        if (na.length() != nb.length()) {
          return Integer.compare(na.length(), nb.length());
        }
        int c = na.compareTo(nb);
        if (c != 0) {
          return c;
        }
      } else {
        if (ca != cb) {
          return Character.compare(ca, cb);
        }
        i++;
        j++;
      }
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  private static String strArg(Evaluator ev, Expr e, long ts) {
    return ((Values.StringV) ev.eval(e, ts)).s();
  }

  static boolean validLabelName(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0xDC80 && c <= 0xDCFF) {
        return false;
      }
      if (Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < s.length())) {
        return false;
      }
    }
    return true;
  }

  private static Value labelReplace(Evaluator ev, Call c, long ts) {
    LabelReplacement r;
    try {
      r =
          LabelReplacement.of(
              strArg(ev, c.args.get(1), ts),
              strArg(ev, c.args.get(2), ts),
              strArg(ev, c.args.get(3), ts),
              strArg(ev, c.args.get(4), ts));
    } catch (IllegalArgumentException e) {
      throw QueryException.exec(e.getMessage());
    }
    ArrayList<Sample> v = vec(ev, c.args.get(0), ts);
    for (Sample s : v) {
      Labels out = r.apply(s.labels);
      if (out != s.labels && r.destination().equals(Labels.METRIC_NAME)) {
        s.dropName = false;
      }
      s.labels = out;
    }
    return new VectorV(v);
  }

  /** Go's regexp.Expand: $1, ${1}, $name, ${name}, $$. */
  static String expand(String template, Matcher m, Pattern p) {
    StringBuilder sb = new StringBuilder();
    Map<String, Integer> named = p.namedGroups();
    int i = 0;
    while (i < template.length()) {
      char ch = template.charAt(i);
      if (ch != '$' || i + 1 >= template.length()) {
        sb.append(ch);
        i++;
        continue;
      }
      char nx = template.charAt(i + 1);
      if (nx == '$') {
        sb.append('$');
        i += 2;
        continue;
      }
      String name;
      int next;
      if (nx == '{') {
        int close = template.indexOf('}', i + 2);
        if (close < 0) {
          sb.append(ch);
          i++;
          continue;
        }
        name = template.substring(i + 2, close);
        next = close + 1;
        if (name.isEmpty() || !name.chars().allMatch(FunctionCalls::isWordChar)) {
          sb.append(ch);
          i++;
          continue;
        }
      } else {
        int j = i + 1;
        while (j < template.length() && isWordChar(template.charAt(j))) {
          j++;
        }
        if (j == i + 1) {
          sb.append(ch);
          i++;
          continue;
        }
        name = template.substring(i + 1, j);
        next = j;
      }
      int group = -1;
      if (name.chars().allMatch(Character::isDigit)) {
        try {
          group = Integer.parseInt(name);
        } catch (NumberFormatException e) {
          group = -1;
        }
      } else if (named.containsKey(name)) {
        group = named.get(name);
      }
      if (group >= 0 && group <= m.groupCount()) {
        String g = m.group(group);
        if (g != null) {
          sb.append(g);
        }
      }
      i = next;
    }
    return sb.toString();
  }

  private static boolean isWordChar(int c) {
    return Character.isLetterOrDigit(c) || c == '_';
  }

  private static Value labelJoin(Evaluator ev, Call c, long ts) {
    String dst = strArg(ev, c.args.get(1), ts);
    String sep = strArg(ev, c.args.get(2), ts);
    List<String> srcs = new ArrayList<>();
    for (int i = 3; i < c.args.size(); i++) {
      String s = strArg(ev, c.args.get(i), ts);
      if (!validLabelName(s)) {
        throw QueryException.exec("invalid source label name in label_join(): " + s);
      }
      srcs.add(s);
    }
    if (!validLabelName(dst)) {
      throw QueryException.exec("invalid destination label name in label_join(): " + dst);
    }
    ArrayList<Sample> v = vec(ev, c.args.get(0), ts);
    for (Sample s : v) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < srcs.size(); i++) {
        if (i > 0) {
          sb.append(sep);
        }
        sb.append(s.labels.get(srcs.get(i)));
      }
      s.labels = s.labels.toBuilder().set(dst, sb.toString()).build();
      if (dst.equals(Labels.METRIC_NAME)) {
        s.dropName = false;
      }
    }
    return new VectorV(v);
  }

  // ---------------------------------------------------------------- range-vector functions

  private static Value rangeFunction(Evaluator ev, Call c, long ts, String name) {
    int matrixArg = 0;
    for (int i = 0; i < c.fn.args().size(); i++) {
      if (c.fn.args().get(i) == Ast.ValueType.MATRIX) {
        matrixArg = i;
      }
    }
    Expr marg = unwrap(c.args.get(matrixArg));
    double p0 = Double.NaN;
    double p1 = Double.NaN;
    if (name.equals("quantile_over_time")) {
      p0 = scalar(ev, c.args.get(0), ts);
    } else if (name.equals("predict_linear")) {
      p0 = scalar(ev, c.args.get(1), ts);
    } else if (name.equals("double_exponential_smoothing") || name.equals("holt_winters")) {
      p0 = scalar(ev, c.args.get(1), ts);
      p1 = scalar(ev, c.args.get(2), ts);
      if (p0 <= 0 || p0 >= 1) {
        throw QueryException.exec(
            "invalid smoothing factor. Expected: 0 < sf < 1, got: " + String.format("%f", p0));
      }
      if (p1 <= 0 || p1 >= 1) {
        throw QueryException.exec(
            "invalid trend factor. Expected: 0 < tf < 1, got: " + String.format("%f", p1));
      }
    }
    if (marg instanceof MatrixSelector ms && (ms.anchored || ms.smoothed)) {
      return ExtendedRange.eval(ev, c, ms, ts, name);
    }
    ArrayList<Series> mat = matrix(ev, c.args.get(matrixArg), ts);
    long rangeMs;
    long rangeEnd;
    if (marg instanceof MatrixSelector ms) {
      rangeMs = ev.durMs(ms.range);
      rangeEnd = ev.refTime(ms.vs.mods, ts) - ev.offsetMs(ms.vs.mods);
    } else if (marg instanceof SubqueryExpr sq) {
      rangeMs = ev.durMs(sq.range);
      rangeEnd = ev.refTime(sq.mods, ts) - ev.offsetMs(sq.mods);
    } else {
      rangeMs = 0;
      rangeEnd = ts;
    }
    if (name.equals("quantile_over_time")
        && (p0 < 0 || p0 > 1 || Double.isNaN(p0))
        && !mat.isEmpty()) {
      ev.warn(
          c.args.get(0), "quantile value should be between 0 and 1, got " + GoFloat.formatG(p0));
    }
    boolean keepName = name.equals("last_over_time") || name.equals("first_over_time");
    ArrayList<Sample> out = new ArrayList<>(mat.size());
    for (Series s : mat) {
      if (s.st != null && StartTimes.appliesTo(name)) {
        Sample r = StartTimes.range(ev, c, c.args.get(matrixArg), name, s, rangeEnd, rangeMs, ts);
        if (r != null) {
          out.add(r);
        }
        continue;
      }
      if (s.h != null) {
        Object o =
            NativeHistograms.range(
                ev, c, c.args.get(matrixArg), name, s, rangeEnd, rangeMs, ts, keepName);
        if (o instanceof Sample hs) {
          out.add(hs);
          continue;
        } else if (!(o instanceof Series fs)) {
          continue;
        } else {
          s = fs;
        }
      }
      double v = windowValue(name, s, rangeEnd, rangeMs, ts, p0, p1);
      if (Double.isNaN(v) && noResult(name, s)) {
        continue;
      }
      if (name.equals("rate") || name.equals("increase")) {
        counterCheck(ev, c, c.args.get(matrixArg), s.labels);
      }
      Sample smp = new Sample(s.labels, v, ts, !keepName || s.dropName);
      out.add(smp);
    }
    return new VectorV(out);
  }

  /** The value of range function {@code name} over one series' window (ending at rangeEnd). */
  static double windowValue(
      String name, Series s, long rangeEnd, long rangeMs, long ts, double p0, double p1) {
    return switch (name) {
      case "rate" -> extrapolatedRate(s, rangeEnd - rangeMs, rangeEnd, rangeMs, true, true);
      case "increase" -> extrapolatedRate(s, rangeEnd - rangeMs, rangeEnd, rangeMs, true, false);
      case "delta" -> extrapolatedRate(s, rangeEnd - rangeMs, rangeEnd, rangeMs, false, false);
      case "irate" -> instantValue(s, true);
      case "idelta" -> instantValue(s, false);
      case "deriv" -> s.n < 2 ? Double.NaN : linearRegression(s, s.t[0])[0];
      case "predict_linear" -> {
        if (s.n < 2) {
          yield Double.NaN;
        }
        double[] r = linearRegression(s, ts);
        yield r[0] * p0 + r[1];
      }
      case "double_exponential_smoothing", "holt_winters" -> holtWinters(s, p0, p1);
      case "avg_over_time" -> avg(s);
      case "sum_over_time" -> sum(s);
      case "count_over_time" -> s.n;
      case "min_over_time" -> {
        double m = s.v[0];
        for (int i = 1; i < s.n; i++) {
          if (s.v[i] < m || Double.isNaN(m)) {
            m = s.v[i];
          }
        }
        yield m;
      }
      case "max_over_time" -> {
        double m = s.v[0];
        for (int i = 1; i < s.n; i++) {
          if (s.v[i] > m || Double.isNaN(m)) {
            m = s.v[i];
          }
        }
        yield m;
      }
      case "last_over_time" -> s.v[s.n - 1];
      case "first_over_time" -> s.v[0];
      case "ts_of_last_over_time" -> s.t[s.n - 1] / 1000.0;
      case "ts_of_first_over_time" -> s.t[0] / 1000.0;
      case "ts_of_max_over_time" -> {
        double m = s.v[0];
        long t = s.t[0];
        for (int i = 1; i < s.n; i++) {
          if (s.v[i] >= m || Double.isNaN(m)) {
            m = s.v[i];
            t = s.t[i];
          }
        }
        yield t / 1000.0;
      }
      case "ts_of_min_over_time" -> {
        double m = s.v[0];
        long t = s.t[0];
        for (int i = 1; i < s.n; i++) {
          if (s.v[i] <= m || Double.isNaN(m)) {
            m = s.v[i];
            t = s.t[i];
          }
        }
        yield t / 1000.0;
      }
      case "present_over_time" -> 1;
      case "stddev_over_time" -> Math.sqrt(variance(s));
      case "stdvar_over_time" -> variance(s);
      case "quantile_over_time" -> quantile(p0, Arrays.copyOf(s.v, s.n));
      case "mad_over_time" -> {
        double[] vals = Arrays.copyOf(s.v, s.n);
        boolean nan = false;
        for (double x : vals) {
          nan |= Double.isNaN(x);
        }
        if (nan) {
          yield Double.NaN;
        }
        double med = quantile(0.5, vals);
        for (int i = 0; i < vals.length; i++) {
          vals[i] = Math.abs(vals[i] - med);
        }
        yield quantile(0.5, vals);
      }
      case "changes" -> {
        int n = 0;
        for (int i = 1; i < s.n; i++) {
          double a = s.v[i - 1];
          double b = s.v[i];
          if (!(a == b || (Double.isNaN(a) && Double.isNaN(b)))) {
            n++;
          }
        }
        yield n;
      }
      case "resets" -> {
        int n = 0;
        for (int i = 1; i < s.n; i++) {
          if (s.v[i] < s.v[i - 1]) {
            n++;
          }
        }
        yield n;
      }
      case "absent_over_time" -> Double.NaN;
      default -> throw QueryException.exec("function " + name + " is not implemented");
    };
  }

  /** rate/increase's note (once per series per query) on a metric that looks like no counter. */
  static void counterCheck(Evaluator ev, Call c, Expr node, Labels l) {
    if (!ev.firstSeen(c, l)) {
      return;
    }
    String metric = l.metricName();
    if (!metric.isEmpty()
        && !metric.endsWith("_total")
        && !metric.endsWith("_sum")
        && !metric.endsWith("_count")
        && !metric.endsWith("_bucket")
        && !l.get("__type__").equals("counter")) {
      ev.info(
          node,
          "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "
              + GoFloat.quote(metric));
    }
  }

  /** Functions that return nothing (rather than NaN) for too few samples. */
  static boolean noResult(String name, Series s) {
    return switch (name) {
      case "rate",
          "increase",
          "delta",
          "irate",
          "idelta",
          "deriv",
          "predict_linear",
          "double_exponential_smoothing",
          "holt_winters" ->
          s.n < 2;
      default -> false;
    };
  }

  static double extrapolatedRate(
      Series s, long rangeStart, long rangeEnd, long rangeMs, boolean counter, boolean rate) {
    return extrapolatedRate(s.t, s.v, 0, s.n, rangeStart, rangeEnd, rangeMs, counter, rate, true);
  }

  /**
   * rate/increase/delta over the n samples of t/v from index {@code from} (no staleness markers
   * among them). {@code mayReset} false promises that no value is below its predecessor, which
   * skips the scan for counter resets (it would add nothing).
   */
  static double extrapolatedRate(
      long[] t,
      double[] v,
      int from,
      int n,
      long rangeStart,
      long rangeEnd,
      long rangeMs,
      boolean counter,
      boolean rate,
      boolean mayReset) {
    if (n < 2) {
      return Double.NaN;
    }
    int last = from + n - 1;
    double result = v[last] - v[from];
    if (counter && mayReset) {
      double prev = v[from];
      for (int i = from + 1; i <= last; i++) {
        double cur = v[i];
        if (cur < prev) {
          result += prev;
        }
        prev = cur;
      }
    }
    return result
        * extrapolationFactor(
            t[from], t[last], n, rangeStart, rangeEnd, rangeMs, counter, rate, v[from], result);
  }

  /**
   * Prometheus's extrapolation of rate/increase/delta to the range's ends, for {@code n} samples
   * from {@code firstT} to {@code lastT}: the first's value (a float, or a histogram's count) and
   * the result bound how far a counter may be extrapolated back towards zero.
   */
  static double extrapolationFactor(
      long firstT,
      long lastT,
      int n,
      long rangeStart,
      long rangeEnd,
      long rangeMs,
      boolean counter,
      boolean rate,
      double first,
      double result) {
    double durationToStart = (firstT - rangeStart) / 1000.0;
    double durationToEnd = (rangeEnd - lastT) / 1000.0;
    double sampledInterval = (lastT - firstT) / 1000.0;
    double avgBetween = sampledInterval / (n - 1);
    double threshold = avgBetween * 1.1;
    if (durationToStart >= threshold) {
      durationToStart = avgBetween / 2;
    }
    if (counter && result > 0 && first >= 0) {
      double durationToZero = sampledInterval * (first / result);
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

  private static double instantValue(Series s, boolean rate) {
    if (s.n < 2) {
      return Double.NaN;
    }
    double last = s.v[s.n - 1];
    double prev = s.v[s.n - 2];
    double result;
    if (rate && last < prev) {
      result = last;
    } else {
      result = last - prev;
    }
    long interval = s.t[s.n - 1] - s.t[s.n - 2];
    if (interval == 0) {
      return Double.NaN;
    }
    if (rate) {
      result /= interval / 1000.0;
    }
    return result;
  }

  /** Returns {slope, intercept}. */
  static double[] linearRegression(Series s, long interceptTime) {
    double n = 0;
    double sumX = 0;
    double cX = 0;
    double sumY = 0;
    double cY = 0;
    double sumXY = 0;
    double cXY = 0;
    double sumX2 = 0;
    double cX2 = 0;
    double initY = s.v[0];
    boolean constY = true;
    double[] k = new double[2];
    for (int i = 0; i < s.n; i++) {
      double y = s.v[i];
      if (constY && i > 0 && y != initY) {
        constY = false;
      }
      n += 1;
      double x = (s.t[i] - interceptTime) / 1e3;
      Kahan.step(x, sumX, cX, k);
      sumX = k[0];
      cX = k[1];
      Kahan.step(y, sumY, cY, k);
      sumY = k[0];
      cY = k[1];
      Kahan.step(x * y, sumXY, cXY, k);
      sumXY = k[0];
      cXY = k[1];
      Kahan.step(x * x, sumX2, cX2, k);
      sumX2 = k[0];
      cX2 = k[1];
    }
    if (constY) {
      if (Double.isInfinite(initY)) {
        return new double[] {Double.NaN, Double.NaN};
      }
      return new double[] {0, initY};
    }
    sumX += cX;
    sumY += cY;
    sumXY += cXY;
    sumX2 += cX2;
    double covXY = sumXY - sumX * sumY / n;
    double varX = sumX2 - sumX * sumX / n;
    double slope = covXY / varX;
    double intercept = sumY / n - slope * sumX / n;
    return new double[] {slope, intercept};
  }

  private static double holtWinters(Series s, double sf, double tf) {
    if (s.n < 2) {
      return Double.NaN;
    }
    double s0 = 0;
    double s1 = s.v[0];
    double b = s.v[1] - s.v[0];
    for (int i = 1; i < s.n; i++) {
      double x = sf * s.v[i];
      if (i - 1 > 0) {
        b = tf * (s1 - s0) + (1 - tf) * b;
      }
      double y = (1 - sf) * (s1 + b);
      s0 = s1;
      s1 = x + y;
    }
    return s1;
  }

  static double sum(Series s) {
    double sum = 0;
    double c = 0;
    double[] k = new double[2];
    for (int i = 0; i < s.n; i++) {
      Kahan.step(s.v[i], sum, c, k);
      sum = k[0];
      c = k[1];
    }
    if (Double.isInfinite(sum)) {
      return sum;
    }
    return sum + c;
  }

  static double avg(Series s) {
    double sum = s.v[0];
    double mean = 0;
    double kc = 0;
    double count = 1;
    boolean incremental = false;
    double[] k = new double[2];
    for (int i = 1; i < s.n; i++) {
      double f = s.v[i];
      count = i + 1;
      if (!incremental) {
        Kahan.step(f, sum, kc, k);
        if (!Double.isInfinite(k[0])) {
          sum = k[0];
          kc = k[1];
          continue;
        }
        incremental = true;
        mean = sum / (count - 1);
        kc /= (count - 1);
      }
      double q = (count - 1) / count;
      Kahan.step(f / count, q * mean, q * kc, k);
      mean = k[0];
      kc = k[1];
    }
    if (incremental) {
      return mean + kc;
    }
    if (s.n == 1) {
      return s.v[0];
    }
    return sum / count + kc / count;
  }

  static double variance(Series s) {
    double count = 0;
    double mean = 0;
    double cMean = 0;
    double aux = 0;
    double cAux = 0;
    double[] k = new double[2];
    for (int i = 0; i < s.n; i++) {
      double f = s.v[i];
      count++;
      double delta = f - (mean + cMean);
      Kahan.step(delta / count, mean, cMean, k);
      mean = k[0];
      cMean = k[1];
      Kahan.step(delta * (f - (mean + cMean)), aux, cAux, k);
      aux = k[0];
      cAux = k[1];
    }
    return (aux + cAux) / count;
  }

  /** Upstream's quantile: linear interpolation between closest ranks; NaN sorts first. */
  static double quantile(double q, double[] values) {
    if (values.length == 0 || Double.isNaN(q)) {
      return Double.NaN;
    }
    if (q < 0) {
      return Double.NEGATIVE_INFINITY;
    }
    if (q > 1) {
      return Double.POSITIVE_INFINITY;
    }
    sortNaNFirst(values);
    double n = values.length;
    double rank = q * (n - 1);
    double lower = Math.max(0, Math.floor(rank));
    double upper = Math.min(n - 1, lower + 1);
    double weight = rank - Math.floor(rank);
    return values[(int) lower] * (1 - weight) + values[(int) upper] * weight;
  }

  static void sortNaNFirst(double[] values) {
    Arrays.sort(values);
    // Arrays.sort puts NaN last; upstream's Less puts NaN first.
    int nan = 0;
    for (int i = values.length - 1; i >= 0 && Double.isNaN(values[i]); i--) {
      nan++;
    }
    if (nan > 0) {
      System.arraycopy(values, 0, values, nan, values.length - nan);
      for (int i = 0; i < nan; i++) {
        values[i] = Double.NaN;
      }
    }
  }
}
