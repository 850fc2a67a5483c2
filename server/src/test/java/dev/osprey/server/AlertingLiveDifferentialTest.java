package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.sun.net.httpserver.HttpServer;
import dev.osprey.core.config.AlertingConfig;
import dev.osprey.core.config.GlobalConfig;
import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.wire.prompb.Remote;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.Snappy;

/**
 * The differential: one rule file and the same generated series, remote-written live with
 * identical timestamps into Debian's Prometheus 2.42 and into an Osprey server, give the same
 * alerts. Compared at every evaluation timestamp both evaluated: {@code ALERTS}, {@code
 * ALERTS_FOR_STATE} and the recording rule's output (instant queries at that time over HTTP), and
 * {@code /api/v1/alerts} (labels, annotations, state, activeAt, keepFiringSince, value) read
 * between evaluations when both had finished the same one. Every mismatch is reported with its time
 * and both answers.
 *
 * <p>Samples lie half an interval after an evaluation and are written before their own timestamp
 * (by half an interval at least, usually two and a half), so no evaluation races a write: however
 * late an evaluation runs, it sees exactly the samples at or before its timestamp.
 */
class AlertingLiveDifferentialTest {
  private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long INTERVAL = 2000; // ms, the group's interval
  private static final int TICKS = 18; // evaluations compared after the data starts

  private static final String RULES =
      """
      groups:
        - name: live-diff
          interval: 2s
          rules:
            - record: job:requests:rate10s
              expr: sum by (job) (rate(requests_total[10s]))
            - alert: HighTemperature
              expr: temperature > 30
              for: 6s
              keep_firing_for: 6s
              labels: {severity: warn}
              annotations:
                summary: "room {{ $labels.room }} at {{ $value }}"
            - alert: ErrorRatio
              expr: >
                sum by (job) (rate(requests_total{code="500"}[10s]))
                / sum by (job) (rate(requests_total[10s])) > 0.2
              for: 4s
              labels: {severity: page}
              annotations:
                summary: "{{ $value | humanizePercentage }} of {{ $labels.job }} failing"
            - alert: HighTraffic
              expr: job:requests:rate10s > 14
              keep_firing_for: 4s
              annotations:
                summary: "{{ $value | humanize }} req/s"
            - record: diff_eval_tick
              expr: vector(1)
      """;

  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<String> mismatches = new ArrayList<>();
  private int keptFiring; // snapshots in which Prometheus showed an alert kept firing

  /** The series at sample index k (sample time: evaluation k plus half an interval). */
  static Map<Map<String, String>, Double> samples(int k) {
    Map<Map<String, String>, Double> out = new LinkedHashMap<>();
    // room a: hot for 8 samples (pending, firing, then kept firing after it cools)
    out.put(series("temperature", "room", "a"), k >= 1 && k <= 8 ? 35.0 + k % 3 : 20.0);
    // room b: hot for 2 samples only: pending, then gone without ever firing
    out.put(series("temperature", "room", "b"), k >= 3 && k <= 4 ? 40.0 : 25.0);
    // room c: hot from sample 11 on, still firing at the end
    out.put(series("temperature", "room", "c"), k >= 11 ? 31.0 + k * 0.5 : 10.0);
    // api: 10/s of 200s with a counter reset at sample 9, 5/s of 500s for samples 4..10
    out.put(
        series("requests_total", "job", "api", "code", "200"),
        k < 9 ? 1000.0 + 20 * (k + 6) : 20.0 * (k - 8));
    out.put(
        series("requests_total", "job", "api", "code", "500"),
        50.0 + 10 * Math.max(0, Math.min(k, 10) - 3));
    // web: 20/s, always above the traffic threshold
    out.put(series("requests_total", "job", "web", "code", "200"), 40.0 * (k + 6));
    return out;
  }

  private static Map<String, String> series(String name, String... kv) {
    Map<String, String> m = new TreeMap<>();
    m.put("__name__", name);
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void sameDataSameRulesSameAlertsAtTheSameEvaluationTimes(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isExecutable(PROMETHEUS), "Debian's prometheus is not installed");
    Path rules = dir.resolve("rules.yml");
    Files.writeString(rules, RULES);
    // both forward to this sink as to an Alertmanager (API v2), under their own path prefix
    Map<String, List<JsonNode>> forwarded = new java.util.concurrent.ConcurrentHashMap<>();
    HttpServer sink = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    sink.createContext(
        "/",
        ex -> {
          JsonNode body = JSON.readTree(ex.getRequestBody().readAllBytes());
          List<JsonNode> into =
              forwarded.computeIfAbsent(
                  ex.getRequestURI().getPath(),
                  k -> new java.util.concurrent.CopyOnWriteArrayList<>());
          body.forEach(into::add);
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    sink.start();
    int sinkPort = sink.getAddress().getPort();
    Files.writeString(
        dir.resolve("prometheus.yml"),
        """
        global:
          evaluation_interval: 2s
          external_labels: {cluster: live}
        rule_files: ['%s']
        alerting:
          alertmanagers:
            - path_prefix: /prom
              static_configs: [{targets: ['127.0.0.1:%d']}]
        """
            .formatted(rules, sinkPort));
    int promPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      promPort = s.getLocalPort();
    }
    Process prom =
        new ProcessBuilder(
                PROMETHEUS.toString(),
                "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("prom-data"),
                "--web.listen-address=127.0.0.1:" + promPort,
                "--web.enable-remote-write-receiver")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("prometheus.log").toFile())
            .start();
    OspreyConfig base = OspreyServerTest.config(dir.resolve("osprey-data"));
    OspreyConfig config =
        new OspreyConfig(
            new GlobalConfig(Map.of("cluster", "live")),
            base.server(),
            base.tsdb(),
            base.logs(),
            base.query(),
            new AlertingConfig(
                List.of(rules.toString()),
                null,
                Duration.ofSeconds(2),
                List.of(
                    new AlertingConfig.Alertmanager(
                        "http",
                        "/osprey",
                        null,
                        null,
                        List.of(
                            new AlertingConfig.StaticConfig(List.of("127.0.0.1:" + sinkPort)))))),
            base.agent());
    try (OspreyServer osprey = new OspreyServer(config, SelfMetrics.create()).start()) {
      String p = "http://127.0.0.1:" + promPort;
      String o = osprey.baseUrl();
      // both evaluating: the tick rule has a sample in each (bounded: 60 s)
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      long lastTick = -1;
      while (System.nanoTime() < deadline) {
        long tp = latestTick(p);
        long to = latestTick(o);
        if (tp > 0 && to > 0) {
          lastTick = tp;
          break;
        }
        Thread.sleep(200);
      }
      assertThat(lastTick).as("both evaluating; prometheus log: %s", log(dir)).isPositive();

      // the first compared evaluation, far enough ahead to write the history before it
      long first = lastTick;
      while (first - 4 * INTERVAL < System.currentTimeMillis() + 300) {
        first += INTERVAL;
      }
      final long t0 = first;
      // every sample is written before its own timestamp: an evaluation at any time, however
      // late it runs, sees exactly the samples at or before its timestamp
      sleepUntil(t0 - 4 * INTERVAL + INTERVAL / 2);
      for (int k = -3; k <= 1; k++) {
        write(p, o, k, t0);
      }

      List<Long> snapshotTimes = new ArrayList<>();
      for (int j = -1; j < TICKS; j++) {
        long tj = t0 + j * INTERVAL;
        sleepUntil(tj + INTERVAL / 2);
        write(p, o, j + 3, t0);
        if (j >= 0 && compareAlertsApi(p, o, tj)) {
          snapshotTimes.add(tj);
        }
      }
      sleepUntil(t0 + TICKS * INTERVAL + INTERVAL / 2);

      // evaluation times of each: the tick rule's raw samples
      long end = t0 + TICKS * INTERVAL;
      TreeSet<Long> evalP = evalTimes(p, end);
      TreeSet<Long> evalO = evalTimes(o, end);
      TreeSet<Long> common = new TreeSet<>(evalP);
      common.retainAll(evalO);
      common.removeIf(t -> t < t0 - 3 * INTERVAL || t > end);
      // Osprey evaluates at Prometheus's offset for the group: the same instants, not shifted ones
      for (long t : evalO.subSet(t0 - 3 * INTERVAL, true, end, true)) {
        assertThat(Math.floorMod(t - t0, INTERVAL))
            .as("osprey evaluation at %s is on prometheus's schedule", Instant.ofEpochMilli(t))
            .isZero();
      }
      TreeSet<Long> onlyOne = new TreeSet<>(evalP);
      onlyOne.addAll(evalO);
      onlyOne.removeIf(t -> t < t0 - 3 * INTERVAL || t > end || common.contains(t));

      TreeSet<String> statesSeen = new TreeSet<>();
      TreeSet<String> alertsSeen = new TreeSet<>();
      int alertSamples = 0;
      for (long t : common) {
        for (String q : List.of("ALERTS", "ALERTS_FOR_STATE", "job:requests:rate10s")) {
          JsonNode rp = query(p, q, t);
          JsonNode ro = query(o, q, t);
          if (!rp.equals(ro)) {
            mismatches.add(
                "t=%s %s\n  prometheus: %s\n  osprey:     %s"
                    .formatted(Instant.ofEpochMilli(t), q, rp, ro));
          }
          if (q.equals("ALERTS")) {
            for (JsonNode s : rp) {
              statesSeen.add(s.at("/metric/alertstate").asText());
              alertsSeen.add(s.at("/metric/alertname").asText());
              alertSamples++;
            }
          }
        }
      }
      // what each sent to its Alertmanager for the compared evaluations: the same alerts
      // (sending is asynchronous in both: give a late send up to 5 s to arrive)
      TreeSet<String> sentP = forwardedAt(forwarded.get("/prom/api/v2/alerts"), common);
      TreeSet<String> sentO = forwardedAt(forwarded.get("/osprey/api/v2/alerts"), common);
      for (int i = 0; i < 50 && !sentP.equals(sentO); i++) {
        Thread.sleep(100);
        sentP = forwardedAt(forwarded.get("/prom/api/v2/alerts"), common);
        sentO = forwardedAt(forwarded.get("/osprey/api/v2/alerts"), common);
      }
      if (!sentP.equals(sentO)) {
        TreeSet<String> onlyP = new TreeSet<>(sentP);
        onlyP.removeAll(sentO);
        TreeSet<String> onlyO = new TreeSet<>(sentO);
        onlyO.removeAll(sentP);
        mismatches.add(
            "alerts sent to the Alertmanager\n  only by prometheus: %s\n  only by osprey:     %s"
                .formatted(onlyP, onlyO));
      }
      assertThat(mismatches)
          .as(
              "mismatches (evaluated by one system only: %s; /api/v1/alerts compared at %d"
                  + " evaluations)",
              onlyOne.stream().map(Instant::ofEpochMilli).toList(), snapshotTimes.size())
          .isEmpty();
      // the comparison covered the scenario: every evaluation but a few, both states, many alerts
      assertThat(common.size()).as("evaluations compared").isGreaterThanOrEqualTo(TICKS);
      assertThat(snapshotTimes.size())
          .as("/api/v1/alerts snapshots taken between evaluations")
          .isGreaterThanOrEqualTo(TICKS / 2);
      assertThat(statesSeen).containsExactly("firing", "pending");
      assertThat(alertsSeen).containsExactly("ErrorRatio", "HighTemperature", "HighTraffic");
      assertThat(keptFiring).as("keep_firing_for seen in /api/v1/alerts").isPositive();
      assertThat(alertSamples).isGreaterThan(2 * TICKS);
      // firing and resolved alerts were sent, with the external label
      assertThat(sentP).anyMatch(a -> a.contains("\"cluster\":\"live\""));
      assertThat(sentP.stream().map(a -> a.substring(0, a.indexOf(' '))).distinct().count())
          .as("firing and resolved sends: %s", sentP)
          .isEqualTo(2);
    } finally {
      sink.stop(0);
      prom.destroy();
      if (!prom.waitFor(15, TimeUnit.SECONDS)) {
        prom.destroyForcibly();
      }
    }
  }

  /**
   * Reads /api/v1/alerts from both between evaluation {@code tj} and the next: only when both had
   * finished evaluation {@code tj} before and after the read and the next had not begun. Returns
   * whether the snapshot counted; mismatches are recorded.
   */
  private boolean compareAlertsApi(String p, String o, long tj) throws Exception {
    long pb = latestTick(p);
    long ob = latestTick(o);
    JsonNode ap = sortedAlerts(p);
    JsonNode ao = sortedAlerts(o);
    JsonNode rp = rulesWithoutTimings(p);
    JsonNode ro = rulesWithoutTimings(o);
    long pa = latestTick(p);
    long oa = latestTick(o);
    boolean settled =
        pb == tj && ob == tj && pa == tj && oa == tj && System.currentTimeMillis() < tj + INTERVAL;
    if (!settled) {
      return false;
    }
    for (JsonNode a : ap) {
      if (a.has("keepFiringSince")) {
        keptFiring++;
      }
    }
    if (!rp.equals(ro)) {
      mismatches.add(
          "t=%s /api/v1/rules\n  prometheus: %s\n  osprey:     %s"
              .formatted(Instant.ofEpochMilli(tj), rp, ro));
    }
    if (!ap.equals(ao)) {
      mismatches.add(
          "t=%s /api/v1/alerts\n  prometheus: %s\n  osprey:     %s"
              .formatted(Instant.ofEpochMilli(tj), ap, ao));
    }
    return true;
  }

  /**
   * /api/v1/rules without the wall-clock fields (evaluationTime, lastEvaluation), each rule's
   * alerts sorted by labels (Prometheus lists them in map order).
   */
  private JsonNode rulesWithoutTimings(String base) throws Exception {
    JsonNode r = JSON.readTree(get(base + "/api/v1/rules")).at("/data/groups");
    for (JsonNode g : r) {
      ((com.fasterxml.jackson.databind.node.ObjectNode) g)
          .remove(List.of("evaluationTime", "lastEvaluation"));
      for (JsonNode rule : g.get("rules")) {
        ((com.fasterxml.jackson.databind.node.ObjectNode) rule)
            .remove(List.of("evaluationTime", "lastEvaluation"));
        if (rule.has("alerts")) {
          List<JsonNode> list = new ArrayList<>();
          rule.get("alerts").forEach(list::add);
          list.sort(Comparator.comparing(a -> a.get("labels").toString()));
          ArrayNode sorted = JSON.createArrayNode();
          list.forEach(sorted::add);
          ((com.fasterxml.jackson.databind.node.ObjectNode) rule).set("alerts", sorted);
        }
      }
    }
    return r;
  }

  /**
   * The alerts sent for evaluations in {@code evals}, each as "firing|resolved <json>" with the
   * generatorURL's origin dropped (the two servers have different URLs). A firing alert is sent
   * with endsAt = evaluation + 4 x max(resend delay 1m, interval); a resolved one with endsAt = its
   * evaluation.
   */
  private static TreeSet<String> forwardedAt(List<JsonNode> sent, Set<Long> evals) {
    TreeSet<String> out = new TreeSet<>();
    if (sent == null) {
      return out;
    }
    for (JsonNode a : sent) {
      Instant ends = Instant.parse(a.get("endsAt").asText());
      long endsMs = ends.toEpochMilli();
      boolean firing = !evals.contains(endsMs);
      long evalMs = firing ? endsMs - 4 * 60_000 : endsMs;
      if (!evals.contains(evalMs)) {
        continue;
      }
      com.fasterxml.jackson.databind.node.ObjectNode c = a.deepCopy();
      String url = c.get("generatorURL").asText();
      c.put("generatorURL", url.substring(url.indexOf("/graph")));
      out.add((firing ? "firing " : "resolved ") + canonical(c));
    }
    return out;
  }

  private static String canonical(JsonNode n) {
    try {
      return JSON.copy()
          .configure(
              com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
          .writeValueAsString(JSON.treeToValue(n, Object.class));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private JsonNode sortedAlerts(String base) throws Exception {
    JsonNode alerts = JSON.readTree(get(base + "/api/v1/alerts")).at("/data/alerts");
    List<JsonNode> list = new ArrayList<>();
    alerts.forEach(list::add);
    list.sort(Comparator.comparing(a -> a.get("labels").toString()));
    ArrayNode out = JSON.createArrayNode();
    list.forEach(out::add);
    return out;
  }

  /** An instant query's result at {@code t} (ms), sorted by series. */
  private JsonNode query(String base, String q, long t) throws Exception {
    JsonNode r =
        JSON.readTree(
            get(
                base
                    + "/api/v1/query?query="
                    + URLEncoder.encode(q, StandardCharsets.UTF_8)
                    + "&time="
                    + seconds(t)));
    if (!r.path("status").asText().equals("success")) {
      throw new AssertionError("query " + q + " at " + seconds(t) + " on " + base + ": " + r);
    }
    List<JsonNode> list = new ArrayList<>();
    r.at("/data/result").forEach(list::add);
    list.sort(Comparator.comparing(s -> s.get("metric").toString()));
    ArrayNode out = JSON.createArrayNode();
    list.forEach(out::add);
    return out;
  }

  /** The newest evaluation's timestamp in ms, or -1 before the first. */
  private long latestTick(String base) {
    try {
      JsonNode r =
          JSON.readTree(get(base + "/api/v1/query?query=timestamp(diff_eval_tick)"))
              .at("/data/result");
      if (r.isEmpty()) {
        return -1;
      }
      return Math.round(Double.parseDouble(r.at("/0/value/1").asText()) * 1000);
    } catch (Exception e) {
      return -1; // not up yet
    }
  }

  private TreeSet<Long> evalTimes(String base, long end) throws Exception {
    JsonNode r =
        JSON.readTree(
                get(
                    base
                        + "/api/v1/query?query="
                        + URLEncoder.encode("diff_eval_tick[2m]", StandardCharsets.UTF_8)
                        + "&time="
                        + seconds(end)))
            .at("/data/result/0/values");
    TreeSet<Long> out = new TreeSet<>();
    for (JsonNode v : r) {
      out.add(Math.round(v.get(0).asDouble() * 1000));
    }
    return out;
  }

  /** Writes sample k (at evaluation k of the schedule starting at t0, plus half an interval). */
  private void write(String p, String o, int k, long t0) throws Exception {
    long ts = t0 + k * INTERVAL + INTERVAL / 2;
    Remote.WriteRequest.Builder req = Remote.WriteRequest.newBuilder();
    samples(k)
        .forEach(
            (labels, v) -> {
              Remote.TimeSeries.Builder s = Remote.TimeSeries.newBuilder();
              labels.forEach(
                  (n, val) -> s.addLabels(Remote.Label.newBuilder().setName(n).setValue(val)));
              s.addSamples(Remote.Sample.newBuilder().setTimestamp(ts).setValue(v));
              req.addTimeseries(s);
            });
    byte[] body = Snappy.compress(req.build().toByteArray());
    for (String base : List.of(p, o)) {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create(base + "/api/v1/write"))
                  .header("Content-Encoding", "snappy")
                  .header("Content-Type", "application/x-protobuf")
                  .header("X-Prometheus-Remote-Write-Version", "0.1.0")
                  .timeout(Duration.ofSeconds(5))
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as("remote write to %s: %s", base, r.body()).isIn(200, 204);
    }
  }

  private String get(String url) throws IOException, InterruptedException {
    return client
        .send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static String seconds(long ms) {
    return Math.floorDiv(ms, 1000) + "." + String.format("%03d", Math.floorMod(ms, 1000));
  }

  private static void sleepUntil(long wallMs) throws InterruptedException {
    long d = wallMs - System.currentTimeMillis();
    if (d > 0) {
      Thread.sleep(d);
    }
  }

  private static String log(Path dir) throws IOException {
    return Files.readString(dir.resolve("prometheus.log"));
  }
}
