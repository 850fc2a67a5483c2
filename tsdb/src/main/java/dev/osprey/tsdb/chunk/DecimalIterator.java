package dev.osprey.tsdb.chunk;

import dev.osprey.core.storage.SampleIterator;

/** Decodes the decimal chunk encoding of {@link ChunkCodec}. Reusable; no allocation per sample. */
public final class DecimalIterator implements SampleIterator {
  private byte[] buf;
  private long bitPos;
  private int count;
  private int read;
  private int exp;
  private int width;
  private long t;
  private long delta;
  private long m;
  private double v;

  /**
   * Positions before the first of {@code count} samples of the chunk body at {@code buf[offset]}.
   */
  public DecimalIterator reset(byte[] buf, int offset, int count) {
    this.buf = buf;
    this.bitPos = (long) offset << 3;
    this.count = count;
    this.read = 0;
    this.width = 0;
    if (count > 0) {
      exp = (int) readVarint();
    }
    return this;
  }

  @Override
  public boolean next() {
    if (read >= count) {
      return false;
    }
    if (read == 0) {
      t = readVarint();
      m = readVarint();
    } else {
      if (read == 1) {
        delta = readUvarint();
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
      }
      t += delta;
      if (readBit() == 1) {
        if (readBit() == 1) {
          width = (int) readBits(6);
          if (width == 0) {
            width = 64;
          }
        }
        long zz = readBits(width);
        m += (zz >>> 1) ^ -(zz & 1);
      }
    }
    v = ChunkCodec.toDouble(m, exp);
    read++;
    return true;
  }

  private static long signExtend(long bits, int n) {
    long half = 1L << (n - 1);
    return bits > half ? bits - (1L << n) : bits;
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

  private long readVarint() {
    long u = readUvarint();
    return (u >>> 1) ^ -(u & 1);
  }
}
