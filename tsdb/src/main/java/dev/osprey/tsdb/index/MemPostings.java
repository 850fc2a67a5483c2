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

  /**
   * The ids of series matching every matcher, with Prometheus's semantics: a matcher that matches
   * the empty string also matches series without the label; regexes are resolved against the
   * label's values (literal alternatives are looked up directly), never per series.
   */
  public RoaringBitmap select(LabelMatcher... matchers) {
    lock.readLock().lock();
    try {
      RoaringBitmap result = null;
      List<LabelMatcher> subtract = new ArrayList<>();
      for (LabelMatcher m : matchers) {
        if (m.isMatchAll()) {
          if (m.type() == LabelMatcher.Type.NOT_EQUAL) {
            // l!="" : the label must be present
            RoaringBitmap p = union(m.name(), null);
            result = result == null ? p : RoaringBitmap.and(result, p);
          }
          continue;
        }
        if (m.matchesEmpty()) {
          subtract.add(m);
          continue;
        }
        RoaringBitmap p = matching(m);
        result = result == null ? p : RoaringBitmap.and(result, p);
        if (result.isEmpty()) {
          return result;
        }
      }
      if (result == null) {
        result = all.clone();
      }
      for (LabelMatcher m : subtract) {
        // series with a non-empty value the matcher rejects
        TreeMap<String, RoaringBitmap> values = byName.get(m.name());
        if (values == null) {
          continue;
        }
        if (m.type() == LabelMatcher.Type.NOT_EQUAL) {
          RoaringBitmap b = values.get(m.value());
          if (b != null) {
            result.andNot(b);
          }
          continue;
        }
        for (Map.Entry<String, RoaringBitmap> e : values.entrySet()) {
          if (!m.matches(e.getKey())) {
            result.andNot(e.getValue());
          }
        }
      }
      return result;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Series whose label has a non-empty value the matcher accepts. */
  private RoaringBitmap matching(LabelMatcher m) {
    TreeMap<String, RoaringBitmap> values = byName.get(m.name());
    if (values == null) {
      return new RoaringBitmap();
    }
    if (m.type() == LabelMatcher.Type.EQUAL) {
      RoaringBitmap b = values.get(m.value());
      return b == null ? new RoaringBitmap() : b.clone();
    }
    List<String> set = m.setMatches();
    if (set != null) {
      List<RoaringBitmap> parts = new ArrayList<>(set.size());
      for (String v : set) {
        RoaringBitmap b = values.get(v);
        if (b != null) {
          parts.add(b);
        }
      }
      return RoaringBitmap.or(parts.iterator());
    }
    return union(m.name(), m);
  }

  private RoaringBitmap union(String name, LabelMatcher filter) {
    TreeMap<String, RoaringBitmap> values = byName.get(name);
    if (values == null) {
      return new RoaringBitmap();
    }
    List<RoaringBitmap> parts = new ArrayList<>();
    for (Map.Entry<String, RoaringBitmap> e : values.entrySet()) {
      if (filter == null || filter.matches(e.getKey())) {
        parts.add(e.getValue());
      }
    }
    return RoaringBitmap.or(parts.iterator());
  }
}
