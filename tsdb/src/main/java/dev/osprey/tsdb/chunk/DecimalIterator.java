package dev.osprey.tsdb.chunk;

import dev.osprey.core.storage.SampleIterator;

/** Decodes the decimal chunk encoding of {@link ChunkCodec}. Reusable; no allocation per sample. */
public final class DecimalIterator implements SampleIterator {
  private final BitReader in = new BitReader();
  private int count;
  private int read;
  private int exp;
  private int width;
  private long t;
  private long delta;
  private long m;
  private double v;
  private PackedIterator packed;

  /** The iterator for packed chunks that goes with this one (so callers keep two iterators). */
  PackedIterator packed() {
    if (packed == null) {
      packed = new PackedIterator();
    }
    return packed;
  }

  /**
   * Positions before the first of {@code count} samples of the chunk body at {@code buf[offset]}.
   */
  public DecimalIterator reset(byte[] buf, int offset, int count) {
    in.reset(buf, offset);
    this.count = count;
    this.read = 0;
    this.width = 0;
    if (count > 0) {
      exp = (int) in.readVarint();
    }
    return this;
  }

  @Override
  public boolean next() {
    if (read >= count) {
      return false;
    }
    if (read == 0) {
      t = in.readVarint();
      m = in.readVarint();
    } else {
      if (read == 1) {
        delta = in.readUvarint();
      } else {
        delta += in.readDod();
      }
      t += delta;
      if (in.readBit() == 1) {
        if (in.readBit() == 1) {
          width = (int) in.readBits(6);
          if (width == 0) {
            width = 64;
          }
        }
        long zz = in.readBits(width);
        m += (zz >>> 1) ^ -(zz & 1);
      }
    }
    v = ChunkCodec.toDouble(m, exp);
    read++;
    return true;
  }

  /** Decodes straight into the arrays, with the decoder's state in locals. */
  @Override
  public int read(long[] ts, double[] vs, int off, int max) {
    int n = 0;
    while (read < 2 && n < max && next()) {
      ts[off + n] = t;
      vs[off + n] = v;
      n++;
    }
    int k = Math.min(max - n, count - read);
    if (k <= 0) {
      return n;
    }
    BitReader in = this.in;
    long t = this.t;
    long delta = this.delta;
    long m = this.m;
    double v = this.v;
    int width = this.width;
    int exp = this.exp;
    for (int i = off + n, end = off + n + k; i < end; i++) {
      delta += in.readDod();
      t += delta;
      if (in.readBit() != 0) {
        if (in.readBit() != 0) {
          width = (int) in.readBits(6);
          if (width == 0) {
            width = 64;
          }
        }
        long zz = in.readBits(width);
        m += (zz >>> 1) ^ -(zz & 1);
        v = ChunkCodec.toDouble(m, exp);
      }
      ts[i] = t;
      vs[i] = v;
    }
    this.t = t;
    this.delta = delta;
    this.m = m;
    this.v = v;
    this.width = width;
    read += k;
    return n + k;
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

  @Override
  public double v() {
    return v;
  }
}
