package dev.osprey.logs.index;

import java.util.Arrays;

/** An open-addressing set of longs (no boxing); 0 is stored out of band. Not thread-safe. */
final class LongSet {
  private long[] table = new long[1024];
  private int size;
  private boolean hasZero;

  /** Adds {@code v}; returns false when it was already present. */
  boolean add(long v) {
    if (v == 0) {
      boolean was = hasZero;
      hasZero = true;
      return !was;
    }
    if ((size + 1) * 2 > table.length) {
      grow();
    }
    int mask = table.length - 1;
    int i = (int) mix(v) & mask;
    while (table[i] != 0) {
      if (table[i] == v) {
        return false;
      }
      i = (i + 1) & mask;
    }
    table[i] = v;
    size++;
    return true;
  }

  boolean contains(long v) {
    if (v == 0) {
      return hasZero;
    }
    int mask = table.length - 1;
    int i = (int) mix(v) & mask;
    while (table[i] != 0) {
      if (table[i] == v) {
        return true;
      }
      i = (i + 1) & mask;
    }
    return false;
  }

  int size() {
    return size + (hasZero ? 1 : 0);
  }

  private void grow() {
    long[] old = table;
    table = new long[old.length * 2];
    size = 0;
    for (long v : old) {
      if (v != 0) {
        add(v);
      }
    }
  }

  private static long mix(long v) {
    v ^= v >>> 33;
    v *= 0xff51afd7ed558ccdL;
    v ^= v >>> 33;
    return v;
  }

  void clear() {
    Arrays.fill(table, 0);
    size = 0;
    hasZero = false;
  }
}
