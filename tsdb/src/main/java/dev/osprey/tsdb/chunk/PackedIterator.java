package dev.osprey.tsdb.chunk;

import dev.osprey.core.storage.SampleIterator;

/**
 * Decodes a packed chunk ({@link ChunkCodec#PACKED}, written by {@link PackedEncoder}). The whole
 * chunk is decoded on {@link #reset} into arrays the iterator keeps, section by section (each a
 * tight loop); {@link #next} and {@link #read} then copy from them. Reusable; no allocation per
 * sample once the arrays have grown to the chunk size.
 */
public final class PackedIterator implements SampleIterator {
  private final BitReader in = new BitReader();
  private long[] ts = new long[0]; // grown to the largest chunk read, no further
  private long[] vs = new long[0];
  private int count;
  private int pos; // index of the current sample; -1 before the first

  public PackedIterator reset(byte[] buf, int offset, int count) {
    this.count = count;
    this.pos = -1;
    if (count <= 0) {
      this.count = 0;
      return this;
    }
    if (ts.length < count) {
      ts = new long[count];
      vs = new long[count];
    }
    in.reset(buf, offset);
    int tsMode = (int) in.readBits(2);
    int vMode = (int) in.readBits(3);
    switch (tsMode) {
      case PackedEncoder.TS_GRID -> readGrid(count);
      case PackedEncoder.TS_DOD -> readDod(count);
      case PackedEncoder.TS_GRID3 -> readGrid3(count);
      default -> throw new IllegalStateException("cannot read chunk: timestamp form " + tsMode);
    }
    switch (vMode) {
      case PackedEncoder.V_XOR -> readXor(count);
      case PackedEncoder.V_DECIMAL -> readDecimal(count);
      case PackedEncoder.V_FOR -> readFor(count);
      case PackedEncoder.V_BITS_FOR -> readBitsFor(count);
      case PackedEncoder.V_INCREMENTS -> readIncrements(count);
      default -> throw new IllegalStateException("cannot read chunk: value form " + vMode);
    }
    return this;
  }

  private void readGrid(int n) {
    long base = in.readVarint();
    long step = in.readUvarint();
    int width = (int) in.readBits(6);
    long[] ts = this.ts;
    long t = base;
    for (int i = 0; i < n; i++) {
      ts[i] = t + in.readBits(width);
      t += step;
    }
  }

  /**
   * Residuals three to a code in radix R (at most 40, so codes are below 2^16): digits by
   * multiplying with ceil(2^32 / R), exact for such codes, instead of dividing.
   */
  private void readGrid3(int n) {
    long base = in.readVarint();
    long step = in.readUvarint();
    long radix = in.readUvarint();
    if (radix < 1 || radix > PackedEncoder.MAX_GRID3_RADIX) {
      throw new IllegalStateException("cannot read chunk: timestamp radix " + radix);
    }
    int width = PackedEncoder.bitsFor(radix * radix * radix - 1);
    long inv = ((1L << 32) + radix - 1) / radix;
    long[] ts = this.ts;
    long t = base;
    int i = 0;
    for (; i + 3 <= n; i += 3) {
      long c = in.readBits(width);
      long q = (c * inv) >>> 32;
      long q2 = (q * inv) >>> 32;
      ts[i] = t + (c - q * radix);
      ts[i + 1] = t + step + (q - q2 * radix);
      ts[i + 2] = t + 2 * step + q2;
      t += 3 * step;
    }
    if (i < n) {
      long c = in.readBits(width);
      for (; i < n; i++) {
        long q = (c * inv) >>> 32;
        ts[i] = t + (c - q * radix);
        c = q;
        t += step;
      }
    }
  }

  private void readDod(int n) {
    long[] ts = this.ts;
    long t = in.readVarint();
    ts[0] = t;
    if (n < 2) {
      return;
    }
    long delta = in.readUvarint();
    t += delta;
    ts[1] = t;
    for (int i = 2; i < n; i++) {
      delta += in.readDod();
      t += delta;
      ts[i] = t;
    }
  }

  private void readXor(int n) {
    long[] vs = this.vs;
    long v = in.readBits(64);
    vs[0] = v;
    int leading = 0;
    int trailing = 0;
    for (int i = 1; i < n; i++) {
      if (in.readBit() != 0) {
        if (in.readBit() != 0) {
          leading = (int) in.readBits(5);
          int sig = (int) in.readBits(6);
          trailing = 64 - leading - (sig == 0 ? 64 : sig);
        }
        v ^= in.readBits(64 - leading - trailing) << trailing;
      }
      vs[i] = v;
    }
  }

  private void readDecimal(int n) {
    long[] vs = this.vs;
    int exp = (int) in.readVarint();
    long m = in.readVarint();
    long v = Double.doubleToRawLongBits(ChunkCodec.toDouble(m, exp));
    vs[0] = v;
    int width = 0;
    for (int i = 1; i < n; i++) {
      if (in.readBit() != 0) {
        if (in.readBit() != 0) {
          width = (int) in.readBits(6);
          if (width == 0) {
            width = 64;
          }
        }
        long zz = in.readBits(width);
        m += (zz >>> 1) ^ -(zz & 1);
        v = Double.doubleToRawLongBits(ChunkCodec.toDouble(m, exp));
      }
      vs[i] = v;
    }
  }

  private void readFor(int n) {
    long[] vs = this.vs;
    int exp = (int) in.readVarint();
    long m = in.readVarint();
    long lo = in.readVarint();
    long g = in.readUvarint();
    int width = (int) in.readBits(6);
    vs[0] = Double.doubleToRawLongBits(ChunkCodec.toDouble(m, exp));
    for (int i = 1; i < n; i++) {
      m += lo + g * in.readBits(width);
      vs[i] = Double.doubleToRawLongBits(ChunkCodec.toDouble(m, exp));
    }
  }

  private void readIncrements(int n) {
    long[] vs = this.vs;
    int exp = (int) in.readBits(4);
    long bits = in.readBits(64);
    long lo = in.readVarint();
    long g = in.readUvarint();
    int width = (int) in.readBits(6);
    vs[0] = bits;
    double v = Double.longBitsToDouble(bits);
    for (int i = 1; i < n; i++) {
      v += ChunkCodec.toDouble(lo + g * in.readBits(width), exp);
      vs[i] = Double.doubleToRawLongBits(v);
    }
  }

  private void readBitsFor(int n) {
    long[] vs = this.vs;
    long v = in.readBits(64);
    long lo = in.readVarint();
    int width = (int) in.readBits(6);
    vs[0] = v;
    for (int i = 1; i < n; i++) {
      v += lo + in.readBits(width);
      vs[i] = v;
    }
  }

  @Override
  public boolean next() {
    if (pos + 1 >= count) {
      pos = count;
      return false;
    }
    pos++;
    return true;
  }

  @Override
  public int read(long[] t, double[] v, int off, int max) {
    int from = pos + 1;
    int k = Math.min(max, count - from);
    if (k <= 0) {
      return 0;
    }
    System.arraycopy(ts, from, t, off, k);
    for (int i = 0; i < k; i++) {
      v[off + i] = Double.longBitsToDouble(vs[from + i]);
    }
    pos = from + k - 1;
    return k;
  }

  @Override
  public boolean seek(long target) {
    if (pos >= 0 && pos < count && ts[pos] >= target) {
      return true;
    }
    int lo = Math.max(pos, 0);
    int hi = count; // binary search: timestamps are increasing
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (ts[mid] < target) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    pos = lo;
    return lo < count;
  }

  @Override
  public long t() {
    return ts[pos];
  }

  @Override
  public double v() {
    return Double.longBitsToDouble(vs[pos]);
  }
}
