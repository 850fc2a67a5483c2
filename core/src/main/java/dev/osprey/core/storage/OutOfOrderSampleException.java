package dev.osprey.core.storage;

import dev.osprey.core.labels.Labels;

/** Prometheus's "out of order sample" rejection. */
public final class OutOfOrderSampleException extends SampleRejectedException {
  public static final String REASON = "out_of_order";

  public OutOfOrderSampleException(Labels series, long timestamp) {
    super(REASON, "out of order sample", series, timestamp);
  }
}
