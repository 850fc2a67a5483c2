package dev.osprey.tsdb.wal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable byte buffer with the varint encodings the WAL and block files use. */
public final class Buf {
  private byte[] b;
  private int n;

  public Buf(int capacity) {
    b = new byte[Math.max(16, capacity)];
  }

  public void reset() {
    n = 0;
  }

  public int length() {
    return n;
  }

  public byte[] array() {
    return b;
  }

  private void ensure(int more) {
    if (n + more > b.length) {
      b = Arrays.copyOf(b, Math.max(n + more, b.length * 2));
    }
  }

  public Buf putByte(int v) {
    ensure(1);
    b[n++] = (byte) v;
    return this;
  }

  public Buf putInt(int v) {
    ensure(4);
    b[n++] = (byte) (v >>> 24);
    b[n++] = (byte) (v >>> 16);
    b[n++] = (byte) (v >>> 8);
    b[n++] = (byte) v;
    return this;
  }

  public Buf putLong(long v) {
    ensure(8);
    for (int s = 56; s >= 0; s -= 8) {
      b[n++] = (byte) (v >>> s);
    }
    return this;
  }

  public Buf putUvarint(long v) {
    ensure(10);
    while ((v & ~0x7FL) != 0) {
      b[n++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    b[n++] = (byte) v;
    return this;
  }

  public Buf putVarint(long v) {
    return putUvarint((v << 1) ^ (v >> 63));
  }

  public Buf putString(String s) {
    byte[] u = s.getBytes(StandardCharsets.UTF_8);
    putUvarint(u.length);
    return putBytes(u, 0, u.length);
  }

  public Buf putBytes(byte[] src, int off, int len) {
    ensure(len);
    System.arraycopy(src, off, b, n, len);
    n += len;
    return this;
  }

  /** Overwrites 4 bytes at {@code pos}. */
  public void setInt(int pos, int v) {
    b[pos] = (byte) (v >>> 24);
    b[pos + 1] = (byte) (v >>> 16);
    b[pos + 2] = (byte) (v >>> 8);
    b[pos + 3] = (byte) v;
  }
}
