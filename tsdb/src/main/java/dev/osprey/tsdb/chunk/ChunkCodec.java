package dev.osprey.tsdb.chunk;

import dev.osprey.core.storage.SampleIterator;

/**
 * Encodes a closed chunk in the smaller of two encodings, tagged by its first byte: {@link #XOR}
 * (Gorilla, {@link XorEncoder}) or {@link #DECIMAL}, for chunks whose values are all decimals with
 * few digits (exactly {@code m / 10^e} or {@code m * 10^-e} with one exponent for the chunk),
 * stored as integer deltas. Both are bit-exact; the decimal form is only chosen when every value
 * converts back to its very bits. Layout in {@code docs/format/chunks.md}. Not thread-safe;
 * reusable.
 */
public final class ChunkCodec {
  public static final byte XOR = 1;
  public static final byte DECIMAL = 2;

  /** Timestamps and values in sections of their own, each in its smallest form; for blocks. */
  public static final byte PACKED = 3;

  private static final double[] POW10 = new double[23];

  static {
    double p = 1;
    for (int i = 0; i < POW10.length; i++) {
      POW10[i] = p;
      p *= 10;
    }
  }

  private final XorEncoder xor = new XorEncoder(256);
  private final PackedEncoder packed = new PackedEncoder();
  private final BitWriter bits = new BitWriter();
  private long[] ints = new long[128];
  private byte[] out = new byte[256];
  private int outLen;

  private long[] scratchT = new long[128];
  private long[] scratchV = new long[128];
  private byte[] scratchBytes = new byte[256];

  /** Scratch arrays of at least {@code n} for callers that gather samples before encoding. */
  public long[] scratchT(int n) {
    if (scratchT.length < n) {
      scratchT = new long[n];
    }
    return scratchT;
  }

  public long[] scratchV(int n) {
    if (scratchV.length < n) {
      scratchV = new long[n];
    }
    return scratchV;
  }

  /** A scratch array of at least {@code n} bytes (its contents are undefined). */
  public byte[] scratchBytes(int n) {
    if (scratchBytes.length < n) {
      scratchBytes = new byte[Math.max(n, 2 * scratchBytes.length)];
    }
    return scratchBytes;
  }

  public byte[] bytes() {
    return out;
  }

  public int length() {
    return outLen;
  }

  /** Encodes samples {@code [0, n)}; the result is in {@link #bytes()}. */
  public void encode(long[] ts, long[] vs, int n) {
    xor.reset();
    for (int i = 0; i < n; i++) {
      xor.append(ts[i], vs[i]);
    }
    int best = xor.byteLength();
    byte kind = XOR;
    int exp = decimalExponent(vs, n);
    if (exp != Integer.MIN_VALUE) {
      encodeDecimal(ts, n, exp);
      if (bits.byteLength() < best) {
        kind = DECIMAL;
        best = bits.byteLength();
      }
    }
    if (out.length < best + 1) {
      out = new byte[Math.max(best + 1, out.length * 2)];
    }
    out[0] = kind;
    System.arraycopy(kind == XOR ? xor.buffer() : bits.buf, 0, out, 1, best);
    outLen = best + 1;
  }

  /**
   * Encodes samples {@code [0, n)} (n &gt;= 1) in the packed encoding (tag {@link #PACKED}), the
   * one for chunks of blocks; the result is in {@link #bytes()}.
   */
  public void encodePacked(long[] ts, long[] vs, int n) {
    int exp = decimalExponent(vs, n);
    packed.encode(ts, vs, n, ints, exp);
    int len = packed.byteLength();
    if (out.length < len + 1) {
      out = new byte[Math.max(len + 1, out.length * 2)];
    }
    out[0] = PACKED;
    System.arraycopy(packed.buffer(), 0, out, 1, len);
    outLen = len + 1;
  }

  /**
   * For size breakdowns, after {@link #encodePacked}: bits of the timestamp section, bits of the
   * value section, the timestamp form (0 grid, 1 delta-of-delta) and the value form (0 XOR, 1
   * decimal, 2 decimal frame-of-reference).
   */
  public int[] packedStats() {
    return new int[] {packed.timestampBits(), packed.valueBits(), packed.tsMode(), packed.vMode()};
  }

  /** Encodes what {@code it} yields (up to {@code max} samples), using scratch arrays. */
  public int encode(SampleIterator it, int max, long[] tScratch, long[] vScratch) {
    int n = 0;
    while (n < max && it.next()) {
      tScratch[n] = it.t();
      vScratch[n] = Double.doubleToRawLongBits(it.v());
      n++;
    }
    if (n > 0) {
      encode(tScratch, vScratch, n);
    }
    return n;
  }

  /**
   * The exponent {@code e} (-22..22) for which every value is exactly {@code m / 10^e}, the
   * smallest that works, or MIN_VALUE. Fills {@link #ints} with the mantissas.
   */
  private int decimalExponent(long[] vs, int n) {
    if (ints.length < n) {
      ints = new long[Math.max(n, ints.length * 2)];
    }
    long[] m = ints;
    for (int i = 0; i < n; i++) {
      double v = Double.longBitsToDouble(vs[i]);
      if (Double.isNaN(v) || Double.isInfinite(v) || vs[i] == Long.MIN_VALUE) {
        return Integer.MIN_VALUE; // NaN (stale markers too), infinities, -0.0: XOR only
      }
    }
    // the power of ten and the direction are fixed per exponent, outside the sample loop: no
    // table index or branch on e inside it (with them, C2's loop predicates on POW10 failed and
    // recompiled the chunk cut several times per run, bench/RESULTS.md)
    outer:
    for (int e = -22; e <= 22; e++) {
      boolean up = e >= 0;
      double p = POW10[up ? e : -e];
      for (int i = 0; i < n; i++) {
        double v = Double.longBitsToDouble(vs[i]);
        double scaled = up ? v * p : v / p;
        if (Math.abs(scaled) >= 0x1p53) {
          return Integer.MIN_VALUE; // the mantissa would not be exact any more
        }
        long mm = Math.round(scaled);
        double back = up ? mm / p : mm * p; // toDouble(mm, e)
        if (Double.doubleToRawLongBits(back) != vs[i]) {
          continue outer;
        }
        m[i] = mm;
      }
      return e;
    }
    return Integer.MIN_VALUE;
  }

  static double pow10(int e) {
    return POW10[e];
  }

  static double toDouble(long m, int e) {
    return e >= 0 ? m / POW10[e] : m * POW10[-e];
  }

  private void encodeDecimal(long[] ts, int n, int exp) {
    bits.reset();
    bits.writeVarint(exp);
    int width = 0;
    long prevT = 0;
    long prevDelta = 0;
    long prevM = 0;
    for (int i = 0; i < n; i++) {
      if (i == 0) {
        bits.writeVarint(ts[0]);
        bits.writeVarint(ints[0]);
      } else {
        long delta = ts[i] - prevT;
        if (i == 1) {
          bits.writeUvarint(delta);
        } else {
          writeDod(bits, delta - prevDelta);
        }
        prevDelta = delta;
        width = writeDecimalDelta(bits, ints[i] - prevM, width);
      }
      prevT = ts[i];
      prevM = ints[i];
    }
  }

  /** One value code of the decimal encoding; returns the width now current. */
  private static int writeDecimalDelta(BitWriter w, long d, int width) {
    long zz = (d << 1) ^ (d >> 63);
    if (zz == 0) {
      w.writeBits(0, 1);
      return width;
    }
    int nb = 64 - Long.numberOfLeadingZeros(zz);
    if (nb <= width && 2 + width <= 8 + nb) {
      w.writeBits(0b10, 2);
      w.writeBits(zz, width);
      return width;
    }
    w.writeBits(0b11, 2);
    w.writeBits(nb & 63, 6); // 64 written as 0
    w.writeBits(zz, nb);
    return nb;
  }

  /** The decimal values alone (packed encoding): e, m0, then the value codes of tag 2. */
  static void writeDecimalValues(BitWriter w, long[] ints, int n, int exp) {
    w.writeVarint(exp);
    w.writeVarint(ints[0]);
    int width = 0;
    for (int i = 1; i < n; i++) {
      width = writeDecimalDelta(w, ints[i] - ints[i - 1], width);
    }
  }

  /** The delta-of-delta bucket code of the XOR encoding (docs/format/chunks.md). */
  static void writeDod(BitWriter w, long dod) {
    if (dod == 0) {
      w.writeBits(0, 1);
    } else if (dod >= -63 && dod <= 64) {
      w.writeBits(0b10, 2);
      w.writeBits(dod, 7);
    } else if (dod >= -8191 && dod <= 8192) {
      w.writeBits(0b110, 3);
      w.writeBits(dod, 14);
    } else if (dod >= -524287 && dod <= 524288) {
      w.writeBits(0b1110, 4);
      w.writeBits(dod, 20);
    } else {
      w.writeBits(0b1111, 4);
      w.writeBits(dod, 64);
    }
  }

  /** The iterator for the tagged chunk at {@code b[off]}, reusing one of the two given. */
  public static SampleIterator iterator(
      byte[] b, int off, int count, XorIterator xorIt, DecimalIterator decIt) {
    return switch (b[off]) {
      case XOR -> xorIt.reset(b, off + 1, count);
      case DECIMAL -> decIt.reset(b, off + 1, count);
      case PACKED -> decIt.packed().reset(b, off + 1, count);
      default -> throw new IllegalStateException("unknown chunk encoding " + b[off]);
    };
  }
}
