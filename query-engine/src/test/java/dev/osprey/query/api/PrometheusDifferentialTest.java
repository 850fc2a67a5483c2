package dev.osprey.query.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.http.ApiException;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.Router;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.memory.MemStorage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the same generated data and a few hundred queries through Debian's Prometheus 2.42 (data
 * backfilled with promtool) and through Osprey's API, and compares the answers. Every mismatch is
 * written with the query and both answers to {@code target/promql-differential.txt}.
 *
 * <p>Evaluation times (and {@code @} times) fall between sample timestamps, so the 2.x closed
 * ranges and 3.x left-open ranges select the same samples. Needs Debian's {@code prometheus}
 * package; skipped without it.
 */
class PrometheusDifferentialTest {
  private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
  private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
  private static final long BASE = 1_700_000_000_000L; // ms, fixed so the test is repeatable
  private static final long STEP = 15_000;
  private static final int POINTS = 480; // 2 hours
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  record Point(Labels labels, long t, double v) {}

  static List<Point> generate() {
    Random rnd = new Random(42);
    List<Point> out = new ArrayList<>();
    String[] jobs = {"api", "db"};
    String[] methods = {"GET", "POST"};
    String[] codes = {"200", "500"};
    for (String job : jobs) {
      for (int inst = 0; inst < 3; inst++) {
        for (String m : methods) {
          for (String code : codes) {
            Labels l =
                Labels.of(
                    "__name__",
                    "http_requests_total",
                    "job",
                    job,
                    "instance",
                    "i" + inst,
                    "method",
                    m,
                    "code",
                    code);
            double v = 0;
            for (int k = 0; k < POINTS; k++) {
              if (rnd.nextInt(200) == 0) {
                v = 0; // counter reset
              }
              v += rnd.nextInt(10);
              if (k % 97 == 13 && inst == 2) {
                continue; // gaps
              }
              out.add(new Point(l, BASE + k * STEP, v));
            }
          }
        }
        Labels g = Labels.of("__name__", "node_temp", "job", job, "instance", "i" + inst);
        for (int k = 0; k < POINTS; k++) {
          out.add(new Point(g, BASE + k * STEP, 40 + 10 * Math.sin(k / 20.0) + rnd.nextDouble()));
        }
        double[] les = {0.1, 0.5, 1, 5, Double.POSITIVE_INFINITY};
        double[] counts = new double[les.length];
        double sum = 0;
        for (int k = 0; k < POINTS; k++) {
          for (int o = 0; o < 5; o++) {
            double obs = rnd.nextDouble() * rnd.nextDouble() * 6;
            sum += obs;
            for (int b = 0; b < les.length; b++) {
              if (obs <= les[b]) {
                counts[b]++;
              }
            }
          }
          for (int b = 0; b < les.length; b++) {
            String le = Double.isInfinite(les[b]) ? "+Inf" : Double.toString(les[b]);
            out.add(
                new Point(
                    Labels.of(
                        "__name__",
                        "req_duration_seconds_bucket",
                        "job",
                        job,
                        "instance",
                        "i" + inst,
                        "le",
                        le),
                    BASE + k * STEP,
                    counts[b]));
          }
          Labels base = Labels.of("job", job, "instance", "i" + inst);
          out.add(
              new Point(
                  base.toBuilder().set("__name__", "req_duration_seconds_sum").build(),
                  BASE + k * STEP,
                  sum));
          out.add(
              new Point(
                  base.toBuilder().set("__name__", "req_duration_seconds_count").build(),
                  BASE + k * STEP,
                  counts[les.length - 1]));
        }
      }
    }
    return out;
  }

  static List<String> queries() {
    List<String> q = new ArrayList<>();
    String[] sels = {
      "http_requests_total",
      "http_requests_total{job=\"api\"}",
      "http_requests_total{code=~\"5..\"}",
      "http_requests_total{method!=\"GET\",instance=~\"i[01]\"}"
    };
    String[] rangeFns = {
      "rate",
      "irate",
      "increase",
      "delta",
      "idelta",
      "deriv",
      "changes",
      "resets",
      "avg_over_time",
      "sum_over_time",
      "min_over_time",
      "max_over_time",
      "count_over_time",
      "last_over_time",
      "stddev_over_time",
      "stdvar_over_time",
      "present_over_time"
    };
    String[] ranges = {"1m", "5m", "17m"};
    for (String f : rangeFns) {
      for (String r : ranges) {
        q.add(f + "(" + sels[0] + "[" + r + "])");
      }
      q.add(f + "(" + sels[2] + "[5m] offset 10m)");
    }
    for (String s : sels) {
      for (String agg :
          new String[] {"sum", "avg", "min", "max", "count", "stddev", "stdvar", "group"}) {
        q.add(agg + " by (job) (rate(" + s + "[5m]))");
        q.add(agg + " without (instance) (" + s + ")");
      }
      // Not topk over the integer-valued rates themselves: their ties at the k-th place are
      // broken differently by 2.42 (heap pop+push) and 3.x (replace root+fix), which Osprey
      // follows.
      q.add("topk(3, sum by (job, instance) (rate(" + s + "[5m])) * on(job, instance) node_temp)");
      q.add("bottomk(2, " + s + ")");
      q.add("quantile(0.9, rate(" + s + "[5m]))");
      q.add("count_values(\"value\", " + s + " % 7)");
      q.add(s);
      q.add(s + " offset 30m");
      q.add("absent(" + s + ")");
    }
    for (String fn :
        new String[] {
          "abs",
          "ceil",
          "floor",
          "exp",
          "ln",
          "log2",
          "log10",
          "sqrt",
          "sgn",
          "round",
          "timestamp",
          "deg",
          "rad",
          "sin",
          "cos",
          "tanh",
          "asinh"
        }) {
      q.add(fn + "(node_temp)");
      q.add(fn + "(-node_temp / 7)");
    }
    for (String op :
        new String[] {"+", "-", "*", "/", "%", "^", "==", "!=", ">", "<", ">=", "<="}) {
      q.add("node_temp " + op + " 41");
      q.add("41 " + op + " node_temp");
      q.add(
          "node_temp "
              + op
              + " on(job, instance) rate(http_requests_total{method=\"GET\",code=\"200\"}[5m])");
      q.add("sum by (job) (node_temp) " + op + " ignoring(instance) group_left node_temp");
      if (op.length() == 2 || op.equals(">") || op.equals("<")) {
        q.add("node_temp " + op + " bool 41");
      }
    }
    for (String qq : new String[] {"0.5", "0.9", "0.99", "0", "1"}) {
      q.add("histogram_quantile(" + qq + ", rate(req_duration_seconds_bucket[5m]))");
      q.add("histogram_quantile(" + qq + ", sum by (le) (rate(req_duration_seconds_bucket[10m])))");
    }
    q.addAll(
        List.of(
            "node_temp and on(instance) node_temp > 45",
            "node_temp or http_requests_total",
            "node_temp unless on(instance) node_temp{instance=\"i1\"}",
            "clamp(node_temp, 40, 45)",
            "clamp_min(node_temp, 45)",
            "clamp_max(node_temp, 45)",
            "label_replace(node_temp, \"inst\", \"$1-x\", \"instance\", \"i(.*)\")",
            "label_join(node_temp, \"both\", \"/\", \"job\", \"instance\")",
            "predict_linear(node_temp[30m], 3600)",
            "holt_winters(node_temp[30m], 0.3, 0.6)",
            "quantile_over_time(0.75, node_temp[20m])",
            "max_over_time(rate(http_requests_total[5m])[30m:1m])",
            "avg_over_time(node_temp[10m:30s])",
            "rate(http_requests_total[5m] @ 1700003007.5)",
            "sum(rate(http_requests_total[5m])) / sum(rate(req_duration_seconds_count[5m]))",
            "sort_desc(sum by (instance) (node_temp))",
            "scalar(sum(node_temp))",
            "vector(time())",
            "time() - timestamp(node_temp)",
            "hour(node_temp * 0 + 1700003600) + minute() + day_of_week() + month() + year()",
            "days_in_month()",
            "count(count by (instance) (http_requests_total))",
            "sum(http_requests_total) by (code) / ignoring(code) group_left sum(http_requests_total)",
            "absent_over_time(nonexistent[5m])",
            "absent(nonexistent{job=\"x\"})",
            "-node_temp",
            "node_temp[5m]",
            "1 + 2 * 3 ^ 2 ^ 0.5",
            "\"hello\""));
    return q;
  }

  private static String openMetrics(List<Point> pts) {
    TreeMap<String, List<Point>> byName = new TreeMap<>();
    for (Point p : pts) {
      byName.computeIfAbsent(p.labels.metricName(), k -> new ArrayList<>()).add(p);
    }
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, List<Point>> en : byName.entrySet()) {
      LinkedHashMap<Labels, List<Point>> bySeries = new LinkedHashMap<>();
      for (Point p : en.getValue()) {
        bySeries.computeIfAbsent(p.labels, k -> new ArrayList<>()).add(p);
      }
      for (Map.Entry<Labels, List<Point>> s : bySeries.entrySet()) {
        StringBuilder ls = new StringBuilder(en.getKey()).append('{');
        boolean first = true;
        for (int i = 0; i < s.getKey().size(); i++) {
          if (s.getKey().name(i).equals("__name__")) {
            continue;
          }
          if (!first) {
            ls.append(',');
          }
          first = false;
          ls.append(s.getKey().name(i)).append("=\"").append(s.getKey().value(i)).append('"');
        }
        ls.append('}');
        for (Point p : s.getValue()) {
          sb.append(ls)
              .append(' ')
              .append(Double.toString(p.v))
              .append(' ')
              .append(p.t / 1000)
              .append('.')
              .append(String.format("%03d", p.t % 1000))
              .append('\n');
        }
      }
    }
    return sb.append("# EOF\n").toString();
  }

  @Test
  void ospreyAnswersLikePrometheus() throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(PROMETHEUS) && Files.isExecutable(PROMTOOL),
        "Debian package prometheus not installed");
    List<Point> pts = generate();
    Path om = tmp.resolve("data.om");
    Files.writeString(om, openMetrics(pts));
    Path data = tmp.resolve("data");
    Process backfill =
        new ProcessBuilder(
                PROMTOOL.toString(),
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                "-q",
                om.toString(),
                data.toString())
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("promtool.log").toFile())
            .start();
    assertThat(backfill.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(backfill.exitValue()).as(Files.readString(tmp.resolve("promtool.log"))).isZero();

    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path config = tmp.resolve("prometheus.yml");
    Files.writeString(config, "global:\n  scrape_interval: 1h\n");
    Process prom =
        new ProcessBuilder(
                PROMETHEUS.toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + data,
                "--storage.tsdb.retention.time=100y",
                "--web.listen-address=127.0.0.1:" + port,
                "--query.lookback-delta=5m")
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("prometheus.log").toFile())
            .start();
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      String base = "http://127.0.0.1:" + port;
      boolean ready = false;
      for (int i = 0; i < 120 && !ready; i++) {
        try {
          ready =
              http.send(
                          java.net.http.HttpRequest.newBuilder(URI.create(base + "/-/ready"))
                              .build(),
                          java.net.http.HttpResponse.BodyHandlers.ofString())
                      .statusCode()
                  == 200;
        } catch (IOException e) {
          // not listening yet
        }
        if (!ready) {
          Thread.sleep(500);
        }
      }
      assertThat(ready).as("prometheus became ready").isTrue();

      MemStorage storage = new MemStorage();
      Appender app = storage.appender();
      for (Point p : pts) {
        app.append(0, p.labels, p.t, p.v);
      }
      app.commit();
      Router router = new Router();
      new PrometheusApi(storage, QueryConfig.DEFAULTS, new SimpleMeterRegistry()).register(router);

      List<String> qs = queries();
      List<Map<String, String>> runs = new ArrayList<>();
      for (String q : qs) {
        for (long t : new long[] {BASE + 3_600_007, BASE + 6_000_011}) {
          runs.add(Map.of("path", "/api/v1/query", "query", q, "time", secs(t)));
        }
        if (!q.equals("node_temp[5m]") && !q.equals("\"hello\"")) {
          runs.add(
              Map.of(
                  "path",
                  "/api/v1/query_range",
                  "query",
                  q,
                  "start",
                  secs(BASE + 1_800_003),
                  "end",
                  secs(BASE + 7_000_003),
                  "step",
                  "97"));
        }
      }
      StringBuilder report = new StringBuilder();
      int mismatches = 0;
      for (Map<String, String> run : runs) {
        Map<String, String> params = new LinkedHashMap<>(run);
        String path = params.remove("path");
        StringBuilder url = new StringBuilder(base + path + "?");
        params.forEach(
            (k, v) ->
                url.append(k)
                    .append('=')
                    .append(URLEncoder.encode(v, StandardCharsets.UTF_8))
                    .append('&'));
        String theirs =
            http.send(
                    java.net.http.HttpRequest.newBuilder(URI.create(url.toString()))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString())
                .body();
        String ours = osprey(router, path, params);
        String diff = compare(JSON.readTree(theirs), JSON.readTree(ours));
        if (diff != null) {
          mismatches++;
          report
              .append(path)
              .append(' ')
              .append(params)
              .append("\n  difference: ")
              .append(diff)
              .append("\n  prometheus: ")
              .append(abbrev(theirs))
              .append("\n  osprey:     ")
              .append(abbrev(ours))
              .append("\n");
        }
      }
      String summary =
          "differential vs prometheus 2.42: "
              + (runs.size() - mismatches)
              + " / "
              + runs.size()
              + " query runs agree ("
              + qs.size()
              + " queries)\n";
      System.out.print(summary);
      Files.createDirectories(Path.of("target"));
      Files.writeString(Path.of("target/promql-differential.txt"), summary + report);
      assertThat(mismatches).as(report.toString()).isZero();
    } finally {
      prom.destroy();
      if (!prom.waitFor(20, TimeUnit.SECONDS)) {
        prom.destroyForcibly();
      }
    }
  }

  private static String abbrev(String s) {
    return s.length() > 600 ? s.substring(0, 600) + "..." : s;
  }

  private static String secs(long ms) {
    return (ms / 1000) + "." + String.format("%03d", ms % 1000);
  }

  private static String osprey(Router router, String path, Map<String, String> params)
      throws Exception {
    Router.Match m = router.match("GET", path);
    Map<String, List<String>> p = new HashMap<>();
    params.forEach((k, v) -> p.put(k, List.of(v)));
    try {
      HttpResponse r =
          m.route()
              .handler()
              .handle(new HttpRequest("GET", path, p, Map.of(), Map.of(), null, null, "t"));
      return new String(r.body(), StandardCharsets.UTF_8);
    } catch (ApiException e) {
      return new String(HttpResponse.error(e).body(), StandardCharsets.UTF_8);
    }
  }

  /** Null when equal: same status/error type, result type, series and values (1e-9 relative). */
  static String compare(JsonNode a, JsonNode b) {
    if (!a.path("status").asText().equals(b.path("status").asText())) {
      return "status " + a.path("status") + " vs " + b.path("status");
    }
    if (a.path("status").asText().equals("error")) {
      return a.path("errorType").equals(b.path("errorType"))
          ? null
          : "errorType " + a.path("errorType") + " vs " + b.path("errorType");
    }
    JsonNode da = a.path("data");
    JsonNode db = b.path("data");
    if (!da.path("resultType").equals(db.path("resultType"))) {
      return "resultType " + da.path("resultType") + " vs " + db.path("resultType");
    }
    String type = da.path("resultType").asText();
    if (type.equals("scalar") || type.equals("string")) {
      return valueEq(da.path("result"), db.path("result")) ? null : "value";
    }
    Map<String, JsonNode> ma = bySeries(da.path("result"));
    Map<String, JsonNode> mb = bySeries(db.path("result"));
    if (!ma.keySet().equals(mb.keySet())) {
      return "series " + ma.keySet() + " vs " + mb.keySet();
    }
    for (String k : ma.keySet()) {
      JsonNode x = ma.get(k);
      JsonNode y = mb.get(k);
      if (type.equals("vector")) {
        if (!valueEq(x.path("value"), y.path("value"))) {
          return "value of " + k;
        }
      } else {
        JsonNode vx = x.path("values");
        JsonNode vy = y.path("values");
        if (vx.size() != vy.size()) {
          return "point count of " + k + ": " + vx.size() + " vs " + vy.size();
        }
        for (int i = 0; i < vx.size(); i++) {
          if (!valueEq(vx.get(i), vy.get(i))) {
            return "point " + i + " of " + k + ": " + vx.get(i) + " vs " + vy.get(i);
          }
        }
      }
    }
    return null;
  }

  private static Map<String, JsonNode> bySeries(JsonNode result) {
    Map<String, JsonNode> m = new TreeMap<>();
    for (JsonNode s : result) {
      TreeMap<String, String> labels = new TreeMap<>();
      Iterator<Map.Entry<String, JsonNode>> it = s.path("metric").fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        labels.put(e.getKey(), e.getValue().asText());
      }
      m.put(labels.toString(), s);
    }
    return m;
  }

  private static boolean valueEq(JsonNode x, JsonNode y) {
    if (x.get(0).asDouble() != y.get(0).asDouble()) {
      return false;
    }
    String a = x.get(1).asText();
    String b = y.get(1).asText();
    if (a.equals(b)) {
      return true;
    }
    try {
      double da = Double.parseDouble(a.replace("Inf", "Infinity"));
      double db = Double.parseDouble(b.replace("Inf", "Infinity"));
      if (Double.isNaN(da) || Double.isNaN(db)) {
        return Double.isNaN(da) && Double.isNaN(db);
      }
      return Math.abs(da - db) <= 1e-9 * Math.max(Math.abs(da), Math.abs(db));
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
