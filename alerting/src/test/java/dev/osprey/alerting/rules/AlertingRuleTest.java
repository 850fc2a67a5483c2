package dev.osprey.alerting.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.alerting.ExpressionValidator;
import dev.osprey.alerting.StorageDump;
import dev.osprey.alerting.TestQuery;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.memory.MemStorage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AlertingRuleTest {
  static final long S = 1_000_000_000L;
  static final long M = 60 * S;
  final TestQuery q = new TestQuery();
  final MemStorage storage = new MemStorage();
  final List<List<RuleAlert.View>> sent = new ArrayList<>();
  final EvalContext ctx = new EvalContext(q, Map.of(), "http://osprey");

  RuleManager manager(String yaml) throws Exception {
    RuleManager m =
        new RuleManager(
            storage,
            ctx,
            (expr, alerts) -> {
              if (!alerts.isEmpty()) {
                sent.add(alerts);
              }
            },
            Clock.fixed(Instant.EPOCH, ZoneOffset.UTC),
            M,
            M,
            ExpressionValidator.NONE,
            null,
            new SimpleMeterRegistry());
    m.replace(m.build(RuleFiles.parse("r.yml", yaml, ExpressionValidator.NONE)));
    return m;
  }

  static final String RULES =
      """
      groups:
        - name: g
          rules:
            - alert: HighLatency
              expr: latency > 1
              for: 2m
              labels:
                severity: page
                instance: "{{ $labels.instance }}-x"
              annotations:
                summary: "{{ $labels.instance }} at {{ $value | humanize }}s"
      """;

  @Test
  void pendingThenFiringThenResolvedAndRetainedFor15Minutes() throws Exception {
    RuleManager m = manager(RULES);
    RuleGroup g = m.groups().get(0);
    AlertingRule r = (AlertingRule) g.rules().get(0);
    Labels in = Labels.of("__name__", "latency", "instance", "a", "job", "api");
    q.set("latency > 1", in, 2500);
    long t0 = 1000 * S;
    m.evalGroup(g, t0);
    assertThat(r.state()).isEqualTo(AlertState.PENDING);
    RuleAlert.View a = r.activeAlerts().get(0);
    assertThat(a.labels())
        .isEqualTo(
            Labels.of(
                "alertname", "HighLatency", "instance", "a-x", "job", "api", "severity", "page"));
    assertThat(a.annotations()).containsEntry("summary", "a at 2.5ks");
    assertThat(a.activeAt()).isEqualTo(t0);
    assertThat(sent).isEmpty(); // pending alerts are not sent

    m.evalGroup(g, t0 + M);
    assertThat(r.state()).isEqualTo(AlertState.PENDING);
    m.evalGroup(g, t0 + 2 * M);
    assertThat(r.state()).isEqualTo(AlertState.FIRING);
    assertThat(r.activeAlerts().get(0).firedAt()).isEqualTo(t0 + 2 * M);
    assertThat(r.activeAlerts().get(0).activeAt()).isEqualTo(t0);
    assertThat(sent).hasSize(1);
    assertThat(sent.get(0).get(0).validUntil()).isEqualTo(t0 + 2 * M + 4 * M);

    // the same firing alert is resent only after the resend delay (1m, strictly after)
    m.evalGroup(g, t0 + 2 * M + 30 * S);
    assertThat(sent).hasSize(1);
    m.evalGroup(g, t0 + 3 * M + S);
    assertThat(sent).hasSize(2);

    q.clear("latency > 1");
    long tr = t0 + 4 * M;
    m.evalGroup(g, tr);
    assertThat(r.state()).isEqualTo(AlertState.INACTIVE);
    assertThat(r.activeAlerts()).isEmpty();
    assertThat(sent).hasSize(3);
    assertThat(sent.get(2).get(0).resolvedAt()).isEqualTo(tr);
    assertThat(r.allAlerts()).hasSize(1);
    m.evalGroup(g, tr + 15 * M); // exactly 15m: still kept
    assertThat(r.allAlerts()).hasSize(1);
    m.evalGroup(g, tr + 15 * M + S);
    assertThat(r.allAlerts()).isEmpty();

    var alerts = StorageDump.dump(storage, "ALERTS");
    String firing =
        "ALERTS{alertname=\"HighLatency\", alertstate=\"firing\", instance=\"a-x\", job=\"api\", severity=\"page\"}";
    String pending = firing.replace("firing", "pending");
    long ms = t0 / 1_000_000;
    assertThat(alerts.get(pending))
        .containsExactly(ms + "=1.0", (ms + 60_000) + "=1.0", (ms + 120_000) + "=stale");
    assertThat(alerts.get(firing))
        .startsWith((ms + 120_000) + "=1.0")
        .endsWith((ms + 240_000) + "=stale");
    var forState = StorageDump.dump(storage, "ALERTS_FOR_STATE");
    assertThat(forState.values().iterator().next()).first().isEqualTo(ms + "=1000.0");
  }

  @Test
  void keepFiringFor() throws Exception {
    RuleManager m =
        manager(
            """
            groups:
              - name: g
                rules:
                  - alert: Flappy
                    expr: up == 0
                    keep_firing_for: 2m
            """);
    RuleGroup g = m.groups().get(0);
    AlertingRule r = (AlertingRule) g.rules().get(0);
    q.set("up == 0", Labels.of("job", "x"), 0);
    long t0 = 100 * S;
    m.evalGroup(g, t0);
    assertThat(r.state()).isEqualTo(AlertState.FIRING); // for: 0 fires at once
    q.clear("up == 0");
    m.evalGroup(g, t0 + M);
    assertThat(r.state()).isEqualTo(AlertState.FIRING);
    assertThat(r.activeAlerts().get(0).keepFiringSince()).isEqualTo(t0 + M);
    m.evalGroup(g, t0 + 2 * M + 59 * S);
    assertThat(r.state()).isEqualTo(AlertState.FIRING);
    m.evalGroup(g, t0 + 3 * M);
    assertThat(r.state()).isEqualTo(AlertState.INACTIVE);
  }

  @Test
  void pendingAlertThatGoesAwayIsDropped() throws Exception {
    RuleManager m = manager(RULES);
    RuleGroup g = m.groups().get(0);
    AlertingRule r = (AlertingRule) g.rules().get(0);
    q.set("latency > 1", Labels.of("instance", "a"), 2);
    m.evalGroup(g, 10 * S);
    q.clear("latency > 1");
    m.evalGroup(g, 70 * S);
    assertThat(r.allAlerts()).isEmpty();
    assertThat(sent).isEmpty();
    q.set("latency > 1", Labels.of("instance", "a"), 2);
    m.evalGroup(g, 130 * S);
    assertThat(r.activeAlerts().get(0).activeAt()).isEqualTo(130 * S); // a fresh countdown
  }

  @Test
  void errorsAreRecordedOnTheRule() throws Exception {
    RuleManager m =
        manager(
            """
            groups:
              - name: g
                limit: 1
                rules:
                  - alert: Dup
                    expr: dup
                    labels: {instance: same}
                  - alert: Broken
                    expr: fail
                  - alert: Many
                    expr: many
            """);
    RuleGroup g = m.groups().get(0);
    q.add("dup", Labels.of("instance", "a"), 1).add("dup", Labels.of("instance", "b"), 1);
    q.add("many", Labels.of("i", "1"), 1).add("many", Labels.of("i", "2"), 1);
    m.evalGroup(g, 10 * S);
    assertThat(g.rules().get(0).health()).isEqualTo("err");
    assertThat(g.rules().get(0).lastError())
        .isEqualTo("vector contains metrics with the same labelset after applying alert labels");
    assertThat(g.rules().get(1).lastError()).isEqualTo("query failed on purpose");
    assertThat(g.rules().get(2).lastError()).isEqualTo("exceeded limit of 1 with 2 alerts");
  }

  @Test
  void recordingRulesWriteBack() throws Exception {
    RuleManager m =
        manager(
            """
            groups:
              - name: rec
                interval: 30s
                rules:
                  - record: job:up:sum
                    expr: sum by (job) (up)
                    labels: {team: infra}
            """);
    RuleGroup g = m.groups().get(0);
    assertThat(g.intervalNanos()).isEqualTo(30 * S);
    q.set("sum by (job) (up)", Labels.of("job", "api"), 3);
    m.evalGroup(g, 30 * S);
    q.clear("sum by (job) (up)");
    m.evalGroup(g, 60 * S);
    assertThat(StorageDump.dump(storage, "job:up:sum"))
        .containsEntry(
            "job:up:sum{job=\"api\", team=\"infra\"}", List.of("30000=3.0", "60000=stale"));
    assertThat(g.rules().get(0).health()).isEqualTo("ok");
  }

  @Test
  void groupOffsetIsStableWithinTheInterval() throws Exception {
    RuleManager m = manager(RULES);
    RuleGroup g = m.groups().get(0);
    long now = 1_700_000_123_456_789_000L;
    long ts = g.evalTimestamp(now);
    assertThat(ts).isLessThanOrEqualTo(now).isGreaterThan(now - g.intervalNanos());
    long offset = Long.remainderUnsigned(g.hash(), g.intervalNanos());
    assertThat(Math.floorMod(ts, g.intervalNanos())).isEqualTo(offset);
    assertThat(g.evalTimestamp(now + g.intervalNanos())).isEqualTo(ts + g.intervalNanos());
  }

  @Test
  void stateSurvivesReloadOfTheSameRule() throws Exception {
    RuleManager m = manager(RULES);
    q.set("latency > 1", Labels.of("instance", "a"), 2);
    m.evalGroup(m.groups().get(0), 10 * S);
    m.replace(m.build(RuleFiles.parse("r.yml", RULES, ExpressionValidator.NONE)));
    AlertingRule r = (AlertingRule) m.groups().get(0).rules().get(0);
    assertThat(r.activeAlerts()).hasSize(1);
    assertThat(r.activeAlerts().get(0).activeAt()).isEqualTo(10 * S);
  }
}
