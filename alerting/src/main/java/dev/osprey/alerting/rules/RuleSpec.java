package dev.osprey.alerting.rules;

import java.util.Map;

/**
 * One rule as written in a rule file: exactly one of {@code record} and {@code alert} is set.
 *
 * @param forMillis {@code for}, 0 when absent
 * @param keepFiringForMillis {@code keep_firing_for}, 0 when absent
 */
public record RuleSpec(
    String record,
    String alert,
    String expr,
    long forMillis,
    long keepFiringForMillis,
    Map<String, String> labels,
    Map<String, String> annotations) {
  public RuleSpec {
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
  }

  public boolean isAlerting() {
    return alert != null && !alert.isEmpty();
  }

  public String name() {
    return isAlerting() ? alert : record;
  }
}
