package dev.osprey.query.logql;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.osprey.core.http.ApiException;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.logs.index.LogSearchRequest;
import dev.osprey.logs.index.LogSearchRequest.Direction;
import dev.osprey.logs.index.LogStore;
import dev.osprey.query.logql.Ast.LogExpr;
import dev.osprey.query.logql.Ast.NumKind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The endpoints Grafana's Logs Drilldown calls beyond the Loki data source's: {@code
 * index/volume_range}, {@code detected_labels}, {@code detected_fields}, {@code
 * detected_field/<name>/values} and {@code patterns}. Volumes come from the index (line lengths in
 * doc values, no line read); fields and patterns from reading lines, newest first, up to a bound.
 */
final class LokiDrilldown {
  /** Lines read for detected fields when the request names no {@code line_limit}. */
  static final int DEFAULT_LINE_LIMIT = 1000;

  /** Fields reported when the request names no {@code field_limit} (Loki's default). */
  static final int DEFAULT_FIELD_LIMIT = 1000;

  /** Most lines read for patterns; newer lines first, so a bound cuts off the oldest. */
  static final int PATTERN_LINES = 200_000;

  /** Most patterns reported. */
  static final int MAX_PATTERNS = 1000;

  private static final long HOUR = 3_600_000_000_000L;
  private static final JsonFactory JSON = new JsonFactory();

  private final LogStore store;
  private final LogQLEngine engine;

  LokiDrilldown(LogStore store, LogQLEngine engine) {
    this.store = store;
    this.engine = engine;
  }

  // ------------------------------------------------------------------ volume

  /**
   * Bytes per series (or per label name with {@code aggregateBy=labels}) over the range: one vector
   * sample at the end, or with a step one matrix point per step t covering [t, t + step), so that
   * every line in the range counts once.
   */
  HttpResponse volume(HttpRequest req, boolean range) throws IOException {
    long[] r = LokiApi.range(req, HOUR);
    long start = r[0];
    long end = r[1] - 1;
    List<LabelMatcher> ms = LokiApi.selector(LokiApi.queryParam(req), LokiApi.tenant(req, store));
    int limit = LokiApi.limit(req);
    String aggregateBy = req.param("aggregateBy", "series");
    boolean byLabels;
    switch (aggregateBy) {
      case "series", "" -> byLabels = false;
      case "labels" -> byLabels = true;
      default ->
          throw ApiException.badData(
              "invalid aggregateBy '" + aggregateBy + "': must be 'series' or 'labels'");
    }
    List<String> keys = new ArrayList<>();
    String target = req.param("targetLabels", "");
    if (!target.isBlank()) {
      for (String t : target.split(",")) {
        if (!t.isBlank()) {
          keys.add(t.trim());
        }
      }
    } else {
      for (LabelMatcher m : ms) {
        if (!keys.contains(m.name())) {
          keys.add(m.name());
        }
      }
    }
    long step = range ? LokiApi.parseStep(req.param("step"), start, end) : 0;
    LogQLEngine.checkResolution(start, end, step);
    int steps = range ? (int) ((end - start) / step) + 1 : 1;
    Map<Map<String, String>, long[]> vol = new HashMap<>();
    Map<Labels, List<Map<String, String>>> keysOf = new HashMap<>();
    store.searchUnordered(
        new LogSearchRequest(ms, start, end + 1, null, Direction.FORWARD, 0, false),
        (stream, ts, line, md, bytes) -> {
          List<Map<String, String>> ks =
              keysOf.computeIfAbsent(stream, s -> volumeKeys(s, keys, byLabels));
          // the step t whose window [t, t + step) holds ts
          int i = range ? (int) Math.floorDiv(ts - start, step) : 0;
          if (i >= steps) {
            return true;
          }
          for (Map<String, String> k : ks) {
            long[] v = vol.computeIfAbsent(k, x -> new long[steps + 1]);
            v[i] += bytes;
            v[steps] += bytes;
          }
          return true;
        });
    List<Map.Entry<Map<String, String>, long[]>> es = new ArrayList<>(vol.entrySet());
    es.sort(
        (a, b) -> {
          int c = Long.compare(b.getValue()[steps], a.getValue()[steps]);
          return c != 0 ? c : a.getKey().toString().compareTo(b.getKey().toString());
        });
    int n = Math.min(limit, es.size());
    return LokiApi.json(
        g -> {
          g.writeStringField("status", "success");
          g.writeObjectFieldStart("data");
          g.writeStringField("resultType", range ? "matrix" : "vector");
          g.writeArrayFieldStart("result");
          for (int j = 0; j < n; j++) {
            g.writeStartObject();
            g.writeObjectFieldStart("metric");
            for (Map.Entry<String, String> l : es.get(j).getKey().entrySet()) {
              g.writeStringField(l.getKey(), l.getValue());
            }
            g.writeEndObject();
            long[] v = es.get(j).getValue();
            if (range) {
              g.writeArrayFieldStart("values");
              for (int i = 0; i < steps; i++) {
                if (v[i] != 0) {
                  g.writeStartArray();
                  LokiApi.writeTime(g, start + i * step);
                  g.writeString(Long.toString(v[i]));
                  g.writeEndArray();
                }
              }
            } else {
              g.writeArrayFieldStart("value");
              LokiApi.writeTime(g, end);
              g.writeString(Long.toString(v[steps]));
            }
            g.writeEndArray();
            g.writeEndObject();
          }
          g.writeEndArray();
          g.writeEndObject();
        });
  }

  /**
   * What a stream's bytes count towards: its pairs among the keys (all its labels when there are no
   * keys), or with {@code byLabels} one {@code {name=""}} per such label name.
   */
  private static List<Map<String, String>> volumeKeys(
      Labels stream, List<String> keys, boolean byLabels) {
    List<Map<String, String>> out = new ArrayList<>();
    Map<String, String> series = new TreeMap<>();
    stream.forEach(
        (k, v) -> {
          if (keys.contains(k)) {
            if (byLabels) {
              out.add(Map.of(k, ""));
            } else {
              series.put(k, v);
            }
          }
        });
    if (!byLabels) {
      out.add(series);
    }
    return out;
  }

  // ------------------------------------------------------------------ detected labels

  /** Stream label names with the number of distinct values each has in the range. */
  HttpResponse detectedLabels(HttpRequest req) throws IOException {
    long[] r = LokiApi.range(req, HOUR);
    Map<String, Set<String>> values = new TreeMap<>();
    for (Labels s :
        store.series(
            LokiApi.selector(req.param("query"), LokiApi.tenant(req, store)), r[0], r[1])) {
      s.forEach(
          (k, v) -> {
            if (!k.startsWith("__")) {
              values.computeIfAbsent(k, x -> new HashSet<>()).add(v);
            }
          });
    }
    return LokiApi.json(
        g -> {
          g.writeArrayFieldStart("detectedLabels");
          for (Map.Entry<String, Set<String>> e : values.entrySet()) {
            g.writeStartObject();
            g.writeStringField("label", e.getKey());
            g.writeNumberField("cardinality", e.getValue().size());
            g.writeEndObject();
          }
          g.writeEndArray();
        });
  }

  // ------------------------------------------------------------------ detected fields

  /** A field seen in the lines read: where it came from and its distinct values. */
  static final class Field {
    final String name;
    final String type;
    final Set<String> parsers = new java.util.TreeSet<>();
    final List<String> jsonPath;
    final Set<String> values = new java.util.LinkedHashSet<>();

    Field(String name, String firstValue, List<String> jsonPath) {
      this.name = name;
      this.type = typeOf(firstValue);
      this.jsonPath = jsonPath;
    }
  }

  /**
   * Fields of the newest lines the query selects: structured metadata, labels its own pipeline
   * extracted, and what the json parser (lines that start with '{') or else the logfmt parser finds
   * in each line. Stream labels are not fields.
   */
  Map<String, Field> fields(HttpRequest req) {
    String q = LokiApi.queryParam(req);
    long[] r = LokiApi.range(req, HOUR);
    int lines = positive(req, "line_limit", req.param("limit"), DEFAULT_LINE_LIMIT);
    LogExpr e = LokiApi.logExpr(q, "log queries", LokiApi.tenant(req, store));
    LogQLEngine.LogResult res = engine.logs(e, r[0], r[1], Direction.BACKWARD, lines, true);
    Map<String, Field> fields = new TreeMap<>();
    for (LogQLEngine.Stream s : res.streams()) {
      for (LogQLEngine.Entry en : s.entries()) {
        en.metadata().forEach((k, v) -> see(fields, k, v, null, null, s.labels()));
        en.parsed().forEach((k, v) -> see(fields, k, v, null, null, s.labels()));
        String line = en.line();
        if (line.stripLeading().startsWith("{")) {
          jsonFields(line, (k, v, path) -> see(fields, k, v, "json", path, s.labels()));
        } else {
          Logfmt.decode(
              line, false, false, (k, v) -> see(fields, k, v, "logfmt", null, s.labels()));
        }
      }
    }
    return fields;
  }

  HttpResponse detectedFields(HttpRequest req) throws IOException {
    int limit = positive(req, "field_limit", null, DEFAULT_FIELD_LIMIT);
    Map<String, Field> fields = fields(req);
    return LokiApi.json(
        g -> {
          g.writeArrayFieldStart("fields");
          int n = 0;
          for (Field f : fields.values()) {
            if (n++ >= limit) {
              break;
            }
            g.writeStartObject();
            g.writeStringField("label", f.name);
            g.writeStringField("type", f.type);
            g.writeNumberField("cardinality", f.values.size());
            if (f.parsers.isEmpty()) {
              g.writeNullField("parsers");
            } else {
              g.writeArrayFieldStart("parsers");
              for (String p : f.parsers) {
                g.writeString(p);
              }
              g.writeEndArray();
            }
            if (f.jsonPath != null) {
              g.writeArrayFieldStart("jsonPath");
              for (String p : f.jsonPath) {
                g.writeString(p);
              }
              g.writeEndArray();
            }
            g.writeEndObject();
          }
          g.writeEndArray();
          g.writeNumberField("limit", limit);
        });
  }

  /** Distinct values of one detected field in the lines read, in the order first seen. */
  HttpResponse detectedFieldValues(HttpRequest req) throws IOException {
    String name = req.pathParam("name");
    int limit = positive(req, "field_limit", null, DEFAULT_FIELD_LIMIT);
    Field f = fields(req).get(name);
    return LokiApi.json(
        g -> {
          g.writeArrayFieldStart("values");
          if (f != null) {
            int n = 0;
            for (String v : f.values) {
              if (n++ >= limit) {
                break;
              }
              g.writeString(v);
            }
          }
          g.writeEndArray();
          g.writeNumberField("limit", limit);
        });
  }

  private static void see(
      Map<String, Field> fields,
      String name,
      String value,
      String parser,
      List<String> path,
      Labels stream) {
    if (name.isEmpty() || name.startsWith("__")) {
      return;
    }
    if (stream.has(name)) {
      if (parser == null) {
        return;
      }
      name = name + "_extracted"; // as the parsers name a key that is also a stream label
    }
    Field f = fields.computeIfAbsent(name, k -> new Field(k, value, path));
    if (parser != null) {
      f.parsers.add(parser);
    }
    f.values.add(value);
  }

  /**
   * Loki's field types, tried in its order on the first value seen: int, float, boolean (Go's
   * strconv.ParseBool forms), duration, bytes, else string.
   */
  static String typeOf(String v) {
    try {
      Long.parseLong(v);
      return "int";
    } catch (NumberFormatException ignored) {
      // next
    }
    if (!v.isEmpty() && !Double.isNaN(Pipeline.convert(v, NumKind.NUMBER))) {
      return "float";
    }
    switch (v) {
      case "t", "T", "TRUE", "true", "True", "f", "F", "FALSE", "false", "False" -> {
        return "boolean";
      }
      default -> {
        // next
      }
    }
    if (!v.isEmpty() && Character.isDigit(v.charAt(0))) {
      if (Lexer.parseDuration(v) >= 0) {
        return "duration";
      }
      if (!Double.isNaN(Pipeline.convert(v, NumKind.BYTES))) {
        return "bytes";
      }
    }
    return "string";
  }

  /**
   * The json parser's fields of a line, each with its path of keys; a line that is not a JSON
   * object has none.
   */
  static void jsonFields(String line, Pipeline.JsonFieldSink out) {
    List<Object[]> found = new ArrayList<>();
    try (JsonParser p = JSON.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return;
      }
      Pipeline.flatten(p, "", List.of(), (k, v, path) -> found.add(new Object[] {k, v, path}));
    } catch (IOException e) {
      return; // not JSON, or cut short: no json fields, as | json keeps none then
    }
    for (Object[] f : found) {
      @SuppressWarnings("unchecked")
      List<String> path = (List<String>) f[2];
      out.accept((String) f[0], (String) f[1], path);
    }
  }

  // ------------------------------------------------------------------ patterns

  /**
   * Patterns of the lines the query selects ({@link LogPatterns}), with their line counts per step
   * as {@code [unix seconds, count]} at the start of each step.
   */
  HttpResponse patterns(HttpRequest req) throws IOException {
    String q = LokiApi.queryParam(req);
    long[] r = LokiApi.range(req, HOUR);
    long start = r[0];
    long end = r[1] - 1;
    long step = Math.max(LokiApi.parseStep(req.param("step"), start, end), 1_000_000_000L);
    LogExpr e = LokiApi.logExpr(q, "log queries", LokiApi.tenant(req, store));
    LogPatterns found = new LogPatterns(MAX_PATTERNS);
    LogQLEngine.LogResult res =
        engine.logs(e, start, end + 1, Direction.BACKWARD, PATTERN_LINES, false);
    for (LogQLEngine.Stream s : res.streams()) {
      for (LogQLEngine.Entry en : s.entries()) {
        found.add(en.line(), Math.floorDiv(en.timestampNanos(), step) * step);
      }
    }
    return LokiApi.json(
        g -> {
          g.writeStringField("status", "success");
          g.writeArrayFieldStart("data");
          for (LogPatterns.Pattern p : found.patterns()) {
            g.writeStartObject();
            g.writeStringField("pattern", p.text());
            g.writeArrayFieldStart("samples");
            for (Map.Entry<Long, long[]> c : new TreeMap<>(p.counts).entrySet()) {
              g.writeStartArray();
              g.writeNumber(c.getKey() / 1_000_000_000L);
              g.writeNumber(c.getValue()[0]);
              g.writeEndArray();
            }
            g.writeEndArray();
            g.writeEndObject();
          }
          g.writeEndArray();
        });
  }

  // ------------------------------------------------------------------ parameters

  private static int positive(HttpRequest req, String name, String fallback, int dflt) {
    String v = req.param(name);
    if (v == null || v.isEmpty()) {
      v = fallback;
    }
    if (v == null || v.isEmpty()) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // error below
    }
    throw ApiException.badData("invalid " + name + " '" + v + "': must be a positive integer");
  }
}
