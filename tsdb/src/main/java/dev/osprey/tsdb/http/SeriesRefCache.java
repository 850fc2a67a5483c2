package dev.osprey.tsdb.http;

/**
 * remote_write's shortcut to known series: the hash of a series' label bytes as they arrive ({@link
 * RemoteWriteReader#labelsHash()}) to its head reference. Only a hint: a hit is checked against the
 * series' labels before it is used, so a hash collision or a reference to a series removed since
 * costs one slow lookup, never a wrong series. About 24 bytes per series (two primitive arrays,
 * open addressing, striped locks); cleared when it holds far more entries than the head has series
 * (series churn leaves stale ones behind).
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
    int[] refs = new int[16];
    int size;
  }

  /** The reference stored for {@code hash}, or 0. */
  int get(long hash) {
    Stripe s = stripes[(int) hash & (STRIPES - 1)];
    synchronized (s) {
      int mask = s.keys.length - 1;
      for (int i = (int) (hash >>> 6) & mask; ; i = (i + 1) & mask) {
        int r = s.refs[i];
        if (r == 0 || s.keys[i] == hash) {
          return r;
        }
      }
    }
  }

  /**
   * Remembers {@code ref} for {@code hash}; {@code liveSeries} is the head's series count (a stripe
   * holding more than twice its share plus some slack is cleared).
   */
  void put(long hash, long ref, int liveSeries) {
    if (ref <= 0 || ref > Integer.MAX_VALUE) {
      return;
    }
    Stripe s = stripes[(int) hash & (STRIPES - 1)];
    synchronized (s) {
      if (s.size > 2 * (liveSeries / STRIPES) + 1024) {
        s.keys = new long[16];
        s.refs = new int[16];
        s.size = 0;
      }
      if ((s.size + 1) * 2 > s.keys.length) {
        grow(s);
      }
      insert(s, hash, (int) ref);
    }
  }

  private static void insert(Stripe s, long hash, int ref) {
    int mask = s.keys.length - 1;
    for (int i = (int) (hash >>> 6) & mask; ; i = (i + 1) & mask) {
      if (s.refs[i] == 0) {
        s.keys[i] = hash;
        s.refs[i] = ref;
        s.size++;
        return;
      }
      if (s.keys[i] == hash) {
        s.refs[i] = ref;
        return;
      }
    }
  }

  private static void grow(Stripe s) {
    long[] ok = s.keys;
    int[] or = s.refs;
    s.keys = new long[ok.length * 2];
    s.refs = new int[ok.length * 2];
    s.size = 0;
    for (int i = 0; i < ok.length; i++) {
      if (or[i] != 0) {
        insert(s, ok[i], or[i]);
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
