package dev.osprey.query.api;

import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.http.ApiException;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.RouteProvider;
import dev.osprey.core.http.Router;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import dev.osprey.core.storage.Storage;
import dev.osprey.core.util.PromDuration;
import dev.osprey.query.promql.Ast;
import dev.osprey.query.promql.Engine;
import dev.osprey.query.promql.GoFloat;
import dev.osprey.query.promql.ParseException;
import dev.osprey.query.promql.Parser;
import dev.osprey.query.promql.Printer;
import dev.osprey.query.promql.QueryException;
import dev.osprey.query.promql.QueryResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Prometheus's HTTP query API ({@code /api/v1/...}), answering in Prometheus's JSON shapes byte for
 * byte: query, query_range, series, labels, label values, metadata, format_query and parse_query.
 * The server registers it; {@code /api/v1/status/buildinfo} is the server's own.
 */
public final class PrometheusApi implements RouteProvider {
  /** Prometheus's hard cap on points per series in a range query. */
  public static final long MAX_POINTS = 11_000;

  private static final long MIN_TIME = Long.MIN_VALUE / 4;
  private static final long MAX_TIME = Long.MAX_VALUE / 4;

  private final Storage storage;
  private final Engine engine;
  private final QueryConfig config;
  private final Semaphore concurrency;
  private final MeterRegistry registry;
  private final RangeResultCache cache; // null when off

  /** Most queries the results cache keeps answers for (its memory is bounded apart). */
  static final int CACHE_MAX_ENTRIES = 10_000;

  public PrometheusApi(Storage storage, QueryConfig config, MeterRegistry registry) {
    this(storage, config, registry, System::currentTimeMillis);
  }

  /** With the clock the results cache's freshness offset counts from (tests). */
  PrometheusApi(
      Storage storage,
      QueryConfig config,
      MeterRegistry registry,
      java.util.function.LongSupplier clock) {
    this.storage = storage;
    this.config = config;
    this.engine = new Engine(storage, config);
    this.concurrency = new Semaphore(config.maxConcurrent());
    this.registry = registry;
    long offset = config.resultsCacheOffset().toMillis();
    this.cache =
        offset <= 0 || storage.changes() == null
            ? null
            : new RangeResultCache(
                offset,
                config.resultsCacheMaxBytes().bytes(),
                CACHE_MAX_ENTRIES,
                config.maxSamples(),
                storage.changes(),
                clock,
                registry);
  }

  /** The range query results cache, or null when it is off. */
  RangeResultCache cache() {
    return cache;
  }

  /** The engine behind this API, for programmatic use (rules, alerting). */
  public Engine engine() {
    return engine;
  }

  @Override
  public void register(Router router) {
    router.getOrPost("/api/v1/query", this::query);
    router.getOrPost("/api/v1/query_range", this::queryRange);
    router.getOrPost("/api/v1/series", this::series);
    router.getOrPost("/api/v1/labels", this::labels);
    router.get("/api/v1/label/{name}/values", this::labelValues);
    router.get("/api/v1/metadata", r -> HttpResponse.success(Map.of()));
    // Grafana asks for exemplars alongside queries; Osprey stores none.
    router.getOrPost("/api/v1/query_exemplars", r -> HttpResponse.success(List.of()));
    router.getOrPost("/api/v1/format_query", this::formatQuery);
    router.getOrPost("/api/v1/parse_query", this::parseQuery);
  }

  // ------------------------------------------------------------------ query endpoints

  HttpResponse query(HttpRequest r) {
    String q = required(r, "query");
    long t =
        r.param("time") == null ? System.currentTimeMillis() : parseTime(r.param("time"), "time");
    long timeoutMs = timeout(r);
    return run(
        "query",
        timeoutMs,
        () -> {
          QueryResult res = engineFor(timeoutMs).instantQuery(q, t);
          return res;
        },
        q,
        limit(r));
  }

  HttpResponse queryRange(HttpRequest r) {
    String q = required(r, "query");
    long start = parseTime(required(r, "start"), "start");
    long end = parseTime(required(r, "end"), "end");
    if (end < start) {
      throw ApiException.badData("end timestamp must not be before start time");
    }
    long step = parseStep(required(r, "step"));
    if (step <= 0) {
      throw ApiException.badData(
          "zero or negative query resolution step widths are not accepted. Try a positive"
              + " integer");
    }
    if ((end - start) / step > MAX_POINTS) {
      throw ApiException.badData(
          "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query"
              + " resolution (?step=XX)");
    }
    long timeoutMs = timeout(r);
    boolean nocache = isTrue(r.param("nocache"));
    return run(
        "query_range",
        timeoutMs,
        () -> rangeQuery(q, start, end, step, timeoutMs, nocache),
        q,
        limit(r));
  }

  /** VictoriaMetrics' {@code nocache=1}: this request neither reads nor fills the cache. */
  private static boolean isTrue(String v) {
    return v != null && (v.equals("1") || v.equalsIgnoreCase("true"));
  }

  private QueryResult rangeQuery(
      String q, long start, long end, long step, long timeoutMs, boolean nocache) {
    if (cache == null || nocache) {
      return engineFor(timeoutMs).rangeQuery(q, start, end, step);
    }
    // parsed once: the cache may evaluate the steps before and after its own, and the check reads
    // the same tree
    Ast.Expr parsed = Parser.parse(q);
    if (!RangeResultCache.cacheable(parsed)) {
      return engineFor(timeoutMs).rangeQuery(parsed, q, start, end, step);
    }
    // one deadline for the request, however many ranges it evaluates
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    return cache.query(
        q,
        start,
        end,
        step,
        (s, e) -> {
          if (timeoutMs <= 0) {
            return engineFor(timeoutMs).rangeQuery(parsed, q, s, e, step);
          }
          long left = (deadline - System.nanoTime()) / 1_000_000L;
          if (left <= 0) {
            throw new QueryException(
                QueryException.Kind.TIMEOUT, "query timed out in query execution");
          }
          return engineFor(Math.min(left, timeoutMs)).rangeQuery(parsed, q, s, e, step);
        });
  }

  private interface Exec {
    QueryResult run();
  }

  private Engine engineFor(long timeoutMs) {
    if (timeoutMs == config.timeout().toMillis()) {
      return engine;
    }
    return new Engine(
        storage,
        timeoutMs,
        config.maxSamples(),
        config.lookbackDelta().toMillis(),
        60_000,
        config.maxSeries());
  }

  private HttpResponse run(String endpoint, long timeoutMs, Exec exec, String q, long limit) {
    Timer.Sample timing = Timer.start(registry);
    String outcome = "success";
    try {
      if (!concurrency.tryAcquire(timeoutMs, TimeUnit.MILLISECONDS)) {
        outcome = "timeout";
        throw ApiException.timeout("query timed out in query queue");
      }
      try {
        QueryResult res = exec.run();
        return HttpResponse.json(200, ResultJson.write(res, limit));
      } finally {
        concurrency.release();
      }
    } catch (ParseException e) {
      outcome = "bad_data";
      throw ApiException.badData("invalid parameter \"query\": " + e.positioned(q));
    } catch (QueryException e) {
      outcome = e.kind().name().toLowerCase(java.util.Locale.ROOT);
      throw switch (e.kind()) {
        case TIMEOUT -> ApiException.timeout(e.getMessage());
        case BAD_DATA -> ApiException.badData(e.getMessage());
        default -> ApiException.execution(e.getMessage());
      };
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      outcome = "canceled";
      throw ApiException.unavailable("query was interrupted");
    } finally {
      timing.stop(
          Timer.builder("osprey_query_duration_seconds")
              .description("Time spent answering PromQL API queries")
              .tag("endpoint", endpoint)
              .register(registry));
      Counter.builder("osprey_query_requests_total")
          .description("PromQL API queries by endpoint and outcome")
          .tag("endpoint", endpoint)
          .tag("outcome", outcome)
          .register(registry)
          .increment();
    }
  }

  // ------------------------------------------------------------------ metadata endpoints

  HttpResponse series(HttpRequest r) {
    List<String> matches = r.params("match[]");
    if (matches == null || matches.isEmpty()) {
      throw ApiException.badData("no match[] parameter provided");
    }
    long start = r.param("start") == null ? MIN_TIME : parseTime(r.param("start"), "start");
    long end = r.param("end") == null ? MAX_TIME : parseTime(r.param("end"), "end");
    long limit = limit(r);
    List<List<LabelMatcher>> sets = matcherSets(matches);
    TreeSet<Labels> out = new TreeSet<>();
    try (Querier q = storage.querier()) {
      for (List<LabelMatcher> ms : sets) {
        SeriesSet ss =
            q.select(start, end, SelectHints.of(start, end), ms.toArray(new LabelMatcher[0]));
        while (ss.next()) {
          out.add(ss.labels());
          if (config.maxSeries() > 0 && out.size() > config.maxSeries()) {
            throw ApiException.execution(
                QueryException.tooManySeries(config.maxSeries()).getMessage());
          }
        }
      }
    }
    List<Map<String, String>> data = new ArrayList<>();
    for (Labels l : out) {
      if (limit > 0 && data.size() >= limit) {
        break;
      }
      Map<String, String> m = new LinkedHashMap<>();
      l.forEach(m::put);
      data.add(m);
    }
    return HttpResponse.success(data);
  }

  HttpResponse labels(HttpRequest r) {
    long start = r.param("start") == null ? MIN_TIME : parseTime(r.param("start"), "start");
    long end = r.param("end") == null ? MAX_TIME : parseTime(r.param("end"), "end");
    long limit = limit(r);
    TreeSet<String> names = new TreeSet<>(dev.osprey.core.labels.Utf8Order::compare);
    List<String> matches = r.params("match[]");
    try (Querier q = storage.querier()) {
      if (matches == null || matches.isEmpty()) {
        names.addAll(q.labelNames(start, end));
      } else {
        for (List<LabelMatcher> ms : matcherSets(matches)) {
          names.addAll(q.labelNames(start, end, ms.toArray(new LabelMatcher[0])));
        }
      }
    }
    return HttpResponse.success(truncate(new ArrayList<>(names), limit));
  }

  HttpResponse labelValues(HttpRequest r) {
    String name = r.pathParam("name");
    if (name.startsWith("U__")) {
      name = unescapeUtf8Name(name);
    }
    if (name.isEmpty()) {
      throw ApiException.badData("invalid label name: \"" + name + "\"");
    }
    long start = r.param("start") == null ? MIN_TIME : parseTime(r.param("start"), "start");
    long end = r.param("end") == null ? MAX_TIME : parseTime(r.param("end"), "end");
    long limit = limit(r);
    TreeSet<String> values = new TreeSet<>(dev.osprey.core.labels.Utf8Order::compare);
    List<String> matches = r.params("match[]");
    try (Querier q = storage.querier()) {
      if (matches == null || matches.isEmpty()) {
        values.addAll(q.labelValues(start, end, name));
      } else {
        for (List<LabelMatcher> ms : matcherSets(matches)) {
          values.addAll(q.labelValues(start, end, name, ms.toArray(new LabelMatcher[0])));
        }
      }
    }
    return HttpResponse.success(truncate(new ArrayList<>(values), limit));
  }

  /** Prometheus's U__ escaping of label names in paths: _xx_ hex code points, __ for _. */
  static String unescapeUtf8Name(String s) {
    String body = s.substring(3);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c != '_') {
        sb.append(c);
        continue;
      }
      if (i + 1 < body.length() && body.charAt(i + 1) == '_') {
        sb.append('_');
        i++;
        continue;
      }
      int close = body.indexOf('_', i + 1);
      if (close < 0) {
        return s;
      }
      try {
        sb.appendCodePoint(Integer.parseInt(body.substring(i + 1, close), 16));
      } catch (NumberFormatException e) {
        return s;
      }
      i = close;
    }
    return sb.toString();
  }

  HttpResponse formatQuery(HttpRequest r) {
    String q = required(r, "query");
    try {
      return HttpResponse.success(Printer.pretty(Parser.parse(q)));
    } catch (ParseException e) {
      throw ApiException.badData("invalid parameter \"query\": " + e.positioned(q));
    }
  }

  HttpResponse parseQuery(HttpRequest r) {
    String q = required(r, "query");
    try {
      return HttpResponse.success(AstJson.of(Parser.parse(q)));
    } catch (ParseException e) {
      throw ApiException.badData("invalid parameter \"query\": " + e.positioned(q));
    }
  }

  // ------------------------------------------------------------------ parameters

  private static List<String> truncate(List<String> l, long limit) {
    return limit > 0 && l.size() > limit ? l.subList(0, (int) limit) : l;
  }

  private static List<List<LabelMatcher>> matcherSets(List<String> matches) {
    List<List<LabelMatcher>> out = new ArrayList<>();
    for (String m : matches) {
      try {
        out.add(Parser.parseMatchers(m));
      } catch (ParseException e) {
        throw ApiException.badData("invalid parameter \"match[]\": " + e.positioned(m));
      }
    }
    return out;
  }

  private static String required(HttpRequest r, String name) {
    String v = r.param(name);
    if (v == null || (v.isEmpty() && !name.equals("query"))) {
      if (name.equals("query")) {
        throw ApiException.badData(
            "invalid parameter \"query\": 1:1: parse error: no expression found in input");
      }
      throw ApiException.badData(
          "invalid parameter \"" + name + "\": cannot parse \"\" to a valid timestamp");
    }
    return v;
  }

  private long timeout(HttpRequest r) {
    long max = config.timeout().toMillis();
    String t = r.param("timeout");
    if (t == null || t.isEmpty()) {
      return max;
    }
    long ms;
    try {
      ms = parseStep(t);
    } catch (ApiException e) {
      throw ApiException.badData(
          "invalid parameter \"timeout\": cannot parse \"" + t + "\" to a valid duration");
    }
    return Math.min(ms, max);
  }

  private static long limit(HttpRequest r) {
    String l = r.param("limit");
    if (l == null || l.isEmpty()) {
      return 0;
    }
    try {
      long v = Long.parseLong(l);
      if (v < 0) {
        throw ApiException.badData("limit must be non-negative");
      }
      return v;
    } catch (NumberFormatException e) {
      throw ApiException.badData(
          "invalid parameter \"limit\": cannot parse \"" + l + "\" to a valid limit");
    }
  }

  /** Unix seconds (fractional) or RFC 3339, as Prometheus's parseTime; milliseconds out. */
  public static long parseTime(String s, String param) {
    try {
      double d = Double.parseDouble(s);
      if (!Double.isNaN(d) && !Double.isInfinite(d) && !s.endsWith("d") && !s.endsWith("f")) {
        double secs = Math.floor(d);
        double frac = Math.round((d - secs) * 1000) / 1000.0;
        return (long) secs * 1000 + Math.round(frac * 1000);
      }
    } catch (NumberFormatException e) {
      // not a number: try RFC 3339
    }
    try {
      return OffsetDateTime.parse(s).toInstant().toEpochMilli();
    } catch (DateTimeParseException e) {
      try {
        return Instant.parse(s).toEpochMilli();
      } catch (DateTimeParseException e2) {
        throw ApiException.badData(
            "invalid parameter \"" + param + "\": cannot parse \"" + s + "\" to a valid timestamp");
      }
    }
  }

  /** A step or timeout: float seconds or a Prometheus duration; milliseconds out. */
  public static long parseStep(String s) {
    try {
      double d = Double.parseDouble(s);
      if (!s.endsWith("d") && !s.endsWith("f")) {
        if (d * 1000 > Long.MAX_VALUE / 2 || Double.isNaN(d)) {
          throw ApiException.badData(
              "invalid parameter \"step\": cannot parse \""
                  + s
                  + "\" to a valid duration. It"
                  + " overflows int64");
        }
        return Math.round(d * 1000);
      }
    } catch (NumberFormatException e) {
      // a duration
    }
    try {
      return PromDuration.parseMillis(s);
    } catch (RuntimeException e) {
      throw ApiException.badData(
          "invalid parameter \"step\": cannot parse \"" + s + "\" to a valid duration");
    }
  }

  /**
   * The syntax tree as JSON, in the shape of Prometheus's parse_query ({@code translateAST}):
   * durations and offsets in milliseconds, selector fields flat in a matrix selector, empty lists
   * rather than null, vector matching present exactly when both sides are instant vectors (as
   * upstream's parser leaves it), and keys in sorted order as Go writes a map.
   */
  static final class AstJson {
    private AstJson() {}

    static Object of(Ast.Expr e) {
      Map<String, Object> m = new java.util.TreeMap<>();
      switch (e) {
        case Ast.NumberLiteral n -> {
          m.put("type", "numberLiteral");
          m.put("val", GoFloat.formatF(n.val));
        }
        case Ast.StringLiteral s -> {
          m.put("type", "stringLiteral");
          m.put("val", s.val);
        }
        case Ast.ParenExpr p -> {
          m.put("type", "parenExpr");
          m.put("expr", of(p.expr));
        }
        case Ast.UnaryExpr u -> {
          m.put("type", "unaryExpr");
          m.put("op", u.minus ? "-" : "+");
          m.put("expr", of(u.expr));
        }
        case Ast.VectorSelector vs -> {
          selector(m, vs);
          m.put("type", "vectorSelector");
          m.put("anchored", vs.anchored);
          m.put("smoothed", vs.smoothed);
        }
        case Ast.MatrixSelector ms -> {
          selector(m, ms.vs);
          m.put("type", "matrixSelector");
          m.put("range", millis(ms.range));
          m.put("anchored", ms.anchored || ms.vs.anchored);
          m.put("smoothed", ms.smoothed || ms.vs.smoothed);
        }
        case Ast.SubqueryExpr s -> {
          m.put("type", "subquery");
          m.put("expr", of(s.expr));
          m.put("range", millis(s.range));
          m.put("step", s.step == null ? 0L : millis(s.step));
          modifiers(m, s.mods);
          m.put("alignEvalTime", false);
        }
        case Ast.BinaryExpr b -> {
          m.put("type", "binaryExpr");
          m.put("op", b.op.text);
          m.put("lhs", of(b.lhs));
          m.put("rhs", of(b.rhs));
          m.put("bool", b.returnBool);
          m.put("matching", matching(b));
        }
        case Ast.Call c -> {
          m.put("type", "call");
          Map<String, Object> fn = new java.util.TreeMap<>();
          fn.put("name", c.fn.name());
          List<String> types = new ArrayList<>();
          for (Ast.ValueType t : c.fn.args()) {
            types.add(typeName(t));
          }
          fn.put("argTypes", types);
          fn.put("variadic", c.fn.variadic());
          fn.put("returnType", typeName(c.fn.ret()));
          m.put("func", fn);
          List<Object> args = new ArrayList<>();
          for (Ast.Expr a : c.args) {
            args.add(of(a));
          }
          m.put("args", args);
        }
        case Ast.AggregateExpr a -> {
          m.put("type", "aggregation");
          m.put("op", a.op);
          m.put("expr", of(a.expr));
          m.put("param", a.param == null ? null : of(a.param));
          m.put("grouping", a.grouping == null ? List.of() : a.grouping);
          m.put("without", a.without);
        }
      }
      return m;
    }

    /** Upstream's parser gives two instant vectors a matching (set operators many-to-many). */
    private static Object matching(Ast.BinaryExpr b) {
      if (b.lhs.type() != Ast.ValueType.VECTOR || b.rhs.type() != Ast.ValueType.VECTOR) {
        return null;
      }
      boolean set = b.op.text.equals("and") || b.op.text.equals("or") || b.op.text.equals("unless");
      Map<String, Object> vm = new java.util.TreeMap<>();
      Ast.VectorMatching vmx = b.matching;
      vm.put(
          "card",
          set || vmx == null
              ? (set ? "many-to-many" : "one-to-one")
              : switch (vmx.card) {
                case ONE_TO_ONE -> "one-to-one";
                case MANY_TO_ONE -> "many-to-one";
                case ONE_TO_MANY -> "one-to-many";
                case MANY_TO_MANY -> "many-to-many";
              });
      vm.put("labels", vmx == null || vmx.matchingLabels == null ? List.of() : vmx.matchingLabels);
      vm.put("on", vmx != null && vmx.on);
      vm.put("include", vmx == null || vmx.include == null ? List.of() : vmx.include);
      Map<String, Object> fill = new java.util.TreeMap<>();
      fill.put("lhs", vmx == null ? null : vmx.fillLeft);
      fill.put("rhs", vmx == null ? null : vmx.fillRight);
      vm.put("fillValues", fill);
      return vm;
    }

    private static String typeName(Ast.ValueType t) {
      return switch (t) {
        case SCALAR -> "scalar";
        case VECTOR -> "vector";
        case MATRIX -> "matrix";
        case STRING -> "string";
      };
    }

    private static void selector(Map<String, Object> m, Ast.VectorSelector vs) {
      m.put("name", vs.name == null ? "" : vs.name);
      List<Map<String, String>> ms = new ArrayList<>();
      for (LabelMatcher lm : vs.matchers) {
        Map<String, String> x = new java.util.TreeMap<>();
        x.put("type", lm.type().op());
        x.put("name", lm.name());
        x.put("value", lm.value());
        ms.add(x);
      }
      m.put("matchers", ms);
      modifiers(m, vs.mods);
    }

    private static void modifiers(Map<String, Object> m, Ast.Modifiers mods) {
      m.put("offset", mods.offsetExpr == null ? 0L : millis(mods.offsetExpr));
      m.put("timestamp", mods.at == null ? null : Math.round(mods.at * 1000));
      m.put("startOrEnd", mods.atStartEnd == 1 ? "start" : mods.atStartEnd == 2 ? "end" : null);
    }

    /**
     * A duration expression in milliseconds; 0 when it depends on the query (step(), range()), as
     * upstream leaves such durations until evaluation.
     */
    private static long millis(Ast.Expr e) {
      double s = seconds(e);
      return Double.isNaN(s) ? 0 : Math.round(s * 1000);
    }

    private static double seconds(Ast.Expr e) {
      return switch (e) {
        case Ast.NumberLiteral n -> n.val;
        case Ast.ParenExpr p -> seconds(p.expr);
        case Ast.UnaryExpr u -> u.minus ? -seconds(u.expr) : seconds(u.expr);
        case Ast.BinaryExpr b -> {
          double l = seconds(b.lhs);
          double r = seconds(b.rhs);
          yield switch (b.op.text) {
            case "+" -> l + r;
            case "-" -> l - r;
            case "*" -> l * r;
            case "/" -> l / r;
            case "%" -> l % r;
            case "^" -> Math.pow(l, r);
            default -> Double.NaN;
          };
        }
        default -> Double.NaN;
      };
    }
  }
}
