package dev.osprey.alerting;

import java.util.List;

/**
 * Evaluates a PromQL expression at one instant, as Prometheus's rules.QueryFunc: the result is an
 * instant vector (a scalar result is one sample with no labels). The server adapts the query engine
 * to this; tests give a table.
 */
@FunctionalInterface
public interface QueryFunction {
  List<Sample> query(String expr, long timeMillis) throws Exception;
}
