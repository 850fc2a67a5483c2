package dev.osprey.query.promql;

import com.google.re2j.Pattern;
import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.StaleNaN;
import dev.osprey.core.storage.memory.MemStorage;
import dev.osprey.query.promql.Values.Sample;
import dev.osprey.query.promql.Values.Series;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Interprets Prometheus's PromQL test scripts ({@code *.test}, described in
 * shared/promql-tests/FORMAT.md) against {@link Engine} over a {@link MemStorage}.
 */
final class ScriptRunner {
  /** The outcome of one eval command. */
  record EvalResult(
      String file, int line, String header, boolean passed, String error, boolean histogram) {}

  private MemStorage storage = new MemStorage();
  private final java.util.Set<Labels> histSeries = new java.util.HashSet<>();
  private final String file;
  private final List<EvalResult> results = new ArrayList<>();

  ScriptRunner(String file) {
    this.file = file;
  }

  List<EvalResult> run(String text) {
    String[] lines = text.split("\n", -1);
    int i = 0;
    while (i < lines.length) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        i++;
        continue;
      }
      String word = line.split("[ \t]+", 2)[0].toLowerCase(Locale.ROOT);
      if (word.equals("clear")) {
        storage = new MemStorage();
        histSeries.clear();
        i++;
        continue;
      }
      int startLine = i;
      List<String> block = new ArrayList<>();
      block.add(line);
      i++;
      boolean isEval = word.startsWith("eval");
      while (i < lines.length) {
        String l = lines[i].strip();
        if (l.isEmpty() || l.startsWith("#")) {
          break;
        }
        block.add(l);
        i++;
        if (isEval && isNumberLine(l)) {
          break;
        }
      }
      if (word.startsWith("load")) {
        load(block);
      } else if (isEval) {
        EvalResult r;
        boolean nh = touchesHistograms(block);
        try {
          String err = eval(block);
          r = new EvalResult(file, startLine + 1, line, err == null, err, nh);
        } catch (RuntimeException e) {
          r = new EvalResult(file, startLine + 1, line, false, "runner: " + e, nh);
        }
        results.add(r);
      } else {
        throw new IllegalStateException(file + ":" + (startLine + 1) + ": unknown command " + line);
      }
    }
    return results;
  }

  // ------------------------------------------------------------------ load

  /**
   * Whether an eval involves native histograms: a histogram in its expected output, or a selector
   * matching a series that has histogram samples loaded.
   */
  private boolean touchesHistograms(List<String> block) {
    for (int k = 1; k < block.size(); k++) {
      if (block.get(k).contains("{{")) {
        return true;
      }
    }
    if (histSeries.isEmpty()) {
      return false;
    }
    String hdr = block.get(0);
    String[] parts = hdr.split("[ \t]+");
    String expr =
        parts[1].equalsIgnoreCase("instant") ? restAfterTokens(hdr, 4) : restAfterTokens(hdr, 8);
    Ast.Expr e;
    try {
      e = Parser.parse(expr);
    } catch (RuntimeException ex) {
      return false;
    }
    List<Ast.VectorSelector> sels = new ArrayList<>();
    collectSelectors(e, sels);
    for (Ast.VectorSelector vs : sels) {
      for (Labels l : histSeries) {
        boolean all = true;
        for (dev.osprey.core.labels.LabelMatcher m : vs.matchers) {
          if (!m.matches(l.get(m.name()))) {
            all = false;
            break;
          }
        }
        if (all) {
          return true;
        }
      }
    }
    return false;
  }

  private static void collectSelectors(Ast.Expr e, List<Ast.VectorSelector> out) {
    switch (e) {
      case Ast.VectorSelector vs -> out.add(vs);
      case Ast.MatrixSelector m -> out.add(m.vs);
      case Ast.SubqueryExpr s -> collectSelectors(s.expr, out);
      case Ast.ParenExpr p -> collectSelectors(p.expr, out);
      case Ast.UnaryExpr u -> collectSelectors(u.expr, out);
      case Ast.BinaryExpr b -> {
        collectSelectors(b.lhs, out);
        collectSelectors(b.rhs, out);
      }
      case Ast.Call c -> c.args.forEach(a -> collectSelectors(a, out));
      case Ast.AggregateExpr a -> {
        collectSelectors(a.expr, out);
        if (a.param != null) {
          collectSelectors(a.param, out);
        }
      }
      default -> {}
    }
  }

  private void load(List<String> block) {
    String[] hdr = block.get(0).split("[ \t]+");
    long interval = parseDuration(hdr[1]);
    LinkedHashMap<Labels, List<double[]>> series = new LinkedHashMap<>();
    LinkedHashMap<Labels, TreeMap<Long, FloatHistogram>> hseries = new LinkedHashMap<>();
    HashMap<Labels, StartTimeLine> startTimes = new HashMap<>();
    StartTimeLine pendingSt = null;
    for (int k = 1; k < block.size(); k++) {
      String l = block.get(k);
      if (StartTimeLine.is(l)) {
        if (pendingSt != null) {
          throw new IllegalArgumentException("two start-timestamp lines in a row: " + l);
        }
        pendingSt = StartTimeLine.parse(l);
        continue;
      }
      SeriesLine sl = parseSeriesLine(l);
      if (pendingSt != null) {
        pendingSt.checkFits(sl.labels, sl.values.size());
        startTimes.put(sl.labels, pendingSt);
        pendingSt = null;
      }
      List<double[]> pts = new ArrayList<>();
      for (int slot = 0; slot < sl.values.size(); slot++) {
        Double v = sl.values.get(slot);
        if (v != null && Double.doubleToRawLongBits(v) == Double.doubleToRawLongBits(HISTOGRAM)) {
          histSeries.add(sl.labels);
          hseries
              .computeIfAbsent(sl.labels, x -> new TreeMap<>())
              .put(slot * interval, sl.hists.get(slot).h());
        } else if (v != null) {
          pts.add(new double[] {slot * (double) interval, v});
        }
      }
      series.put(sl.labels, pts);
      if (hdr[0].equalsIgnoreCase("load_with_nhcb")) {
        String name = sl.labels.metricName();
        for (String suffix : new String[] {"_bucket", "_sum", "_count"}) {
          if (name.endsWith(suffix)) {
            histSeries.add(
                sl.labels.toBuilder()
                    .set("__name__", name.substring(0, name.length() - suffix.length()))
                    .del("le")
                    .build());
          }
        }
      }
    }
    if (pendingSt != null) {
      throw new IllegalArgumentException("start-timestamp line at the end of a load block");
    }
    if (hdr[0].equalsIgnoreCase("load_with_nhcb")) {
      Nhcb.convert(series, hseries);
    }
    Appender app = storage.appender();
    java.util.Set<Labels> all = new java.util.LinkedHashSet<>(series.keySet());
    all.addAll(hseries.keySet());
    for (Labels l : all) {
      TreeMap<Long, Object> pts = new TreeMap<>();
      for (double[] p : series.getOrDefault(l, List.of())) {
        pts.put((long) p[0], p[1]);
      }
      hseries.getOrDefault(l, new TreeMap<>()).forEach(pts::put);
      long ref = 0;
      Object prev = null;
      StartTimeLine stLine = startTimes.get(l);
      for (Map.Entry<Long, Object> p : pts.entrySet()) {
        try {
          Long st =
              stLine == null ? null : stLine.startTime((int) (p.getKey() / interval), p.getKey());
          if (p.getValue() instanceof FloatHistogram h) {
            FloatHistogram rb = readBack(h, prev);
            ref =
                st == null
                    ? app.appendHistogram(ref, l, p.getKey(), rb)
                    : app.appendHistogramWithStartTime(ref, l, st, p.getKey(), rb);
            prev = h;
          } else {
            ref =
                st == null
                    ? app.append(ref, l, p.getKey(), (Double) p.getValue())
                    : app.appendWithStartTime(ref, l, st, p.getKey(), (Double) p.getValue());
            prev = null;
          }
        } catch (RuntimeException e) {
          // out of order / duplicate: upstream's tsdb rejects too
        }
      }
    }
    app.commit();
  }

  /**
   * The hint upstream's tsdb reports when {@code h} is read back (FORMAT.md 8.4): gauge for gauge
   * histograms; else unknown for the first sample of a chunk (the first histogram, after a float, a
   * counter reset or a layout change) and not_reset for the rest.
   */
  private static FloatHistogram readBack(FloatHistogram h, Object prev) {
    if (h.counterResetHint() == FloatHistogram.CounterResetHint.GAUGE) {
      return h;
    }
    boolean newChunk =
        !(prev instanceof FloatHistogram p)
            || p.counterResetHint() == FloatHistogram.CounterResetHint.GAUGE
            || h.counterResetHint() == FloatHistogram.CounterResetHint.COUNTER_RESET
            || p.schema() != h.schema()
            || p.zeroThreshold() != h.zeroThreshold()
            || !java.util.Arrays.equals(p.customValues(), h.customValues())
            || h.withHint(FloatHistogram.CounterResetHint.UNKNOWN).detectReset(p);
    return h.withHint(
        newChunk
            ? FloatHistogram.CounterResetHint.UNKNOWN
            : FloatHistogram.CounterResetHint.NOT_COUNTER_RESET);
  }

  record SeriesLine(
      Labels labels, List<Double> values, List<HistogramLiteral> hists, boolean hasHistogram) {}

  /** Marker for a native-histogram value: this engine has none, the slot holds no float. */
  static final double HISTOGRAM = Double.longBitsToDouble(0x7ff0000000000abcL);

  static SeriesLine parseSeriesLine(String l) {
    int p = 0;
    Labels.Builder b = Labels.builder();
    int n = l.length();
    // metric name
    int s = p;
    while (p < n && (Lexer.isIdentChar(l.charAt(p)))) {
      p++;
    }
    if (p > s) {
      b.set("__name__", l.substring(s, p));
    }
    if (p < n && l.charAt(p) == '{') {
      p++;
      while (true) {
        while (p < n && Character.isWhitespace(l.charAt(p))) {
          p++;
        }
        if (l.charAt(p) == '}') {
          p++;
          break;
        }
        String name;
        if (l.charAt(p) == '"' || l.charAt(p) == '\'' || l.charAt(p) == '`') {
          int e = endOfString(l, p);
          name = unquote(l.substring(p, e));
          p = e;
        } else {
          int q = p;
          while (p < n && Lexer.isIdentChar(l.charAt(p))) {
            p++;
          }
          name = l.substring(q, p);
        }
        while (p < n && Character.isWhitespace(l.charAt(p))) {
          p++;
        }
        if (l.charAt(p) == '=') {
          p++;
          while (p < n && Character.isWhitespace(l.charAt(p))) {
            p++;
          }
          int e = endOfString(l, p);
          b.set(name, unquote(l.substring(p, e)));
          p = e;
        } else {
          b.set("__name__", name);
        }
        while (p < n && Character.isWhitespace(l.charAt(p))) {
          p++;
        }
        if (l.charAt(p) == ',') {
          p++;
        }
      }
    }
    String rest = l.substring(p).strip();
    List<Double> values = new ArrayList<>();
    List<HistogramLiteral> hists = new ArrayList<>();
    boolean hist = false;
    if (!rest.isEmpty()) {
      List<String> items = splitItems(rest);
      for (String item : items) {
        if (item.startsWith("{{")) {
          hist = true;
          for (HistogramLiteral h : HistogramLiteral.expand(item)) {
            values.add(HISTOGRAM);
            hists.add(h);
          }
          continue;
        }
        expandItem(item, values);
        while (hists.size() < values.size()) {
          hists.add(null);
        }
      }
    }
    return new SeriesLine(b.build(), values, hists, hist);
  }

  private static List<String> splitItems(String rest) {
    List<String> out = new ArrayList<>();
    int i = 0;
    while (i < rest.length()) {
      while (i < rest.length() && Character.isWhitespace(rest.charAt(i))) {
        i++;
      }
      if (i >= rest.length()) {
        break;
      }
      int s = i;
      if (rest.startsWith("{{", i)) {
        int depth = 0;
        while (i < rest.length()) {
          if (rest.startsWith("{{", i)) {
            depth++;
            i += 2;
          } else if (rest.startsWith("}}", i)) {
            depth--;
            i += 2;
            if (depth == 0) {
              // +{{..}}xN continuation or xN
              if (i < rest.length() && (rest.charAt(i) == '+' || rest.charAt(i) == '-')) {
                continue;
              }
              while (i < rest.length() && !Character.isWhitespace(rest.charAt(i))) {
                i++;
              }
              break;
            }
          } else {
            i++;
          }
        }
      } else {
        while (i < rest.length() && !Character.isWhitespace(rest.charAt(i))) {
          i++;
        }
      }
      out.add(rest.substring(s, i));
    }
    return out;
  }

  private static void expandItem(String item, List<Double> values) {
    if (item.equals("_")) {
      values.add(null);
      return;
    }
    if (item.equals("stale")) {
      values.add(StaleNaN.VALUE);
      return;
    }
    if (item.startsWith("_x")) {
      int c = Integer.parseInt(item.substring(2));
      for (int k = 0; k < c; k++) {
        values.add(null);
      }
      return;
    }
    int x = item.lastIndexOf('x');
    if (x > 0
        && item.substring(x + 1).chars().allMatch(Character::isDigit)
        && x + 1 < item.length()) {
      int count = Integer.parseInt(item.substring(x + 1));
      String head = item.substring(0, x);
      // find operator + or - that is not a sign at start or after 'e'
      int op = -1;
      for (int k = 1; k < head.length(); k++) {
        char ch = head.charAt(k);
        if ((ch == '+' || ch == '-') && head.charAt(k - 1) != 'e' && head.charAt(k - 1) != 'E') {
          op = k;
        }
      }
      if (op < 0) {
        double v = parseNumber(head);
        for (int k = 0; k <= count; k++) {
          values.add(v);
        }
        return;
      }
      double a = parseNumber(head.substring(0, op));
      double d = parseNumber(head.substring(op + 1));
      if (head.charAt(op) == '-') {
        d = -d;
      }
      double cur = a;
      for (int k = 0; k <= count; k++) {
        values.add(cur);
        cur += d;
      }
      return;
    }
    values.add(parseNumber(item));
  }

  static double parseNumber(String s) {
    String l = s.toLowerCase(Locale.ROOT);
    String body = l.startsWith("+") || l.startsWith("-") ? l.substring(1) : l;
    boolean neg = l.startsWith("-");
    if (body.equals("inf")) {
      return neg ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    if (body.equals("nan")) {
      return Double.NaN;
    }
    if (body.startsWith("0x")) {
      long v = Long.parseLong(body.substring(2), 16);
      return neg ? -v : v;
    }
    if (l.endsWith("d") || l.endsWith("f")) {
      throw new NumberFormatException(s);
    }
    return Double.parseDouble(s);
  }

  static boolean isNumberLine(String l) {
    try {
      parseNumber(l.strip());
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static int endOfString(String l, int p) {
    char q = l.charAt(p);
    int i = p + 1;
    while (i < l.length()) {
      char c = l.charAt(i);
      if (c == '\\' && q != '`') {
        i += 2;
        continue;
      }
      if (c == q) {
        return i + 1;
      }
      i++;
    }
    throw new IllegalArgumentException("unterminated string: " + l);
  }

  static String unquote(String s) {
    if (s.startsWith("`")) {
      return s.substring(1, s.length() - 1);
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i < s.length() - 1; i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length() - 1) {
        char e = s.charAt(++i);
        switch (e) {
          case 'n' -> sb.append('\n');
          case 't' -> sb.append('\t');
          case 'r' -> sb.append('\r');
          case '\\' -> sb.append('\\');
          case '"' -> sb.append('"');
          case '\'' -> sb.append('\'');
          default -> sb.append('\\').append(e);
        }
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  static long parseDuration(String s) {
    if (s.equals("0")) {
      return 0;
    }
    return Parser.parseDurationMillis(new Lexer.Token(Lexer.T.DURATION, s, 0, s.length()));
  }

  // ------------------------------------------------------------------ eval

  private static final class Expect {
    boolean fail;
    String failMsg;
    String failRegex;
    boolean ordered;
    boolean warn;
    boolean noWarn;
    boolean info;
    boolean noInfo;
    List<String[]> warnLines = new ArrayList<>();
    List<String[]> infoLines = new ArrayList<>();
    Long rvFrom;
    Long rvTo;
    Long rvStep;
    String string;
    Double scalar;
    LinkedHashMap<Labels, List<Double>> series = new LinkedHashMap<>();
    LinkedHashMap<Labels, List<HistogramLiteral>> hists = new LinkedHashMap<>();
    List<Labels> order = new ArrayList<>();
  }

  /** Returns null when the eval passed, else a description of the failure. */
  private String eval(List<String> block) {
    String hdr = block.get(0);
    String[] parts = hdr.split("[ \t]+");
    String cmd = parts[0].toLowerCase(Locale.ROOT);
    Expect ex = new Expect();
    if (cmd.equals("eval_fail")) {
      ex.fail = true;
    } else if (cmd.equals("eval_ordered")) {
      ex.ordered = true;
    } else if (cmd.equals("eval_warn")) {
      ex.warn = true;
    } else if (cmd.equals("eval_info")) {
      ex.info = true;
    }
    boolean instant = parts[1].equalsIgnoreCase("instant");
    long at = 0;
    long start = 0;
    long end = 0;
    long step = 0;
    String expr;
    if (instant) {
      // eval instant at <time> <expr>
      at = parseDuration(parts[3]);
      expr = restAfterTokens(hdr, 4);
    } else {
      start = parseDuration(parts[3]);
      end = parseDuration(parts[5]);
      step = parseDuration(parts[7]);
      expr = restAfterTokens(hdr, 8);
    }
    for (int k = 1; k < block.size(); k++) {
      String l = block.get(k);
      if (l.startsWith("expect range vector")) {
        String[] p = l.split("[ \t]+");
        ex.rvFrom = parseDuration(p[4]);
        ex.rvTo = parseDuration(p[6]);
        ex.rvStep = parseDuration(p[8]);
        continue;
      }
      if (l.startsWith("expect string")) {
        String q = l.substring("expect string".length()).strip();
        ex.string = unquote(q);
        continue;
      }
      String[] w = l.split("[ \t]+", 3);
      if (w[0].equals("expect")) {
        String kind = w[1];
        String rest = w.length > 2 ? w[2] : "";
        String[] mr = null;
        if (rest.startsWith("msg:")) {
          mr = new String[] {"msg", rest.substring(4).strip()};
        } else if (rest.startsWith("regex:")) {
          mr = new String[] {"regex", rest.substring(6).strip()};
        }
        switch (kind) {
          case "fail" -> {
            ex.fail = true;
            if (mr != null && mr[0].equals("msg")) {
              ex.failMsg = mr[1];
            } else if (mr != null) {
              ex.failRegex = mr[1];
            }
          }
          case "ordered" -> ex.ordered = true;
          case "warn" -> {
            ex.warn = true;
            ex.warnLines.add(mr);
          }
          case "info" -> {
            ex.info = true;
            ex.infoLines.add(mr);
          }
          case "no_warn" -> ex.noWarn = true;
          case "no_info" -> ex.noInfo = true;
          default -> throw new IllegalStateException("unknown expect " + kind);
        }
        continue;
      }
      if (isNumberLine(l)) {
        ex.scalar = parseNumber(l.strip());
        continue;
      }
      SeriesLine sl = parseSeriesLine(l);
      if (!ex.series.containsKey(sl.labels)) {
        ex.order.add(sl.labels);
      }
      ex.series.put(sl.labels, sl.values);
      ex.hists.put(sl.labels, sl.hists);
    }
    Engine engine = new Engine(storage, 100_000, 10_000, 300_000, 60_000);
    if (!instant) {
      final long s0 = start;
      final long e0 = end;
      final long st0 = step;
      return check(ex, () -> engine.rangeQuery(expr, s0, e0, st0), s0, st0, true);
    }
    long t = ex.rvTo != null ? ex.rvTo : at;
    String err =
        check(
            ex,
            () -> engine.instantQuery(expr, t),
            ex.rvFrom != null ? ex.rvFrom : 0,
            ex.rvStep != null ? ex.rvStep : 0,
            ex.rvFrom != null);
    if (err != null) {
      return err;
    }
    String inv = atInvarianceRuns(ex, engine, expr, t);
    if (inv != null) {
      return inv;
    }
    boolean rerun =
        !ex.fail
            && ex.rvFrom == null
            && ex.string == null
            && !expr.contains("start()")
            && !expr.contains("end()")
            && !expr.contains("range()")
            && !expr.contains("step()");
    if (rerun) {
      QueryResult r;
      try {
        r = engine.rangeQuery(expr, t - 60_000, t + 60_000, 60_000);
      } catch (RuntimeException e) {
        return "range-mode re-run failed: " + e.getMessage();
      }
      if (ex.ordered) {
        return null;
      }
      List<Series> m = r.matrix();
      for (int k = 1; k < m.size(); k++) {
        if (m.get(k - 1).labels.compareTo(m.get(k).labels) >= 0) {
          return "range-mode re-run: matrix not sorted";
        }
      }
      List<Sample> vec = new ArrayList<>();
      for (Series s : m) {
        for (int k = 0; k < s.n; k++) {
          if (s.t[k] == t) {
            Sample smp = new Sample(s.labels, s.v[k], t, false);
            smp.h = s.histogram(k);
            vec.add(smp);
          }
        }
      }
      QueryResult asVec;
      if (ex.scalar != null) {
        if (vec.isEmpty()) {
          return "range-mode re-run: no point for scalar";
        }
        asVec =
            new QueryResult(
                QueryResult.Type.SCALAR, t, vec.get(0).v, null, null, null, List.of(), List.of());
      } else {
        asVec =
            new QueryResult(QueryResult.Type.VECTOR, t, 0, null, vec, null, List.of(), List.of());
      }
      boolean o = ex.ordered;
      ex.ordered = false;
      String e2 = compare(ex, asVec, 0, 0, false);
      ex.ordered = o;
      if (e2 != null) {
        return "range-mode re-run: " + e2;
      }
    }
    return null;
  }

  private static final java.util.Set<String> TIME_FUNCTIONS =
      java.util.Set.of(
          "time",
          "timestamp",
          "predict_linear",
          "minute",
          "hour",
          "month",
          "year",
          "day_of_week",
          "day_of_month",
          "day_of_year",
          "days_in_month",
          "start",
          "end",
          "range",
          "step");

  /**
   * Upstream's step-invariance re-runs (FORMAT.md 7.2.3): every selector and subquery without
   * {@code @} gets {@code @ T}, and the query must give the same answer at other times.
   */
  private String atInvarianceRuns(Expect ex, Engine engine, String expr, long t) {
    Ast.Expr probe = Parser.parse(expr);
    if (usesTimeFunction(probe)) {
      return null;
    }
    long[] times = t != 0 ? new long[] {-10 * t, 0, t / 5, t, 10 * t} : new long[] {-1000, 0, 1000};
    for (long at : times) {
      Ast.Expr e = Parser.parse(expr);
      addAt(e, t / 1000.0);
      String err =
          check(
              ex,
              () -> engine.instantQuery(e, expr, at),
              ex.rvFrom != null ? ex.rvFrom : 0,
              ex.rvStep != null ? ex.rvStep : 0,
              ex.rvFrom != null);
      if (err != null) {
        return "@-invariance run at " + at + "ms: " + err;
      }
    }
    return null;
  }

  private static boolean usesTimeFunction(Ast.Expr e) {
    return switch (e) {
      case Ast.Call c -> {
        if (TIME_FUNCTIONS.contains(c.fn.name())) {
          yield true;
        }
        for (Ast.Expr a : c.args) {
          if (usesTimeFunction(a)) {
            yield true;
          }
        }
        yield false;
      }
      case Ast.ParenExpr p -> usesTimeFunction(p.expr);
      case Ast.UnaryExpr u -> usesTimeFunction(u.expr);
      case Ast.BinaryExpr b -> usesTimeFunction(b.lhs) || usesTimeFunction(b.rhs);
      case Ast.AggregateExpr a ->
          usesTimeFunction(a.expr) || (a.param != null && usesTimeFunction(a.param));
      case Ast.SubqueryExpr s -> usesTimeFunction(s.expr);
      default -> false;
    };
  }

  private static void addAt(Ast.Expr e, double secs) {
    switch (e) {
      case Ast.VectorSelector vs -> {
        if (!vs.mods.hasAt()) {
          vs.mods.at = secs;
        }
      }
      case Ast.MatrixSelector m -> {
        if (!m.vs.mods.hasAt()) {
          m.vs.mods.at = secs;
        }
      }
      case Ast.SubqueryExpr s -> {
        if (!s.mods.hasAt()) {
          s.mods.at = secs;
        }
      }
      case Ast.ParenExpr p -> addAt(p.expr, secs);
      case Ast.UnaryExpr u -> addAt(u.expr, secs);
      case Ast.BinaryExpr b -> {
        addAt(b.lhs, secs);
        addAt(b.rhs, secs);
      }
      case Ast.Call c -> c.args.forEach(a -> addAt(a, secs));
      case Ast.AggregateExpr a -> {
        addAt(a.expr, secs);
        if (a.param != null) {
          addAt(a.param, secs);
        }
      }
      default -> {}
    }
  }

  private static String restAfterTokens(String s, int tokens) {
    int i = 0;
    for (int k = 0; k < tokens; k++) {
      while (i < s.length() && !Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }
    return s.substring(i);
  }

  private interface Q {
    QueryResult run();
  }

  private String check(Expect ex, Q q, long mStart, long mStep, boolean matrix) {
    QueryResult r;
    try {
      r = q.run();
    } catch (ParseException | QueryException e) {
      if (!ex.fail) {
        return "unexpected error: " + e.getMessage();
      }
      if (ex.failMsg != null && !ex.failMsg.equals(e.getMessage())) {
        return "error message mismatch: got " + e.getMessage() + " want " + ex.failMsg;
      }
      if (ex.failRegex != null && !Pattern.compile(ex.failRegex).matcher(e.getMessage()).find()) {
        return "error regex mismatch: got " + e.getMessage() + " want /" + ex.failRegex + "/";
      }
      return null;
    }
    if (ex.fail) {
      return "expected an error, query succeeded";
    }
    String a = annotations("warning", ex.warn, ex.noWarn, ex.warnLines, r.warnings());
    if (a != null) {
      return a;
    }
    a = annotations("info", ex.info, ex.noInfo, ex.infoLines, r.infos());
    if (a != null) {
      return a;
    }
    return compare(ex, r, mStart, mStep, matrix);
  }

  private static String annotations(
      String kind, boolean want, boolean wantNone, List<String[]> lines, List<String> got) {
    if (wantNone && !got.isEmpty()) {
      return "unexpected " + kind + ": " + got;
    }
    if (want) {
      if (got.isEmpty()) {
        return "expected a " + kind + ", got none";
      }
      for (String[] l : lines) {
        if (l == null) {
          continue;
        }
        boolean any = false;
        for (String g : got) {
          if (l[0].equals("msg") ? g.equals(l[1]) : Pattern.compile(l[1]).matcher(g).find()) {
            any = true;
          }
        }
        if (!any) {
          return "no " + kind + " matches " + l[1] + "; got " + got;
        }
      }
    }
    return null;
  }

  private String compare(Expect ex, QueryResult r, long mStart, long mStep, boolean matrix) {
    switch (r.type()) {
      case SCALAR -> {
        if (ex.scalar == null) {
          return "got scalar "
              + r.scalar()
              + ", expected "
              + (ex.series.isEmpty() ? "nothing" : "series");
        }
        if (!floatEq(ex.scalar, r.scalar())) {
          return "scalar mismatch: got " + r.scalar() + " want " + ex.scalar;
        }
        return null;
      }
      case STRING -> {
        String want = ex.string == null ? "" : ex.string;
        return want.equals(r.string()) ? null : "string mismatch: got " + r.string();
      }
      case VECTOR -> {
        if (ex.scalar != null) {
          return "expected scalar, got vector";
        }
        List<Sample> v = r.vector();
        Map<Labels, Integer> pos = new HashMap<>();
        for (int k = 0; k < v.size(); k++) {
          Sample s = v.get(k);
          List<Double> want = ex.series.get(s.labels);
          if (want == null) {
            return "unexpected metric " + s.labels + " " + s.v;
          }
          if (want.size() != 1) {
            return "expected " + want.size() + " values for " + s.labels;
          }
          Double w = want.get(0);
          if (w == null || w == HISTOGRAM_BOX) {
            return "histogram/blank expected for " + s.labels;
          }
          boolean wantH = Double.doubleToRawLongBits(w) == Double.doubleToRawLongBits(HISTOGRAM);
          if (wantH != (s.h != null)) {
            return (wantH ? "expected histogram for " : "unexpected histogram for ") + s.labels;
          }
          if (wantH) {
            String hm = ex.hists.get(s.labels).get(0).mismatch(s.h);
            if (hm != null) {
              return "histogram mismatch for " + s.labels + ": " + hm + "; got " + s.h;
            }
          } else if (!floatEq(w, s.v)) {
            return "value mismatch for " + s.labels + ": got " + s.v + " want " + w;
          }
          pos.put(s.labels, k);
        }
        for (Labels l : ex.series.keySet()) {
          if (!pos.containsKey(l)) {
            return "missing expected " + l;
          }
        }
        if (ex.ordered) {
          for (int k = 0; k < ex.order.size(); k++) {
            if (pos.get(ex.order.get(k)) != k) {
              return "order mismatch at " + ex.order.get(k);
            }
          }
        }
        return null;
      }
      case MATRIX -> {
        if (!matrix) {
          return "got a range vector for an instant query";
        }
        if (ex.scalar != null) {
          return "expected scalar, got matrix";
        }
        if (ex.ordered) {
          return "ordered not allowed with a matrix";
        }
        List<Series> m = r.matrix();
        for (int k = 1; k < m.size(); k++) {
          if (m.get(k - 1).labels.compareTo(m.get(k).labels) >= 0) {
            return "matrix not sorted";
          }
        }
        java.util.Set<Labels> seen = new java.util.HashSet<>();
        for (Series s : m) {
          List<Double> want = ex.series.get(s.labels);
          if (want == null) {
            return "unexpected series " + s.labels;
          }
          seen.add(s.labels);
          List<long[]> wt = new ArrayList<>();
          List<Double> wv = new ArrayList<>();
          List<Long> ht = new ArrayList<>();
          List<HistogramLiteral> hv = new ArrayList<>();
          for (int k = 0; k < want.size(); k++) {
            Double w = want.get(k);
            if (w == null) {
              continue;
            }
            if (Double.doubleToRawLongBits(w) == Double.doubleToRawLongBits(HISTOGRAM)) {
              ht.add(mStart + k * mStep);
              hv.add(ex.hists.get(s.labels).get(k));
              continue;
            }
            wt.add(new long[] {mStart + k * mStep});
            wv.add(w);
          }
          if (s.h != null || !ht.isEmpty()) {
            String hm = compareMixed(s, wt, wv, ht, hv);
            if (hm != null) {
              return hm;
            }
            continue;
          }
          if (wt.size() != s.n) {
            return "point count mismatch for "
                + s.labels
                + ": got "
                + s.n
                + " want "
                + wt.size()
                + " "
                + describe(s);
          }
          for (int k = 0; k < s.n; k++) {
            if (wt.get(k)[0] != s.t[k] || !floatEq(wv.get(k), s.v[k])) {
              return "point mismatch for " + s.labels + " at " + k + ": " + describe(s);
            }
          }
        }
        for (Labels l : ex.series.keySet()) {
          if (!seen.contains(l)) {
            boolean allBlank = ex.series.get(l).stream().allMatch(x -> x == null);
            if (!allBlank || true) {
              return "missing expected series " + l;
            }
          }
        }
        return null;
      }
      default -> throw new IllegalStateException("BUG");
    }
  }

  private static final Double HISTOGRAM_BOX = null;

  /** FORMAT.md 8.3: floats and histograms of one series compared as two ordered lists. */
  private static String compareMixed(
      Series s, List<long[]> wt, List<Double> wv, List<Long> ht, List<HistogramLiteral> hv) {
    int fi = 0;
    int hi = 0;
    for (int k = 0; k < s.n; k++) {
      FloatHistogram h = s.histogram(k);
      if (h == null) {
        if (fi >= wt.size() || wt.get(fi)[0] != s.t[k] || !floatEq(wv.get(fi), s.v[k])) {
          return "float point mismatch for " + s.labels + " at " + s.t[k] + ": " + describe(s);
        }
        fi++;
      } else {
        if (hi >= ht.size() || ht.get(hi) != s.t[k]) {
          return "unexpected histogram point for " + s.labels + " at " + s.t[k];
        }
        String m = hv.get(hi).mismatch(h);
        if (m != null) {
          return "histogram mismatch for " + s.labels + " at " + s.t[k] + ": " + m + "; got " + h;
        }
        hi++;
      }
    }
    if (fi != wt.size() || hi != ht.size()) {
      return "point count mismatch for " + s.labels + ": " + describe(s);
    }
    return null;
  }

  private static String describe(Series s) {
    StringBuilder sb = new StringBuilder("[");
    for (int k = 0; k < s.n && k < 20; k++) {
      sb.append(s.t[k])
          .append('=')
          .append(s.histogram(k) != null ? s.histogram(k) : s.v[k])
          .append(' ');
    }
    return sb.append(']').toString();
  }

  static boolean floatEq(double a, double b) {
    if (StaleNaN.is(a) || StaleNaN.is(b)) {
      return StaleNaN.is(a) && StaleNaN.is(b);
    }
    if (Double.isNaN(a) && Double.isNaN(b)) {
      return true;
    }
    if (a == b) {
      return true;
    }
    double sum = Math.abs(a) + Math.abs(b);
    double diff = Math.abs(a - b);
    if (a == 0 || b == 0 || sum < Double.MIN_NORMAL) {
      return diff < 1e-6 * Double.MIN_NORMAL;
    }
    return diff / Math.min(sum, Double.MAX_VALUE) < 1e-6;
  }
}
