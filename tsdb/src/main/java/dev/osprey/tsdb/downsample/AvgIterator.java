package dev.osprey.tsdb.downsample;

import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.StaleNaN;

/**
 * Sum divided by count, window by window: both columns have the same timestamps (docs/format/
 * downsampled.md). Stale markers come through as they are.
 */
final class AvgIterator implements SampleIterator {
  private final SampleIterator sum;
  private final SampleIterator count;

  AvgIterator(SampleIterator sum, SampleIterator count) {
    this.sum = sum;
    this.count = count;
  }

  private boolean aligned(boolean a, boolean b) {
    if (a != b || (a && sum.t() != count.t())) {
      throw new IllegalStateException(
          "BUG: sum and count columns of a downsampled series are not aligned");
    }
    return a;
  }

  @Override
  public boolean next() {
    return aligned(sum.next(), count.next());
  }

  @Override
  public boolean seek(long t) {
    return aligned(sum.seek(t), count.seek(t));
  }

  @Override
  public long t() {
    return sum.t();
  }

  @Override
  public double v() {
    double s = sum.v();
    return StaleNaN.is(s) ? s : s / count.v();
  }
}
