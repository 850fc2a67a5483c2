package dev.osprey.query.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.http.ApiException;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.Router;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.StaleNaN;
import dev.osprey.core.storage.memory.MemStorage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PrometheusApiTest {
  private MemStorage storage;
  private Router router;
  private SimpleMeterRegistry registry;

  @BeforeEach
  void setUp() {
    storage = new MemStorage();
    Appender a = storage.appender();
    for (int i = 0; i <= 10; i++) {
      a.append(0, Labels.of("__name__", "up", "job", "api", "instance", "a"), i * 15_000L, i);
      a.append(0, Labels.of("__name__", "up", "job", "db", "instance", "b"), i * 15_000L, 0.5);
    }
    a.append(0, Labels.of("__name__", "odd", "v", "<&>"), 0, Double.POSITIVE_INFINITY);
    a.append(0, Labels.of("__name__", "odd", "v", "<&>"), 15_000, StaleNaN.VALUE);
    a.commit();
    registry = new SimpleMeterRegistry();
    router = new Router();
    new PrometheusApi(storage, QueryConfig.DEFAULTS, registry).register(router);
  }

  private HttpResponse call(String method, String path, Map<String, String> params)
      throws Exception {
    Router.Match m = router.match(method, path);
    assertThat(m.found()).as("route %s %s", method, path).isTrue();
    Map<String, List<String>> p = new LinkedHashMap<>();
    params.forEach((k, v) -> p.put(k, List.of(v)));
    HttpRequest req =
        new HttpRequest(method, path, p, m.pathParams(), new HashMap<>(), new byte[0], null, "t");
    return m.route().handler().handle(req);
  }

  private static String body(HttpResponse r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  @Test
  void instantVectorIsWrittenAsPrometheusDoes() throws Exception {
    HttpResponse r = call("GET", "/api/v1/query", Map.of("query", "up", "time", "150.5"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(body(r))
        .isEqualTo(
            "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
                + "{\"metric\":{\"__name__\":\"up\",\"instance\":\"a\",\"job\":\"api\"},"
                + "\"value\":[150.500,\"10\"]},"
                + "{\"metric\":{\"__name__\":\"up\",\"instance\":\"b\",\"job\":\"db\"},"
                + "\"value\":[150.500,\"0.5\"]}]}}");
  }

  @Test
  void scalarStringAndSpecialFloats() throws Exception {
    assertThat(body(call("GET", "/api/v1/query", Map.of("query", "1/0", "time", "1"))))
        .isEqualTo(
            "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"+Inf\"]}}");
    assertThat(body(call("GET", "/api/v1/query", Map.of("query", "-1/0", "time", "1"))))
        .contains("\"-Inf\"");
    assertThat(body(call("GET", "/api/v1/query", Map.of("query", "0/0", "time", "1"))))
        .contains("\"NaN\"");
    assertThat(body(call("GET", "/api/v1/query", Map.of("query", "\"a<b\"", "time", "2"))))
        .isEqualTo(
            "{\"status\":\"success\",\"data\":{\"resultType\":\"string\",\"result\":[2,\"a\\u003cb\"]}}");
    assertThat(
            body(
                call(
                    "GET",
                    "/api/v1/query",
                    Map.of("query", "odd", "time", "1970-01-01T00:00:10Z"))))
        .contains("{\"__name__\":\"odd\",\"v\":\"\\u003c\\u0026\\u003e\"}")
        .contains("[10,\"+Inf\"]");
  }

  @Test
  void rangeQueryGivesAMatrixAndHonoursStaleness() throws Exception {
    HttpResponse r =
        call(
            "POST",
            "/api/v1/query_range",
            Map.of("query", "odd", "start", "0", "end", "30", "step", "15s"));
    assertThat(body(r))
        .isEqualTo(
            "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
                + "{\"metric\":{\"__name__\":\"odd\",\"v\":\"\\u003c\\u0026\\u003e\"},"
                + "\"values\":[[0,\"+Inf\"]]}]}}");
    HttpResponse rate =
        call(
            "GET",
            "/api/v1/query_range",
            Map.of(
                "query", "sum by (job) (rate(up[1m]))", "start", "60", "end", "120", "step", "30"));
    assertThat(body(rate))
        .contains("{\"metric\":{\"job\":\"api\"},\"values\":[[60,\"0.06666666666666665\"]")
        .contains("{\"metric\":{\"job\":\"db\"},\"values\":[[60,\"0\"],[90,\"0\"],[120,\"0\"]]}");
  }

  @Test
  void nativeHistogramsAreWrittenAsPrometheusDoes() throws Exception {
    FloatHistogram h =
        FloatHistogram.of(
            0,
            0.001,
            1,
            7,
            5.5,
            new int[] {0, 2},
            new double[] {2, 3},
            new int[] {0, 1},
            new double[] {1},
            null,
            FloatHistogram.CounterResetHint.UNKNOWN);
    Labels l = Labels.of("__name__", "lat", "job", "api");
    Appender a = storage.appender();
    a.append(0, l, 0, 4);
    a.appendHistogram(0, l, 15_000, h);
    a.commit();
    String hist =
        "{\"count\":\"7\",\"sum\":\"5.5\",\"buckets\":["
            + "[1,\"-1\",\"-0.5\",\"1\"],[3,\"-0.001\",\"0.001\",\"1\"],"
            + "[0,\"0.5\",\"1\",\"2\"],[0,\"1\",\"2\",\"3\"]]}";
    assertThat(body(call("GET", "/api/v1/query", Map.of("query", "lat", "time", "20"))))
        .isEqualTo(
            "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
                + "{\"metric\":{\"__name__\":\"lat\",\"job\":\"api\"},"
                + "\"histogram\":[20,"
                + hist
                + "]}]}}");
    assertThat(
            body(
                call(
                    "GET",
                    "/api/v1/query_range",
                    Map.of("query", "lat", "start", "0", "end", "15", "step", "15"))))
        .isEqualTo(
            "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
                + "{\"metric\":{\"__name__\":\"lat\",\"job\":\"api\"},"
                + "\"values\":[[0,\"4\"]],\"histograms\":[[15,"
                + hist
                + "]]}]}}");
    assertThat(
            body(
                call(
                    "GET", "/api/v1/query", Map.of("query", "histogram_count(lat)", "time", "20"))))
        .contains("\"value\":[20,\"7\"]");
  }

  @Test
  void errorsCarryUpstreamTypes() {
    assertThatThrownBy(() -> call("GET", "/api/v1/query", Map.of("query", "sum(", "time", "1")))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.errorType()).isEqualTo("bad_data");
              assertThat(e.getMessage())
                  .startsWith("invalid parameter \"query\": 1:5: parse error:");
            });
    assertThatThrownBy(
            () ->
                call(
                    "GET",
                    "/api/v1/query_range",
                    Map.of("query", "up", "start", "0", "end", "100000", "step", "1")))
        .isInstanceOfSatisfying(
            ApiException.class,
            e ->
                assertThat(e.getMessage())
                    .startsWith("exceeded maximum resolution of 11,000 points per timeseries"));
    assertThatThrownBy(
            () -> call("GET", "/api/v1/query", Map.of("query", "up + on() up", "time", "1")))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.status()).isEqualTo(422);
              assertThat(e.getMessage())
                  .startsWith("found duplicate series for the match group {} on the right");
            });
    assertThatThrownBy(
            () -> call("GET", "/api/v1/query", Map.of("query", "up", "time", "yesterday")))
        .isInstanceOfSatisfying(
            ApiException.class,
            e ->
                assertThat(e.getMessage())
                    .isEqualTo(
                        "invalid parameter \"time\": cannot parse \"yesterday\" to a valid"
                            + " timestamp"));
  }

  @Test
  void tooManySamplesIsAnExecutionError() throws Exception {
    Router r = new Router();
    new PrometheusApi(
            storage, new QueryConfig(Duration.ofSeconds(10), 3L, null, null, null), registry)
        .register(r);
    Router.Match m = r.match("GET", "/api/v1/query_range");
    Map<String, List<String>> p = new LinkedHashMap<>();
    p.put("query", List.of("up[1m]"));
    assertThatThrownBy(
            () -> {
              Map<String, List<String>> q = new LinkedHashMap<>();
              q.put("query", List.of("count_over_time(up[2m])"));
              q.put("start", List.of("0"));
              q.put("end", List.of("150"));
              q.put("step", List.of("15"));
              m.route()
                  .handler()
                  .handle(new HttpRequest("GET", "/", q, Map.of(), Map.of(), null, null, "t"));
            })
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.status()).isEqualTo(422);
              assertThat(e.errorType()).isEqualTo("execution");
              assertThat(e.getMessage())
                  .isEqualTo(
                      "query processing would load too many samples into memory in query"
                          + " execution");
            });
  }

  private HttpResponse callWith(QueryConfig config, String path, Map<String, String> params)
      throws Exception {
    Router saved = router;
    router = new Router();
    new PrometheusApi(storage, config, registry).register(router);
    try {
      return call("GET", path, params);
    } finally {
      router = saved;
    }
  }

  private static void assertExecutionError(ThrowingRunnable call, String message) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.status()).isEqualTo(422);
              assertThat(e.errorType()).isEqualTo("execution");
              assertThat(e.getMessage()).isEqualTo(message);
            });
  }

  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  private static QueryConfig maxSeries(long n) {
    return new QueryConfig(null, null, null, null, n);
  }

  private static String tooManySeries(long limit) {
    return "query processing would load too many series (limit "
        + limit
        + "); use a more selective selector or raise query.max_series";
  }

  @Test
  void tooManySeriesIsAnExecutionErrorForQueries() throws Exception {
    // up has two series; `up + up` loads them twice
    Map<String, String> q = Map.of("query", "up", "time", "150");
    assertThat(callWith(maxSeries(2), "/api/v1/query", q).status()).isEqualTo(200);
    assertExecutionError(() -> callWith(maxSeries(1), "/api/v1/query", q), tooManySeries(1));
    Map<String, String> r = Map.of("query", "up + up", "start", "0", "end", "150", "step", "15");
    assertThat(callWith(maxSeries(4), "/api/v1/query_range", r).status()).isEqualTo(200);
    assertExecutionError(() -> callWith(maxSeries(3), "/api/v1/query_range", r), tooManySeries(3));
  }

  @Test
  void tooManySeriesIsAnExecutionErrorForTheSeriesEndpoint() throws Exception {
    // three series in all: up{a}, up{b}, odd
    Map<String, String> all = Map.of("match[]", "{__name__=~\".+\"}");
    HttpResponse ok = callWith(maxSeries(3), "/api/v1/series", all);
    assertThat(ok.status()).isEqualTo(200);
    assertThat(body(ok)).contains("\"odd\"").contains("\"instance\":\"a\"");
    assertExecutionError(() -> callWith(maxSeries(2), "/api/v1/series", all), tooManySeries(2));
    assertThat(callWith(maxSeries(0), "/api/v1/series", all).status()).isEqualTo(200);
  }

  @Test
  void loadedRawSamplesCountTowardMaxSamples() throws Exception {
    // `up` at 150 s loads the 22 raw samples of its two series (all within the 5 m lookback)
    // and answers 2: 24 in all, where the answer alone would be 2
    Map<String, String> q = Map.of("query", "up", "time", "150");
    QueryConfig at = new QueryConfig(null, 24L, null, null, null);
    QueryConfig below = new QueryConfig(null, 23L, null, null, null);
    assertThat(callWith(at, "/api/v1/query", q).status()).isEqualTo(200);
    assertExecutionError(
        () -> callWith(below, "/api/v1/query", q),
        "query processing would load too many samples into memory in query execution");
  }

  @Test
  void seriesLabelsAndValues() throws Exception {
    assertThat(body(call("GET", "/api/v1/series", Map.of("match[]", "up{job=\"db\"}"))))
        .isEqualTo(
            "{\"status\":\"success\",\"data\":[{\"__name__\":\"up\",\"instance\":\"b\",\"job\":\"db\"}]}");
    assertThat(body(call("GET", "/api/v1/labels", Map.of())))
        .isEqualTo("{\"status\":\"success\",\"data\":[\"__name__\",\"instance\",\"job\",\"v\"]}");
    assertThat(body(call("GET", "/api/v1/label/job/values", Map.of("limit", "1"))))
        .isEqualTo("{\"status\":\"success\",\"data\":[\"api\"]}");
    assertThat(
            body(call("GET", "/api/v1/label/__name__/values", Map.of("match[]", "{job=~\".+\"}"))))
        .isEqualTo("{\"status\":\"success\",\"data\":[\"up\"]}");
    assertThatThrownBy(() -> call("GET", "/api/v1/series", Map.of()))
        .isInstanceOf(ApiException.class)
        .hasMessage("no match[] parameter provided");
  }

  @Test
  void formatAndParseQuery() throws Exception {
    assertThat(
            body(
                call(
                    "GET",
                    "/api/v1/format_query",
                    Map.of("query", "sum(rate(up{job=\"a\"}[5m]))by(job)"))))
        .isEqualTo(
            "{\"status\":\"success\",\"data\":\"sum by (job) (rate(up{job=\\\"a\\\"}[5m]))\"}");
    assertThat(body(call("GET", "/api/v1/parse_query", Map.of("query", "up offset 5m"))))
        .isEqualTo(
            "{\"status\":\"success\",\"data\":{\"anchored\":false,\"matchers\":[{\"name\":\"__name__\","
                + "\"type\":\"=\",\"value\":\"up\"}],\"name\":\"up\",\"offset\":300000,"
                + "\"smoothed\":false,\"startOrEnd\":null,\"timestamp\":null,\"type\":\"vectorSelector\"}}");
  }

  /** Expected trees written from upstream's translateAST (web/api/v1/translate_ast.go). */
  @Test
  void parseQueryHasUpstreamsShape() throws Exception {
    assertThat(ast("rate(x[5m] @ 100)"))
        .isEqualTo(
            "{\"args\":[{\"anchored\":false,\"matchers\":[{\"name\":\"__name__\",\"type\":\"=\","
                + "\"value\":\"x\"}],\"name\":\"x\",\"offset\":0,\"range\":300000,"
                + "\"smoothed\":false,\"startOrEnd\":null,\"timestamp\":100000,"
                + "\"type\":\"matrixSelector\"}],\"func\":{\"argTypes\":[\"matrix\"],\"name\":\"rate\","
                + "\"returnType\":\"vector\",\"variadic\":0},\"type\":\"call\"}");
    assertThat(ast("a / on(b) group_left(c) d"))
        .contains(
            "\"matching\":{\"card\":\"many-to-one\",\"fillValues\":{\"lhs\":null,\"rhs\":null},"
                + "\"include\":[\"c\"],\"labels\":[\"b\"],\"on\":true}")
        .startsWith("{\"bool\":false,\"lhs\":{");
    assertThat(ast("a > bool b"))
        .contains(
            "\"matching\":{\"card\":\"one-to-one\",\"fillValues\":{\"lhs\":null,\"rhs\":null},"
                + "\"include\":[],\"labels\":[],\"on\":false}")
        .startsWith("{\"bool\":true,");
    assertThat(ast("a and b")).contains("\"card\":\"many-to-many\"");
    assertThat(ast("1 + up")).contains("\"matching\":null");
    assertThat(ast("sum(up)"))
        .isEqualTo(
            "{\"expr\":{\"anchored\":false,\"matchers\":[{\"name\":\"__name__\",\"type\":\"=\","
                + "\"value\":\"up\"}],\"name\":\"up\",\"offset\":0,\"smoothed\":false,"
                + "\"startOrEnd\":null,\"timestamp\":null,\"type\":\"vectorSelector\"},\"grouping\":[],"
                + "\"op\":\"sum\",\"param\":null,\"type\":\"aggregation\",\"without\":false}");
    assertThat(ast("max_over_time(up[1h:5m] offset 1m)"))
        .contains(
            "{\"alignEvalTime\":false,\"expr\":{\"anchored\":false,\"matchers\":[{\"name\":\"__name__\"")
        .contains(
            "\"offset\":60000,\"range\":3600000,\"startOrEnd\":null,\"step\":300000,"
                + "\"timestamp\":null,\"type\":\"subquery\"}");
    assertThat(ast("-1.5")).isEqualTo("{\"type\":\"numberLiteral\",\"val\":\"-1.5\"}");
    assertThat(ast("-(1)"))
        .isEqualTo(
            "{\"expr\":{\"expr\":{\"type\":\"numberLiteral\",\"val\":\"1\"},\"type\":\"parenExpr\"},"
                + "\"op\":\"-\",\"type\":\"unaryExpr\"}");
    assertThat(ast("topk(3, x @ end())"))
        .contains("\"param\":{\"type\":\"numberLiteral\",\"val\":\"3\"}")
        .contains("\"startOrEnd\":\"end\"");
    assertThat(ast("label_replace(x, \"a\", \"b\", \"c\", \"d\")"))
        .contains("\"variadic\":0")
        .contains("{\"type\":\"stringLiteral\",\"val\":\"a\"}");
  }

  private String ast(String q) throws Exception {
    String b = body(call("GET", "/api/v1/parse_query", Map.of("query", q)));
    assertThat(b).startsWith("{\"status\":\"success\",\"data\":");
    return b.substring("{\"status\":\"success\",\"data\":".length(), b.length() - 1);
  }

  @Test
  void countsQueriesInTheRegistry() throws Exception {
    call("GET", "/api/v1/query", Map.of("query", "up", "time", "1"));
    assertThat(
            registry
                .get("osprey_query_requests_total")
                .tag("endpoint", "query")
                .tag("outcome", "success")
                .counter()
                .count())
        .isEqualTo(1.0);
  }
}
