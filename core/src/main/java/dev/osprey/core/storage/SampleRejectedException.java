package dev.osprey.core.storage;

import dev.osprey.core.labels.Labels;

/**
 * A sample storage refused, with the facts. {@link #reason()} is the value of the {@code reason}
 * label on rejection counters.
 */
public class SampleRejectedException extends RuntimeException {
  private final String reason;
  private final transient Labels series;
  private final long timestamp;

  public SampleRejectedException(String reason, String message, Labels series, long timestamp) {
    super(message + " (series " + series + ", timestamp " + timestamp + ")", null, false, false);
    this.reason = reason;
    this.series = series;
    this.timestamp = timestamp;
  }

  public String reason() {
    return reason;
  }

  public Labels series() {
    return series;
  }

  public long timestamp() {
    return timestamp;
  }
}
