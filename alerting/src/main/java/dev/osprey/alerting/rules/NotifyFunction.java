package dev.osprey.alerting.rules;

import java.util.List;

/** Receives the alerts of one rule that are due for (re)sending, as Prometheus's NotifyFunc. */
@FunctionalInterface
public interface NotifyFunction {
  void notify(String expr, List<RuleAlert.View> alerts);
}
