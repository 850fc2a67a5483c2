package dev.osprey.tsdb.index;

import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.labels.Utf8Order;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.roaringbitmap.RoaringBitmap;

/**
 * The head's inverted index: for every label pair the set of series ids carrying it, as a
 * RoaringBitmap, plus the set of all ids. Thread-safe: writers (new or removed series) take a write
 * lock, queries a read lock and get bitmaps of their own.
 */
public final class MemPostings {
  private final TreeMap<String, TreeMap<String, RoaringBitmap>> byName =
      new TreeMap<>(Utf8Order::compare);
  private final RoaringBitmap all = new RoaringBitmap();
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

  public void add(int id, Labels labels) {
    lock.writeLock().lock();
    try {
      for (int i = 0; i < labels.size(); i++) {
        byName
            .computeIfAbsent(labels.name(i), k -> new TreeMap<>(Utf8Order::compare))
            .computeIfAbsent(labels.value(i), k -> new RoaringBitmap())
            .add(id);
      }
      all.add(id);
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Removes series; the label pairs left without series disappear. */
  public void remove(RoaringBitmap ids, List<Labels> labelsOfIds) {
    lock.writeLock().lock();
    try {
      for (Labels labels : labelsOfIds) {
        for (int i = 0; i < labels.size(); i++) {
          TreeMap<String, RoaringBitmap> values = byName.get(labels.name(i));
          if (values == null) {
            continue;
          }
          RoaringBitmap b = values.get(labels.value(i));
          if (b != null) {
            b.andNot(ids);
            if (b.isEmpty()) {
              values.remove(labels.value(i));
              if (values.isEmpty()) {
                byName.remove(labels.name(i));
              }
            }
          }
        }
      }
      all.andNot(ids);
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** A copy of the ids of all series. */
  public RoaringBitmap all() {
    lock.readLock().lock();
    try {
      return all.clone();
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Sorted label names. */
  public List<String> labelNames() {
    lock.readLock().lock();
    try {
      return new ArrayList<>(byName.keySet());
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Sorted values of a label. */
  public List<String> labelValues(String name) {
    lock.readLock().lock();
    try {
      Map<String, RoaringBitmap> values = byName.get(name);
      return values == null ? List.of() : new ArrayList<>(values.keySet());
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The ids of series matching every matcher; see {@link PostingsSource#select}. */
  public RoaringBitmap select(LabelMatcher... matchers) {
    lock.readLock().lock();
    try {
      return PostingsSource.select(view, matchers);
    } finally {
      lock.readLock().unlock();
    }
  }

  // read under the caller's read lock
  private final PostingsSource view =
      new PostingsSource() {
        @Override
        public List<String> values(String name) {
          Map<String, RoaringBitmap> values = byName.get(name);
          return values == null ? List.of() : new ArrayList<>(values.keySet());
        }

        /** Only the values with the prefix, from the tree: no copy of all the label's values. */
        @Override
        public List<String> values(String name, String prefix) {
          TreeMap<String, RoaringBitmap> values = byName.get(name);
          if (values == null) {
            return List.of();
          }
          List<String> out = new ArrayList<>();
          for (String v : values.tailMap(prefix, true).keySet()) {
            if (!v.startsWith(prefix)) {
              break;
            }
            out.add(v);
          }
          return out;
        }

        @Override
        public RoaringBitmap postings(String name, String value) {
          Map<String, RoaringBitmap> values = byName.get(name);
          return values == null ? null : values.get(value);
        }

        @Override
        public RoaringBitmap all() {
          return all;
        }
      };
}
