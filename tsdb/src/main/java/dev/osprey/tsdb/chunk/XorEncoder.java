package dev.osprey.tsdb.chunk;

import java.util.Arrays;

/**
 * Appends samples to one Gorilla-style chunk in its own growable buffer: delta-of-delta timestamps
 * and XOR-compressed float bits. The layout is in {@code docs/format/chunks.md}. Not thread-safe.
 *
 * <p>Values are handled as raw IEEE-754 bits ({@link Double#doubleToRawLongBits}), so every NaN,
 * the stale marker included, is stored bit-exact.
 */
public final class XorEncoder {
  private byte[] buf;
  private int bitPos;
  private int count;
  private long firstT;
  private long lastT;
  private long lastDelta;
  private long lastV;
  private int leading;
  private int trailing;

  public XorEncoder() {
    this(32);
  }

  public XorEncoder(int initialBytes) {
    buf = new byte[Math.max(16, initialBytes)];
  }

  /** Starts a new chunk, keeping the buffer. */
  public void reset() {
    Arrays.fill(buf, 0, byteLength(), (byte) 0);
    bitPos = 0;
    count = 0;
    leading = 0xff;
    trailing = 0;
  }

  public int count() {
    return count;
  }

  public long firstT() {
    return firstT;
  }

  public long lastT() {
    return lastT;
  }

  public long lastV() {
    return lastV;
  }

  /** The chunk's bytes so far; only {@link #byteLength()} of them are valid. */
  public byte[] buffer() {
    return buf;
  }

  public int byteLength() {
    return (bitPos + 7) >>> 3;
  }

  /** Appends a sample; the caller guarantees {@code t} is greater than the previous one. */
  public void append(long t, long vBits) {
    if (count == 0) {
      leading = 0xff;
      writeVarint(t);
      writeBits(vBits, 64);
      firstT = t;
    } else if (count == 1) {
      long delta = t - lastT;
      writeUvarint(delta);
      writeValue(vBits);
      lastDelta = delta;
    } else {
      long delta = t - lastT;
      long dod = delta - lastDelta;
      if (dod == 0) {
        writeBits(0, 1);
      } else if (dod >= -63 && dod <= 64) {
        writeBits(0b10, 2);
        writeBits(dod, 7);
      } else if (dod >= -8191 && dod <= 8192) {
        writeBits(0b110, 3);
        writeBits(dod, 14);
      } else if (dod >= -524287 && dod <= 524288) {
        writeBits(0b1110, 4);
        writeBits(dod, 20);
      } else {
        writeBits(0b1111, 4);
        writeBits(dod, 64);
      }
      writeValue(vBits);
      lastDelta = delta;
    }
    lastT = t;
    lastV = vBits;
    count++;
  }

  private void writeValue(long vBits) {
    long x = vBits ^ lastV;
    if (x == 0) {
      writeBits(0, 1);
      return;
    }
    int lead = Math.min(Long.numberOfLeadingZeros(x), 31);
    int trail = Long.numberOfTrailingZeros(x);
    if (leading != 0xff && lead >= leading && trail >= trailing) {
      writeBits(0b10, 2);
      writeBits(x >>> trailing, 64 - leading - trailing);
      return;
    }
    leading = lead;
    trailing = trail;
    int sig = 64 - lead - trail;
    writeBits(0b11, 2);
    writeBits(lead, 5);
    writeBits(sig & 63, 6); // 64 is written as 0
    writeBits(x >>> trail, sig);
  }

  private void writeVarint(long v) {
    writeUvarint((v << 1) ^ (v >> 63));
  }

  private void writeUvarint(long v) {
    while ((v & ~0x7FL) != 0) {
      writeBits((v & 0x7F) | 0x80, 8);
      v >>>= 7;
    }
    writeBits(v, 8);
  }

  /** Writes the low {@code n} bits of {@code v}, most significant first. */
  private void writeBits(long v, int n) {
    if (n == 0) {
      return;
    }
    int end = bitPos + n;
    if ((end + 7) >>> 3 > buf.length) {
      ensure(end);
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

  private void ensure(int bits) {
    int bytes = (bits + 7) >>> 3;
    if (bytes > buf.length) {
      // in steps of an eighth (at least 16 bytes), not halves: a head series keeps its open
      // chunk's buffer for good, so the slack left by the last step is heap per series (about 12%
      // of a chunk's bytes instead of 25%), while the extra copies happen once per series
      buf = Arrays.copyOf(buf, Math.max(bytes, buf.length + Math.max(16, buf.length >> 3)));
    }
  }
}
