package dev.osprey.core.storage;

import dev.osprey.core.labels.Labels;

/** Prometheus's "duplicate sample for timestamp" rejection. */
public final class DuplicateSampleException extends SampleRejectedException {
  public static final String REASON = "duplicate_sample_for_timestamp";

  public DuplicateSampleException(Labels series, long timestamp) {
    super(REASON, "duplicate sample for timestamp", series, timestamp);
  }
}
