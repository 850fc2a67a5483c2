package dev.osprey.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.osprey.alerting.internal.GoTime;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.Json;
import dev.osprey.core.http.Router;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.memory.MemStorage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlertingServiceTest {
  @TempDir Path dir;
  Sink sink;
  final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));
  final TestQuery q = new TestQuery();
  final MemStorage storage = new MemStorage();

  static final String RULES =
      """
      groups:
        - name: node
          interval: 1m
          rules:
            - alert: NodeDown
              expr: up == 0
              for: 1m
              labels: {severity: page}
              annotations:
                summary: "{{ $labels.instance }} is down"
            - alert: DiskFull
              expr: disk > 90
              labels: {severity: ticket}
      """;

  @BeforeEach
  void setUp() throws Exception {
    sink = new Sink();
    Files.writeString(dir.resolve("rules.yml"), RULES);
    Files.writeString(
        dir.resolve("am.yml"),
        """
        global:
          resolve_timeout: 5m
          slack_api_url: %s
        route:
          receiver: hook
          group_by: [alertname]
          group_wait: 30s
          group_interval: 5m
          repeat_interval: 4h
          routes:
            - matchers: ['severity="page"']
              receiver: pager
              continue: true
            - match: {severity: page}
              receiver: chat
        inhibit_rules:
          - source_matchers: [alertname=NodeDown]
            target_matchers: [severity=ticket]
            equal: [instance]
        receivers:
          - name: hook
            webhook_configs:
              - url: %s
          - name: pager
            pagerduty_configs:
              - routing_key: rk-123
                url: %s
          - name: chat
            slack_configs:
              - channel: '#ops'
                send_resolved: true
        """
            .formatted(sink.url("/slack"), sink.url("/hook"), sink.url("/pd")));
  }

  @AfterEach
  void tearDown() {
    sink.close();
  }

  AlertingService service() throws Exception {
    return new AlertingService(
        AlertingService.Options.of(
                List.of(dir.resolve("*.yml").toString().replace("*.yml", "rules.yml")),
                dir.resolve("am.yml"),
                dir.resolve("data"),
                q,
                storage,
                "http://osprey.example:9090",
                new SimpleMeterRegistry())
            .withClock(clock)
            .withSleeper(d -> {}));
  }

  long nowNanos() {
    return GoTime.toNanos(clock.instant());
  }

  void step(AlertingService s, Duration d) {
    clock.advance(d);
    s.rules().evalAll(nowNanos());
    s.dispatcher().tick();
  }

  @Test
  void firesRoutesAndDeliversPayloadsFieldByField() throws Exception {
    AlertingService s = service();
    q.set("up == 0", Labels.of("__name__", "up", "instance", "n1:9100", "job", "node"), 0);
    s.rules().evalAll(nowNanos()); // pending
    s.dispatcher().tick();
    assertThat(sink.received).isEmpty();
    step(s, Duration.ofMinutes(1)); // firing, group created, waits 30s
    assertThat(sink.received).isEmpty();
    step(s, Duration.ofSeconds(30));
    assertThat(sink.at("/pd")).hasSize(1);
    assertThat(sink.at("/slack")).hasSize(1);
    assertThat(sink.at("/hook")).isEmpty();

    JsonNode pd = sink.at("/pd").get(0).body();
    assertThat(pd.get("routing_key").asText()).isEqualTo("rk-123");
    assertThat(pd.get("event_action").asText()).isEqualTo("trigger");
    String groupKey = "{}/{severity=\"page\"}:{alertname=\"NodeDown\"}";
    assertThat(pd.get("dedup_key").asText()).isEqualTo(sha256(groupKey));
    assertThat(pd.at("/payload/summary").asText())
        .isEqualTo("[FIRING:1] NodeDown (n1:9100 node page)");
    assertThat(pd.at("/payload/severity").asText()).isEqualTo("error");
    assertThat(pd.at("/payload/source").asText()).isEqualTo("Alertmanager");
    assertThat(pd.at("/payload/custom_details/num_firing").asText()).isEqualTo("1");
    assertThat(pd.at("/payload/custom_details/firing").asText())
        .contains(" - instance = n1:9100\n")
        .contains("Source: http://osprey.example:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1");
    assertThat(pd.get("client").asText()).isEqualTo("Alertmanager");
    assertThat(pd.get("client_url").asText())
        .isEqualTo("http://osprey.example:9090/#/alerts?receiver=pager");

    JsonNode sl = sink.at("/slack").get(0).body();
    assertThat(sl.get("channel").asText()).isEqualTo("#ops");
    assertThat(sl.get("username").asText()).isEqualTo("Alertmanager");
    JsonNode att = sl.get("attachments").get(0);
    assertThat(att.get("title").asText()).isEqualTo("[FIRING:1] NodeDown (n1:9100 node page)");
    assertThat(att.get("color").asText()).isEqualTo("danger");
    assertThat(att.get("title_link").asText())
        .isEqualTo("http://osprey.example:9090/#/alerts?receiver=chat");

    // nothing new within the repeat interval, across many evaluations and group intervals
    for (int i = 0; i < 30; i++) {
      step(s, Duration.ofMinutes(1));
    }
    assertThat(sink.at("/pd")).hasSize(1);

    // resolve: PagerDuty resolves with the same dedup key; Slack (send_resolved) says good
    q.clear("up == 0");
    step(s, Duration.ofMinutes(1));
    step(s, Duration.ofMinutes(5));
    assertThat(sink.at("/pd")).hasSize(2);
    JsonNode res = sink.at("/pd").get(1).body();
    assertThat(res.get("event_action").asText()).isEqualTo("resolve");
    assertThat(res.get("dedup_key").asText()).isEqualTo(sha256(groupKey));
    assertThat(sink.at("/slack").get(1).body().at("/attachments/0/color").asText())
        .isEqualTo("good");
    s.close();
  }

  @Test
  void webhookVersion4PayloadAndInhibition() throws Exception {
    AlertingService s = service();
    q.set("disk > 90", Labels.of("instance", "n2", "mount", "/"), 95);
    s.rules().evalAll(nowNanos());
    clock.advance(Duration.ofSeconds(31));
    s.dispatcher().tick();
    List<Sink.Received> hooks = sink.at("/hook");
    assertThat(hooks).hasSize(1);
    JsonNode w = hooks.get(0).body();
    assertThat(fieldNames(w))
        .containsExactly(
            "receiver",
            "status",
            "alerts",
            "groupLabels",
            "commonLabels",
            "commonAnnotations",
            "externalURL",
            "version",
            "groupKey",
            "truncatedAlerts");
    assertThat(w.get("version").asText()).isEqualTo("4");
    assertThat(w.get("receiver").asText()).isEqualTo("hook");
    assertThat(w.get("status").asText()).isEqualTo("firing");
    assertThat(w.get("groupKey").asText()).isEqualTo("{}:{alertname=\"DiskFull\"}");
    assertThat(w.get("truncatedAlerts").asLong()).isZero();
    assertThat(w.get("externalURL").asText()).isEqualTo("http://osprey.example:9090");
    assertThat(w.get("groupLabels"))
        .isEqualTo(Json.MAPPER.readTree("{\"alertname\":\"DiskFull\"}"));
    assertThat(w.get("commonLabels"))
        .isEqualTo(
            Json.MAPPER.readTree(
                "{\"alertname\":\"DiskFull\",\"instance\":\"n2\",\"mount\":\"/\",\"severity\":\"ticket\"}"));
    JsonNode a = w.get("alerts").get(0);
    assertThat(fieldNames(a))
        .containsExactly(
            "status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint");
    assertThat(a.get("status").asText()).isEqualTo("firing");
    assertThat(a.get("startsAt").asText()).isEqualTo("2026-11-22T10:00:00Z");
    assertThat(a.get("endsAt").asText()).isEqualTo("0001-01-01T00:00:00Z");
    assertThat(a.get("fingerprint").asText()).hasSize(16);
    assertThat(hooks.get(0).userAgent()).startsWith("Alertmanager/");

    // a NodeDown on the same instance inhibits a new DiskFull notification
    q.set("up == 0", Labels.of("instance", "n3"), 0);
    q.set("disk > 90", Labels.of("instance", "n3", "mount", "/"), 95);
    step(s, Duration.ofMinutes(1));
    step(s, Duration.ofMinutes(5));
    List<Sink.Received> later = sink.at("/hook");
    JsonNode last = later.get(later.size() - 1).body();
    assertThat(last.get("alerts").toString()).doesNotContain("\"n3\"");
    HttpResponse alerts = call(s, "GET", "/api/v2/alerts", null);
    assertThat(new String(alerts.body(), StandardCharsets.UTF_8))
        .contains("\"state\":\"suppressed\"")
        .contains("\"inhibitedBy\":[\"");
    s.close();
  }

  @Test
  void silencesThroughApiV2() throws Exception {
    AlertingService s = service();
    String body =
        """
        {"matchers":[{"name":"alertname","value":"DiskFull","isRegex":false,"isEqual":true}],
         "startsAt":"2026-11-22T09:00:00Z","endsAt":"2026-11-22T12:00:00Z",
         "createdBy":"sre","comment":"maintenance"}
        """;
    HttpResponse created = call(s, "POST", "/api/v2/silences", body);
    assertThat(created.status()).isEqualTo(200);
    String id = Json.MAPPER.readTree(created.body()).get("silenceID").asText();
    q.set("disk > 90", Labels.of("instance", "n2"), 95);
    s.rules().evalAll(nowNanos());
    clock.advance(Duration.ofMinutes(1));
    s.dispatcher().tick();
    assertThat(sink.at("/hook")).isEmpty();
    JsonNode list = Json.MAPPER.readTree(call(s, "GET", "/api/v2/silences", null).body());
    assertThat(list.get(0).get("id").asText()).isEqualTo(id);
    assertThat(list.get(0).at("/status/state").asText()).isEqualTo("active");
    assertThat(list.get(0).get("startsAt").asText()).isEqualTo("2026-11-22T10:00:00.000Z");
    assertThat(list.get(0).get("matchers").get(0).get("isEqual").asBoolean()).isTrue();
    assertThat(call(s, "DELETE", "/api/v2/silence/" + id, null).status()).isEqualTo(200);
    JsonNode one = Json.MAPPER.readTree(call(s, "GET", "/api/v2/silence/" + id, null).body());
    assertThat(one.at("/status/state").asText()).isEqualTo("expired");
    assertThat(call(s, "GET", "/api/v2/silence/nope", null).status()).isEqualTo(404);
    assertThat(
            call(
                    s,
                    "POST",
                    "/api/v2/silences",
                    "{\"matchers\":[],\"endsAt\":\"2026-11-22T12:00:00Z\"}")
                .status())
        .isEqualTo(400);
    step(s, Duration.ofMinutes(5));
    assertThat(sink.at("/hook")).hasSize(1);
    // silences survive a restart
    String id2 =
        Json.MAPPER
            .readTree(
                call(
                        s,
                        "POST",
                        "/api/v2/silences",
                        body.replace("09:00", "10:00").replace("12:00", "13:00"))
                    .body())
            .get("silenceID")
            .asText();
    AlertingService again = service();
    JsonNode kept = Json.MAPPER.readTree(call(again, "GET", "/api/v2/silence/" + id2, null).body());
    assertThat(kept.at("/status/state").asText()).isEqualTo("active");
    assertThat(kept.get("comment").asText()).isEqualTo("maintenance");
    s.close();
    again.close();
  }

  @Test
  void statusShowsTheConfigWithoutSecrets() throws Exception {
    try (AlertingService s = service()) {
      HttpResponse r = call(s, "GET", "/api/v2/status", null);
      assertThat(r.status()).isEqualTo(200);
      String body = new String(r.body(), StandardCharsets.UTF_8);
      String original = Json.MAPPER.readTree(body).path("config").path("original").asText();
      assertThat(original).contains("receiver: hook").contains("routing_key: <secret>");
      for (String secret : List.of(sink.url("/slack"), sink.url("/hook"), "rk-123")) {
        assertThat(body).doesNotContain(secret);
      }
    }
  }

  @Test
  void prometheusRulesAndAlertsApi() throws Exception {
    AlertingService s = service();
    q.set("up == 0", Labels.of("instance", "n1"), 0);
    s.rules().evalAll(nowNanos());
    JsonNode rules = Json.MAPPER.readTree(call(s, "GET", "/api/v1/rules", null).body());
    assertThat(rules.get("status").asText()).isEqualTo("success");
    JsonNode g = rules.at("/data/groups/0");
    assertThat(fieldNames(g))
        .containsExactly(
            "name", "file", "rules", "interval", "limit", "evaluationTime", "lastEvaluation");
    assertThat(g.get("interval").asDouble()).isEqualTo(60);
    JsonNode r = g.get("rules").get(0);
    assertThat(fieldNames(r))
        .containsExactly(
            "state",
            "name",
            "query",
            "duration",
            "keepFiringFor",
            "labels",
            "annotations",
            "alerts",
            "health",
            "evaluationTime",
            "lastEvaluation",
            "type");
    assertThat(r.get("state").asText()).isEqualTo("pending");
    assertThat(r.get("duration").asDouble()).isEqualTo(60);
    assertThat(r.at("/alerts/0/activeAt").asText()).isEqualTo("2026-11-22T10:00:00Z");
    assertThat(r.at("/alerts/0/value").asText()).isEqualTo("0e+00");
    assertThat(r.at("/alerts/0/annotations/summary").asText()).isEqualTo("n1 is down");
    JsonNode alerts = Json.MAPPER.readTree(call(s, "GET", "/api/v1/alerts", null).body());
    assertThat(alerts.at("/data/alerts/0/state").asText()).isEqualTo("pending");
    JsonNode rec = Json.MAPPER.readTree(call(s, "GET", "/api/v1/rules?type=record", null).body());
    assertThat(rec.at("/data/groups").size()).isZero();
    // reload picks up a changed file and keeps state
    Files.writeString(dir.resolve("rules.yml"), RULES.replace("for: 1m", "for: 2m"));
    assertThat(call(s, "POST", "/-/reload", null).status()).isEqualTo(200);
    Files.writeString(dir.resolve("rules.yml"), "groups: [{name: x, rules: [{alert: y}]}]");
    HttpResponse bad = call(s, "POST", "/-/reload", null);
    assertThat(bad.status()).isEqualTo(500);
    assertThat(new String(bad.body(), StandardCharsets.UTF_8))
        .contains("field 'expr' must be set in rule");
    assertThat(s.rules().groups().get(0).rules()).hasSize(2); // old rules kept
    s.close();
  }

  @Test
  void restartAfterKillNeitherRepagesNorForgets() throws Exception {
    AlertingService s1 = service();
    q.set("up == 0", Labels.of("instance", "n1"), 0);
    s1.rules().evalAll(nowNanos());
    step(s1, Duration.ofMinutes(1)); // firing; the group is waiting (group_wait 30s)
    assertThat(sink.received).isEmpty();
    // "kill -9": s1 is dropped without close(); only what is on disk survives
    clock.advance(Duration.ofSeconds(40));
    AlertingService s2 = service();
    s2.dispatcher().tick(); // restored alert, group_wait over: notifies once
    assertThat(sink.at("/pd")).hasSize(1);
    assertThat(s2.rules().groups().get(0).rules().get(0))
        .satisfies(
            r ->
                assertThat(
                        ((dev.osprey.alerting.rules.AlertingRule) r)
                            .activeAlerts()
                            .get(0)
                            .activeAt())
                    .isEqualTo(GoTime.toNanos(Instant.parse("2026-11-22T10:00:00Z"))));
    // kill again after the page: the restart must not page again
    clock.advance(Duration.ofSeconds(10));
    AlertingService s3 = service();
    for (int i = 0; i < 60; i++) {
      step(s3, Duration.ofMinutes(1));
    }
    assertThat(sink.at("/pd")).hasSize(1);
    // and after the repeat interval (4h) exactly one more
    for (int i = 0; i < 185; i++) {
      step(s3, Duration.ofMinutes(1));
    }
    assertThat(sink.at("/pd")).hasSize(2);
    s3.close();
  }

  @Test
  void retriesWithBackoffThenLogs() throws Exception {
    AlertingService s = service();
    sink.failNext.set(2);
    q.set("disk > 90", Labels.of("instance", "n2"), 95);
    s.rules().evalAll(nowNanos());
    clock.advance(Duration.ofSeconds(31));
    assertThat(s.dispatcher().tick()).isEqualTo(1);
    assertThat(sink.at("/hook")).hasSize(1);
    step(s, Duration.ofMinutes(5));
    assertThat(sink.at("/hook")).hasSize(1);
    s.close();
  }

  @Test
  void startEvaluatesOnTheGroupScheduleUntilClosed() throws Exception {
    Files.writeString(
        dir.resolve("rules.yml"),
        "groups:\n  - name: fast\n    interval: 1s\n    rules:\n      - record: x\n        expr: up\n");
    q.set("up", Labels.of("job", "a"), 1);
    AlertingService s =
        new AlertingService(
            AlertingService.Options.of(
                List.of(dir.resolve("rules.yml").toString()),
                null,
                dir.resolve("data2"),
                q,
                storage,
                "http://osprey",
                new SimpleMeterRegistry()));
    s.start();
    try {
      var g = s.rules().groups().get(0);
      for (int i = 0; i < 100 && g.lastEvaluationNanos() == 0; i++) {
        Thread.sleep(100);
      }
      assertThat(g.lastEvaluationNanos()).isNotZero();
      assertThat(s.rules().evalTimestampOf(g)).isEqualTo(g.lastEvalTimestampNanos());
      assertThat(g.lastEvaluationNanos()).isGreaterThanOrEqualTo(g.lastEvalTimestampNanos());
    } finally {
      s.close();
    }
  }

  @Test
  void killMinusNineOfARealJvmWhileTheGroupWaits() throws Exception {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                javaBin,
                "-cp",
                System.getProperty("java.class.path"),
                KillTarget.class.getName(),
                dir.resolve("data").toString(),
                dir.resolve("rules.yml").toString(),
                dir.resolve("am.yml").toString(),
                clock.instant().toString())
            .redirectErrorStream(true)
            .start();
    try {
      java.io.BufferedReader out =
          new java.io.BufferedReader(
              new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line = null;
      StringBuilder seen = new StringBuilder();
      for (int i = 0; i < 500 && (line = out.readLine()) != null && !line.equals("READY"); i++) {
        seen.append(line).append('\n');
      }
      assertThat(line).as("child output: " + seen).isEqualTo("READY");
      assertThat(sink.received).isEmpty();
    } finally {
      p.destroyForcibly(); // SIGKILL: no close(), no shutdown hooks
      assertThat(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    }
    clock.advance(Duration.ofSeconds(100)); // the child's clock stopped at +1m; group_wait is over
    AlertingService s = service();
    q.set("up == 0", Labels.of("instance", "n1"), 0);
    s.dispatcher().tick();
    assertThat(sink.at("/pd")).hasSize(1);
    assertThat(sink.at("/slack")).hasSize(1);
    for (int i = 0; i < 120; i++) {
      step(s, Duration.ofMinutes(1));
    }
    assertThat(sink.at("/pd")).hasSize(1); // within repeat_interval: nothing again
    s.close();
  }

  static List<String> fieldNames(JsonNode n) {
    List<String> out = new java.util.ArrayList<>();
    n.fieldNames().forEachRemaining(out::add);
    return out;
  }

  static String sha256(String s) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(
            java.security.MessageDigest.getInstance("SHA-256")
                .digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  static HttpResponse call(AlertingService s, String method, String pathAndQuery, String body)
      throws Exception {
    Router r = new Router();
    s.api().register(r);
    String path = pathAndQuery;
    Map<String, List<String>> params = new java.util.HashMap<>();
    int qi = pathAndQuery.indexOf('?');
    if (qi >= 0) {
      path = pathAndQuery.substring(0, qi);
      for (String kv : pathAndQuery.substring(qi + 1).split("&")) {
        String[] p = kv.split("=", 2);
        params
            .computeIfAbsent(p[0], k -> new java.util.ArrayList<>())
            .add(p.length > 1 ? p[1] : "");
      }
    }
    Router.Match m = r.match(method, path);
    assertThat(m.found()).as(method + " " + path).isTrue();
    HttpRequest req =
        new HttpRequest(
            method,
            path,
            params,
            m.pathParams(),
            Map.of(),
            body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8),
            null,
            "127.0.0.1");
    return m.route().handler().handle(req);
  }
}
