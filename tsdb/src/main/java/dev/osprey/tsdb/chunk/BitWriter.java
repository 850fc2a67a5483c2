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
    int bytes = (bitPos + n + 7) >>> 3;
    if (bytes > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(bytes, buf.length * 2));
    }
    while (n > 0) {
      int idx = bitPos >>> 3;
      int free = 8 - (bitPos & 7);
      int take = Math.min(free, n);
      int bits = (int) ((v >>> (n - take)) & ((1 << take) - 1));
      buf[idx] |= (byte) (bits << (free - take));
      bitPos += take;
      n -= take;
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
