package dev.osprey.query.logql;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.re2j.Pattern;
import dev.osprey.core.config.LogIndexConfig;
import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.logs.index.LogEntry;
import dev.osprey.logs.index.LogSearchRequest.Direction;
import dev.osprey.logs.index.LogStore;
import dev.osprey.logs.index.LogStream;
import dev.osprey.query.logql.Ast.LogExpr;
import dev.osprey.query.logql.Ast.MetricExpr;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LogQL answers from the index against answers computed by scanning the raw lines in plain Java.
 */
class LogQLDifferentialTest {
  static final long SEC = 1_000_000_000L;
  static final long MIN = 60 * SEC;
  static final long T0 = (System.currentTimeMillis() / 60_000 - 180) * MIN; // 3 h ago, on a minute
  static final long SPAN = 150 * MIN;
  static final String NEEDLE = "7f3e9a0c1b2d4e5f8a9b0c1d2e3f4a5b";

  @TempDir static Path dir;
  static LogStore store;
  static LogQLEngine engine;
  static final List<Raw> raw = new ArrayList<>();

  record Raw(Labels stream, long ts, String line) {}

  @BeforeAll
  static void load() {
    store =
        LogStore.open(
            dir,
            new LogIndexConfig(
                Duration.ofDays(7), Duration.ofHours(1), Duration.ofSeconds(10), null),
            new SimpleMeterRegistry(),
            false);
    engine = new LogQLEngine(store, QueryConfig.DEFAULTS);
    Random rnd = new Random(42);
    String[] apps = {"api", "web", "db"};
    String[] envs = {"prod", "dev"};
    String[] paths = {"/api/users", "/api/orders", "/health", "/login"};
    Map<Labels, List<LogEntry>> byStream = new LinkedHashMap<>();
    int n = 20_000;
    long[] tss = new long[n];
    for (int i = 0; i < n; i++) {
      tss[i] = T0 + (long) (rnd.nextDouble() * SPAN);
    }
    Arrays.sort(tss);
    for (int i = 0; i < n; i++) {
      String app = apps[rnd.nextInt(apps.length)];
      Labels st = Labels.of("app", app, "env", envs[rnd.nextInt(2)]);
      String line;
      int status = rnd.nextInt(10) == 0 ? 500 + rnd.nextInt(4) : 200 + rnd.nextInt(2);
      String level = status >= 500 ? "error" : rnd.nextInt(5) == 0 ? "warn" : "info";
      int latency = 1 + rnd.nextInt(900);
      switch (app) {
        case "api" ->
            line =
                "level="
                    + level
                    + " msg=\""
                    + (status >= 500 ? "Connection reset by peer" : "request done")
                    + "\" path="
                    + paths[rnd.nextInt(paths.length)]
                    + " status="
                    + status
                    + " latency_ms="
                    + latency
                    + " trace_id="
                    + Long.toHexString(rnd.nextLong());
        case "web" ->
            line =
                "{\"level\":\""
                    + level
                    + "\",\"status\":"
                    + status
                    + ",\"path\":\""
                    + paths[rnd.nextInt(paths.length)]
                    + "\",\"duration\":\""
                    + latency
                    + "ms\"}";
        default ->
            line =
                "10.0."
                    + rnd.nextInt(4)
                    + "."
                    + rnd.nextInt(250)
                    + " - - \"SELECT * FROM t"
                    + rnd.nextInt(5)
                    + "\" "
                    + (status >= 500 ? "ERROR deadlock detected" : "ok")
                    + " rows="
                    + rnd.nextInt(100);
      }
      if (i == n / 2) {
        line = "level=error msg=\"payment failed\" trace_id=" + NEEDLE;
      }
      raw.add(new Raw(st, tss[i], line));
      byStream.computeIfAbsent(st, k -> new ArrayList<>()).add(new LogEntry(tss[i], line));
    }
    List<LogStream> batch = new ArrayList<>();
    byStream.forEach((l, es) -> batch.add(new LogStream(l, es)));
    store.append(batch);
    store.refresh();
  }

  @AfterAll
  static void close() throws IOException {
    store.close();
  }

  // ------------------------------------------------------------------ log queries

  static List<String> engineLines(String q, long start, long end, Direction dir, int limit) {
    LogQLEngine.LogResult r = engine.logs((LogExpr) LogQLParser.parse(q), start, end, dir, limit);
    List<Raw> all = new ArrayList<>();
    for (LogQLEngine.Stream s : r.streams()) {
      for (LogQLEngine.Entry e : s.entries()) {
        all.add(new Raw(s.labels(), e.timestampNanos(), e.line()));
      }
    }
    all.sort(
        (a, b) -> dir == Direction.FORWARD ? Long.compare(a.ts, b.ts) : Long.compare(b.ts, a.ts));
    return all.stream().map(x -> x.ts + " " + x.line).toList();
  }

  static List<String> scanLines(
      Predicate<Labels> sel, Predicate<String> f, long start, long end, Direction dir, int limit) {
    List<Raw> m = new ArrayList<>();
    for (Raw x : raw) {
      if (x.ts >= start && x.ts < end && sel.test(x.stream) && f.test(x.line)) {
        m.add(x);
      }
    }
    m.sort(
        (a, b) -> dir == Direction.FORWARD ? Long.compare(a.ts, b.ts) : Long.compare(b.ts, a.ts));
    return m.subList(0, Math.min(limit, m.size())).stream().map(x -> x.ts + " " + x.line).toList();
  }

  static Predicate<Labels> app(String a) {
    return l -> l.get("app").equals(a);
  }

  @Test
  void logQueriesMatchTheScan() {
    long s = T0 + 10 * MIN;
    long e = T0 + 140 * MIN;
    record Case(String q, Predicate<Labels> sel, Predicate<String> f) {}
    Pattern userOrOrders = Pattern.compile("users|orders");
    Pattern ci = Pattern.compile("(?i)connection RESET");
    List<Case> cases =
        List.of(
            new Case("{app=\"api\"}", app("api"), x -> true),
            new Case(
                "{app=\"api\"} |= \"Connection reset\"",
                app("api"),
                x -> x.contains("Connection reset")),
            new Case(
                "{app=~\"api|db\"} != \"ok\" |= \"rows=1\"",
                app("api").or(app("db")),
                x -> !x.contains("ok") && x.contains("rows=1")),
            new Case(
                "{env=\"prod\"} |~ \"users|orders\"",
                l -> l.get("env").equals("prod"),
                x -> userOrOrders.matcher(x).find()),
            new Case(
                "{app=\"api\"} |~ \"(?i)connection RESET\"", app("api"), x -> ci.matcher(x).find()),
            new Case("|= \"" + NEEDLE + "\"", l -> true, x -> x.contains(NEEDLE)),
            new Case("|= \"9a0c1b2d\"", l -> true, x -> x.contains("9a0c1b2d")),
            new Case("{app=\"db\"} |= \"10.0.1.\"", app("db"), x -> x.contains("10.0.1.")),
            new Case("|= \"0.1.1\"", l -> true, x -> x.contains("0.1.1")),
            new Case("|= \".0.2.4 \"", l -> true, x -> x.contains(".0.2.4 ")),
            new Case(
                "{app=\"web\"} |= \"error\" or \"warn\"",
                app("web"),
                x -> x.contains("error") || x.contains("warn")),
            new Case(
                "{app=\"db\"} |= \"deadlock\" != \"t3\"",
                app("db"),
                x -> x.contains("deadlock") && !x.contains("t3")));
    for (Case c : cases) {
      for (Direction d : Direction.values()) {
        for (int limit : new int[] {7, 5000}) {
          assertThat(engineLines(c.q(), s, e, d, limit))
              .as("%s %s limit %d", c.q(), d, limit)
              .isEqualTo(scanLines(c.sel(), c.f(), s, e, d, limit));
        }
      }
    }
    assertThat(engineLines("|= \"" + NEEDLE + "\"", T0, T0 + SPAN, Direction.BACKWARD, 10))
        .hasSize(1);
  }

  @Test
  void parsedLabelFiltersMatchTheScan() {
    long s = T0;
    long e = T0 + SPAN;
    // logfmt + numeric filter
    List<String> got =
        engineLines(
            "{app=\"api\"} | logfmt | status >= 500 and latency_ms > 450",
            s,
            e,
            Direction.FORWARD,
            5000);
    List<String> want =
        scanLines(
            app("api"),
            x -> {
              Map<String, String> kv = logfmtPairs(x);
              return kv != null
                  && kv.containsKey("status")
                  && Integer.parseInt(kv.get("status")) >= 500
                  && kv.containsKey("latency_ms")
                  && Integer.parseInt(kv.get("latency_ms")) > 450;
            },
            s,
            e,
            Direction.FORWARD,
            5000);
    assertThat(got).isNotEmpty().isEqualTo(want);
    // json + duration filter + line_format
    LogQLEngine.LogResult r =
        engine.logs(
            (LogExpr)
                LogQLParser.parse(
                    "{app=\"web\"} | json | duration > 800ms | line_format \"{{.path}} {{.status}}\""),
            s,
            e,
            Direction.FORWARD,
            5000);
    List<String> lines = new ArrayList<>();
    r.streams().forEach(st -> st.entries().forEach(en -> lines.add(en.line())));
    long expected =
        raw.stream()
            .filter(x -> x.stream.get("app").equals("web"))
            // a line that is not JSON carries __error__, and numeric filters let it through (Loki)
            .filter(
                x ->
                    !x.line.startsWith("{")
                        || Integer.parseInt(
                                x.line.replaceAll(".*\"duration\":\"(\\d+)ms\".*", "$1"))
                            > 800)
            .count();
    assertThat(lines).hasSize((int) expected);
    assertThat(lines).allMatch(l -> l.matches("/[a-z/]+ \\d{3}") || l.equals(" "));
  }

  // ------------------------------------------------------------------ metric queries

  /** Expected per-step values by scanning: group key of a line (null = skip) and its sample. */
  static Map<Labels, double[]> scanRange(
      long start,
      long end,
      long step,
      long range,
      Function<Raw, Labels> key,
      ToDoubleFunction<Raw> value,
      Function<double[], Double> agg) {
    int steps = (int) ((end - start) / step) + 1;
    Map<Labels, List<List<Double>>> acc = new HashMap<>();
    for (Raw x : raw) {
      Labels k = key.apply(x);
      if (k == null) {
        continue;
      }
      for (int i = 0; i < steps; i++) {
        long t = start + i * step;
        if (x.ts > t - range && x.ts <= t) {
          List<List<Double>> per =
              acc.computeIfAbsent(
                  k,
                  z -> {
                    List<List<Double>> l = new ArrayList<>();
                    for (int j = 0; j < steps; j++) {
                      l.add(new ArrayList<>());
                    }
                    return l;
                  });
          per.get(i).add(value.applyAsDouble(x));
        }
      }
    }
    Map<Labels, double[]> out = new TreeMap<>();
    acc.forEach(
        (k, per) -> {
          double[] v = new double[steps];
          for (int i = 0; i < steps; i++) {
            List<Double> w = per.get(i);
            v[i] = w.isEmpty() ? Double.NaN : agg.apply(w.stream().mapToDouble(d -> d).toArray());
          }
          out.put(k, v);
        });
    return out;
  }

  static Map<Labels, double[]> engineRange(String q, long start, long end, long step) {
    MetricResult r = engine.metric((MetricExpr) LogQLParser.parse(q), start, end, step);
    Map<Labels, double[]> out = new TreeMap<>();
    for (StepSeries s : r.series()) {
      out.put(s.labels(), s.values());
    }
    return out;
  }

  static void assertSame(String q, Map<Labels, double[]> got, Map<Labels, double[]> want) {
    assertThat(want).as("%s: the scan finds something to compare", q).isNotEmpty();
    assertThat(got.keySet()).as(q).isEqualTo(want.keySet());
    for (Labels k : want.keySet()) {
      double[] g = got.get(k);
      double[] w = want.get(k);
      assertThat(g.length).isEqualTo(w.length);
      for (int i = 0; i < w.length; i++) {
        if (Double.isNaN(w[i])) {
          assertThat(g[i]).as("%s %s step %d", q, k, i).isNaN();
        } else {
          assertThat(g[i])
              .as("%s %s step %d", q, k, i)
              .isCloseTo(
                  w[i], org.assertj.core.data.Offset.offset(1e-9 * Math.max(1, Math.abs(w[i]))));
        }
      }
    }
  }

  static double sum(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s;
  }

  static int utf8(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }

  @Test
  void rangeAggregationsMatchTheScan() {
    long start = T0 + 20 * MIN;
    long end = T0 + 140 * MIN;
    long step = 5 * MIN;
    long range = 10 * MIN;
    String sel = "{app=\"api\"}";
    assertSame(
        "count",
        engineRange("count_over_time(" + sel + "[10m])", start, end, step),
        scanRange(
            start,
            end,
            step,
            range,
            x -> app("api").test(x.stream) ? x.stream : null,
            x -> 1,
            v -> (double) v.length));
    assertSame(
        "rate filtered",
        engineRange("rate(" + sel + " |= \"Connection reset\" [10m])", start, end, step),
        scanRange(
            start,
            end,
            step,
            range,
            x -> app("api").test(x.stream) && x.line.contains("Connection reset") ? x.stream : null,
            x -> 1,
            v -> v.length / 600.0));
    assertSame(
        "bytes",
        engineRange("bytes_over_time({app=\"db\"}[10m])", start, end, step),
        scanRange(
            start,
            end,
            step,
            range,
            x -> app("db").test(x.stream) ? x.stream : null,
            x -> utf8(x.line),
            LogQLDifferentialTest::sum));
    assertSame(
        "sum by app",
        engineRange("sum by (app) (count_over_time({env=\"prod\"}[10m]))", start, end, step),
        scanRange(
            start,
            end,
            step,
            range,
            x -> x.stream.get("env").equals("prod") ? Labels.of("app", x.stream.get("app")) : null,
            x -> 1,
            v -> (double) v.length));
    ToDoubleFunction<Raw> latency = x -> Double.parseDouble(logfmtPairs(x.line).get("latency_ms"));
    Function<Raw, Labels> apiWithLatency =
        x ->
            app("api").test(x.stream) && logfmtPairs(x.line).containsKey("latency_ms")
                ? Labels.of("app", "api")
                : null;
    assertSame(
        "avg unwrap by",
        engineRange(
            "avg_over_time({app=\"api\"} | logfmt | unwrap latency_ms [10m]) by (app)",
            start,
            end,
            step),
        scanRange(
            start,
            end,
            step,
            range,
            apiWithLatency,
            latency,
            v -> Arrays.stream(v).average().orElse(Double.NaN)));
    assertSame(
        "max unwrap",
        engineRange(
            "max(max_over_time({app=\"api\"} | logfmt | unwrap latency_ms [10m]) by (app))",
            start,
            end,
            step),
        scanRange(
            start,
            end,
            step,
            range,
            x -> apiWithLatency.apply(x) == null ? null : Labels.EMPTY,
            latency,
            v -> Arrays.stream(v).max().orElse(Double.NaN)));
    assertSame(
        "quantile",
        engineRange(
            "quantile_over_time(0.9, {app=\"api\"} | logfmt | unwrap latency_ms [10m]) by (app)",
            start,
            end,
            step),
        scanRange(
            start,
            end,
            step,
            range,
            apiWithLatency,
            latency,
            v -> RangeAggregations.quantile(0.9, v.clone())));
    // a ratio between two metric queries
    Map<Labels, double[]> errs =
        scanRange(
            start,
            end,
            step,
            range,
            x -> app("api").test(x.stream) && x.line.contains("level=error") ? Labels.EMPTY : null,
            x -> 1,
            v -> (double) v.length);
    Map<Labels, double[]> all =
        scanRange(
            start,
            end,
            step,
            range,
            x -> app("api").test(x.stream) ? Labels.EMPTY : null,
            x -> 1,
            v -> (double) v.length);
    double[] ratio = new double[all.get(Labels.EMPTY).length];
    for (int i = 0; i < ratio.length; i++) {
      double a = errs.containsKey(Labels.EMPTY) ? errs.get(Labels.EMPTY)[i] : Double.NaN;
      ratio[i] = Double.isNaN(a) ? Double.NaN : 100 * a / all.get(Labels.EMPTY)[i];
    }
    assertSame(
        "ratio",
        engineRange(
            "sum(count_over_time({app=\"api\"} |= \"level=error\" [10m])) / sum(count_over_time({app=\"api\"}[10m])) * 100",
            start,
            end,
            step),
        Map.of(Labels.EMPTY, ratio));
  }

  @Test
  void moreParsersAndOperatorsMatchTheScan() {
    long start = T0 + 20 * MIN;
    long end = T0 + 140 * MIN;
    long step = 7 * MIN;
    long range = 15 * MIN;
    // pattern parser on the db lines, grouped by an extracted label
    Pattern db = Pattern.compile("^(\\S+) - - \"SELECT \\* FROM (t\\d)\" ");
    Function<Raw, Labels> byTable =
        x -> {
          if (!app("db").test(x.stream)) {
            return null;
          }
          com.google.re2j.Matcher m = db.matcher(x.line);
          return m.find() ? Labels.of("table", m.group(2)) : null;
        };
    assertSame(
        "pattern",
        engineRange(
            "sum by (table) (count_over_time({app=\"db\"} | pattern `<ip> - - \"SELECT * FROM <table>\" <_>` | table != \"\" [15m]))",
            start,
            end,
            step),
        scanRange(start, end, step, range, byTable, x -> 1, v -> (double) v.length));
    // regexp parser + unwrap + min by env
    Pattern rows = Pattern.compile("rows=(\\d+)");
    assertSame(
        "regexp unwrap",
        engineRange(
            "min by (env) (min_over_time({app=\"db\"} | regexp `rows=(?P<rows>\\d+)` | unwrap rows [15m]))",
            start,
            end,
            step),
        scanRange(
            start,
            end,
            step,
            range,
            x ->
                app("db").test(x.stream) && rows.matcher(x.line).find()
                    ? Labels.of("env", x.stream.get("env"))
                    : null,
            x -> {
              com.google.re2j.Matcher m = rows.matcher(x.line);
              m.find();
              return Double.parseDouble(m.group(1));
            },
            v -> Arrays.stream(v).min().orElse(Double.NaN)));
    // bytes_rate, and a vector-vector operation matched on one label
    Map<Labels, double[]> bytes =
        scanRange(
            start,
            end,
            step,
            range,
            x -> Labels.of("app", x.stream.get("app")),
            x -> utf8(x.line),
            v -> sum(v) / 900.0);
    Map<Labels, double[]> counts =
        scanRange(
            start,
            end,
            step,
            range,
            x -> Labels.of("app", x.stream.get("app")),
            x -> 1,
            v -> (double) v.length);
    Map<Labels, double[]> perLine = new TreeMap<>();
    bytes.forEach(
        (k, b) -> {
          double[] c = counts.get(k);
          double[] r = new double[b.length];
          for (int i = 0; i < r.length; i++) {
            r[i] = Double.isNaN(b[i]) || Double.isNaN(c[i]) ? Double.NaN : b[i] / (c[i] / 900.0);
          }
          perLine.put(k, r);
        });
    assertSame(
        "bytes per line",
        engineRange(
            "sum by (app) (bytes_rate({env=~\".+\"}[15m])) / on (app) sum by (app) (rate({env=~\".+\"}[15m]))",
            start,
            end,
            step),
        perLine);
  }

  @Test
  void topkAndAbsent() {
    long t = T0 + 60 * MIN;
    MetricResult r =
        engine.metric(
            (MetricExpr)
                LogQLParser.parse("topk(2, sum by (app) (count_over_time({env=~\".+\"}[30m])))"),
            t,
            t,
            0);
    Map<String, Double> counts = new HashMap<>();
    for (Raw x : raw) {
      if (x.ts > t - 30 * MIN && x.ts <= t) {
        counts.merge(x.stream.get("app"), 1.0, Double::sum);
      }
    }
    List<String> top =
        counts.entrySet().stream()
            .sorted((a, b) -> Double.compare(b.getValue(), a.getValue()))
            .limit(2)
            .map(Map.Entry::getKey)
            .sorted()
            .toList();
    assertThat(r.series().stream().map(s -> s.labels().get("app")).sorted().toList())
        .isEqualTo(top);
    MetricResult absent =
        engine.metric(
            (MetricExpr) LogQLParser.parse("absent_over_time({app=\"nope\", env=\"x\"}[5m])"),
            t,
            t,
            0);
    assertThat(absent.series()).hasSize(1);
    assertThat(absent.series().get(0).labels()).isEqualTo(Labels.of("app", "nope", "env", "x"));
    assertThat(
            engine
                .metric(
                    (MetricExpr) LogQLParser.parse("absent_over_time({app=\"api\"}[30m])"), t, t, 0)
                .series())
        .isEmpty();
    assertThat(LabelMatcher.equal("a", "b").matches("b")).isTrue();
  }

  private static final java.util.regex.Pattern PAIR =
      java.util.regex.Pattern.compile("(\\w+)=(?:\"([^\"]*)\"|(\\S*))");

  /** The oracle's own reading of the workload's logfmt lines: key=value and key="value". */
  private static Map<String, String> logfmtPairs(String line) {
    Map<String, String> out = new java.util.HashMap<>();
    java.util.regex.Matcher m = PAIR.matcher(line);
    while (m.find()) {
      String v = m.group(2) != null ? m.group(2) : m.group(3);
      if (!v.isEmpty()) {
        out.put(m.group(1), v);
      }
    }
    return out;
  }
}
