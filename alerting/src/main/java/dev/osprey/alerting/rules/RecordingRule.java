package dev.osprey.alerting.rules;

import dev.osprey.alerting.QueryFunction;
import dev.osprey.alerting.Sample;
import dev.osprey.core.labels.Labels;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** A recording rule: the expression's result stored under a new metric name with extra labels. */
public final class RecordingRule implements Rule {
  private final String name;
  private final String expr;
  private final String query;
  private final Labels labels;
  volatile String health = "unknown";
  volatile String lastError = "";
  volatile double evaluationSeconds;
  volatile long lastEvaluation;

  public RecordingRule(String name, String expr, Labels labels) {
    this(name, expr, expr, labels);
  }

  /** With the expression as printed from its parsed form ({@code query}). */
  public RecordingRule(String name, String expr, String query, Labels labels) {
    this.query = query;
    this.name = name;
    this.expr = expr;
    this.labels = labels;
  }

  /** Prometheus's RecordingRule.Eval: samples stamped at {@code ts - queryOffset}. */
  List<Sample> eval(long tsNanos, long queryOffsetNanos, QueryFunction query, int limit)
      throws Exception {
    long t = Math.floorDiv(tsNanos - queryOffsetNanos, 1_000_000L);
    List<Sample> res = query.query(expr, t);
    List<Sample> out = new ArrayList<>(res.size());
    Set<Labels> seen = new HashSet<>();
    for (Sample s : res) {
      Labels.Builder b = s.labels().toBuilder().set(Labels.METRIC_NAME, name);
      labels.forEach(
          (k, v) -> {
            if (v.isEmpty()) {
              b.del(k);
            } else {
              b.set(k, v);
            }
          });
      Labels l = b.build();
      if (!seen.add(l)) {
        throw new IllegalArgumentException(
            "vector contains metrics with the same labelset after applying rule labels");
      }
      out.add(new Sample(l, s.value(), t));
    }
    if (limit > 0 && out.size() > limit) {
      throw new IllegalArgumentException(
          "exceeded limit of " + limit + " with " + out.size() + " series");
    }
    return out;
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
