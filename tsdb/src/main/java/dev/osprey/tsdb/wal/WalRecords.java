package dev.osprey.tsdb.wal;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.labels.Labels;

/** Encodes and decodes the WAL's record types (layout in {@code docs/format/wal.md}). */
public final class WalRecords {
  public static final int SERIES = 1;
  public static final int SAMPLES = 2;
  public static final int DELETES = 3;
  public static final int HISTOGRAMS = 4;

  private static final FloatHistogram.CounterResetHint[] HINTS =
      FloatHistogram.CounterResetHint.values();

  private WalRecords() {}

  /** Receives decoded records. */
  public interface Handler {
    void series(int id, Labels labels);

    void sample(int id, long t, long vBits);

    /** Samples of series {@code id} in {@code [mint, maxt]} were deleted. */
    void delete(int id, long mint, long maxt);

    /** A native-histogram sample. */
    default void histogram(int id, long t, FloatHistogram h) {
      throw new IllegalArgumentException("unexpected histogram record");
    }
  }

  /** Histogram samples {@code [from, to)} of the parallel arrays. */
  public static void encodeHistograms(
      Buf b, int[] ids, long[] ts, FloatHistogram[] hs, int from, int to) {
    b.putByte(HISTOGRAMS).putUvarint(to - from);
    for (int i = from; i < to; i++) {
      FloatHistogram h = hs[i];
      b.putUvarint(ids[i]).putVarint(ts[i]).putByte(h.counterResetHint().ordinal());
      b.putVarint(h.schema()).putLong(Double.doubleToRawLongBits(h.zeroThreshold()));
      b.putLong(Double.doubleToRawLongBits(h.zeroCount()));
      b.putLong(Double.doubleToRawLongBits(h.count()));
      b.putLong(Double.doubleToRawLongBits(h.sum()));
      if (h.usesCustomBuckets()) {
        double[] cv = h.customValues();
        b.putUvarint(cv.length);
        for (double c : cv) {
          b.putLong(Double.doubleToRawLongBits(c));
        }
      }
      b.putUvarint(h.positiveBuckets());
      for (int k = 0; k < h.positiveBuckets(); k++) {
        b.putVarint(h.positiveIndex(k)).putLong(Double.doubleToRawLongBits(h.positiveCount(k)));
      }
      b.putUvarint(h.negativeBuckets());
      for (int k = 0; k < h.negativeBuckets(); k++) {
        b.putVarint(h.negativeIndex(k)).putLong(Double.doubleToRawLongBits(h.negativeCount(k)));
      }
    }
  }

  private static FloatHistogram decodeHistogram(Dec d) {
    int hint = d.getByte();
    if (hint >= HINTS.length) {
      throw new IllegalArgumentException("unknown counter reset hint " + hint);
    }
    int schema = (int) d.getVarint();
    double zt = Double.longBitsToDouble(d.getLong());
    double zc = Double.longBitsToDouble(d.getLong());
    double count = Double.longBitsToDouble(d.getLong());
    double sum = Double.longBitsToDouble(d.getLong());
    double[] cv = null;
    if (schema == FloatHistogram.CUSTOM_BUCKETS_SCHEMA) {
      cv = new double[count(d, 8)];
      for (int k = 0; k < cv.length; k++) {
        cv[k] = Double.longBitsToDouble(d.getLong());
      }
    }
    int[] pi = new int[count(d, 9)];
    double[] pc = new double[pi.length];
    for (int k = 0; k < pi.length; k++) {
      pi[k] = (int) d.getVarint();
      pc[k] = Double.longBitsToDouble(d.getLong());
    }
    int[] ni = new int[count(d, 9)];
    double[] nc = new double[ni.length];
    for (int k = 0; k < ni.length; k++) {
      ni[k] = (int) d.getVarint();
      nc[k] = Double.longBitsToDouble(d.getLong());
    }
    return FloatHistogram.ofSparse(schema, zt, zc, count, sum, pi, pc, ni, nc, cv, HINTS[hint]);
  }

  private static int count(Dec d, int minBytesEach) {
    long n = d.getUvarint();
    if (n < 0 || n * minBytesEach > d.remaining()) {
      throw new IllegalArgumentException("count " + n + " past the end at " + d.position());
    }
    return (int) n;
  }

  public static void encodeDeletes(Buf b, int[] ids, int n, long mint, long maxt) {
    b.putByte(DELETES).putVarint(mint).putVarint(maxt).putUvarint(n);
    for (int i = 0; i < n; i++) {
      b.putUvarint(ids[i]);
    }
  }

  public static void encodeSeries(Buf b, int id, Labels labels) {
    b.putByte(SERIES).putUvarint(1).putUvarint(id).putUvarint(labels.size());
    for (int i = 0; i < labels.size(); i++) {
      b.putString(labels.name(i)).putString(labels.value(i));
    }
  }

  /** Samples {@code [0, n)} of the parallel arrays. */
  public static void encodeSamples(Buf b, int[] ids, long[] ts, long[] vs, int n) {
    b.putByte(SAMPLES).putUvarint(n);
    if (n == 0) {
      return;
    }
    b.putUvarint(ids[0]).putVarint(ts[0]).putLong(vs[0]);
    for (int i = 1; i < n; i++) {
      b.putVarint((long) ids[i] - ids[i - 1]).putVarint(ts[i] - ts[0]).putLong(vs[i]);
    }
  }

  /**
   * Decodes one record.
   *
   * @throws IllegalArgumentException when the record is malformed (its checksum was right, so this
   *     is a bug or a version mismatch)
   */
  public static void decode(byte[] payload, int len, Handler h) {
    Dec d = new Dec(payload, 0, len);
    int type = d.getByte();
    switch (type) {
      case SERIES -> {
        long n = d.getUvarint();
        for (long k = 0; k < n; k++) {
          int id = (int) d.getUvarint();
          int nl = (int) d.getUvarint();
          String[] nv = new String[nl * 2];
          for (int i = 0; i < nv.length; i++) {
            nv[i] = d.getString();
          }
          h.series(id, Labels.ofSortedUnsafe(nv));
        }
      }
      case SAMPLES -> {
        long n = d.getUvarint();
        if (n == 0) {
          return;
        }
        int id = (int) d.getUvarint();
        long t0 = d.getVarint();
        h.sample(id, t0, d.getLong());
        for (long k = 1; k < n; k++) {
          id += (int) d.getVarint();
          long t = t0 + d.getVarint();
          h.sample(id, t, d.getLong());
        }
      }
      case DELETES -> {
        long mint = d.getVarint();
        long maxt = d.getVarint();
        long n = d.getUvarint();
        for (long k = 0; k < n; k++) {
          h.delete((int) d.getUvarint(), mint, maxt);
        }
      }
      case HISTOGRAMS -> {
        long n = d.getUvarint();
        for (long k = 0; k < n; k++) {
          int id = (int) d.getUvarint();
          long t = d.getVarint();
          h.histogram(id, t, decodeHistogram(d));
        }
      }
      default -> throw new IllegalArgumentException("unknown WAL record type " + type);
    }
  }
}
