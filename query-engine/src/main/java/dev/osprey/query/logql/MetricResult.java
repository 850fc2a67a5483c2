package dev.osprey.query.logql;

import java.util.List;

/**
 * The result of a metric query over steps {@code start, start+step, ..., end} (ns): either a scalar
 * (same value at every step) or series.
 */
public record MetricResult(
    long start, long end, long step, Double scalar, List<StepSeries> series) {
  public int steps() {
    return step <= 0 ? 1 : (int) ((end - start) / step) + 1;
  }

  public long time(int i) {
    return start + i * step;
  }
}
