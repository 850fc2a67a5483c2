package dev.osprey.core.storage;

import dev.osprey.core.histogram.FloatHistogram;

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
