package dev.osprey.core.storage;

import dev.osprey.core.histogram.FloatHistogram;

/** A cursor over one series' samples in time order. No object per sample, no boxing. */
public interface SampleIterator {
  /**
   * The start time of a sample whose start is unknown: 0, as Prometheus (remote write 2.0, the tsdb
   * and PromQL) treats a start timestamp of 0 as "not set".
   */
  long NO_START_TIME = 0;

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

  /**
   * Whether this series may hold native-histogram samples. False (the default) promises that every
   * sample is a float, so a reader may use {@link #read} alone; when true the reader asks {@link
   * #histogram()} per sample.
   */
  default boolean mayHaveHistograms() {
    return false;
  }

  /**
   * The current sample's native histogram, or null when it is a float sample (then {@link #v()}
   * holds its value). Default: floats only.
   */
  default FloatHistogram histogram() {
    return null;
  }

  /**
   * Whether this series may hold samples with a start time (also called created timestamp: when the
   * counter, histogram or delta the sample belongs to started counting). False (the default)
   * promises that {@link #st()} is {@link #NO_START_TIME} for every sample, so a reader may use
   * {@link #read} alone; when true the reader asks {@link #st()} per sample. Storages that do not
   * keep start times (the tsdb, for now) keep the default.
   */
  default boolean mayHaveStartTimes() {
    return false;
  }

  /**
   * The current sample's start time in milliseconds since the epoch, or {@link #NO_START_TIME} when
   * it is unknown. Default: unknown for every sample.
   */
  default long st() {
    return NO_START_TIME;
  }

  /**
   * Copies the next samples, at most {@code max}, into {@code t} and {@code v} from index {@code
   * off}, and returns how many it copied: fewer than {@code max} only when there are no more.
   * Afterwards the iterator is on the last sample copied, as after that many {@link #next()} calls.
   * Iterators that decode in bulk (chunks) override it to fill the arrays without a call per
   * sample.
   */
  default int read(long[] t, double[] v, int off, int max) {
    int n = 0;
    while (n < max && next()) {
      t[off + n] = t();
      v[off + n] = v();
      n++;
    }
    return n;
  }
}
