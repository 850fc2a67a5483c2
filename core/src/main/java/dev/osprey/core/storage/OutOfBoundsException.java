package dev.osprey.core.storage;

import dev.osprey.core.labels.Labels;

/** Prometheus's "out of bounds" rejection. */
public final class OutOfBoundsException extends SampleRejectedException {
  public static final String REASON = "too_old";

  public OutOfBoundsException(Labels series, long timestamp) {
    super(REASON, "out of bounds", series, timestamp);
  }
}
