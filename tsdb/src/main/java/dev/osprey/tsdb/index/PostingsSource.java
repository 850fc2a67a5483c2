package dev.osprey.tsdb.index;

import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Utf8Order;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.roaringbitmap.RoaringBitmap;

/**
 * An inverted index as the matcher algorithm sees it: the sorted values of a label, the series of
 * one label pair, all series. The head's {@link MemPostings} and a block's index implement it.
 */
public interface PostingsSource {
  /** Sorted values of label {@code name}; empty when no series has it. */
  List<String> values(String name);

  /**
   * The sorted values of label {@code name} that start with {@code prefix}: a range of {@link
   * #values}, found by binary search (UTF-8 order keeps the values sharing a prefix together).
   */
  default List<String> values(String name, String prefix) {
    List<String> all = values(name);
    int from = Collections.binarySearch(all, prefix, Utf8Order::compare);
    if (from < 0) {
      from = -from - 1;
    }
    int to = from;
    while (to < all.size() && all.get(to).startsWith(prefix)) {
      to++;
    }
    return all.subList(from, to);
  }

  /** Series with {@code name="value"}, or null. Callers must not modify it. */
  RoaringBitmap postings(String name, String value);

  /** Every series. Callers must not modify it. */
  RoaringBitmap all();

  /**
   * The series matching every matcher, with Prometheus's semantics: a matcher that matches the
   * empty string also matches series without the label; regexes are resolved against the label's
   * values (literal alternatives are looked up directly), never per series. When every matcher
   * matches the empty string, the candidates are all series.
   */
  static RoaringBitmap select(PostingsSource src, LabelMatcher... matchers) {
    RoaringBitmap result = null;
    List<LabelMatcher> subtract = new ArrayList<>();
    for (LabelMatcher m : matchers) {
      RoaringBitmap p;
      if (m.isMatchAll()) {
        if (m.type() != LabelMatcher.Type.NOT_EQUAL) {
          continue; // =~".*" matches every series
        }
        p = union(src, m.name(), null); // l!="": the label must be present
      } else if (m.matchesEmpty()) {
        subtract.add(m);
        continue;
      } else {
        p = matching(src, m);
      }
      result = result == null ? p : RoaringBitmap.and(result, p);
      if (result.isEmpty()) {
        return result;
      }
    }
    if (result == null) {
      result = src.all().clone();
    }
    for (LabelMatcher m : subtract) {
      // drop the series with a non-empty value the matcher rejects
      if (m.type() == LabelMatcher.Type.NOT_EQUAL) {
        RoaringBitmap b = src.postings(m.name(), m.value());
        if (b != null) {
          result.andNot(b);
        }
        continue;
      }
      for (String v : src.values(m.name())) {
        if (!m.matches(v)) {
          RoaringBitmap b = src.postings(m.name(), v);
          if (b != null) {
            result.andNot(b);
          }
        }
      }
    }
    return result;
  }

  /** Series whose label has a non-empty value the matcher accepts (a new bitmap). */
  private static RoaringBitmap matching(PostingsSource src, LabelMatcher m) {
    if (m.type() == LabelMatcher.Type.EQUAL) {
      RoaringBitmap b = src.postings(m.name(), m.value());
      return b == null ? new RoaringBitmap() : b.clone();
    }
    List<String> set = m.setMatches();
    if (set != null) {
      List<RoaringBitmap> parts = new ArrayList<>(set.size());
      for (String v : set) {
        RoaringBitmap b = v.isEmpty() ? null : src.postings(m.name(), v);
        if (b != null) {
          parts.add(b);
        }
      }
      return RoaringBitmap.or(parts.iterator());
    }
    return union(src, m.name(), m);
  }

  private static RoaringBitmap union(PostingsSource src, String name, LabelMatcher filter) {
    List<RoaringBitmap> parts = new ArrayList<>();
    String prefix =
        filter != null && filter.type() == LabelMatcher.Type.REGEX ? filter.literalPrefix() : null;
    for (String v : prefix != null ? src.values(name, prefix) : src.values(name)) {
      if (filter == null || filter.matches(v)) {
        RoaringBitmap b = src.postings(name, v);
        if (b != null) {
          parts.add(b);
        }
      }
    }
    return RoaringBitmap.or(parts.iterator());
  }
}
