package dev.osprey.tsdb.wal;

import dev.osprey.core.labels.Labels;

/** Encodes and decodes the WAL's record types (layout in {@code docs/format/wal.md}). */
public final class WalRecords {
  public static final int SERIES = 1;
  public static final int SAMPLES = 2;
  public static final int DELETES = 3;

  private WalRecords() {}

  /** Receives decoded records. */
  public interface Handler {
    void series(int id, Labels labels);

    void sample(int id, long t, long vBits);

    /** Samples of series {@code id} in {@code [mint, maxt]} were deleted. */
    void delete(int id, long mint, long maxt);
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
      default -> throw new IllegalArgumentException("unknown WAL record type " + type);
    }
  }
}
