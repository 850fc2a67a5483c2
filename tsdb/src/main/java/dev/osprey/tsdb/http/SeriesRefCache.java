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
 * never a wrong series. Lookups take no lock (optimistic reads of a stamped lock per stripe). About
 * 32-64 bytes per series (three primitive arrays at most three quarters full, striped locks: at
 * most half full cost 48-96 bytes, 78 per series at 10k series, bench/RESULTS.md "tsdb memory
 * attribution"); a stripe is cleared when it holds far more entries than the head has series
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

  /** One stripe's open-addressing table: three arrays of one length, replaced whole to grow. */
  private static final class Table {
    final long[] keys;
    final long[] keys2;
    final long[] vals; // ref << 32 | low 32 bits of the series' labels hash; 0: empty

    Table(int capacity) {
      keys = new long[capacity];
      keys2 = new long[capacity];
      vals = new long[capacity];
    }
  }

  /**
   * Readers do not lock: they read optimistically and check that no write came between (a
   * remote_write request looks up every one of its series; writes are rare once series are known).
   */
  private static final class Stripe {
    final java.util.concurrent.locks.StampedLock lock =
        new java.util.concurrent.locks.StampedLock();
    Table table = new Table(16);
    int size;
  }

  /**
   * The entry stored for the 128-bit hash {@code (hash, hash2)}, or 0: the reference in the high 32
   * bits ({@link #ref}), the low 32 bits of the series' labels hash in the low 32 ({@link
   * #confirms}).
   */
  long get(long hash, long hash2) {
    Stripe s = stripes[(int) hash & (STRIPES - 1)];
    long stamp = s.lock.tryOptimisticRead();
    if (stamp != 0) {
      long v = find(s.table, hash, hash2);
      if (s.lock.validate(stamp)) {
        return v;
      }
    }
    stamp = s.lock.readLock();
    try {
      return find(s.table, hash, hash2);
    } finally {
      s.lock.unlockRead(stamp);
    }
  }

  /**
   * Probes {@code t}; bounded by its length, so that a read racing a write ends (and its answer is
   * then thrown away by the caller's validation).
   */
  private static long find(Table t, long hash, long hash2) {
    long[] vals = t.vals;
    int mask = vals.length - 1;
    int i = (int) (hash >>> 6) & mask;
    for (int probes = 0; probes <= mask; probes++, i = (i + 1) & mask) {
      long v = vals[i];
      if (v == 0) {
        return 0;
      }
      if (t.keys[i] == hash) {
        return t.keys2[i] == hash2 ? v : 0;
      }
    }
    return 0;
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
    long stamp = s.lock.writeLock();
    try {
      if (s.size > 2 * (liveSeries / STRIPES) + 1024) {
        s.table = new Table(16);
        s.size = 0;
      }
      if ((s.size + 1) * 4 > s.table.vals.length * 3) {
        grow(s);
      }
      if (insert(s.table, hash, hash2, ref << 32 | (labelsHash & 0xFFFF_FFFFL))) {
        s.size++;
      }
    } finally {
      s.lock.unlockWrite(stamp);
    }
  }

  /** Puts an entry; true when it took an empty slot (not a replacement). */
  private static boolean insert(Table t, long hash, long hash2, long v) {
    int mask = t.vals.length - 1;
    for (int i = (int) (hash >>> 6) & mask; ; i = (i + 1) & mask) {
      if (t.vals[i] == 0) {
        t.keys[i] = hash;
        t.keys2[i] = hash2;
        t.vals[i] = v;
        return true;
      }
      if (t.keys[i] == hash) {
        // the same first half: the newer entry wins (a 64-bit collision evicts, never misleads)
        t.keys2[i] = hash2;
        t.vals[i] = v;
        return false;
      }
    }
  }

  /** Rehashes the stripe into a table twice as large, filled before it is published. */
  private static void grow(Stripe s) {
    Table old = s.table;
    Table t = new Table(old.vals.length * 2);
    for (int i = 0; i < old.vals.length; i++) {
      if (old.vals[i] != 0) {
        insert(t, old.keys[i], old.keys2[i], old.vals[i]);
      }
    }
    s.table = t;
  }

  /** Entries held (for tests). */
  int size() {
    int n = 0;
    for (Stripe s : stripes) {
      long stamp = s.lock.readLock();
      try {
        n += s.size;
      } finally {
        s.lock.unlockRead(stamp);
      }
    }
    return n;
  }
}
