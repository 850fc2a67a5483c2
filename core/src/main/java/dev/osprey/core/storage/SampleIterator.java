package dev.osprey.core.storage;

/** A cursor over one series' samples in time order. No object per sample, no boxing. */
public interface SampleIterator {
  /** Advances to the next sample; false when there is none. */
  boolean next();

  /**
   * Advances to the first sample with timestamp ≥ {@code t}; does not move when the current sample
   * already qualifies. False when there is none.
   */
  boolean seek(long t);

  /** Timestamp of the current sample, milliseconds since the epoch. */
  long t();

  /** Value of the current sample. Stale markers are returned as they were stored. */
  double v();
}
