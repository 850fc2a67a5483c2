package dev.osprey.tsdb.head;

import dev.osprey.core.labels.Labels;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Finds a series by label set: keyed by {@link Labels#hash()}, with the labels compared on every
 * hit so that two label sets with the same 64-bit hash stay two series (collisions chain through
 * {@link MemSeries#nextSameHash}). Open addressing on primitive longs, striped locks.
 */
final class SeriesMap {
  private static final int STRIPES = 64;
  private final Stripe[] stripes = new Stripe[STRIPES];
  private final ToLongFunction<Labels> hasher;

  SeriesMap() {
    this(Labels::hash);
  }

  /** With another hash function: tests force collisions with it. */
  SeriesMap(ToLongFunction<Labels> hasher) {
    this.hasher = hasher;
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Stripe();
    }
  }

  private static final class Stripe {
    long[] keys = new long[64];
    MemSeries[] vals = new MemSeries[64];
    int size;

    MemSeries get(long h) {
      int mask = keys.length - 1;
      for (int i = (int) (h >>> 6) & mask; ; i = (i + 1) & mask) {
        MemSeries s = vals[i];
        if (s == null) {
          return null;
        }
        if (keys[i] == h) {
          return s;
        }
      }
    }

    void put(long h, MemSeries s) {
      // at most three quarters full: a hit probes about 2.5 slots; half full cost a third more
      // memory per series (bench/RESULTS.md "tsdb memory attribution")
      if ((size + 1) * 4 > keys.length * 3) {
        grow();
      }
      int mask = keys.length - 1;
      for (int i = (int) (h >>> 6) & mask; ; i = (i + 1) & mask) {
        if (vals[i] == null) {
          keys[i] = h;
          vals[i] = s;
          size++;
          return;
        }
        if (keys[i] == h) {
          vals[i] = s;
          return;
        }
      }
    }

    void remove(long h) {
      int mask = keys.length - 1;
      int i = (int) (h >>> 6) & mask;
      while (vals[i] != null && keys[i] != h) {
        i = (i + 1) & mask;
      }
      if (vals[i] == null) {
        return;
      }
      vals[i] = null;
      size--;
      // re-insert the rest of the cluster (linear probing deletion)
      for (int j = (i + 1) & mask; vals[j] != null; j = (j + 1) & mask) {
        long k = keys[j];
        MemSeries v = vals[j];
        vals[j] = null;
        size--;
        put(k, v);
      }
    }

    private void grow() {
      long[] ok = keys;
      MemSeries[] ov = vals;
      keys = new long[ok.length * 2];
      vals = new MemSeries[ok.length * 2];
      size = 0;
      for (int i = 0; i < ok.length; i++) {
        if (ov[i] != null) {
          put(ok[i], ov[i]);
        }
      }
    }
  }

  /** Removes exactly this series object (found by its labels). */
  void remove(MemSeries target) {
    long h = hasher.applyAsLong(target.labels);
    Stripe st = stripes[(int) (h & (STRIPES - 1))];
    synchronized (st) {
      MemSeries head = st.get(h);
      if (head == target) {
        st.remove(h);
        if (target.nextSameHash != null) {
          st.put(h, target.nextSameHash);
        }
        return;
      }
      for (MemSeries s = head; s != null; s = s.nextSameHash) {
        if (s.nextSameHash == target) {
          s.nextSameHash = target.nextSameHash;
          return;
        }
      }
    }
  }

  MemSeries get(Labels labels) {
    long h = hasher.applyAsLong(labels);
    Stripe st = stripes[(int) (h & (STRIPES - 1))];
    synchronized (st) {
      for (MemSeries s = st.get(h); s != null; s = s.nextSameHash) {
        if (!s.dead && s.labels.equals(labels)) {
          return s;
        }
      }
      return null;
    }
  }

  /** The series for {@code labels}, created by {@code create} (under the stripe lock) if absent. */
  MemSeries getOrCreate(Labels labels, Function<Labels, MemSeries> create) {
    long h = hasher.applyAsLong(labels);
    Stripe st = stripes[(int) (h & (STRIPES - 1))];
    synchronized (st) {
      MemSeries head = st.get(h);
      for (MemSeries s = head; s != null; s = s.nextSameHash) {
        if (!s.dead && s.labels.equals(labels)) {
          return s;
        }
      }
      MemSeries s = create.apply(labels);
      s.nextSameHash = head;
      st.put(h, s);
      return s;
    }
  }
}
