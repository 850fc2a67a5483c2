package dev.osprey.query.logql;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.osprey.core.config.LogIndexConfig;
import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.http.ApiException;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.Json;
import dev.osprey.core.http.Router;
import dev.osprey.core.labels.Labels;
import dev.osprey.logs.index.LogEntry;
import dev.osprey.logs.index.LogStore;
import dev.osprey.logs.index.LogStream;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Logs Drilldown endpoints, checked against what the lines put in make them say. */
class LokiDrilldownTest {
  static final long SEC = 1_000_000_000L;
  static final long T = (System.currentTimeMillis() / 1000 / 60 - 30) * 60 * SEC; // on a minute
  @TempDir Path dir;
  LogStore store;
  Router router;
  final List<Object[]> written = new ArrayList<>(); // stream labels, ts, line

  @BeforeEach
  void setUp() {
    store = LogStore.open(dir, LogIndexConfig.DEFAULTS, new SimpleMeterRegistry(), false);
    List<LogEntry> api = new ArrayList<>();
    List<LogEntry> web = new ArrayList<>();
    List<LogEntry> db = new ArrayList<>();
    Labels apiL = Labels.of("app", "api", "env", "prod", "pod", "api-1");
    Labels webL = Labels.of("app", "web", "env", "prod", "pod", "web-1");
    Labels dbL = Labels.of("app", "db", "env", "dev", "pod", "db-1");
    for (int i = 0; i < 120; i++) {
      long ts = T + i * SEC;
      String a =
          "level="
              + (i % 3 == 0 ? "warn" : "info")
              + " duration="
              + (i + 1)
              + "ms size="
              + i
              + "KB ratio=0."
              + i
              + " ok=true user=u"
              + (i % 4)
              + (i < 5 ? " early=yes" : "");
      api.add(new LogEntry(ts, a, Labels.of("trace_id", "t" + (i % 2))));
      written.add(new Object[] {apiL, ts, a});
      String w = "user " + (1000 + i) + " logged in from 10.0.0." + (i % 7);
      if (i % 4 == 0) {
        w = "GET /index.html 200 " + i;
      }
      web.add(new LogEntry(ts + 1, w));
      written.add(new Object[] {webL, ts + 1, w});
      String d =
          "{\"level\":\"error\",\"req\":{\"method\":\"GET\",\"path\":\"/q/"
              + (i % 5)
              + "\"},\"tags\":[1,2],\"app\":\"inner\"}";
      db.add(new LogEntry(ts + 2, d));
      written.add(new Object[] {dbL, ts + 2, d});
    }
    store.append(
        List.of(new LogStream(apiL, api), new LogStream(webL, web), new LogStream(dbL, db)));
    store.refresh();
    router = new Router();
    new LokiApi(store, QueryConfig.DEFAULTS, new SimpleMeterRegistry()).register(router);
  }

  @AfterEach
  void tearDown() throws IOException {
    store.close();
  }

  HttpResponse get(String path, String... kv) throws Exception {
    try {
      return LokiApiTest.call(router, Map.of(), path, kv);
    } catch (ApiException e) {
      return HttpResponse.text(e.status(), e.getMessage());
    }
  }

  static JsonNode json(HttpResponse r) throws IOException {
    assertThat(r.status()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    return Json.MAPPER.readTree(r.body());
  }

  static String s(long ns) {
    return Long.toString(ns);
  }

  @Test
  void volumeRangeSumsLineBytesPerStepWindow() throws Exception {
    long start = T;
    long end = T + 119 * SEC;
    long step = 10 * SEC;
    JsonNode j =
        json(
            get(
                "/loki/api/v1/index/volume_range",
                "query",
                "{env=\"prod\"}",
                "start",
                s(start),
                "end",
                s(end),
                "step",
                "10s",
                "targetLabels",
                "app"));
    assertThat(j.at("/data/resultType").asText()).isEqualTo("matrix");
    // expected: per app, bytes of lines with ts in [t, t + step) for t = start + k*step
    Map<String, Map<Long, Long>> want = new HashMap<>();
    for (Object[] w : written) {
      Labels l = (Labels) w[0];
      long ts = (Long) w[1];
      if (!l.get("env").equals("prod") || ts > end) {
        continue;
      }
      long k = (ts - start) / step;
      want.computeIfAbsent(l.get("app"), x -> new HashMap<>())
          .merge(
              start + k * step,
              (long) ((String) w[2]).getBytes(StandardCharsets.UTF_8).length,
              Long::sum);
    }
    assertThat(j.at("/data/result")).hasSize(2);
    for (JsonNode r : j.at("/data/result")) {
      assertThat(r.get("metric").size()).isEqualTo(1);
      Map<Long, Long> got = new HashMap<>();
      for (JsonNode v : r.get("values")) {
        got.put(Math.round(v.get(0).asDouble() * 1e3) * 1_000_000L, v.get(1).asLong());
      }
      assertThat(got).isEqualTo(want.get(r.at("/metric/app").asText()));
    }
  }

  @Test
  void volumeByLabelsAndErrors() throws Exception {
    JsonNode j =
        json(
            get(
                "/loki/api/v1/index/volume",
                "query",
                "{app=~\".+\"}",
                "start",
                s(T),
                "end",
                s(T + 200 * SEC),
                "aggregateBy",
                "labels",
                "targetLabels",
                "app,env"));
    assertThat(j.at("/data/result")).hasSize(2);
    long total = 0;
    for (Object[] w : written) {
      total += ((String) w[2]).getBytes(StandardCharsets.UTF_8).length;
    }
    for (JsonNode r : j.at("/data/result")) {
      assertThat(r.get("metric").toString()).isIn("{\"app\":\"\"}", "{\"env\":\"\"}");
      assertThat(r.at("/value/1").asLong()).isEqualTo(total); // every stream has both
    }
    // without targetLabels: by the labels the selector names
    JsonNode all =
        json(
            get(
                "/loki/api/v1/index/volume",
                "query",
                "{app=~\".+\"}",
                "start",
                s(T),
                "end",
                s(T + 200 * SEC)));
    assertThat(all.at("/data/result")).hasSize(3);
    assertThat(all.at("/data/result/0/metric").fieldNames()).toIterable().containsExactly("app");
    HttpResponse bad =
        get("/loki/api/v1/index/volume", "query", "{app=\"api\"}", "aggregateBy", "pods");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(new String(bad.body(), StandardCharsets.UTF_8)).contains("aggregateBy");
  }

  @Test
  void sinceSetsTheStartBeforeEnd() throws Exception {
    // end just after the last line; since 30s covers only the last 30 seconds of lines
    String end = s(T + 120 * SEC);
    JsonNode j =
        json(
            get("/loki/api/v1/index/volume", "query", "{app=\"api\"}", "end", end, "since", "30s"));
    long want = 0;
    for (Object[] w : written) {
      long ts = (Long) w[1];
      if (((Labels) w[0]).get("app").equals("api") && ts >= T + 90 * SEC) {
        want += ((String) w[2]).getBytes(StandardCharsets.UTF_8).length;
      }
    }
    assertThat(j.at("/data/result/0/value/1").asLong()).isEqualTo(want);
    assertThat(get("/loki/api/v1/labels", "since", "five").status()).isEqualTo(400);
  }

  @Test
  void detectedLabelsCountDistinctValues() throws Exception {
    JsonNode j =
        json(
            get(
                "/loki/api/v1/detected_labels",
                "query",
                "{env=~\".+\"}",
                "start",
                s(T),
                "end",
                s(T + 200 * SEC)));
    Map<String, Integer> got = new HashMap<>();
    for (JsonNode l : j.get("detectedLabels")) {
      got.put(l.get("label").asText(), l.get("cardinality").asInt());
    }
    assertThat(got).isEqualTo(Map.of("app", 3, "env", 2, "pod", 3));
  }

  @Test
  void detectedFieldsFromLogfmtJsonAndMetadata() throws Exception {
    JsonNode j =
        json(
            get(
                "/loki/api/v1/detected_fields",
                "query",
                "{env=~\".+\"}",
                "start",
                s(T),
                "end",
                s(T + 200 * SEC),
                "line_limit",
                "1000"));
    Map<String, JsonNode> f = new HashMap<>();
    for (JsonNode n : j.get("fields")) {
      f.put(n.get("label").asText(), n);
    }
    assertThat(f.get("level").get("cardinality").asInt()).isEqualTo(3); // warn, info, error
    assertThat(f.get("level").get("parsers").toString()).isEqualTo("[\"json\",\"logfmt\"]");
    assertThat(f.get("duration").get("type").asText()).isEqualTo("duration");
    assertThat(f.get("size").get("type").asText()).isEqualTo("bytes");
    assertThat(f.get("ratio").get("type").asText()).isEqualTo("float");
    assertThat(f.get("ok").get("type").asText()).isEqualTo("boolean");
    assertThat(f.get("user").get("type").asText()).isEqualTo("string");
    assertThat(f.get("user").get("cardinality").asInt()).isEqualTo(4);
    assertThat(f.get("req_path").get("jsonPath").toString()).isEqualTo("[\"req\",\"path\"]");
    assertThat(f.get("req_path").get("cardinality").asInt()).isEqualTo(5);
    assertThat(f.get("trace_id").get("parsers").isNull()).isTrue(); // structured metadata
    assertThat(f).doesNotContainKeys("app", "env", "pod", "tags"); // labels; arrays skipped
    assertThat(f).containsKey("early");
    assertThat(f.get("app_extracted").get("parsers").toString()).isEqualTo("[\"json\"]");
    // only the newest 30 lines: the early ones (the first five of api) are not read
    JsonNode few =
        json(
            get(
                "/loki/api/v1/detected_fields",
                "query",
                "{app=\"api\"} |= \"level\"",
                "start",
                s(T),
                "end",
                s(T + 200 * SEC),
                "line_limit",
                "30"));
    List<String> names = new ArrayList<>();
    few.get("fields").forEach(n -> names.add(n.get("label").asText()));
    assertThat(names).contains("level", "duration").doesNotContain("early", "req_path");
    JsonNode values =
        json(
            get(
                "/loki/api/v1/detected_field/level/values",
                "query",
                "{app=\"api\"}",
                "start",
                s(T),
                "end",
                s(T + 200 * SEC)));
    assertThat(values.get("values").toString()).isIn("[\"warn\",\"info\"]", "[\"info\",\"warn\"]");
    assertThat(
            get("/loki/api/v1/detected_fields", "query", "{app=\"api\"}", "line_limit", "-1")
                .status())
        .isEqualTo(400);
  }

  @Test
  void typesFollowLokisOrder() {
    assertThat(LokiDrilldown.typeOf("42")).isEqualTo("int");
    assertThat(LokiDrilldown.typeOf("-4.5")).isEqualTo("float");
    assertThat(LokiDrilldown.typeOf("True")).isEqualTo("boolean");
    assertThat(LokiDrilldown.typeOf("1h5m")).isEqualTo("duration");
    assertThat(LokiDrilldown.typeOf("10MB")).isEqualTo("bytes");
    assertThat(LokiDrilldown.typeOf("yes")).isEqualTo("string");
    assertThat(LokiDrilldown.typeOf("")).isEqualTo("string");
  }

  @Test
  void patternsGroupLinesAndCountThemPerStep() throws Exception {
    JsonNode j =
        json(
            get(
                "/loki/api/v1/patterns",
                "query",
                "{app=\"web\"}",
                "start",
                s(T),
                "end",
                s(T + 200 * SEC),
                "step",
                "60s"));
    Map<String, JsonNode> byPattern = new HashMap<>();
    for (JsonNode p : j.get("data")) {
      byPattern.put(p.get("pattern").asText(), p.get("samples"));
    }
    assertThat(byPattern.keySet())
        .containsExactlyInAnyOrder("user <_> logged in from <_>", "GET /index.html <_>");
    // counts per minute equal the lines written in each minute
    Map<Long, Long> want = new HashMap<>();
    for (Object[] w : written) {
      if (((String) w[2]).startsWith("user ")) {
        want.merge((Long) w[1] / (60 * SEC) * 60, 1L, Long::sum);
      }
    }
    Map<Long, Long> got = new HashMap<>();
    byPattern
        .get("user <_> logged in from <_>")
        .forEach(x -> got.put(x.get(0).asLong(), x.get(1).asLong()));
    assertThat(got).isEqualTo(want);
  }

  @Test
  void patternMiningKeepsKeysAndSeparatesShapes() {
    LogPatterns p = new LogPatterns(10);
    p.add("level=info msg=started took=15ms", 0);
    p.add("level=info msg=started took=17ms", 0);
    p.add("level=info msg=stopped took=3ms", 1);
    p.add("connection reset by peer", 1);
    p.add("connection refused by peer", 1);
    p.add("disk full on /var", 2);
    List<String> got = new ArrayList<>();
    p.patterns().forEach(x -> got.add(x.text() + " " + x.total));
    assertThat(got)
        .containsExactly(
            "level=info msg=<_> took=<_> 3", "connection <_> by peer 2", "disk full on /var 1");
    LogPatterns full = new LogPatterns(1);
    full.add("a b c", 0);
    full.add("x y", 0);
    assertThat(full.patterns()).hasSize(1);
    assertThat(full.dropped()).isEqualTo(1);
  }
}
