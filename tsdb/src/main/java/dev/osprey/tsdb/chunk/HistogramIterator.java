package dev.osprey.tsdb.chunk;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.tsdb.wal.Dec;

/**
 * Reads a {@link HistogramChunk}. {@link #histogram()} is the sample's histogram as stored, a stale
 * marker (sum = the stale NaN) included; {@link #v()} is the histogram's sum. One {@link
 * FloatHistogram} per sample (the engine keeps them). Reusable.
 */
public final class HistogramIterator implements SampleIterator {
  private static final FloatHistogram.CounterResetHint[] HINTS =
      FloatHistogram.CounterResetHint.values();

  private Dec d;
  private int count;
  private int read;
  private long t;
  private long delta;
  private FloatHistogram h;
  // the current layout
  private int schema;
  private double zeroThreshold;
  private double[] customValues;
  private int[] posIdx = new int[0];
  private int[] negIdx = new int[0];

  /**
   * Positions the iterator before the first sample of the chunk body at {@code b[off]} (after the
   * tag).
   */
  public HistogramIterator reset(byte[] b, int off, int count) {
    this.d = new Dec(b, off, b.length - off);
    this.count = count;
    this.read = 0;
    this.h = null;
    return this;
  }

  @Override
  public boolean mayHaveHistograms() {
    return true;
  }

  @Override
  public boolean next() {
    if (read >= count) {
      return false;
    }
    try {
      decodeOne();
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("cannot read histogram chunk: " + e.getMessage(), e);
    }
    read++;
    return true;
  }

  private void decodeOne() {
    if (read == 0) {
      t = d.getVarint();
    } else if (read == 1) {
      delta = d.getVarint();
      t += delta;
    } else {
      delta += d.getVarint();
      t += delta;
    }
    int flags = d.getByte();
    if ((flags & ~7) != 0 || (read == 0 && (flags & HistogramChunk.FLAG_SAME_LAYOUT) != 0)) {
      throw new IllegalArgumentException("bad flags " + flags + " at offset " + d.position());
    }
    FloatHistogram p = h;
    boolean same = (flags & HistogramChunk.FLAG_SAME_LAYOUT) != 0;
    if (!same) {
      schema = (int) d.getVarint();
      zeroThreshold = Double.longBitsToDouble(d.getLong());
      customValues = null;
      if (schema == FloatHistogram.CUSTOM_BUCKETS_SCHEMA) {
        int n = length();
        customValues = new double[n];
        for (int i = 0; i < n; i++) {
          customValues[i] = Double.longBitsToDouble(d.getLong());
        }
      }
      posIdx = indices();
      negIdx = indices();
    }
    double zc = value(p == null ? 0 : p.zeroCount());
    double cnt = value(p == null ? 0 : p.count());
    double sum = value(p == null ? 0 : p.sum());
    double[] pos = new double[posIdx.length];
    double prev = 0;
    for (int k = 0; k < pos.length; k++) {
      pos[k] = value(same ? p.positiveCount(k) : prev);
      prev = pos[k];
    }
    double[] neg = new double[negIdx.length];
    prev = 0;
    for (int k = 0; k < neg.length; k++) {
      neg[k] = value(same ? p.negativeCount(k) : prev);
      prev = neg[k];
    }
    h =
        FloatHistogram.ofSparse(
            schema,
            zeroThreshold,
            zc,
            cnt,
            sum,
            posIdx,
            pos,
            negIdx,
            neg,
            customValues,
            HINTS[flags & 3]);
  }

  private int length() {
    long n = d.getUvarint();
    if (n < 0 || n > d.remaining()) {
      throw new IllegalArgumentException("bad length " + n + " at offset " + d.position());
    }
    return (int) n;
  }

  private int[] indices() {
    int n = length();
    int[] idx = new int[n];
    long prev = 0;
    for (int k = 0; k < n; k++) {
      prev += d.getVarint();
      idx[k] = (int) prev;
    }
    return idx;
  }

  private double value(double prev) {
    long u = d.getUvarint();
    if ((u & 1) != 0) {
      return Double.longBitsToDouble(d.getLong());
    }
    long z = u >>> 1;
    long delta = (z >>> 1) ^ -(z & 1);
    return (double) (HistogramChunk.base(prev) + delta);
  }

  @Override
  public boolean seek(long target) {
    if (read > 0 && t >= target) {
      return true;
    }
    while (next()) {
      if (t >= target) {
        return true;
      }
    }
    return false;
  }

  @Override
  public long t() {
    return t;
  }

  /** The histogram's sum; the stale marker's NaN for a stale histogram. */
  @Override
  public double v() {
    return h.sum();
  }

  /**
   * The current histogram as stored, stale markers included (a histogram whose sum is the stale
   * NaN): the query engine recognises those itself, as Prometheus's engine does.
   */
  @Override
  public FloatHistogram histogram() {
    return h;
  }
}
