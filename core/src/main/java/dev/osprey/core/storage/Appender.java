package dev.osprey.core.storage;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.labels.Labels;

/**
 * Batches samples for storage, as Prometheus's storage.Appender. Not thread-safe; used once: after
 * {@link #commit()} or {@link #rollback()} it must not be used again.
 *
 * <p>Rejections of single samples ({@link SampleRejectedException} and its subclasses) are thrown
 * from {@link #append} and leave the rest of the batch intact, so an ingest path can count them and
 * go on (Prometheus's partial-acceptance rules).
 */
public interface Appender {
  /**
   * Adds a float sample.
   *
   * @param ref a series reference returned by an earlier call on this storage, or 0 when unknown
   * @return the series reference, to pass on later calls for the same series
   */
  long append(long ref, Labels labels, long t, double v);

  /**
   * Adds a native-histogram sample. Storages that keep floats only (the tsdb, for now) do not
   * override it and refuse.
   *
   * @return the series reference, as {@link #append}
   */
  default long appendHistogram(long ref, Labels labels, long t, FloatHistogram h) {
    throw new UnsupportedOperationException(
        "cannot append histogram sample: this storage keeps float samples only");
  }

  /**
   * Adds a float sample with its start time ({@code st}, milliseconds; {@link
   * SampleIterator#NO_START_TIME} when unknown). Storages that do not keep start times do not
   * override it: they take a sample without one and refuse the others rather than drop the start
   * time silently.
   *
   * @return the series reference, as {@link #append}
   */
  default long appendWithStartTime(long ref, Labels labels, long st, long t, double v) {
    if (st == SampleIterator.NO_START_TIME) {
      return append(ref, labels, t, v);
    }
    throw new UnsupportedOperationException(
        "cannot append start time: this storage does not keep start times");
  }

  /**
   * Adds a native-histogram sample with its start time, as {@link #appendWithStartTime}.
   *
   * @return the series reference, as {@link #append}
   */
  default long appendHistogramWithStartTime(
      long ref, Labels labels, long st, long t, FloatHistogram h) {
    if (st == SampleIterator.NO_START_TIME) {
      return appendHistogram(ref, labels, t, h);
    }
    throw new UnsupportedOperationException(
        "cannot append start time: this storage does not keep start times");
  }

  /** Makes every sample appended so far durable and visible to queriers. */
  void commit();

  /** Discards every sample appended since creation. */
  void rollback();
}
