package dev.osprey.tsdb.chunk;

import dev.osprey.core.storage.SampleIterator;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Decodes a packed chunk ({@link ChunkCodec#PACKED}, written by {@link PackedEncoder}) as a stream:
 * {@link #reset} reads the two section headers and places a second bit reader at the start of the
 * value section (its position follows from the timestamp form's fixed widths), then samples are
 * decoded on demand, timestamps and values each in a tight loop over a run of samples. A bulk
 * {@link #read} decodes straight into the caller's arrays; {@link #next} and {@link #seek} decode
 * {@value #GROUP} samples at a time into small buffers. Only the delta-of-delta timestamp form,
 * whose length is not known without decoding it, is decoded whole on reset, into an array kept for
 * the next chunk. Reusable; nothing is allocated per chunk or per sample once warm.
 */
public final class PackedIterator implements SampleIterator {
  static final int GROUP = 32;

  private static final VarHandle LONG_BE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private final BitReader tin = new BitReader();
  private final BitReader vin = new BitReader();
  private byte[] buf;
  private long tPos; // fixed-width timestamp forms: the next residual's bit in buf
  private long vPos; // fixed-width value forms: the next value's bit in buf
  private final long[] gt = new long[GROUP]; // the group next() walks through
  private final double[] gv = new double[GROUP];
  private int glen;
  private int gpos = -1;
  private int count;
  private int decoded; // samples decoded so far (into the group buffer or a caller's arrays)

  private int tsMode;
  private long tBase; // grid: base + i * step of the next sample; dod: unused
  private long tStep;
  private int tWidth; // grid: residual width; grid3: code width
  private long radix;
  private long inv;
  private long code; // grid3: the digits of the current code not yet used
  private long[] dodTs = new long[0]; // dod form: every timestamp, decoded on reset

  private int vMode;
  private long vBits; // xor, bits-for: the last value's bits
  private double vDouble; // increments: the last value
  private int leading;
  private int trailing;
  private int exp;
  private long m; // decimal forms: the last mantissa
  private int vWidth;
  private long lo;
  private long gcd;

  public PackedIterator reset(byte[] buf, int offset, int count) {
    this.decoded = 0;
    this.glen = 0;
    this.gpos = -1;
    this.count = Math.max(count, 0);
    if (count <= 0) {
      return this;
    }
    this.buf = buf;
    BitReader in = tin;
    in.reset(buf, offset, 0);
    tsMode = (int) in.readBits(2);
    vMode = (int) in.readBits(3);
    long tsEnd; // bit offset of the value section
    switch (tsMode) {
      case PackedEncoder.TS_GRID -> {
        tBase = in.readVarint();
        tStep = in.readUvarint();
        tWidth = (int) in.readBits(6);
        tPos = 8L * offset + in.bitsRead(offset);
        tsEnd = in.bitsRead(offset) + (long) tWidth * count;
      }
      case PackedEncoder.TS_GRID3 -> {
        tBase = in.readVarint();
        tStep = in.readUvarint();
        radix = in.readUvarint();
        if (radix < 1 || radix > PackedEncoder.MAX_GRID3_RADIX) {
          throw new IllegalStateException("cannot read chunk: timestamp radix " + radix);
        }
        tWidth = PackedEncoder.bitsFor(radix * radix * radix - 1);
        inv = ((1L << 32) + radix - 1) / radix;
        code = 0;
        tPos = 8L * offset + in.bitsRead(offset);
        tsEnd = in.bitsRead(offset) + (long) tWidth * ((count + 2) / 3);
      }
      case PackedEncoder.TS_DOD -> {
        readDod(count);
        tsEnd = in.bitsRead(offset);
      }
      default -> throw new IllegalStateException("cannot read chunk: timestamp form " + tsMode);
    }
    BitReader v = vin;
    v.reset(buf, offset, tsEnd);
    switch (vMode) {
      case PackedEncoder.V_XOR -> {
        vBits = v.readBits(64);
        leading = 0;
        trailing = 0;
      }
      case PackedEncoder.V_DECIMAL -> {
        exp = (int) v.readVarint();
        m = v.readVarint();
        vDouble = ChunkCodec.toDouble(m, exp);
        vWidth = 0;
      }
      case PackedEncoder.V_FOR -> {
        exp = (int) v.readVarint();
        m = v.readVarint();
        lo = v.readVarint();
        gcd = v.readUvarint();
        vWidth = (int) v.readBits(6);
        vDouble = ChunkCodec.toDouble(m, exp);
      }
      case PackedEncoder.V_BITS_FOR -> {
        vBits = v.readBits(64);
        lo = v.readVarint();
        vWidth = (int) v.readBits(6);
      }
      case PackedEncoder.V_INCREMENTS -> {
        exp = (int) v.readBits(4);
        vBits = v.readBits(64);
        lo = v.readVarint();
        gcd = v.readUvarint();
        vWidth = (int) v.readBits(6);
        vDouble = Double.longBitsToDouble(vBits);
      }
      default -> throw new IllegalStateException("cannot read chunk: value form " + vMode);
    }
    vPos = 8L * offset + v.bitsRead(offset);
    return this;
  }

  /** Decodes samples {@code [decoded, decoded + k)} into the arrays from {@code off}. */
  private void decode(long[] t, double[] v, int off, int k) {
    switch (tsMode) {
      case PackedEncoder.TS_GRID -> grid(t, off, k);
      case PackedEncoder.TS_GRID3 -> grid3(t, off, k);
      default -> System.arraycopy(dodTs, decoded, t, off, k);
    }
    int i = off;
    int end = off + k;
    if (decoded == 0) {
      v[i++] =
          vMode == PackedEncoder.V_XOR || vMode == PackedEncoder.V_BITS_FOR
              ? Double.longBitsToDouble(vBits)
              : vDouble;
    }
    if (i < end) {
      switch (vMode) {
        case PackedEncoder.V_XOR -> xor(v, i, end);
        case PackedEncoder.V_DECIMAL -> decimal(v, i, end);
        case PackedEncoder.V_FOR -> frameOfReference(v, i, end);
        case PackedEncoder.V_BITS_FOR -> bitsFor(v, i, end);
        default -> increments(v, i, end);
      }
    }
    decoded += k;
  }

  private void grid(long[] ts, int off, int k) {
    byte[] b = buf;
    long pos = tPos;
    int width = tWidth;
    long step = tStep;
    long t = tBase;
    for (int i = off, end = off + k; i < end; i++) {
      ts[i] = t + bits(b, pos, width);
      pos += width;
      t += step;
    }
    tBase = t;
    tPos = pos;
  }

  /**
   * Residuals three to a code in radix R (at most 40, so codes are below 2^16): digits by
   * multiplying with ceil(2^32 / R), exact for such codes, instead of dividing. A run may start or
   * end inside a code; its unused digits wait in {@link #code}.
   */
  private void grid3(long[] ts, int off, int k) {
    byte[] b = buf;
    long pos = tPos;
    long radix = this.radix;
    long inv = this.inv;
    int width = tWidth;
    long step = tStep;
    long t = tBase;
    long c = code;
    int i = off;
    int end = off + k;
    int phase = decoded % 3; // digits of the current code already used
    while (phase != 0 && i < end) {
      long q = (c * inv) >>> 32;
      ts[i++] = t + (c - q * radix);
      c = q;
      t += step;
      phase = phase == 2 ? 0 : phase + 1;
    }
    for (; i + 3 <= end; i += 3) {
      c = bits(b, pos, width);
      pos += width;
      long q = (c * inv) >>> 32;
      long q2 = (q * inv) >>> 32;
      ts[i] = t + (c - q * radix);
      ts[i + 1] = t + step + (q - q2 * radix);
      ts[i + 2] = t + 2 * step + q2;
      t += 3 * step;
    }
    if (i < end) {
      c = bits(b, pos, width);
      pos += width;
      for (; i < end; i++) {
        long q = (c * inv) >>> 32;
        ts[i] = t + (c - q * radix);
        c = q;
        t += step;
      }
    }
    code = c;
    tBase = t;
    tPos = pos;
  }

  private void readDod(int n) {
    if (dodTs.length < n) {
      dodTs = new long[Math.max(n, 2 * dodTs.length)];
    }
    BitReader in = tin;
    long[] ts = dodTs;
    long t = in.readVarint();
    ts[0] = t;
    if (n < 2) {
      return;
    }
    long delta = in.readUvarint();
    t += delta;
    ts[1] = t;
    for (int i = 2; i < n; i++) {
      delta += in.readDod();
      t += delta;
      ts[i] = t;
    }
  }

  private void xor(double[] vs, int from, int end) {
    BitReader in = vin;
    long v = vBits;
    int leading = this.leading;
    int trailing = this.trailing;
    for (int i = from; i < end; i++) {
      if (in.readBit() != 0) {
        if (in.readBit() != 0) {
          leading = (int) in.readBits(5);
          int sig = (int) in.readBits(6);
          trailing = 64 - leading - (sig == 0 ? 64 : sig);
        }
        v ^= in.readBits(64 - leading - trailing) << trailing;
      }
      vs[i] = Double.longBitsToDouble(v);
    }
    vBits = v;
    this.leading = leading;
    this.trailing = trailing;
  }

  private void decimal(double[] vs, int from, int end) {
    BitReader in = vin;
    int exp = this.exp;
    long m = this.m;
    double v = vDouble;
    int width = vWidth;
    for (int i = from; i < end; i++) {
      if (in.readBit() != 0) {
        if (in.readBit() != 0) {
          width = (int) in.readBits(6);
          if (width == 0) {
            width = 64;
          }
        }
        long zz = in.readBits(width);
        m += (zz >>> 1) ^ -(zz & 1);
        v = ChunkCodec.toDouble(m, exp);
      }
      vs[i] = v;
    }
    this.m = m;
    vDouble = v;
    vWidth = width;
  }

  private void frameOfReference(double[] vs, int from, int end) {
    byte[] b = buf;
    long pos = vPos;
    int exp = this.exp;
    long m = this.m;
    long lo = this.lo;
    long g = gcd;
    int width = vWidth;
    if (exp >= 0) {
      double div = ChunkCodec.pow10(exp);
      for (int i = from; i < end; i++) {
        m += lo + g * bits(b, pos, width);
        pos += width;
        vs[i] = m / div;
      }
    } else {
      double mul = ChunkCodec.pow10(-exp);
      for (int i = from; i < end; i++) {
        m += lo + g * bits(b, pos, width);
        pos += width;
        vs[i] = m * mul;
      }
    }
    this.m = m;
    vPos = pos;
  }

  private void increments(double[] vs, int from, int end) {
    byte[] b = buf;
    long pos = vPos;
    long lo = this.lo;
    long g = gcd;
    int width = vWidth;
    double div = ChunkCodec.pow10(exp); // 0..15
    double v = vDouble;
    for (int i = from; i < end; i++) {
      v += (lo + g * bits(b, pos, width)) / div;
      pos += width;
      vs[i] = v;
    }
    vDouble = v;
    vPos = pos;
  }

  private void bitsFor(double[] vs, int from, int end) {
    byte[] b = buf;
    long pos = vPos;
    long v = vBits;
    long lo = this.lo;
    int width = vWidth;
    for (int i = from; i < end; i++) {
      v += lo + bits(b, pos, width);
      pos += width;
      vs[i] = Double.longBitsToDouble(v);
    }
    vBits = v;
    vPos = pos;
  }

  /**
   * The {@code w} bits (0..64) at bit {@code pos} of {@code b}, most significant first: one
   * big-endian long read and two shifts, byte by byte only within 8 bytes of the array's end.
   */
  static long bits(byte[] b, long pos, int w) {
    if (w > 56) {
      return (bits(b, pos, w - 32) << 32) | bits(b, pos + w - 32, 32);
    }
    int i = (int) (pos >>> 3);
    long word = i + 8 <= b.length ? (long) LONG_BE.get(b, i) : tail(b, i, pos, w);
    return ((word << (pos & 7)) >>> 1) >>> (63 - w); // 0 when w is 0
  }

  private static long tail(byte[] b, int i, long pos, int w) {
    if (pos + w > 8L * b.length) {
      throw new IllegalStateException("cannot read chunk: it ends in the middle of a sample");
    }
    long word = 0;
    for (int k = 0; k < 8; k++) {
      word = (word << 8) | (i + k < b.length ? b[i + k] & 0xFF : 0);
    }
    return word;
  }

  /** Decodes the next group into the buffers; false when every sample was decoded. */
  private boolean nextGroup() {
    int k = Math.min(GROUP, count - decoded);
    if (k <= 0) {
      return false;
    }
    decode(gt, gv, 0, k);
    glen = k;
    gpos = 0;
    return true;
  }

  @Override
  public boolean next() {
    if (gpos + 1 < glen) {
      gpos++;
      return true;
    }
    if (nextGroup()) {
      return true;
    }
    gpos = glen; // past the end
    return false;
  }

  @Override
  public int read(long[] t, double[] v, int off, int max) {
    int n = 0;
    int buffered = glen - gpos - 1;
    if (buffered > 0 && max > 0) {
      n = Math.min(buffered, max);
      System.arraycopy(gt, gpos + 1, t, off, n);
      System.arraycopy(gv, gpos + 1, v, off, n);
      gpos += n;
    }
    int k = Math.min(max - n, count - decoded);
    if (k <= 0) {
      return n;
    }
    decode(t, v, off + n, k);
    n += k;
    // the last sample read is the current one
    gt[0] = t[off + n - 1];
    gv[0] = v[off + n - 1];
    glen = 1;
    gpos = 0;
    return n;
  }

  @Override
  public boolean seek(long target) {
    if (gpos >= 0 && gpos < glen && gt[gpos] >= target) {
      return true;
    }
    while (true) {
      if (gpos + 1 < glen && gt[glen - 1] >= target) {
        int i = Math.max(gpos, 0);
        while (gt[i] < target) {
          i++;
        }
        gpos = i;
        return true;
      }
      if (!nextGroup()) {
        gpos = glen;
        return false;
      }
      gpos = -1;
    }
  }

  @Override
  public long t() {
    return gt[gpos];
  }

  @Override
  public double v() {
    return gv[gpos];
  }
}
