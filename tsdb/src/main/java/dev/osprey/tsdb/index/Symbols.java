package dev.osprey.tsdb.index;

import dev.osprey.core.labels.Labels;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Interns label names and values, so that a million series with {@code job="node"} share one
 * string. Strings are never removed while the head lives; the set is rebuilt when the head is
 * truncated.
 */
public final class Symbols {
  private final ConcurrentHashMap<String, String> strings = new ConcurrentHashMap<>();

  public String intern(String s) {
    String prev = strings.putIfAbsent(s, s);
    return prev != null ? prev : s;
  }

  /** The same label set with interned strings. */
  public Labels intern(Labels labels) {
    String[] nv = new String[labels.size() * 2];
    for (int i = 0; i < labels.size(); i++) {
      nv[2 * i] = intern(labels.name(i));
      nv[2 * i + 1] = intern(labels.value(i));
    }
    return Labels.ofSortedUnsafe(nv);
  }

  public int size() {
    return strings.size();
  }
}
