package dev.osprey.alerting.rules;

import java.util.List;
import java.util.Map;

/**
 * A rule group as written in a rule file.
 *
 * @param intervalMillis the group's {@code interval}, or 0 for the global evaluation interval
 * @param queryOffsetMillis {@code query_offset}, 0 when absent
 * @param limit {@code limit}: most alerts or series a rule may produce, 0 for none
 * @param labels the group's {@code labels}, added to every rule's
 */
public record GroupSpec(
    String name,
    String file,
    long intervalMillis,
    long queryOffsetMillis,
    int limit,
    Map<String, String> labels,
    List<RuleSpec> rules) {
  public GroupSpec {
    labels = Map.copyOf(labels);
    rules = List.copyOf(rules);
  }
}
