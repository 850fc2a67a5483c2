package dev.osprey.alerting.rules;

import dev.osprey.alerting.QueryFunction;
import java.util.Map;

/** What a rule evaluation needs from outside: the query, external labels and URL. */
public record EvalContext(
    QueryFunction query, Map<String, String> externalLabels, String externalURL) {
  public EvalContext {
    externalLabels = Map.copyOf(externalLabels);
  }
}
