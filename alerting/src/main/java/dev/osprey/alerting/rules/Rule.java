package dev.osprey.alerting.rules;

import dev.osprey.core.labels.Labels;

/** A rule of a group: alerting or recording. Evaluation is driven by its {@link RuleGroup}. */
public sealed interface Rule permits AlertingRule, RecordingRule {
  String name();

  String expr();

  /** The expression as Prometheus shows it: its parsed form printed. */
  String query();

  Labels labels();

  String health();

  String lastError();

  double evaluationSeconds();

  long lastEvaluationNanos();
}
