package dev.osprey.tsdb.http;

/**
 * remote_write's shortcut to known series: the 128-bit hash of a series' label bytes as they arrive
 * ({@link RemoteWriteReader#labelsHash()}, {@link RemoteWriteReader#labelsHash2()}) to its head
 * reference and the low 32 bits of the series' {@link dev.osprey.core.labels.Labels#hash()}.
 *
 * <p>Entries are only put after the slow path decoded these very bytes into labels and found the
 * series, so the labels are never compared on a hit: two label byte strings share a 128-bit hash
 * with a probability of about 2^-128 (a 64-bit hash, as before, had to be confirmed by comparing
 * every label string of the series, a quarter of the handler's time in its profile). The caller
 * still confirms a hit cheaply: the reference must name a live series whose labels hash matches the
 * one stored, so an entry for a series removed since, or a wrong entry, costs one slow lookup,
 * never a wrong series. About 32-64 bytes per series (three primitive arrays at most three quarters
 * full, striped locks: at most half full cost 48-96 bytes, 78 per series at 10k series,
 * bench/RESULTS.md "tsdb memory attribution"); a stripe is cleared when it holds far more entries
 * than the head has series (series churn leaves stale ones behind).
 */
final class SeriesRefCache {
  private static final int STRIPES = 64;
  private final Stripe[] stripes = new Stripe[STRIPES];

  SeriesRefCache() {
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Stripe();
    }
  }

  private static final class Stripe {
    long[] keys = new long[16];
    long[] keys2 = new long[16];
    long[] vals = new long[16]; // ref << 32 | low 32 bits of the series' labels hash; 0: empty
    int size;
  }

  /**
   * The entry stored for the 128-bit hash {@code (hash, hash2)}, or 0: the reference in the high 32
   * bits ({@link #ref}), the low 32 bits of the series' labels hash in the low 32 ({@link
   * #confirms}).
   */
  long get(long hash, long hash2) {
    Stripe s = stripes[(int) hash & (STRIPES - 1)];
    synchronized (s) {
      int mask = s.keys.length - 1;
      for (int i = (int) (hash >>> 6) & mask; ; i = (i + 1) & mask) {
        long v = s.vals[i];
        if (v == 0) {
          return 0;
        }
        if (s.keys[i] == hash) {
          return s.keys2[i] == hash2 ? v : 0;
        }
      }
    }
  }

  /** The series reference of an entry {@link #get} returned. */
  static int ref(long entry) {
    return (int) (entry >>> 32);
  }

  /** Whether an entry was stored for a series with this labels hash. */
  static boolean confirms(long entry, long labelsHash) {
    return (int) entry == (int) labelsHash;
  }

  /**
   * Remembers {@code ref} and the series' {@code labelsHash} for the 128-bit hash {@code (hash,
   * hash2)}; {@code liveSeries} is the head's series count (a stripe holding more than twice its
   * share plus some slack is cleared).
   */
  void put(long hash, long hash2, long ref, long labelsHash, int liveSeries) {
    if (ref <= 0 || ref > Integer.MAX_VALUE) {
      return;
    }
    Stripe s = stripes[(int) hash & (STRIPES - 1)];
    synchronized (s) {
      if (s.size > 2 * (liveSeries / STRIPES) + 1024) {
        s.keys = new long[16];
        s.keys2 = new long[16];
        s.vals = new long[16];
        s.size = 0;
      }
      if ((s.size + 1) * 4 > s.keys.length * 3) {
        grow(s);
      }
      insert(s, hash, hash2, ref << 32 | (labelsHash & 0xFFFF_FFFFL));
    }
  }

  private static void insert(Stripe s, long hash, long hash2, long v) {
    int mask = s.keys.length - 1;
    for (int i = (int) (hash >>> 6) & mask; ; i = (i + 1) & mask) {
      if (s.vals[i] == 0) {
        s.keys[i] = hash;
        s.keys2[i] = hash2;
        s.vals[i] = v;
        s.size++;
        return;
      }
      if (s.keys[i] == hash) {
        // the same first half: the newer entry wins (a 64-bit collision evicts, never misleads)
        s.keys2[i] = hash2;
        s.vals[i] = v;
        return;
      }
    }
  }

  private static void grow(Stripe s) {
    long[] ok = s.keys;
    long[] ok2 = s.keys2;
    long[] ov = s.vals;
    s.keys = new long[ok.length * 2];
    s.keys2 = new long[ok.length * 2];
    s.vals = new long[ok.length * 2];
    s.size = 0;
    for (int i = 0; i < ok.length; i++) {
      if (ov[i] != 0) {
        insert(s, ok[i], ok2[i], ov[i]);
      }
    }
  }

  /** Entries held (for tests). */
  int size() {
    int n = 0;
    for (Stripe s : stripes) {
      synchronized (s) {
        n += s.size;
      }
    }
    return n;
  }
}
