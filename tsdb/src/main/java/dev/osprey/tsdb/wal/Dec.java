package dev.osprey.tsdb.wal;

import java.nio.charset.StandardCharsets;

/**
 * Reads what {@link Buf} wrote. Running past the end throws {@link IllegalArgumentException}, which
 * readers of checksummed data treat as corruption.
 */
public final class Dec {
  private final byte[] b;
  private int pos;
  private final int end;

  public Dec(byte[] b, int off, int len) {
    this.b = b;
    this.pos = off;
    this.end = off + len;
  }

  public int position() {
    return pos;
  }

  public int remaining() {
    return end - pos;
  }

  private void need(int k) {
    if (pos + k > end) {
      throw new IllegalArgumentException("unexpected end of data at offset " + pos);
    }
  }

  public int getByte() {
    need(1);
    return b[pos++] & 0xff;
  }

  public int getInt() {
    need(4);
    int v =
        ((b[pos] & 0xff) << 24)
            | ((b[pos + 1] & 0xff) << 16)
            | ((b[pos + 2] & 0xff) << 8)
            | (b[pos + 3] & 0xff);
    pos += 4;
    return v;
  }

  public long getLong() {
    need(8);
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[pos++] & 0xff);
    }
    return v;
  }

  public long getUvarint() {
    long out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int x = getByte();
      out |= (long) (x & 0x7F) << shift;
      if ((x & 0x80) == 0) {
        return out;
      }
    }
    throw new IllegalArgumentException("varint overflows 64 bits at offset " + pos);
  }

  public long getVarint() {
    long u = getUvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  public String getString() {
    long len = getUvarint();
    if (len > remaining()) {
      throw new IllegalArgumentException("string length " + len + " past the end at " + pos);
    }
    String s = new String(b, pos, (int) len, StandardCharsets.UTF_8);
    pos += (int) len;
    return s;
  }
}
