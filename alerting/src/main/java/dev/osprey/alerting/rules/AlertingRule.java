package dev.osprey.alerting.rules;

import dev.osprey.alerting.Sample;
import dev.osprey.alerting.internal.LabelMaps;
import dev.osprey.alerting.template.PromTemplates;
import dev.osprey.core.labels.Labels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An alerting rule with Prometheus's state machine: a new result is pending, fires once it has been
 * active for {@code for}, keeps firing for {@code keep_firing_for} after the condition is gone, and
 * is kept as resolved (inactive) for 15 minutes so that its resolution is sent.
 */
public final class AlertingRule implements Rule {
  /** How long a resolved alert is kept and re-sent (Prometheus's resolvedRetention). */
  public static final long RESOLVED_RETENTION_NANOS = 15L * 60 * 1_000_000_000L;

  private final String name;
  private final String expr;
  private final String query;
  private final long holdNanos;
  private final long keepFiringForNanos;
  private final Labels labels;
  private final Map<String, String> annotations;

  /** Keyed by the alert's label set; insertion order. */
  final Map<Labels, RuleAlert> active = new LinkedHashMap<>();

  volatile String health = "unknown";
  volatile String lastError = "";
  volatile double evaluationSeconds;
  volatile long lastEvaluation;

  public AlertingRule(
      String name,
      String expr,
      long holdNanos,
      long keepFiringForNanos,
      Labels labels,
      Map<String, String> annotations) {
    this(name, expr, expr, holdNanos, keepFiringForNanos, labels, annotations);
  }

  /** With the expression as printed from its parsed form ({@code query}). */
  public AlertingRule(
      String name,
      String expr,
      String query,
      long holdNanos,
      long keepFiringForNanos,
      Labels labels,
      Map<String, String> annotations) {
    this.name = name;
    this.expr = expr;
    this.query = query;
    this.holdNanos = holdNanos;
    this.keepFiringForNanos = keepFiringForNanos;
    this.labels = labels;
    this.annotations = Map.copyOf(annotations);
  }

  /**
   * Evaluates at {@code ts} and returns the ALERTS and ALERTS_FOR_STATE samples to write. Throws
   * when the query fails or the result is invalid; the active alerts are then left as they were,
   * except that exceeding the limit clears them, as in Prometheus.
   */
  List<Sample> eval(long ts, long queryOffset, EvalContext ctx, int limit) throws Exception {
    long t = Math.floorDiv(ts - queryOffset, 1_000_000L);
    List<Sample> res = ctx.query().query(expr, t);
    Map<Labels, RuleAlert> alerts = new LinkedHashMap<>();
    for (Sample s : res) {
      Map<String, String> l = LabelMaps.toMap(s.labels());
      String tname = "__alert_" + name;
      Labels.Builder b = s.labels().toBuilder().del(Labels.METRIC_NAME);
      for (int i = 0; i < labels.size(); i++) {
        String v =
            PromTemplates.expand(
                tname,
                labels.value(i),
                l,
                ctx.externalLabels(),
                ctx.externalURL(),
                s.value(),
                ctx.query(),
                t);
        if (v.isEmpty()) {
          b.del(labels.name(i));
        } else {
          b.set(labels.name(i), v);
        }
      }
      b.set("alertname", name);
      Map<String, String> ann = new HashMap<>();
      for (var e : annotations.entrySet()) {
        ann.put(
            e.getKey(),
            PromTemplates.expand(
                tname,
                e.getValue(),
                l,
                ctx.externalLabels(),
                ctx.externalURL(),
                s.value(),
                ctx.query(),
                t));
      }
      Labels lbs = b.build();
      if (alerts.containsKey(lbs)) {
        throw new IllegalArgumentException(
            "vector contains metrics with the same labelset after applying alert labels");
      }
      alerts.put(lbs, new RuleAlert(lbs, ann, s.value(), ts));
    }
    for (var e : alerts.entrySet()) {
      RuleAlert a = active.get(e.getKey());
      if (a != null && a.state != AlertState.INACTIVE) {
        a.value = e.getValue().value;
        a.annotations = e.getValue().annotations;
        continue;
      }
      active.put(e.getKey(), e.getValue());
    }
    List<Sample> vec = new ArrayList<>();
    int numActivePending = 0;
    for (Iterator<Map.Entry<Labels, RuleAlert>> it = active.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      RuleAlert a = e.getValue();
      if (!alerts.containsKey(e.getKey())) {
        boolean keepFiring = false;
        if (a.state == AlertState.FIRING && keepFiringForNanos > 0) {
          if (a.keepFiringSince == 0) {
            a.keepFiringSince = ts;
          }
          if (ts - a.keepFiringSince < keepFiringForNanos) {
            keepFiring = true;
          }
        }
        if (a.state == AlertState.PENDING
            || (a.resolvedAt != 0 && ts - a.resolvedAt > RESOLVED_RETENTION_NANOS)) {
          it.remove();
        }
        if (a.state != AlertState.INACTIVE && !keepFiring) {
          a.state = AlertState.INACTIVE;
          a.resolvedAt = ts;
        }
        if (!keepFiring) {
          continue;
        }
      } else {
        a.keepFiringSince = 0;
      }
      numActivePending++;
      if (a.state == AlertState.PENDING && ts - a.activeAt >= holdNanos) {
        a.state = AlertState.FIRING;
        a.firedAt = ts;
      }
      vec.add(alertsSample(a, t));
      vec.add(forStateSample(a, t));
    }
    if (limit > 0 && numActivePending > limit) {
      active.clear();
      throw new IllegalArgumentException(
          "exceeded limit of " + limit + " with " + numActivePending + " alerts");
    }
    return vec;
  }

  private Sample alertsSample(RuleAlert a, long t) {
    Labels l =
        a.labels.toBuilder()
            .set(Labels.METRIC_NAME, "ALERTS")
            .set("alertstate", a.state.text())
            .build();
    return new Sample(l, 1, t);
  }

  private Sample forStateSample(RuleAlert a, long t) {
    Labels l = a.labels.toBuilder().set(Labels.METRIC_NAME, "ALERTS_FOR_STATE").build();
    return new Sample(l, (double) Math.floorDiv(a.activeAt, 1_000_000_000L), t);
  }

  /**
   * Prometheus's sendAlerts: the alerts due for (re)sending at {@code ts}, marked as sent, with
   * validUntil four resend periods ahead.
   */
  List<RuleAlert.View> alertsToSend(long ts, long resendDelay, long interval) {
    List<RuleAlert.View> out = new ArrayList<>();
    for (RuleAlert a : active.values()) {
      if (a.needsSending(ts, resendDelay)) {
        a.lastSentAt = ts;
        long delta = Math.max(resendDelay, interval);
        a.validUntil = ts + 4 * delta;
        out.add(a.view());
      }
    }
    return out;
  }

  /** The state of the rule: the highest of its alerts' states. */
  public AlertState state() {
    AlertState s = AlertState.INACTIVE;
    for (RuleAlert a : active.values()) {
      if (a.state.ordinal() > s.ordinal()) {
        s = a.state;
      }
    }
    return s;
  }

  /** Pending and firing alerts (not the resolved ones kept for re-sending). */
  public List<RuleAlert.View> activeAlerts() {
    List<RuleAlert.View> out = new ArrayList<>();
    for (RuleAlert a : active.values()) {
      if (a.state != AlertState.INACTIVE) {
        out.add(a.view());
      }
    }
    return out;
  }

  /** Every alert the rule holds, resolved ones included, for persistence. */
  List<RuleAlert.View> allAlerts() {
    return active.values().stream().map(RuleAlert::view).toList();
  }

  void restore(List<RuleAlert.View> views) {
    active.clear();
    for (RuleAlert.View v : views) {
      active.put(v.labels(), RuleAlert.restore(v));
    }
  }

  public long holdNanos() {
    return holdNanos;
  }

  public long keepFiringForNanos() {
    return keepFiringForNanos;
  }

  public Map<String, String> annotations() {
    return annotations;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String expr() {
    return expr;
  }

  @Override
  public String query() {
    return query;
  }

  @Override
  public Labels labels() {
    return labels;
  }

  @Override
  public String health() {
    return health;
  }

  @Override
  public String lastError() {
    return lastError;
  }

  @Override
  public double evaluationSeconds() {
    return evaluationSeconds;
  }

  @Override
  public long lastEvaluationNanos() {
    return lastEvaluation;
  }
}
