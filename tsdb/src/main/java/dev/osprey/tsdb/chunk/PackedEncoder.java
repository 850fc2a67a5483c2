package dev.osprey.tsdb.chunk;

/**
 * Writes the packed chunk encoding (tag {@link ChunkCodec#PACKED}) used for chunks of blocks: the
 * timestamps as a section of their own, then the values, each in whichever of its forms is smallest
 * for the chunk. Timestamps of a scrape sit on a grid with a few milliseconds of jitter, so the
 * grid form stores a base, an interval and one fixed-width residual per sample instead of a
 * delta-of-delta per sample; values are XOR-coded, or when they are all short decimals, stored as
 * integer deltas either in adaptive widths or frame-of-reference packed (each delta minus the
 * chunk's smallest, in one width), or as frame-of-reference deltas of their raw bits, or as decimal
 * increments (counters summed from short decimals). Layout in {@code docs/format/chunks.md}. Not
 * thread-safe; reusable.
 */
final class PackedEncoder {
  static final int TS_GRID = 0;
  static final int TS_DOD = 1;
  static final int TS_GRID3 = 2;

  /** Largest residual radix for {@link #TS_GRID3} (40^3 < 2^16, for the decoder's division). */
  static final int MAX_GRID3_RADIX = 40;

  static final int V_XOR = 0;
  static final int V_DECIMAL = 1;
  static final int V_FOR = 2;
  static final int V_BITS_FOR = 3;
  static final int V_INCREMENTS = 4;

  /** Largest decimal exponent tried for increments (10^15 is still exact as a double). */
  private static final int MAX_INCREMENT_EXP = 15;

  /** Grid residuals wider than this are not worth it: the dod form is used instead. */
  private static final int MAX_GRID_WIDTH = 40;

  private final BitWriter out = new BitWriter();
  private final BitWriter tsBits = new BitWriter();
  private final BitWriter vBits = new BitWriter();
  private final BitWriter tmp = new BitWriter();
  private int tsMode;
  private int vMode;

  byte[] buffer() {
    return out.buf;
  }

  int byteLength() {
    return out.byteLength();
  }

  /** Bits of the timestamp section of the last chunk (for size breakdowns). */
  int timestampBits() {
    return tsBits.bitPos;
  }

  /** Bits of the value section of the last chunk. */
  int valueBits() {
    return vBits.bitPos;
  }

  int tsMode() {
    return tsMode;
  }

  int vMode() {
    return vMode;
  }

  /**
   * Encodes samples {@code [0, n)}, n &gt;= 1; {@code ints}/{@code exp} are the decimal mantissas
   * and exponent when every value is a short decimal, else {@code exp} is Integer.MIN_VALUE.
   */
  void encode(long[] ts, long[] vs, int n, long[] ints, int exp) {
    encodeTimestamps(ts, n);
    encodeValues(vs, n, ints, exp);
    out.reset();
    out.writeBits(tsMode, 2);
    out.writeBits(vMode, 3);
    append(out, tsBits);
    append(out, vBits);
  }

  private static void append(BitWriter dst, BitWriter src) {
    int full = src.bitPos >>> 3;
    for (int i = 0; i < full; i++) {
      dst.writeBits(src.buf[i], 8);
    }
    int rest = src.bitPos & 7;
    if (rest > 0) {
      dst.writeBits((src.buf[full] & 0xff) >>> (8 - rest), rest);
    }
  }

  private void encodeTimestamps(long[] ts, int n) {
    tsBits.reset();
    tsMode = TS_DOD;
    if (n >= 3 && tryGrid(ts, n)) {
      return; // tsMode set by tryGrid
    }
    tsMode = TS_DOD;
    tsBits.reset();
    writeDodForm(tsBits, ts, n);
  }

  /** Writes the grid form into {@link #tsBits} if it is smaller than the dod form. */
  private boolean tryGrid(long[] ts, int n) {
    long span = ts[n - 1] - ts[0];
    if (span <= 0 || span > Long.MAX_VALUE / 4 / n) {
      return false;
    }
    // Two guesses of the interval: from the ends (exact with jitter only), and the median
    // delta (right when a scrape is missing); keep the one with the narrower residuals.
    long fromEnds = Math.round((double) span / (n - 1));
    long median = medianDelta(ts, n);
    long bestStep = -1;
    int bestWidth = 65;
    long bestBase = 0;
    long bestRange = 0;
    for (long step : new long[] {fromEnds, median}) {
      if (step <= 0 || step > span) {
        continue;
      }
      long lo = Long.MAX_VALUE;
      long hi = Long.MIN_VALUE;
      for (int i = 0; i < n; i++) {
        long r = ts[i] - i * step;
        lo = Math.min(lo, r);
        hi = Math.max(hi, r);
      }
      long range = hi - lo;
      if (range < 0) {
        continue;
      }
      int width = 64 - Long.numberOfLeadingZeros(range);
      if (width < bestWidth) {
        bestWidth = width;
        bestStep = step;
        bestBase = lo;
        bestRange = range;
      }
    }
    if (bestStep <= 0 || bestWidth > MAX_GRID_WIDTH) {
      return false;
    }
    long radix = bestRange + 1;
    boolean threes = radix <= MAX_GRID3_RADIX;
    int width3 = threes ? bitsFor(radix * radix * radix - 1) : 0;
    tsBits.writeVarint(bestBase);
    tsBits.writeUvarint(bestStep);
    if (threes && (long) width3 * ((n + 2) / 3) < (long) bestWidth * n) {
      // residuals three at a time in radix (range + 1): jitter of +-2 ms costs 7/3 bits, not 3
      tsMode = TS_GRID3;
      tsBits.writeUvarint(radix);
      for (int i = 0; i < n; i += 3) {
        long c = 0;
        for (int j = Math.min(i + 2, n - 1); j >= i; j--) {
          c = c * radix + (ts[j] - j * bestStep - bestBase);
        }
        tsBits.writeBits(c, width3);
      }
    } else {
      tsMode = TS_GRID;
      tsBits.writeBits(bestWidth, 6);
      for (int i = 0; i < n; i++) {
        tsBits.writeBits(ts[i] - i * bestStep - bestBase, bestWidth);
      }
    }
    // Compare with the dod form, written into tmp.
    tmp.reset();
    writeDodForm(tmp, ts, n);
    return tsBits.bitPos <= tmp.bitPos;
  }

  static int bitsFor(long v) {
    return 64 - Long.numberOfLeadingZeros(v);
  }

  private long[] deltas = new long[128];

  private long medianDelta(long[] ts, int n) {
    if (deltas.length < n) {
      deltas = new long[Math.max(n, deltas.length * 2)];
    }
    for (int i = 1; i < n; i++) {
      deltas[i - 1] = ts[i] - ts[i - 1];
    }
    java.util.Arrays.sort(deltas, 0, n - 1);
    return deltas[(n - 1) / 2];
  }

  private static void writeDodForm(BitWriter w, long[] ts, int n) {
    w.writeVarint(ts[0]);
    if (n > 1) {
      w.writeUvarint(ts[1] - ts[0]);
    }
    for (int i = 2; i < n; i++) {
      ChunkCodec.writeDod(w, (ts[i] - ts[i - 1]) - (ts[i - 1] - ts[i - 2]));
    }
  }

  private void encodeValues(long[] vs, int n, long[] ints, int exp) {
    vBits.reset();
    writeXor(vBits, vs, n);
    vMode = V_XOR;
    if (n >= 2) {
      tmp.reset();
      if (writeBitsFor(tmp, vs, n) && tmp.bitPos < vBits.bitPos) {
        copy(tmp, vBits);
        vMode = V_BITS_FOR;
      }
    }
    if (n >= 2 && exp == Integer.MIN_VALUE) {
      tmp.reset();
      if (writeIncrements(tmp, vs, n) && tmp.bitPos < vBits.bitPos) {
        copy(tmp, vBits);
        vMode = V_INCREMENTS;
      }
    }
    if (exp == Integer.MIN_VALUE) {
      return;
    }
    tmp.reset();
    ChunkCodec.writeDecimalValues(tmp, ints, n, exp);
    if (tmp.bitPos < vBits.bitPos) {
      copy(tmp, vBits);
      vMode = V_DECIMAL;
    }
    if (n >= 2) {
      tmp.reset();
      if (writeFor(tmp, ints, n, exp) && tmp.bitPos < vBits.bitPos) {
        copy(tmp, vBits);
        vMode = V_FOR;
      }
    }
  }

  private static void copy(BitWriter from, BitWriter to) {
    to.reset();
    append(to, from);
  }

  /** The XOR value code of tag 1 for the values alone. */
  private static void writeXor(BitWriter w, long[] vs, int n) {
    w.writeBits(vs[0], 64);
    int leading = 0xff;
    int trailing = 0;
    for (int i = 1; i < n; i++) {
      long x = vs[i] ^ vs[i - 1];
      if (x == 0) {
        w.writeBits(0, 1);
        continue;
      }
      int lead = Math.min(Long.numberOfLeadingZeros(x), 31);
      int trail = Long.numberOfTrailingZeros(x);
      if (leading != 0xff && lead >= leading && trail >= trailing) {
        w.writeBits(0b10, 2);
        w.writeBits(x >>> trailing, 64 - leading - trailing);
        continue;
      }
      leading = lead;
      trailing = trail;
      int sig = 64 - lead - trail;
      w.writeBits(0b11, 2);
      w.writeBits(lead, 5);
      w.writeBits(sig & 63, 6);
      w.writeBits(x >>> trail, sig);
    }
  }

  private long[] incs = new long[128];

  /**
   * Decimal increments: a counter that a program sums up from short decimals ({@code v += 0.37}) is
   * not a short decimal itself, but each value is exactly {@code v_{i-1} + m_i / 10^e} in double
   * arithmetic. Stores {@code e}, {@code v0} and the {@code m_i} frame-of-reference packed; used
   * only when every value is reproduced to its bits.
   */
  private boolean writeIncrements(BitWriter w, long[] vs, int n) {
    if (incs.length < n) {
      incs = new long[Math.max(n, incs.length * 2)];
    }
    for (int i = 0; i < n; i++) {
      if (!Double.isFinite(Double.longBitsToDouble(vs[i]))) {
        return false;
      }
    }
    int exp = -1;
    outer:
    for (int e = 0; e <= MAX_INCREMENT_EXP; e++) {
      for (int i = 1; i < n; i++) {
        double prev = Double.longBitsToDouble(vs[i - 1]);
        double scaled = (Double.longBitsToDouble(vs[i]) - prev) * ChunkCodec.pow10(e);
        if (!(Math.abs(scaled) < 0x1p52)) {
          continue outer;
        }
        long m = Math.round(scaled);
        if (Double.doubleToRawLongBits(prev + ChunkCodec.toDouble(m, e)) == vs[i]) {
          incs[i] = m;
        } else if (Double.doubleToRawLongBits(prev + ChunkCodec.toDouble(m - 1, e)) == vs[i]) {
          incs[i] = m - 1;
        } else if (Double.doubleToRawLongBits(prev + ChunkCodec.toDouble(m + 1, e)) == vs[i]) {
          incs[i] = m + 1;
        } else {
          continue outer;
        }
      }
      exp = e;
      break;
    }
    if (exp < 0) {
      return false;
    }
    long lo = Long.MAX_VALUE;
    long hi = Long.MIN_VALUE;
    for (int i = 1; i < n; i++) {
      lo = Math.min(lo, incs[i]);
      hi = Math.max(hi, incs[i]);
    }
    long g = 0;
    for (int i = 1; i < n && g != 1; i++) {
      g = gcd(g, incs[i] - lo);
    }
    if (g == 0) {
      g = 1;
    }
    int width = 64 - Long.numberOfLeadingZeros((hi - lo) / g);
    w.writeBits(exp, 4);
    w.writeBits(vs[0], 64);
    w.writeVarint(lo);
    w.writeUvarint(g);
    w.writeBits(width, 6);
    for (int i = 1; i < n; i++) {
      w.writeBits((incs[i] - lo) / g, width);
    }
    return true;
  }

  /**
   * Frame of reference over the raw IEEE-754 bits taken as integers: a counter's float bits grow by
   * about its increase in units in the last place, so their deltas are narrow whatever the decimal
   * digits. Wrapping long arithmetic makes it exact for any bits (NaN too).
   */
  private static boolean writeBitsFor(BitWriter w, long[] vs, int n) {
    long lo = Long.MAX_VALUE;
    long hi = Long.MIN_VALUE;
    for (int i = 1; i < n; i++) {
      long d = vs[i] - vs[i - 1];
      lo = Math.min(lo, d);
      hi = Math.max(hi, d);
    }
    long range = hi - lo;
    if (range < 0) {
      return false; // wider than 63 bits: XOR does better anyway
    }
    int width = 64 - Long.numberOfLeadingZeros(range);
    w.writeBits(vs[0], 64);
    w.writeVarint(lo);
    w.writeBits(width, 6);
    for (int i = 1; i < n; i++) {
      w.writeBits(vs[i] - vs[i - 1] - lo, width);
    }
    return true;
  }

  /**
   * Frame of reference: every delta minus the smallest, divided by their common factor (memory
   * gauges move in whole pages), in one width. False if too wide.
   */
  private static boolean writeFor(BitWriter w, long[] ints, int n, int exp) {
    long lo = Long.MAX_VALUE;
    long hi = Long.MIN_VALUE;
    for (int i = 1; i < n; i++) {
      long d = ints[i] - ints[i - 1];
      lo = Math.min(lo, d);
      hi = Math.max(hi, d);
    }
    long range = hi - lo;
    if (range < 0) {
      return false;
    }
    long g = 0;
    for (int i = 1; i < n && g != 1; i++) {
      g = gcd(g, ints[i] - ints[i - 1] - lo);
    }
    if (g == 0) {
      g = 1; // every delta the same
    }
    int width = 64 - Long.numberOfLeadingZeros(range / g);
    w.writeVarint(exp);
    w.writeVarint(ints[0]);
    w.writeVarint(lo);
    w.writeUvarint(g);
    w.writeBits(width, 6);
    for (int i = 1; i < n; i++) {
      w.writeBits((ints[i] - ints[i - 1] - lo) / g, width);
    }
    return true;
  }

  private static long gcd(long a, long b) {
    while (b != 0) {
      long t = a % b;
      a = b;
      b = t;
    }
    return a;
  }
}
