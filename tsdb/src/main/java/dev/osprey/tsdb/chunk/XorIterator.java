package dev.osprey.tsdb.chunk;

import dev.osprey.core.storage.SampleIterator;

/**
 * Decodes a chunk written by {@link XorEncoder}. Reusable through {@link #reset}; no allocation per
 * sample.
 */
public final class XorIterator implements SampleIterator {
  private byte[] buf;
  private long bitPos;
  private int count;
  private int read;
  private long t;
  private long delta;
  private long v;
  private int leading;
  private int trailing;

  /** Positions before the first of {@code count} samples of the chunk at {@code buf[offset]}. */
  public XorIterator reset(byte[] buf, int offset, int count) {
    this.buf = buf;
    this.bitPos = (long) offset << 3;
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
      long u = readUvarint();
      t = (u >>> 1) ^ -(u & 1);
      v = readBits(64);
    } else if (read == 1) {
      delta = readUvarint();
      t += delta;
      readValue();
    } else {
      long dod;
      if (readBit() == 0) {
        dod = 0;
      } else if (readBit() == 0) {
        dod = signExtend(readBits(7), 7);
      } else if (readBit() == 0) {
        dod = signExtend(readBits(14), 14);
      } else if (readBit() == 0) {
        dod = signExtend(readBits(20), 20);
      } else {
        dod = readBits(64);
      }
      delta += dod;
      t += delta;
      readValue();
    }
    read++;
    return true;
  }

  private static long signExtend(long bits, int n) {
    // values in (-2^(n-1), 2^(n-1)] were written; 2^(n-1) itself reads back as negative
    long half = 1L << (n - 1);
    if (bits > half) {
      return bits - (1L << n);
    }
    return bits;
  }

  private void readValue() {
    if (readBit() == 0) {
      return;
    }
    if (readBit() == 1) {
      leading = (int) readBits(5);
      int sig = (int) readBits(6);
      if (sig == 0) {
        sig = 64;
      }
      trailing = 64 - leading - sig;
    }
    int sig = 64 - leading - trailing;
    v ^= readBits(sig) << trailing;
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

  private int readBit() {
    int b = (buf[(int) (bitPos >>> 3)] >>> (7 - (int) (bitPos & 7))) & 1;
    bitPos++;
    return b;
  }

  private long readBits(int n) {
    long out = 0;
    while (n > 0) {
      int idx = (int) (bitPos >>> 3);
      int avail = 8 - (int) (bitPos & 7);
      int take = Math.min(avail, n);
      int bits = ((buf[idx] & 0xff) >>> (avail - take)) & ((1 << take) - 1);
      out = (out << take) | bits;
      bitPos += take;
      n -= take;
    }
    return out;
  }

  private long readUvarint() {
    long out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      long b = readBits(8);
      out |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return out;
      }
    }
    throw new IllegalStateException("BUG: varint longer than 10 bytes in chunk");
  }
}
