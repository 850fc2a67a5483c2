package dev.osprey.tsdb.http;

import dev.osprey.core.histogram.FloatHistogram;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Reads one remote_write 1.0 {@code Histogram} message (prompb types.proto) in place: integer
 * histograms (count_int, zero_count_int, bucket deltas) and float histograms (count_float,
 * zero_count_float, absolute bucket counts), exponential schemas and custom buckets (schema -53
 * with custom_values), packed or unpacked repeated fields. The message was validated on the wire
 * level already ({@link RemoteWriteReader#validate}); what is checked here is its meaning: spans
 * that spell out a different number of buckets than given, negative counts, a schema out of range.
 */
final class RemoteWriteHistogram {
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final FloatHistogram.CounterResetHint[] HINTS =
      FloatHistogram.CounterResetHint.values();

  /** A histogram refused for its content; the message says why. */
  static final class InvalidException extends Exception {
    InvalidException(String message) {
      super(message, null, false, false);
    }
  }

  private final byte[] b;
  private int p;
  long timestamp;

  private RemoteWriteHistogram(byte[] b) {
    this.b = b;
  }

  /** The histogram in {@code b[start, end)}; its timestamp in {@link #timestamp}. */
  static RemoteWriteHistogram read(byte[] b, int start, int end) {
    RemoteWriteHistogram r = new RemoteWriteHistogram(b);
    r.parse(start, end);
    return r;
  }

  private boolean isFloat;
  private long countInt;
  private double countFloat;
  private long zeroCountInt;
  private double zeroCountFloat;
  private double sum;
  private int schema;
  private double zeroThreshold;
  private int hint;
  private final IntList negSpans = new IntList();
  private final IntList posSpans = new IntList();
  private final LongList negDeltas = new LongList();
  private final LongList posDeltas = new LongList();
  private final DoubleList negCounts = new DoubleList();
  private final DoubleList posCounts = new DoubleList();
  private final DoubleList customValues = new DoubleList();

  private void parse(int start, int end) {
    p = start;
    while (p < end) {
      int tag = (int) varint();
      int field = tag >>> 3;
      int wt = tag & 7;
      switch (field) {
        case 1 -> {
          countInt = varint();
          isFloat = false;
        }
        case 2 -> {
          countFloat = fixed64();
          isFloat = true;
        }
        case 3 -> sum = fixed64();
        case 4 -> schema = (int) zigzag(varint());
        case 5 -> zeroThreshold = fixed64();
        case 6 -> zeroCountInt = varint();
        case 7 -> zeroCountFloat = fixed64();
        case 8 -> span(negSpans);
        case 9 -> sints(wt, negDeltas);
        case 10 -> doubles(wt, negCounts);
        case 11 -> span(posSpans);
        case 12 -> sints(wt, posDeltas);
        case 13 -> doubles(wt, posCounts);
        case 14 -> hint = (int) varint();
        case 15 -> timestamp = varint();
        case 16 -> doubles(wt, customValues);
        default -> skip(wt);
      }
    }
  }

  /** The histogram as the engine holds it, or why it is refused. */
  FloatHistogram toFloatHistogram() throws InvalidException {
    isFloat |= posCounts.n > 0 || negCounts.n > 0;
    if (schema != FloatHistogram.CUSTOM_BUCKETS_SCHEMA && (schema < -4 || schema > 8)) {
      throw new InvalidException("histogram has an invalid schema " + schema);
    }
    double[] pos = isFloat ? posCounts.toArray() : absolute(posDeltas);
    double[] neg = isFloat ? negCounts.toArray() : absolute(negDeltas);
    checkSpans(posSpans, pos.length, "positive");
    checkSpans(negSpans, neg.length, "negative");
    double count = isFloat ? countFloat : (double) countInt;
    double zeroCount = isFloat ? zeroCountFloat : (double) zeroCountInt;
    if (zeroCount < 0 || count < 0) {
      throw new InvalidException("histogram has a negative count");
    }
    for (double c : pos) {
      if (c < 0) {
        throw new InvalidException("histogram has a positive bucket with a negative count");
      }
    }
    for (double c : neg) {
      if (c < 0) {
        throw new InvalidException("histogram has a negative bucket with a negative count");
      }
    }
    if (!isFloat) {
      // as Prometheus: buckets may hold fewer observations than the count (NaN observations are
      // counted in no bucket), never more
      double inBuckets = zeroCount;
      for (double c : pos) {
        inBuckets += c;
      }
      for (double c : neg) {
        inBuckets += c;
      }
      if (inBuckets > count) {
        throw new InvalidException(
            "histogram has "
                + (long) inBuckets
                + " observations in its buckets but a count of "
                + (long) count);
      }
    }
    double[] cv = null;
    if (schema == FloatHistogram.CUSTOM_BUCKETS_SCHEMA) {
      cv = customValues.toArray();
      for (int i = 1; i < cv.length; i++) {
        if (!(cv[i] > cv[i - 1])) {
          throw new InvalidException(
              "histogram custom bounds must be in strictly increasing order");
        }
      }
    }
    return FloatHistogram.of(
        schema,
        zeroThreshold,
        zeroCount,
        count,
        sum,
        posSpans.toArray(),
        pos,
        negSpans.toArray(),
        neg,
        cv,
        hint >= 0 && hint < HINTS.length ? HINTS[hint] : FloatHistogram.CounterResetHint.UNKNOWN);
  }

  private static double[] absolute(LongList deltas) {
    double[] out = new double[deltas.n];
    long c = 0;
    for (int i = 0; i < deltas.n; i++) {
      c += deltas.a[i];
      out[i] = c;
    }
    return out;
  }

  private static void checkSpans(IntList spans, int buckets, String side) throws InvalidException {
    long total = 0;
    for (int i = 1; i < spans.n; i += 2) {
      total += spans.a[i] & 0xFFFFFFFFL;
    }
    if (total != buckets) {
      throw new InvalidException(
          "histogram "
              + side
              + " spans specify "
              + total
              + " buckets but "
              + buckets
              + " are given");
    }
  }

  private void span(IntList out) {
    int n = (int) varint();
    int end = p + n;
    int offset = 0;
    int length = 0;
    while (p < end) {
      int tag = (int) varint();
      switch (tag) {
        case 1 << 3 -> offset = (int) zigzag(varint());
        case 2 << 3 -> length = (int) varint();
        default -> skip(tag & 7);
      }
    }
    out.add(offset);
    out.add(length);
  }

  private void sints(int wt, LongList out) {
    if (wt == 2) {
      int n = (int) varint();
      int end = p + n;
      while (p < end) {
        out.add(zigzag(varint()));
      }
    } else {
      out.add(zigzag(varint()));
    }
  }

  private void doubles(int wt, DoubleList out) {
    if (wt == 2) {
      int n = (int) varint();
      int end = p + n;
      while (p + 8 <= end) {
        out.add(fixed64());
      }
      p = end;
    } else {
      out.add(fixed64());
    }
  }

  private void skip(int wt) {
    switch (wt) {
      case 0 -> varint();
      case 1 -> p += 8;
      case 2 -> p += (int) varint();
      case 5 -> p += 4;
      default -> throw new IllegalStateException("BUG: unvalidated wire type " + wt);
    }
  }

  private long varint() {
    long r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte x = b[p++];
      r |= (long) (x & 0x7F) << shift;
      if (x >= 0) {
        return r;
      }
    }
    return r;
  }

  private double fixed64() {
    double d = Double.longBitsToDouble((long) LONG_LE.get(b, p));
    p += 8;
    return d;
  }

  private static long zigzag(long u) {
    return (u >>> 1) ^ -(u & 1);
  }

  private static final class IntList {
    int[] a = new int[8];
    int n;

    void add(int v) {
      if (n == a.length) {
        a = Arrays.copyOf(a, n * 2);
      }
      a[n++] = v;
    }

    int[] toArray() {
      return Arrays.copyOf(a, n);
    }
  }

  private static final class LongList {
    long[] a = new long[8];
    int n;

    void add(long v) {
      if (n == a.length) {
        a = Arrays.copyOf(a, n * 2);
      }
      a[n++] = v;
    }
  }

  private static final class DoubleList {
    double[] a = new double[8];
    int n;

    void add(double v) {
      if (n == a.length) {
        a = Arrays.copyOf(a, n * 2);
      }
      a[n++] = v;
    }

    double[] toArray() {
      return Arrays.copyOf(a, n);
    }
  }
}
