package dev.osprey.query.logql;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.http.ApiException;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.Json;
import dev.osprey.core.http.RouteProvider;
import dev.osprey.core.http.Router;
import dev.osprey.core.http.WebSocketSettings;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.logs.index.LogSearchRequest.Direction;
import dev.osprey.logs.index.LogStore;
import dev.osprey.logs.index.Tenants;
import dev.osprey.query.logql.Ast.*;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Loki's HTTP query API over the log store, in the shapes Grafana's Loki data source reads: {@code
 * /loki/api/v1/query}, {@code query_range}, {@code labels}, {@code label/{name}/values}, {@code
 * series}, {@code index/stats}, {@code index/volume}, {@code status/buildinfo}, {@code tail} (a
 * websocket, see {@link LokiTail}). Errors are answered as Loki does: the status code and the
 * message as plain text.
 *
 * <p>Beyond Loki: a query may start with a pipeline and no stream selector ({@code |= "reset"}
 * searches every stream), and {@code /osprey/api/v1/logs/search} runs a Lucene query string with
 * highlights.
 */
public final class LokiApi implements RouteProvider {
  static final int MAX_ENTRIES = 5000;
  static final String VERSION = "3.4.0";

  private final LogStore store;
  private final QueryConfig config;
  private final MeterRegistry registry;
  private final LogQLEngine engine;
  private final LokiDrilldown drill;
  private final Semaphore running;
  private final LokiTail tail;

  public LokiApi(LogStore store, QueryConfig config, MeterRegistry registry) {
    this.store = store;
    this.config = config;
    this.registry = registry;
    this.engine = new LogQLEngine(store, config);
    this.drill = new LokiDrilldown(store, engine);
    this.running = new Semaphore(config.maxConcurrent());
    this.tail = new LokiTail(store, engine, LokiTail.SOCKET, LokiTail.MAX_PENDING);
  }

  /** For tests: the tail with other limits (socket queue, lines buffered per connection). */
  LokiApi(
      LogStore store,
      QueryConfig config,
      MeterRegistry registry,
      WebSocketSettings tailSocket,
      int tailMaxPending) {
    this.store = store;
    this.config = config;
    this.registry = registry;
    this.engine = new LogQLEngine(store, config);
    this.drill = new LokiDrilldown(store, engine);
    this.running = new Semaphore(config.maxConcurrent());
    this.tail = new LokiTail(store, engine, tailSocket, tailMaxPending);
  }

  /** Open tail connections. */
  int activeTails() {
    return tail.active();
  }

  @Override
  public void register(Router r) {
    r.getOrPost("/loki/api/v1/query", wrap("query", this::query));
    r.getOrPost("/loki/api/v1/query_range", wrap("query_range", this::queryRange));
    r.getOrPost("/loki/api/v1/labels", wrap("labels", this::labels));
    r.getOrPost("/loki/api/v1/label/{name}/values", wrap("label_values", this::labelValues));
    r.getOrPost("/loki/api/v1/series", wrap("series", this::series));
    r.getOrPost("/loki/api/v1/index/stats", wrap("index_stats", this::indexStats));
    r.getOrPost("/loki/api/v1/index/volume", wrap("index_volume", q -> drill.volume(q, false)));
    r.getOrPost(
        "/loki/api/v1/index/volume_range", wrap("index_volume_range", q -> drill.volume(q, true)));
    r.getOrPost("/loki/api/v1/detected_labels", wrap("detected_labels", drill::detectedLabels));
    r.getOrPost("/loki/api/v1/detected_fields", wrap("detected_fields", drill::detectedFields));
    r.getOrPost(
        "/loki/api/v1/detected_field/{name}/values",
        wrap("detected_field_values", drill::detectedFieldValues));
    r.getOrPost("/loki/api/v1/patterns", wrap("patterns", drill::patterns));
    r.get("/loki/api/v1/status/buildinfo", wrap("buildinfo", this::buildInfo));
    r.get("/loki/api/v1/tail", wrap("tail", tail::handle));
    r.getOrPost("/osprey/api/v1/logs/search", wrap("search", this::search));
  }

  private interface Handler {
    HttpResponse handle(HttpRequest req) throws IOException;
  }

  private dev.osprey.core.http.HttpHandler wrap(String name, Handler h) {
    return req -> {
      long t0 = System.nanoTime();
      String outcome = "success";
      if (!running.tryAcquire()) {
        registry
            .counter("osprey_logql_requests_total", "handler", name, "outcome", "rejected")
            .increment();
        return HttpResponse.text(429, "too many outstanding requests");
      }
      try {
        if (!name.equals("buildinfo")) {
          Tenants.of(req, store.config().authEnabled()); // 401 before any other check, as Loki
        }
        return h.handle(req);
      } catch (LogQLParseException e) {
        outcome = "bad_data";
        return HttpResponse.text(400, e.getMessage());
      } catch (IllegalArgumentException e) {
        outcome = "bad_data"; // e.g. an invalid json path or template argument
        return HttpResponse.text(400, String.valueOf(e.getMessage()));
      } catch (ApiException e) {
        outcome = e.errorType();
        return HttpResponse.text(
            e.status() == 503 && e.errorType().equals("timeout") ? 504 : e.status(),
            e.getMessage());
      } finally {
        running.release();
        registry
            .timer("osprey_logql_request_seconds", "handler", name, "outcome", outcome)
            .record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
      }
    };
  }

  // ------------------------------------------------------------------ parameters

  /** Loki's timestamp forms: RFC3339, float seconds, integer seconds (≤10 digits) or ns. */
  static long parseTime(String v, long dflt, String name) {
    if (v == null || v.isEmpty()) {
      return dflt;
    }
    try {
      if (v.contains(".")) {
        try {
          return new BigDecimal(v).movePointRight(9).longValue();
        } catch (NumberFormatException ignored) {
          // RFC3339 below
        }
      }
      try {
        long n = Long.parseLong(v);
        return v.length() <= 10 ? n * 1_000_000_000L : n;
      } catch (NumberFormatException ignored) {
        // RFC3339 below
      }
      Instant i = Instant.parse(v);
      return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    } catch (DateTimeParseException | ArithmeticException e) {
      throw ApiException.badData("invalid " + name + " '" + v + "': cannot parse as a time");
    }
  }

  static long parseStep(String v, long start, long end) {
    if (v == null || v.isEmpty()) {
      return Math.max((end - start) / 250 / 1_000_000_000L, 1) * 1_000_000_000L;
    }
    long d = Lexer.parseDuration(v);
    if (d > 0) {
      return d;
    }
    try {
      double s = Double.parseDouble(v);
      if (s > 0) {
        return (long) (s * 1e9);
      }
    } catch (NumberFormatException ignored) {
      // error below
    }
    throw ApiException.badData(
        "invalid step '"
            + v
            + "': zero or negative query resolution step widths are not accepted."
            + " Try a positive integer");
  }

  private static long now() {
    Instant i = Instant.now();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  static int limit(HttpRequest req) {
    String l = req.param("limit", "100");
    int n;
    try {
      n = Integer.parseInt(l);
    } catch (NumberFormatException e) {
      throw ApiException.badData("invalid limit '" + l + "'");
    }
    if (n <= 0) {
      throw ApiException.badData("limit must be a positive value");
    }
    if (n > MAX_ENTRIES) {
      throw ApiException.badData(
          "max entries limit per query exceeded, limit > max_entries_limit_per_query ("
              + n
              + " > "
              + MAX_ENTRIES
              + ")");
    }
    return n;
  }

  private static Direction direction(HttpRequest req) {
    String d = req.param("direction", "backward");
    return switch (d.toLowerCase(java.util.Locale.ROOT)) {
      case "forward" -> Direction.FORWARD;
      case "backward" -> Direction.BACKWARD;
      default -> throw ApiException.badData("invalid direction '" + d + "'");
    };
  }

  static String queryParam(HttpRequest req) {
    String q = req.param("query");
    if (q == null || q.isBlank()) {
      throw ApiException.badData("query parameter is required");
    }
    return q;
  }

  /**
   * The matcher that limits a request to its tenant's streams ({@link Tenants}): every query of a
   * request is parsed with it ({@link #parse}).
   *
   * @throws ApiException 401 without {@code X-Scope-OrgID} when {@code logs.auth_enabled}
   */
  static LabelMatcher tenant(HttpRequest req, LogStore store) {
    return Tenants.matcher(Tenants.of(req, store.config().authEnabled()));
  }

  /** A query for one tenant: every stream selector in it selects only {@code tenant}'s streams. */
  static Expr parse(String q, LabelMatcher tenant) {
    return Ast.withMatcher(LogQLParser.parse(q), tenant);
  }

  /**
   * Matchers of a selector query such as {@code {app="x"}} for one tenant; an empty or absent query
   * selects every stream of the tenant.
   */
  static List<LabelMatcher> selector(String q, LabelMatcher tenant) {
    if (q == null || q.isBlank()) {
      return List.of(tenant);
    }
    return logExpr(q, "log selectors", tenant).matchers();
  }

  /**
   * The log query of a request for one tenant: a log query as is, or the log part of a range
   * aggregation.
   */
  static LogExpr logExpr(String q, String accepted, LabelMatcher tenant) {
    Expr e = parse(q, tenant);
    if (e instanceof LogExpr l) {
      return l;
    }
    if (e instanceof RangeAgg ra) {
      return ra.range().log();
    }
    throw ApiException.badData("only " + accepted + " are accepted here: " + q);
  }

  // ------------------------------------------------------------------ handlers

  HttpResponse query(HttpRequest req) throws IOException {
    String q = queryParam(req);
    long t = parseTime(req.param("time"), now(), "time");
    Expr e = parse(q, tenant(req, store));
    if (e instanceof LogExpr) {
      throw ApiException.badData(
          "log queries are not supported as an instant query type, please change your query to"
              + " a range query type");
    }
    long t0 = System.nanoTime();
    MetricResult r = engine.metric((MetricExpr) e, t, t, 0);
    return json(
        g -> {
          g.writeStringField("status", "success");
          g.writeObjectFieldStart("data");
          if (r.scalar() != null) {
            g.writeStringField("resultType", "scalar");
            g.writeArrayFieldStart("result");
            writeTime(g, t);
            g.writeString(fmt(r.scalar()));
            g.writeEndArray();
          } else {
            g.writeStringField("resultType", "vector");
            g.writeArrayFieldStart("result");
            for (StepSeries s : sortsItself(e) ? r.series() : sorted(r.series())) {
              if (Double.isNaN(s.values()[0])) {
                continue;
              }
              g.writeStartObject();
              writeLabels(g, "metric", s.labels());
              g.writeArrayFieldStart("value");
              writeTime(g, t);
              g.writeString(fmt(s.values()[0]));
              g.writeEndArray();
              g.writeEndObject();
            }
            g.writeEndArray();
          }
          writeStats(g, t0, 0, 0);
          g.writeEndObject();
        });
  }

  HttpResponse queryRange(HttpRequest req) throws IOException {
    String q = queryParam(req);
    long end = parseTime(req.param("end"), now(), "end");
    long start = parseTime(req.param("start"), end - since(req, 3_600_000_000_000L), "start");
    if (end < start) {
      throw ApiException.badData("end timestamp must not be before start time");
    }
    int limit = limit(req);
    Direction dir = direction(req);
    Expr e = parse(q, tenant(req, store));
    long t0 = System.nanoTime();
    if (e instanceof LogExpr log) {
      boolean categorize = categorizeLabels(req);
      LogQLEngine.LogResult r = engine.logs(log, start, end, dir, limit, categorize);
      return json(
          g -> {
            g.writeStringField("status", "success");
            g.writeObjectFieldStart("data");
            g.writeStringField("resultType", "streams");
            if (categorize) {
              g.writeArrayFieldStart("encodingFlags");
              g.writeString(CATEGORIZE_LABELS);
              g.writeEndArray();
            }
            g.writeArrayFieldStart("result");
            List<LogQLEngine.Stream> ss = new ArrayList<>(r.streams());
            ss.sort((a, b) -> a.labels().compareTo(b.labels()));
            for (LogQLEngine.Stream s : ss) {
              g.writeStartObject();
              writeLabels(g, "stream", s.labels());
              g.writeArrayFieldStart("values");
              for (LogQLEngine.Entry en : s.entries()) {
                g.writeStartArray();
                g.writeString(Long.toString(en.timestampNanos()));
                g.writeString(en.line());
                if (categorize && (!en.metadata().isEmpty() || !en.parsed().isEmpty())) {
                  g.writeStartObject();
                  if (!en.metadata().isEmpty()) {
                    writeLabels(g, "structuredMetadata", en.metadata());
                  }
                  if (!en.parsed().isEmpty()) {
                    writeLabels(g, "parsed", en.parsed());
                  }
                  g.writeEndObject();
                }
                g.writeEndArray();
              }
              g.writeEndArray();
              g.writeEndObject();
            }
            g.writeEndArray();
            writeStats(g, t0, r.scanned(), r.matched());
            g.writeEndObject();
          });
    }
    long step = parseStep(req.param("step"), start, end);
    MetricResult r = engine.metric((MetricExpr) e, start, end, step);
    List<StepSeries> series =
        r.scalar() != null
            ? List.of(new StepSeries(Labels.EMPTY, fill(r.steps(), r.scalar())))
            : sorted(r.series());
    return json(
        g -> {
          g.writeStringField("status", "success");
          g.writeObjectFieldStart("data");
          g.writeStringField("resultType", "matrix");
          g.writeArrayFieldStart("result");
          for (StepSeries s : series) {
            g.writeStartObject();
            writeLabels(g, "metric", s.labels());
            g.writeArrayFieldStart("values");
            for (int i = 0; i < s.values().length; i++) {
              if (Double.isNaN(s.values()[i])) {
                continue;
              }
              g.writeStartArray();
              writeTime(g, r.time(i));
              g.writeString(fmt(s.values()[i]));
              g.writeEndArray();
            }
            g.writeEndArray();
            g.writeEndObject();
          }
          g.writeEndArray();
          writeStats(g, t0, 0, 0);
          g.writeEndObject();
        });
  }

  private static double[] fill(int n, double v) {
    double[] a = new double[n];
    java.util.Arrays.fill(a, v);
    return a;
  }

  private static final String CATEGORIZE_LABELS = "categorize-labels";

  /**
   * Whether the client asked, as Grafana does, for Loki's {@code categorize-labels} encoding
   * ({@code X-Loki-Response-Encoding-Flags}, a comma-separated list).
   */
  private static boolean categorizeLabels(HttpRequest req) {
    String flags = req.header("X-Loki-Response-Encoding-Flags");
    if (flags == null) {
      return false;
    }
    for (String f : flags.split(",")) {
      if (f.trim().equals(CATEGORIZE_LABELS)) {
        return true;
      }
    }
    return false;
  }

  /** sort() and sort_desc() order an instant vector by value; other results by labels. */
  private static boolean sortsItself(Expr e) {
    while (e instanceof Paren p) {
      e = p.inner();
    }
    return e instanceof Call c && c.fn().startsWith("sort");
  }

  private static List<StepSeries> sorted(List<StepSeries> in) {
    List<StepSeries> out = new ArrayList<>(in);
    out.sort((a, b) -> a.labels().compareTo(b.labels()));
    return out;
  }

  /**
   * [start, end + 1) of a request: {@code end} defaults to now, {@code start} to {@code since} (a
   * duration) before end, or else to {@code dfltSpan} before end.
   */
  static long[] range(HttpRequest req, long dfltSpan) {
    long end = parseTime(req.param("end"), now(), "end");
    long start = parseTime(req.param("start"), end - since(req, dfltSpan), "start");
    return new long[] {start, end + 1};
  }

  /** Loki's {@code since}: how far before end a request without a start begins. */
  static long since(HttpRequest req, long dflt) {
    String v = req.param("since");
    if (v == null || v.isEmpty()) {
      return dflt;
    }
    long d = Lexer.parseDuration(v);
    if (d <= 0) {
      throw ApiException.badData("invalid since '" + v + "': must be a positive duration");
    }
    return d;
  }

  private static final long SIX_HOURS = 6 * 3_600_000_000_000L;

  HttpResponse labels(HttpRequest req) {
    long[] r = range(req, SIX_HOURS);
    return HttpResponse.success(
        store.labelNames(selector(req.param("query"), tenant(req, store)), r[0], r[1]));
  }

  HttpResponse labelValues(HttpRequest req) {
    long[] r = range(req, SIX_HOURS);
    return HttpResponse.success(
        store.labelValues(
            req.pathParam("name"), selector(req.param("query"), tenant(req, store)), r[0], r[1]));
  }

  HttpResponse series(HttpRequest req) {
    long[] r = range(req, SIX_HOURS);
    List<String> ms = new ArrayList<>(req.params("match[]"));
    ms.addAll(req.params("match"));
    LabelMatcher tenant = tenant(req, store);
    Set<Labels> out = new TreeSet<>();
    if (ms.isEmpty()) {
      out.addAll(store.series(List.of(tenant), r[0], r[1]));
    }
    for (String m : ms) {
      out.addAll(store.series(selector(m, tenant), r[0], r[1]));
    }
    List<Map<String, String>> data = new ArrayList<>();
    for (Labels l : out) {
      Map<String, String> m = new LinkedHashMap<>();
      l.forEach(m::put);
      data.add(m);
    }
    return HttpResponse.success(data);
  }

  HttpResponse indexStats(HttpRequest req) {
    long[] r = range(req, 3_600_000_000_000L);
    LogStore.Stats s = store.stats(selector(req.param("query"), tenant(req, store)), r[0], r[1]);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("streams", s.streams());
    m.put("chunks", s.chunks());
    m.put("entries", s.entries());
    m.put("bytes", s.bytes());
    return HttpResponse.json(200, Json.write(m));
  }

  HttpResponse buildInfo(HttpRequest req) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("version", VERSION);
    m.put("revision", "osprey");
    m.put("branch", "");
    m.put("buildUser", "");
    m.put("buildDate", "");
    m.put("goVersion", "");
    return HttpResponse.json(200, Json.write(m));
  }

  HttpResponse search(HttpRequest req) throws IOException {
    String q = req.param("q");
    if (q == null || q.isBlank()) {
      throw ApiException.badData("q parameter is required");
    }
    long[] r = range(req, 3_600_000_000_000L);
    int limit = limit(req);
    List<LogStore.Highlighted> hits =
        store.queryString(Tenants.of(req, store.config().authEnabled()), q, r[0], r[1], limit);
    return json(
        g -> {
          g.writeStringField("status", "success");
          g.writeArrayFieldStart("data");
          for (LogStore.Highlighted h : hits) {
            g.writeStartObject();
            writeLabels(g, "stream", h.stream());
            g.writeStringField("timestamp", Long.toString(h.timestampNanos()));
            g.writeStringField("line", h.line());
            g.writeStringField("highlight", h.highlight());
            g.writeEndObject();
          }
          g.writeEndArray();
        });
  }

  // ------------------------------------------------------------------ JSON

  interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  static HttpResponse json(Body b) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      b.write(g);
      g.writeEndObject();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    return HttpResponse.json(200, out.toByteArray());
  }

  static void writeLabels(JsonGenerator g, String field, Labels l) throws IOException {
    g.writeObjectFieldStart(field);
    for (int i = 0; i < l.size(); i++) {
      g.writeStringField(l.name(i), l.value(i));
    }
    g.writeEndObject();
  }

  /** Seconds with up to nanosecond decimals, as a JSON number. */
  static void writeTime(JsonGenerator g, long ns) throws IOException {
    g.writeNumber(BigDecimal.valueOf(ns, 9).stripTrailingZeros().toPlainString());
  }

  /** A sample value as Prometheus formats it. */
  static String fmt(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return new BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString();
  }

  private static void writeStats(JsonGenerator g, long t0, long scanned, long matched)
      throws IOException {
    double secs = (System.nanoTime() - t0) / 1e9;
    g.writeObjectFieldStart("stats");
    g.writeObjectFieldStart("summary");
    g.writeNumberField("execTime", secs);
    g.writeNumberField("queueTime", 0);
    g.writeNumberField("totalLinesProcessed", scanned);
    g.writeNumberField("totalEntriesReturned", matched);
    g.writeNumberField("linesProcessedPerSecond", secs > 0 ? (long) (scanned / secs) : 0);
    g.writeNumberField("subqueries", 0);
    g.writeEndObject();
    g.writeEndObject();
  }
}
