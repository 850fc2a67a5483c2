package dev.osprey.alerting.rules;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.osprey.alerting.ExpressionValidator;
import dev.osprey.alerting.TestQuery;
import dev.osprey.alerting.internal.GoTime;
import dev.osprey.core.http.Json;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.memory.MemStorage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same rule files through Debian's promtool / prometheus 2.42 and through Osprey. */
class PrometheusDifferentialTest {
  static final Path PROMTOOL = Path.of("/usr/bin/promtool");
  static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
  @TempDir Path dir;

  static final Map<String, String> FILES =
      Map.of(
          "bad.yml",
          """
          groups:
            - name: g
              rules:
                - record: bad-name
                  expr: up
                  for: 1m
                - alert: X
                  record: y
                  expr: up
                - alert: Y
                - alert: Z
                  expr: up
                  labels: {__name__: x, 0bad: y}
                  annotations: {summary: "{{ nosuch }}", other: "{{ $labls.x }}"}
          """,
          "groups.yml",
          "groups:\n  - name: a\n  - name: a\n  - name: \"\"\n",
          "unknown.yml",
          "groups:\n  - name: a\n    rules:\n      - alert: x\n        expr: up\n        fro: 5m\n",
          "duration.yml",
          "groups:\n  - name: a\n    interval: 5 minutes\n",
          "dup.yml",
          "groups:\n- name: g\n  rules:\n  - record: a\n    expr: up\n    labels: {x: \"1\"}\n"
              + "  - record: a\n    expr: down\n    labels: {x: \"1\"}\n  - record: b\n    expr: up\n"
              + "  - record: b\n    expr: up\n",
          "ok.yml",
          "groups:\n- name: g\n  rules:\n  - record: a\n    expr: up\n  - alert: B\n    expr: up\n"
              + "    annotations: {s: '{{ $value | humanize }} {{ range $k, $v := $labels }}{{ $k }}{{ end }}'}\n");

  @Test
  void checkRulesPrintsWhatPromtoolPrints() throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(PROMTOOL), "promtool (Debian prometheus) not installed");
    for (var e : FILES.entrySet()) {
      Path f = dir.resolve(e.getKey());
      Files.writeString(f, e.getValue());
      Process p =
          new ProcessBuilder(PROMTOOL.toString(), "check", "rules", f.toString())
              .directory(dir.toFile())
              .start();
      String pOut = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      String pErr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code =
          RuleFiles.check(
              List.of(f),
              ExpressionValidator.NONE,
              new PrintStream(out, true),
              new PrintStream(err, true));
      assertThat(code).as(e.getKey()).isEqualTo(p.exitValue());
      assertThat(out.toString(StandardCharsets.UTF_8)).as(e.getKey()).isEqualTo(pOut);
      // Go iterates maps in random order, so compare error lines as sets
      assertThat(lines(err.toString(StandardCharsets.UTF_8))).as(e.getKey()).isEqualTo(lines(pErr));
    }
  }

  private static Set<String> lines(String s) {
    return new HashSet<>(Arrays.asList(s.split("\n")));
  }

  @Test
  void evaluationOffsetStatesAndActiveAtMatchPrometheus() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(PROMETHEUS), "prometheus not installed");
    Path rules = dir.resolve("diff.yml");
    String rulesYaml =
        """
        groups:
          - name: diff
            interval: 2s
            rules:
              - alert: AlwaysOn
                expr: vector(1)
                for: 4s
                labels: {severity: "{{ $value }}x"}
                annotations: {summary: "value {{ $value | humanize }}"}
        """;
    Files.writeString(rules, rulesYaml);
    Path cfg = dir.resolve("prometheus.yml");
    Files.writeString(cfg, "global:\n  evaluation_interval: 2s\nrule_files:\n  - " + rules + "\n");
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort();
    }
    Process prom =
        new ProcessBuilder(
                PROMETHEUS.toString(),
                "--config.file=" + cfg,
                "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("prom.log").toFile())
            .start();
    try {
      HttpClient c = HttpClient.newHttpClient();
      JsonNode rule = null;
      for (int i = 0; i < 150; i++) {
        try {
          JsonNode r =
              Json.MAPPER.readTree(
                  c.send(
                          HttpRequest.newBuilder(
                                  URI.create("http://127.0.0.1:" + port + "/api/v1/rules"))
                              .build(),
                          HttpResponse.BodyHandlers.ofString())
                      .body());
          JsonNode cand = r.at("/data/groups/0/rules/0");
          // Prometheus sets a rule's lastEvaluation after the rule's alerts changed: a read in
          // between shows firing with the previous evaluation's time. Firing needs an evaluation
          // at activeAt + for (4s), which started at or after that instant.
          if (cand.path("state").asText().equals("firing")
              && nanos(cand.get("lastEvaluation").asText())
                  >= nanos(cand.at("/alerts/0/activeAt").asText()) + 4_000_000_000L) {
            rule = cand;
            break;
          }
        } catch (java.io.IOException e) {
          // not up yet
        }
        Thread.sleep(100);
      }
      assertThat(rule)
          .as("prometheus rule firing; log " + Files.readString(dir.resolve("prom.log")))
          .isNotNull();
      long lastEval = nanos(rule.get("lastEvaluation").asText());
      JsonNode palert = rule.at("/alerts/0");
      long activeAt = nanos(palert.get("activeAt").asText());

      // Osprey: the same group (same file path and name) evaluated at Prometheus's timestamps
      TestQuery q = new TestQuery().set("vector(1)", Labels.EMPTY, 1);
      RuleManager m =
          new RuleManager(
              new MemStorage(),
              new EvalContext(q, Map.of(), ""),
              (x, a) -> {},
              Clock.systemUTC(),
              2_000_000_000L,
              60_000_000_000L,
              ExpressionValidator.NONE,
              null,
              new SimpleMeterRegistry());
      m.replace(m.build(RuleFiles.parse(rules.toString(), rulesYaml, ExpressionValidator.NONE)));
      RuleGroup g = m.groups().get(0);
      long interval = 2_000_000_000L;
      // activeAt is an evaluation timestamp (lastEvaluation is Prometheus's wall clock at start)
      assertThat(g.evalTimestamp(activeAt)).as("group offset").isEqualTo(activeAt);
      long lastTs = g.evalTimestamp(lastEval);
      for (long t = activeAt; t <= lastTs; t += interval) {
        m.evalGroup(g, t);
      }
      AlertingRule ar = (AlertingRule) g.rules().get(0);
      RuleAlert.View ours = ar.activeAlerts().get(0);
      assertThat(ours.state().text()).isEqualTo(palert.get("state").asText());
      assertThat(ours.activeAt()).isEqualTo(activeAt);
      assertThat(ours.labels().toString())
          .isEqualTo(
              Labels.fromMap(Json.MAPPER.convertValue(palert.get("labels"), Map.class)).toString());
      assertThat(ours.annotations().get("summary"))
          .isEqualTo(palert.at("/annotations/summary").asText());

      // the HTTP API: the same rule file in an AlertingService, evaluated at the same instants
      JsonNode promRules =
          Json.MAPPER.readTree(
              c.send(
                      HttpRequest.newBuilder(
                              URI.create("http://127.0.0.1:" + port + "/api/v1/rules"))
                          .build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body());
      JsonNode promAlerts =
          Json.MAPPER.readTree(
              c.send(
                      HttpRequest.newBuilder(
                              URI.create("http://127.0.0.1:" + port + "/api/v1/alerts"))
                          .build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body());
      dev.osprey.alerting.AlertingService svc =
          new dev.osprey.alerting.AlertingService(
              List.of(rules.toString()),
              null,
              dir.resolve("osprey"),
              q,
              new MemStorage(),
              "",
              new SimpleMeterRegistry());
      RuleGroup sg = svc.rules().groups().get(0);
      for (long t = activeAt; t <= lastTs; t += interval) {
        svc.rules().evalGroup(sg, t);
      }
      dev.osprey.core.http.Router router = new dev.osprey.core.http.Router();
      svc.api().register(router);
      JsonNode ourRules = Json.MAPPER.readTree(get(router, "/api/v1/rules"));
      JsonNode ourAlerts = Json.MAPPER.readTree(get(router, "/api/v1/alerts"));
      assertThat(shape(ourRules)).isEqualTo(shape(promRules));
      assertThat(shape(ourAlerts)).isEqualTo(shape(promAlerts));
      JsonNode pr = promRules.at("/data/groups/0");
      JsonNode or = ourRules.at("/data/groups/0");
      for (String f :
          List.of(
              "/name",
              "/file",
              "/interval",
              "/rules/0/state",
              "/rules/0/name",
              "/rules/0/query",
              "/rules/0/duration",
              "/rules/0/labels",
              "/rules/0/annotations",
              "/rules/0/health",
              "/rules/0/type",
              "/rules/0/alerts/0/labels",
              "/rules/0/alerts/0/annotations",
              "/rules/0/alerts/0/state",
              "/rules/0/alerts/0/activeAt",
              "/rules/0/alerts/0/value")) {
        assertThat(or.at(f)).as(f).isEqualTo(pr.at(f));
      }
      assertThat(ourAlerts.at("/data/alerts/0")).isEqualTo(promAlerts.at("/data/alerts/0"));
      svc.close();
    } finally {
      prom.destroy();
      if (!prom.waitFor(10, TimeUnit.SECONDS)) {
        prom.destroyForcibly();
      }
    }
  }

  private static long nanos(String rfc3339) {
    return GoTime.toNanos(OffsetDateTime.parse(rfc3339).toInstant());
  }

  static String get(dev.osprey.core.http.Router r, String path) throws Exception {
    dev.osprey.core.http.Router.Match m = r.match("GET", path);
    return new String(
        m.route()
            .handler()
            .handle(
                new dev.osprey.core.http.HttpRequest(
                    "GET",
                    path,
                    Map.of(),
                    m.pathParams(),
                    Map.of(),
                    new byte[0],
                    null,
                    "127.0.0.1"))
            .body(),
        StandardCharsets.UTF_8);
  }

  /** Field names at every level, arrays by their first element; label maps are data. */
  static String shape(JsonNode n) {
    if (n.isObject()) {
      StringBuilder sb = new StringBuilder("{");
      List<String> names = new java.util.ArrayList<>();
      n.fieldNames().forEachRemaining(names::add);
      java.util.Collections.sort(names);
      for (String k : names) {
        sb.append(k)
            .append(':')
            .append(k.equals("labels") || k.equals("annotations") ? "map" : shape(n.get(k)))
            .append(',');
      }
      return sb.append('}').toString();
    }
    if (n.isArray()) {
      return n.isEmpty() ? "[]" : "[" + shape(n.get(0)) + "]";
    }
    return n.getNodeType().toString();
  }
}
