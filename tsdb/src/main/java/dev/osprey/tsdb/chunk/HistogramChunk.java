package dev.osprey.tsdb.chunk;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.tsdb.wal.Buf;

/**
 * Encodes native-histogram samples into a chunk tagged {@link #KIND}, byte-oriented (varints): per
 * sample the timestamp as a delta of deltas, a flags byte (counter-reset hint, and whether the
 * bucket layout equals the previous sample's), the layout when it changed, and every count as an
 * integer delta when it is a whole number (against the same bucket of the previous sample when the
 * layout is unchanged, else against the previous bucket), raw bits otherwise. Bit-exact: a sample
 * reads back {@link FloatHistogram#equals equal}. Layout in {@code
 * docs/format/histogram-chunks.md}. Appendable: the encoder keeps the last sample. Not thread-safe.
 */
public final class HistogramChunk {
  /**
   * The chunk's tag byte, next to {@link ChunkCodec#XOR}, {@link ChunkCodec#DECIMAL} and {@link
   * ChunkCodec#PACKED}.
   */
  public static final byte KIND = 4;

  static final int FLAG_SAME_LAYOUT = 4;
  static final double MAX_EXACT = 0x1p53;

  private final Buf buf = new Buf(64);
  private int count;
  private long firstT;
  private long lastT;
  private long lastDelta;
  private FloatHistogram last;

  public HistogramChunk() {
    buf.putByte(KIND);
  }

  /** Empties the chunk for reuse. */
  public void reset() {
    buf.reset();
    buf.putByte(KIND);
    count = 0;
    last = null;
  }

  public int count() {
    return count;
  }

  public long firstT() {
    return firstT;
  }

  public long lastT() {
    return lastT;
  }

  /** The tagged chunk: {@link #length()} bytes from 0, the tag byte included. */
  public byte[] bytes() {
    return buf.array();
  }

  public int length() {
    return buf.length();
  }

  /** Appends a sample; timestamps must increase. */
  public void append(long t, FloatHistogram h) {
    if (count == 0) {
      buf.putVarint(t);
      firstT = t;
    } else if (count == 1) {
      lastDelta = t - lastT;
      buf.putVarint(lastDelta);
    } else {
      long d = t - lastT;
      buf.putVarint(d - lastDelta);
      lastDelta = d;
    }
    lastT = t;
    FloatHistogram p = last;
    boolean same = p != null && sameLayout(p, h);
    buf.putByte(h.counterResetHint().ordinal() | (same ? FLAG_SAME_LAYOUT : 0));
    if (!same) {
      buf.putVarint(h.schema());
      buf.putLong(Double.doubleToRawLongBits(h.zeroThreshold()));
      if (h.usesCustomBuckets()) {
        double[] cv = h.customValues();
        buf.putUvarint(cv.length);
        for (double c : cv) {
          buf.putLong(Double.doubleToRawLongBits(c));
        }
      }
      putIndices(h, true);
      putIndices(h, false);
    }
    putValue(buf, h.zeroCount(), p == null ? 0 : p.zeroCount());
    putValue(buf, h.count(), p == null ? 0 : p.count());
    putValue(buf, h.sum(), p == null ? 0 : p.sum());
    double prev = 0;
    for (int k = 0; k < h.positiveBuckets(); k++) {
      double c = h.positiveCount(k);
      putValue(buf, c, same ? p.positiveCount(k) : prev);
      prev = c;
    }
    prev = 0;
    for (int k = 0; k < h.negativeBuckets(); k++) {
      double c = h.negativeCount(k);
      putValue(buf, c, same ? p.negativeCount(k) : prev);
      prev = c;
    }
    last = h;
    count++;
  }

  private void putIndices(FloatHistogram h, boolean positive) {
    int n = positive ? h.positiveBuckets() : h.negativeBuckets();
    buf.putUvarint(n);
    int prev = 0;
    for (int k = 0; k < n; k++) {
      int idx = positive ? h.positiveIndex(k) : h.negativeIndex(k);
      buf.putVarint((long) idx - prev);
      prev = idx;
    }
  }

  static boolean sameLayout(FloatHistogram a, FloatHistogram b) {
    if (a.schema() != b.schema()
        || Double.doubleToRawLongBits(a.zeroThreshold())
            != Double.doubleToRawLongBits(b.zeroThreshold())
        || a.positiveBuckets() != b.positiveBuckets()
        || a.negativeBuckets() != b.negativeBuckets()) {
      return false;
    }
    if (a.usesCustomBuckets() && !java.util.Arrays.equals(a.customValues(), b.customValues())) {
      return false;
    }
    for (int k = 0; k < a.positiveBuckets(); k++) {
      if (a.positiveIndex(k) != b.positiveIndex(k)) {
        return false;
      }
    }
    for (int k = 0; k < a.negativeBuckets(); k++) {
      if (a.negativeIndex(k) != b.negativeIndex(k)) {
        return false;
      }
    }
    return true;
  }

  /** The integer a value is a delta against: the value itself when it is a whole number, else 0. */
  static long base(double prev) {
    return whole(prev) ? (long) prev : 0;
  }

  static boolean whole(double x) {
    return x == Math.rint(x)
        && Math.abs(x) <= MAX_EXACT
        && Double.doubleToRawLongBits(x) != Long.MIN_VALUE; // not -0.0
  }

  /**
   * A whole number as the zig-zag delta to {@code base(prev)} shifted left; else 1 and the bits.
   */
  static void putValue(Buf b, double x, double prev) {
    if (whole(x)) {
      long d = (long) x - base(prev);
      b.putUvarint(((d << 1) ^ (d >> 63)) << 1);
    } else {
      b.putUvarint(1).putLong(Double.doubleToRawLongBits(x));
    }
  }
}
