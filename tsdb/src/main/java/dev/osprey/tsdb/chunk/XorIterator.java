package dev.osprey.tsdb.chunk;

import dev.osprey.core.storage.SampleIterator;

/**
 * Decodes a chunk written by {@link XorEncoder}. Reusable through {@link #reset}; no allocation per
 * sample.
 */
public final class XorIterator implements SampleIterator {
  private final BitReader in = new BitReader();
  private int count;
  private int read;
  private long t;
  private long delta;
  private long v;
  private int leading;
  private int trailing;

  /** Positions before the first of {@code count} samples of the chunk at {@code buf[offset]}. */
  public XorIterator reset(byte[] buf, int offset, int count) {
    in.reset(buf, offset);
    this.count = count;
    this.read = 0;
    return this;
  }

  @Override
  public boolean next() {
    if (read >= count) {
      return false;
    }
    if (read == 0) {
      t = in.readVarint();
      v = in.readBits(64);
    } else {
      if (read == 1) {
        delta = in.readUvarint();
      } else {
        delta += in.readDod();
      }
      t += delta;
      readValue();
    }
    read++;
    return true;
  }

  private void readValue() {
    if (in.readBit() == 0) {
      return;
    }
    if (in.readBit() == 1) {
      leading = (int) in.readBits(5);
      int sig = (int) in.readBits(6);
      if (sig == 0) {
        sig = 64;
      }
      trailing = 64 - leading - sig;
    }
    int sig = 64 - leading - trailing;
    v ^= in.readBits(sig) << trailing;
  }

  /** Decodes straight into the arrays, with the decoder's state in locals. */
  @Override
  public int read(long[] ts, double[] vs, int off, int max) {
    int n = 0;
    while (read < 2 && n < max && next()) {
      ts[off + n] = t;
      vs[off + n] = Double.longBitsToDouble(v);
      n++;
    }
    int k = Math.min(max - n, count - read);
    if (k <= 0) {
      return n;
    }
    BitReader in = this.in;
    long t = this.t;
    long delta = this.delta;
    long v = this.v;
    int leading = this.leading;
    int trailing = this.trailing;
    for (int i = off + n, end = off + n + k; i < end; i++) {
      delta += in.readDod();
      t += delta;
      if (in.readBit() != 0) {
        if (in.readBit() != 0) {
          leading = (int) in.readBits(5);
          int sig = (int) in.readBits(6);
          trailing = 64 - leading - (sig == 0 ? 64 : sig);
        }
        v ^= in.readBits(64 - leading - trailing) << trailing;
      }
      ts[i] = t;
      vs[i] = Double.longBitsToDouble(v);
    }
    this.t = t;
    this.delta = delta;
    this.v = v;
    this.leading = leading;
    this.trailing = trailing;
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
    return Double.longBitsToDouble(v);
  }

  public long vBits() {
    return v;
  }
}
