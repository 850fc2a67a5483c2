package dev.osprey.alerting.rules;

import dev.osprey.core.labels.Labels;
import java.util.Map;

/**
 * One alert of an alerting rule, as Prometheus's rules.Alert. Times are Unix nanoseconds, 0 for
 * Go's zero time. Mutable; owned by its rule and guarded by the rule's group lock.
 */
public final class RuleAlert {
  AlertState state;
  final Labels labels;
  Map<String, String> annotations;
  double value;
  long activeAt;
  long firedAt;
  long resolvedAt;
  long lastSentAt;
  long validUntil;
  long keepFiringSince;

  RuleAlert(Labels labels, Map<String, String> annotations, double value, long activeAt) {
    this.state = AlertState.PENDING;
    this.labels = labels;
    this.annotations = annotations;
    this.value = value;
    this.activeAt = activeAt;
  }

  /** A snapshot, safe to hand to other threads. */
  public record View(
      AlertState state,
      Labels labels,
      Map<String, String> annotations,
      double value,
      long activeAt,
      long firedAt,
      long resolvedAt,
      long lastSentAt,
      long validUntil,
      long keepFiringSince) {}

  View view() {
    return new View(
        state,
        labels,
        Map.copyOf(annotations),
        value,
        activeAt,
        firedAt,
        resolvedAt,
        lastSentAt,
        validUntil,
        keepFiringSince);
  }

  static RuleAlert restore(View v) {
    RuleAlert a = new RuleAlert(v.labels(), v.annotations(), v.value(), v.activeAt());
    a.state = v.state();
    a.firedAt = v.firedAt();
    a.resolvedAt = v.resolvedAt();
    a.lastSentAt = v.lastSentAt();
    a.validUntil = v.validUntil();
    a.keepFiringSince = v.keepFiringSince();
    return a;
  }

  /** Prometheus's needsSending: firing or newly resolved, and not sent within resendDelay. */
  boolean needsSending(long ts, long resendDelayNanos) {
    if (state == AlertState.PENDING) {
      return false;
    }
    if (resolvedAt > lastSentAt) {
      return true;
    }
    return lastSentAt + resendDelayNanos < ts;
  }
}
