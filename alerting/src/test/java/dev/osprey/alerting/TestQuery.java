package dev.osprey.alerting;

import dev.osprey.core.labels.Labels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A query function that answers from a table the test changes between evaluations. */
public final class TestQuery implements QueryFunction {
  private final Map<String, List<Sample>> results = new HashMap<>();
  public final List<Long> calls = new ArrayList<>();

  public TestQuery set(String expr, Labels labels, double value) {
    results.put(expr, new ArrayList<>(List.of(new Sample(labels, value, 0))));
    return this;
  }

  public TestQuery add(String expr, Labels labels, double value) {
    results.computeIfAbsent(expr, k -> new ArrayList<>()).add(new Sample(labels, value, 0));
    return this;
  }

  public TestQuery clear(String expr) {
    results.remove(expr);
    return this;
  }

  @Override
  public List<Sample> query(String expr, long timeMillis) throws Exception {
    calls.add(timeMillis);
    if (expr.equals("fail")) {
      throw new IllegalStateException("query failed on purpose");
    }
    List<Sample> out = new ArrayList<>();
    for (Sample s : results.getOrDefault(expr, List.of())) {
      out.add(new Sample(s.labels(), s.value(), timeMillis));
    }
    return out;
  }
}
