package dev.osprey.collector;

import dev.osprey.core.labels.Labels;

/**
 * Where the collector puts what it reads: one call per sample, then {@link #flush()} at the end of
 * each batch (one cgroup/node collection, or one scrape). The lead connects this to the pipeline's
 * metrics spool.
 *
 * <p>A staleness marker is a sample whose value is {@link dev.osprey.core.storage.StaleNaN#VALUE}
 * (compare with {@code StaleNaN.is}, never with {@code ==}). Implementations must be thread-safe:
 * cgroup collection and every scrape target call it from their own threads, each batch from one
 * thread.
 */
public interface SampleSink {
  void accept(Labels labels, long timestampMillis, double value);

  /** The end of one batch: what was accepted since the last flush belongs together. */
  default void flush() {}
}
