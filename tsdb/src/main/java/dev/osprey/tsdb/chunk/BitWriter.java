package dev.osprey.tsdb.chunk;

import java.util.Arrays;

/** Writes bits most significant first into a growable buffer. */
final class BitWriter {
  byte[] buf = new byte[256];
  int bitPos;

  void reset() {
    Arrays.fill(buf, 0, byteLength(), (byte) 0);
    bitPos = 0;
  }

  int byteLength() {
    return (bitPos + 7) >>> 3;
  }

  void writeBits(long v, int n) {
    if (n == 0) {
      return;
    }
    int end = bitPos + n;
    if ((end + 7) >>> 3 > buf.length) {
      buf = Arrays.copyOf(buf, Math.max((end + 7) >>> 3, buf.length * 2));
    }
    if (n < 64) {
      v &= (1L << n) - 1;
    }
    int idx = bitPos >>> 3;
    int free = 8 - (bitPos & 7);
    bitPos = end;
    if (n <= free) {
      buf[idx] |= (byte) (v << (free - n));
      return;
    }
    n -= free;
    buf[idx++] |= (byte) (v >>> n);
    while (n >= 8) {
      n -= 8;
      buf[idx++] = (byte) (v >>> n);
    }
    if (n > 0) {
      buf[idx] = (byte) (v << (8 - n));
    }
  }

  void writeUvarint(long v) {
    while ((v & ~0x7FL) != 0) {
      writeBits((v & 0x7F) | 0x80, 8);
      v >>>= 7;
    }
    writeBits(v, 8);
  }

  void writeVarint(long v) {
    writeUvarint((v << 1) ^ (v >> 63));
  }
}
