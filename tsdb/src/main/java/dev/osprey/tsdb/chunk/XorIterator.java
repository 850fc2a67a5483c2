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
