package dev.osprey.core.config;

import java.time.Duration;
import java.util.List;

/**
 * Rules and notifications.
 *
 * @param ruleFiles globs of Prometheus rule files
 * @param alertmanagerConfig an Alertmanager YAML file (route, receivers, inhibit_rules, ...)
 * @param evaluationInterval default group interval
 */
public record AlertingConfig(
    List<String> ruleFiles, String alertmanagerConfig, Duration evaluationInterval) {
  public AlertingConfig {
    ruleFiles = ruleFiles != null ? List.copyOf(ruleFiles) : List.of();
    evaluationInterval = evaluationInterval != null ? evaluationInterval : Duration.ofMinutes(1);
  }

  public static final AlertingConfig DEFAULTS = new AlertingConfig(null, null, null);
}
