package dev.osprey.query.logql;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.osprey.core.config.LogIndexConfig;
import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.http.HttpRequest;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LokiApiTest {
  static final long SEC = 1_000_000_000L;
  static final long T = (System.currentTimeMillis() / 1000 - 600) * SEC; // 10 minutes ago
  @TempDir Path dir;
  LogStore store;
  Router router;

  @BeforeEach
  void setUp() {
    store = LogStore.open(dir, LogIndexConfig.DEFAULTS, new SimpleMeterRegistry(), false);
    List<LogEntry> api = new ArrayList<>();
    List<LogEntry> web = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      api.add(new LogEntry(T + i * SEC, "level=info status=200 n=" + i));
      web.add(
          new LogEntry(T + i * SEC + 1, i == 7 ? "connection reset by 10.0.0.9" : "GET /x " + i));
    }
    store.append(
        List.of(
            new LogStream(Labels.of("app", "api", "env", "prod"), api),
            new LogStream(Labels.of("app", "web", "env", "prod"), web)));
    store.refresh();
    router = new Router();
    new LokiApi(store, QueryConfig.DEFAULTS, new SimpleMeterRegistry()).register(router);
  }

  @AfterEach
  void tearDown() throws IOException {
    store.close();
  }

  HttpResponse get(String path, String... kv) throws Exception {
    return get(Map.of(), path, kv);
  }

  /** A GET with request headers (names in lower case, as the HTTP kit keeps them). */
  HttpResponse get(Map<String, String> headers, String path, String... kv) throws Exception {
    return call(router, headers, path, kv);
  }

  /** Calls the route of a GET with its query parameters as name, value pairs. */
  static HttpResponse call(Router router, Map<String, String> headers, String path, String... kv)
      throws Exception {
    Map<String, List<String>> params = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      params.computeIfAbsent(kv[i], k -> new ArrayList<>()).add(kv[i + 1]);
    }
    Router.Match m = router.match("GET", path);
    assertThat(m.found()).as(path).isTrue();
    return m.route()
        .handler()
        .handle(
            new HttpRequest("GET", path, params, m.pathParams(), headers, new byte[0], null, "t"));
  }

  static JsonNode json(HttpResponse r) throws IOException {
    assertThat(r.status()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    return Json.MAPPER.readTree(r.body());
  }

  static String text(HttpResponse r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  String start() {
    return Long.toString(T - SEC);
  }

  String end() {
    return Long.toString(T + 20 * SEC);
  }

  @Test
  void queryRangeStreams() throws Exception {
    JsonNode j =
        json(
            get(
                "/loki/api/v1/query_range",
                "query",
                "{app=\"api\"} |= \"status=200\"",
                "start",
                start(),
                "end",
                end(),
                "limit",
                "3",
                "direction",
                "forward"));
    assertThat(j.get("status").asText()).isEqualTo("success");
    assertThat(j.at("/data/resultType").asText()).isEqualTo("streams");
    JsonNode s = j.at("/data/result/0");
    assertThat(s.get("stream").toString()).isEqualTo("{\"app\":\"api\",\"env\":\"prod\"}");
    assertThat(s.get("values")).hasSize(3);
    assertThat(s.at("/values/0/0").asText()).isEqualTo(Long.toString(T));
    assertThat(s.at("/values/0/1").asText()).isEqualTo("level=info status=200 n=0");
    assertThat(j.at("/data/stats/summary/totalEntriesReturned").asLong()).isEqualTo(3);
    // backward by default
    JsonNode b =
        json(
            get(
                "/loki/api/v1/query_range",
                "query",
                "{app=\"api\"}",
                "start",
                start(),
                "end",
                end(),
                "limit",
                "1"));
    assertThat(b.at("/data/result/0/values/0/1").asText()).endsWith("n=9");
  }

  @Test
  void searchWithoutStreamSelector() throws Exception {
    JsonNode j =
        json(
            get(
                "/loki/api/v1/query_range",
                "query",
                "|= \"10.0.0.9\"",
                "start",
                start(),
                "end",
                end()));
    assertThat(j.at("/data/result")).hasSize(1);
    assertThat(j.at("/data/result/0/stream/app").asText()).isEqualTo("web");
  }

  @Test
  void queryRangeMatrixAndInstantVector() throws Exception {
    double t0 = T / 1e9;
    JsonNode j =
        json(
            get(
                "/loki/api/v1/query_range",
                "query",
                "sum by (app) (count_over_time({env=\"prod\"}[5s]))",
                "start",
                Long.toString(T / SEC + 4),
                "end",
                Long.toString(T / SEC + 9),
                "step",
                "5s"));
    assertThat(j.at("/data/resultType").asText()).isEqualTo("matrix");
    JsonNode api = j.at("/data/result/0");
    assertThat(api.at("/metric/app").asText()).isEqualTo("api");
    assertThat(api.at("/values/0/0").asDouble()).isEqualTo(t0 + 4);
    assertThat(api.at("/values/0/1").asText()).isEqualTo("5"); // samples at T+0..T+4
    assertThat(api.at("/values/1/1").asText()).isEqualTo("5");
    JsonNode v =
        json(
            get(
                "/loki/api/v1/query",
                "query",
                "rate({app=\"web\"} |= \"reset\" [10s])",
                "time",
                Long.toString(T / SEC + 10)));
    assertThat(v.at("/data/resultType").asText()).isEqualTo("vector");
    assertThat(v.at("/data/result/0/value/1").asText()).isEqualTo("0.1");
    JsonNode hc = json(get("/loki/api/v1/query", "query", "vector(1)+vector(1)"));
    assertThat(hc.at("/data/result/0/value/1").asText()).isEqualTo("2");
    JsonNode sc = json(get("/loki/api/v1/query", "query", "1 + 2"));
    assertThat(sc.at("/data/resultType").asText()).isEqualTo("scalar");
    assertThat(sc.at("/data/result/1").asText()).isEqualTo("3");
  }

  @Test
  void sortLabelReplaceAndRateCounter() throws Exception {
    String at = Long.toString(T / SEC + 10);
    String counts = "sum by (app) (count_over_time({env=\"prod\"}[10s]))";
    // (T, T+10s]: api has lines at T+1s..T+9s, web at T+1ns..T+9s+1ns
    JsonNode byLabels = json(get("/loki/api/v1/query", "query", counts, "time", at));
    assertThat(byLabels.at("/data/result/0/metric/app").asText()).isEqualTo("api");
    assertThat(byLabels.at("/data/result/0/value/1").asText()).isEqualTo("9");
    assertThat(byLabels.at("/data/result/1/value/1").asText()).isEqualTo("10");
    JsonNode desc =
        json(get("/loki/api/v1/query", "query", "sort_desc(" + counts + ")", "time", at));
    assertThat(desc.at("/data/result/0/metric/app").asText()).isEqualTo("web");
    assertThat(desc.at("/data/result/1/metric/app").asText()).isEqualTo("api");
    JsonNode asc = json(get("/loki/api/v1/query", "query", "sort(" + counts + ")", "time", at));
    assertThat(asc.at("/data/result/0/metric/app").asText()).isEqualTo("api");

    JsonNode replaced =
        json(
            get(
                "/loki/api/v1/query",
                "query",
                "label_replace(" + counts + ", \"team\", \"t-$1\", \"app\", \"(a.*)\")",
                "time",
                at));
    assertThat(replaced.at("/data/result/0/metric").toString())
        .isEqualTo("{\"app\":\"api\",\"team\":\"t-api\"}");
    assertThat(replaced.at("/data/result/1/metric").toString()).isEqualTo("{\"app\":\"web\"}");
    HttpResponse clash =
        get(
            "/loki/api/v1/query",
            "query",
            "label_replace(" + counts + ", \"app\", \"x\", \"app\", \".*\")",
            "time",
            at);
    assertThat(clash.status()).isEqualTo(400);
    assertThat(text(clash)).contains("vector cannot contain metrics with the same labelset");
    HttpResponse badRegex =
        get(
            "/loki/api/v1/query",
            "query",
            "label_replace(" + counts + ", \"a\", \"x\", \"app\", \"(\")",
            "time",
            at);
    assertThat(badRegex.status()).isEqualTo(400);
    assertThat(text(badRegex)).contains("invalid regular expression in label_replace(): (");

    // n = 1..9 at T+1s..T+9s: increase 8 over 8 s, the start extrapolated to the counter's zero
    // point 1 s before the first sample (Loki's bounds: none at the end) = 9 over the 10 s range
    JsonNode rc =
        json(
            get(
                "/loki/api/v1/query",
                "query",
                "sum(rate_counter({app=\"api\"} | logfmt | unwrap n [10s]))",
                "time",
                at));
    assertThat(rc.at("/data/result/0/value/1").asText()).isEqualTo("0.9");
    HttpResponse noUnwrap =
        get("/loki/api/v1/query", "query", "rate_counter({app=\"api\"}[10s])", "time", at);
    assertThat(noUnwrap.status()).isEqualTo(400);
    assertThat(text(noUnwrap)).contains("invalid aggregation rate_counter without unwrap");
  }

  @Test
  void categorizeLabelsSeparatesStreamMetadataAndParsedLabels() throws Exception {
    store.append(
        List.of(
            new LogStream(
                Labels.of("app", "meta"),
                List.of(
                    new LogEntry(T + 2 * SEC, "level=warn msg=slow", Labels.of("trace_id", "abc")),
                    new LogEntry(T + 3 * SEC, "plain", Labels.EMPTY)))));
    store.refresh();
    String q = "{app=\"meta\"} | logfmt";
    JsonNode j =
        json(
            get(
                Map.of("x-loki-response-encoding-flags", "categorize-labels"),
                "/loki/api/v1/query_range",
                "query",
                q,
                "start",
                start(),
                "end",
                end(),
                "direction",
                "forward"));
    assertThat(j.at("/data/encodingFlags").toString()).isEqualTo("[\"categorize-labels\"]");
    assertThat(j.at("/data/result").size()).as("one stream: grouped by stream labels").isEqualTo(1);
    assertThat(j.at("/data/result/0/stream").toString()).isEqualTo("{\"app\":\"meta\"}");
    assertThat(j.at("/data/result/0/values/0").toString())
        .isEqualTo(
            "[\""
                + (T + 2 * SEC)
                + "\",\"level=warn msg=slow\",{\"structuredMetadata\":{\"trace_id\":\"abc\"},"
                + "\"parsed\":{\"level\":\"warn\",\"msg\":\"slow\"}}]");
    assertThat(j.at("/data/result/0/values/1").size())
        .as("nothing to add: two elements")
        .isEqualTo(2);

    // without the flag: streams by all labels, two elements per entry
    JsonNode plain =
        json(
            get(
                "/loki/api/v1/query_range",
                "query",
                q,
                "start",
                start(),
                "end",
                end(),
                "direction",
                "forward"));
    assertThat(plain.at("/data/encodingFlags").isMissingNode()).isTrue();
    assertThat(plain.at("/data/result").size()).isEqualTo(2);
    assertThat(plain.at("/data/result/0/values/0").size()).isEqualTo(2);
  }

  @Test
  void errorsAsLoki() throws Exception {
    HttpResponse r = get("/loki/api/v1/query_range", "query", "{app=\"api\"", "start", start());
    assertThat(r.status()).isEqualTo(400);
    assertThat(text(r)).startsWith("parse error at line 1, col 11:");
    HttpResponse inst = get("/loki/api/v1/query", "query", "{app=\"api\"}");
    assertThat(inst.status()).isEqualTo(400);
    assertThat(text(inst)).contains("log queries are not supported as an instant query type");
    assertThat(
            get("/loki/api/v1/query_range", "query", "{app=\"api\"}", "limit", "100000").status())
        .isEqualTo(400);
    assertThat(
            get("/loki/api/v1/query_range", "query", "{app=\"api\"}", "start", "yesterday")
                .status())
        .isEqualTo(400);
    HttpResponse pe =
        get(
            "/loki/api/v1/query_range",
            "query",
            "sum_over_time({app=\"api\"} | logfmt | unwrap level [1m])",
            "start",
            start(),
            "end",
            end(),
            "step",
            "10s");
    assertThat(pe.status()).isEqualTo(400);
    assertThat(text(pe)).contains("SampleExtractionErr");
  }

  @Test
  void labelsSeriesStatsVolumeBuildinfo() throws Exception {
    assertThat(
            json(get("/loki/api/v1/labels", "start", start(), "end", end())).get("data").toString())
        .isEqualTo("[\"app\",\"env\"]");
    assertThat(
            json(get("/loki/api/v1/label/app/values", "start", start(), "end", end()))
                .get("data")
                .toString())
        .isEqualTo("[\"api\",\"web\"]");
    assertThat(
            json(get(
                    "/loki/api/v1/label/app/values",
                    "query",
                    "{app=\"web\"}",
                    "start",
                    start(),
                    "end",
                    end()))
                .get("data")
                .toString())
        .isEqualTo("[\"web\"]");
    assertThat(
            json(get(
                    "/loki/api/v1/series",
                    "match[]",
                    "{app=\"api\"}",
                    "start",
                    start(),
                    "end",
                    end()))
                .get("data")
                .toString())
        .isEqualTo("[{\"app\":\"api\",\"env\":\"prod\"}]");
    JsonNode st =
        json(
            get(
                "/loki/api/v1/index/stats",
                "query",
                "{env=\"prod\"}",
                "start",
                start(),
                "end",
                end()));
    assertThat(st.get("streams").asLong()).isEqualTo(2);
    assertThat(st.get("entries").asLong()).isEqualTo(20);
    assertThat(st.get("bytes").asLong()).isGreaterThan(200);
    JsonNode vol =
        json(
            get(
                "/loki/api/v1/index/volume",
                "query",
                "{env=\"prod\"}",
                "start",
                start(),
                "end",
                end(),
                "targetLabels",
                "app"));
    assertThat(vol.at("/data/resultType").asText()).isEqualTo("vector");
    assertThat(vol.at("/data/result")).hasSize(2);
    assertThat(vol.at("/data/result/0/metric").toString()).isEqualTo("{\"app\":\"api\"}");
    assertThat(json(get("/loki/api/v1/status/buildinfo")).get("version").asText()).isNotEmpty();
  }

  @Test
  void luceneQueryStringSearchWithHighlights() throws Exception {
    JsonNode j =
        json(
            get(
                "/osprey/api/v1/logs/search",
                "q",
                "\"connection reset\" AND app:web",
                "start",
                start(),
                "end",
                end()));
    assertThat(j.get("data")).hasSize(1);
    assertThat(j.at("/data/0/highlight").asText())
        .isEqualTo("<b>connection</b> <b>reset</b> by 10.0.0.9");
    assertThat(j.at("/data/0/stream/app").asText()).isEqualTo("web");
  }
}
