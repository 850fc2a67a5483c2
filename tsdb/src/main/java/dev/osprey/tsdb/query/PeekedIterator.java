package dev.osprey.tsdb.query;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.storage.SampleIterator;

/**
 * Wraps an iterator that was advanced once (to learn that a series has a sample in range), so that
 * the first {@link #next()} returns that sample again.
 */
public final class PeekedIterator implements SampleIterator, Bounded {
  private final SampleIterator it;
  private boolean pending = true;

  public PeekedIterator(SampleIterator it) {
    this.it = it;
  }

  @Override
  public boolean next() {
    if (pending) {
      pending = false;
      return true;
    }
    return it.next();
  }

  @Override
  public int read(long[] ts, double[] vs, int off, int max) {
    if (pending && max > 0) {
      pending = false;
      ts[off] = it.t();
      vs[off] = it.v();
      return 1 + it.read(ts, vs, off + 1, max - 1);
    }
    return it.read(ts, vs, off, max);
  }

  @Override
  public boolean seek(long t) {
    if (pending) {
      pending = false;
      return it.t() >= t || it.seek(t);
    }
    return it.seek(t);
  }

  @Override
  public long maxTime() {
    return Bounded.of(it);
  }

  @Override
  public boolean mayHaveHistograms() {
    return it.mayHaveHistograms();
  }

  @Override
  public FloatHistogram histogram() {
    return it.histogram();
  }

  @Override
  public long t() {
    return it.t();
  }

  @Override
  public double v() {
    return it.v();
  }
}
