package dev.osprey.core.labels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * An immutable label set, sorted by name in Prometheus's byte-wise (UTF-8) order. Names and values
 * are stored alternately in one array; the 64-bit hash is computed once.
 *
 * <p>Labels with an empty value are not stored: in Prometheus {@code x=""} is the same as no label
 * {@code x}.
 */
public final class Labels implements Comparable<Labels> {
  public static final String METRIC_NAME = "__name__";
  public static final Labels EMPTY = new Labels(new String[0]);

  private final String[] nv;
  private long hash; // 0 until computed (a label set hashing to 0 recomputes: correct, rare)

  private Labels(String[] nv) {
    this.nv = nv;
  }

  /** Builds from alternating name, value pairs in any order. Later duplicates win. */
  public static Labels of(String... nameValues) {
    if (nameValues.length % 2 != 0) {
      throw new IllegalArgumentException("cannot build labels: odd number of name/value strings");
    }
    Builder b = builder();
    for (int i = 0; i < nameValues.length; i += 2) {
      b.set(nameValues[i], nameValues[i + 1]);
    }
    return b.build();
  }

  public static Labels fromMap(Map<String, String> map) {
    Builder b = builder();
    map.forEach(b::set);
    return b.build();
  }

  /**
   * Wraps an array of alternating names and values that the caller guarantees is sorted by name,
   * free of duplicates and empty values. For decoders on hot paths; no copy is made.
   */
  public static Labels ofSortedUnsafe(String[] nameValues) {
    return new Labels(nameValues);
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    for (int i = 0; i < nv.length; i += 2) {
      b.set(nv[i], nv[i + 1]);
    }
    return b;
  }

  public int size() {
    return nv.length / 2;
  }

  public boolean isEmpty() {
    return nv.length == 0;
  }

  public String name(int i) {
    return nv[2 * i];
  }

  public String value(int i) {
    return nv[2 * i + 1];
  }

  /** The value of label {@code name}, or {@code ""} when absent (as Prometheus's Labels.Get). */
  public String get(String name) {
    for (int i = 0; i < nv.length; i += 2) {
      if (nv[i].equals(name)) {
        return nv[i + 1];
      }
    }
    return "";
  }

  public boolean has(String name) {
    for (int i = 0; i < nv.length; i += 2) {
      if (nv[i].equals(name)) {
        return true;
      }
    }
    return false;
  }

  /** The metric name, or {@code ""}. */
  public String metricName() {
    return get(METRIC_NAME);
  }

  public Labels withoutMetricName() {
    return has(METRIC_NAME) ? toBuilder().del(METRIC_NAME).build() : this;
  }

  public void forEach(BiConsumer<String, String> consumer) {
    for (int i = 0; i < nv.length; i += 2) {
      consumer.accept(nv[i], nv[i + 1]);
    }
  }

  public List<String> names() {
    List<String> out = new ArrayList<>(size());
    for (int i = 0; i < nv.length; i += 2) {
      out.add(nv[i]);
    }
    return out;
  }

  /** Keeps only the named labels ({@code by} grouping). */
  public Labels keep(java.util.Collection<String> names) {
    // The kept pairs stay sorted, so they are copied into an exact array, no builder: this runs
    // once per series and step in by(...) aggregations. Empty values are dropped, as a builder
    // does.
    int k = 0;
    for (int i = 0; i < nv.length; i += 2) {
      if (names.contains(nv[i]) && !nv[i + 1].isEmpty()) {
        k++;
      }
    }
    if (k == 0) {
      return EMPTY;
    }
    String[] kept = new String[2 * k];
    for (int i = 0, j = 0; j < kept.length; i += 2) {
      if (names.contains(nv[i]) && !nv[i + 1].isEmpty()) {
        kept[j++] = nv[i];
        kept[j++] = nv[i + 1];
      }
    }
    return new Labels(kept);
  }

  /** Drops the named labels ({@code without} grouping). */
  public Labels drop(java.util.Collection<String> names) {
    Builder b = builder();
    for (int i = 0; i < nv.length; i += 2) {
      if (!names.contains(nv[i])) {
        b.set(nv[i], nv[i + 1]);
      }
    }
    return b.build();
  }

  /** A 64-bit hash of names and values, stable across runs (it may be persisted). */
  public long hash() {
    long h = hash;
    if (h == 0) {
      h = hashOf(nv);
      hash = h; // one field: no reader sees a flag set before the hash (8 bytes less per series)
    }
    return h;
  }

  static long hashOf(String[] nv) {
    long h = 0x9E3779B97F4A7C15L;
    for (String s : nv) {
      for (int i = 0, n = s.length(); i < n; i++) {
        h = (h ^ s.charAt(i)) * 0x100000001B3L;
      }
      h = (h ^ 0xFF) * 0x100000001B3L; // separator, as Prometheus hashes name\xffvalue\xff
    }
    // murmur3 fmix64 so that low bits are usable for sharding
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Labels other)) {
      return false;
    }
    if (hash != 0 && other.hash != 0 && hash != other.hash) {
      return false;
    }
    return Arrays.equals(nv, other.nv);
  }

  @Override
  public int hashCode() {
    return (int) hash();
  }

  /** Prometheus's labels.Compare: pair by pair, names then values, then by length. */
  @Override
  public int compareTo(Labels o) {
    int n = Math.min(nv.length, o.nv.length);
    for (int i = 0; i < n; i++) {
      int c = Utf8Order.compare(nv[i], o.nv[i]);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(nv.length, o.nv.length);
  }

  /** Prometheus's String() form: {@code {a="1", b="2"}} with the name in front of the braces. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    String name = metricName();
    boolean first = true;
    if (!name.isEmpty() && isValidMetricName(name)) {
      sb.append(name);
    }
    sb.append('{');
    for (int i = 0; i < nv.length; i += 2) {
      if (nv[i].equals(METRIC_NAME) && isValidMetricName(name)) {
        continue;
      }
      if (!first) {
        sb.append(", ");
      }
      first = false;
      if (isValidLabelName(nv[i])) {
        sb.append(nv[i]);
      } else {
        sb.append(quote(nv[i]));
      }
      sb.append('=').append(quote(nv[i + 1]));
    }
    return sb.append('}').toString();
  }

  /** Prometheus's legacy metric name syntax: {@code [a-zA-Z_:][a-zA-Z0-9_:]*}. */
  public static boolean isValidMetricName(String s) {
    return isValidName(s, true);
  }

  /** Prometheus's legacy label name syntax: {@code [a-zA-Z_][a-zA-Z0-9_]*}. */
  public static boolean isValidLabelName(String s) {
    return isValidName(s, false);
  }

  private static boolean isValidName(String s, boolean colon) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || c == '_'
              || (colon && c == ':')
              || (i > 0 && c >= '0' && c <= '9');
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** Go's strconv.Quote for the characters that occur in label values. */
  public static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        case '\r' -> sb.append("\\r");
        case 7 -> sb.append("\\a");
        case 8 -> sb.append("\\b");
        case 12 -> sb.append("\\f");
        case 11 -> sb.append("\\v");
        default -> {
          if (c >= 0xDC80
              && c <= 0xDCFF
              && !(i > 0 && Character.isHighSurrogate(s.charAt(i - 1)))) {
            // a lone low surrogate in this range stands for a raw invalid byte (PromQL's lexer)
            sb.append(String.format("\\x%02x", c - 0xDC00));
          } else if (c < 0x20 || c == 0x7f) {
            sb.append(String.format("\\x%02x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  /** Collects labels; {@link #build()} sorts them and drops empty values. Not thread-safe. */
  public static final class Builder {
    private String[] nv = new String[16];
    private int n; // number of strings used (2 per label)

    public Builder set(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      for (int i = 0; i < n; i += 2) {
        if (nv[i].equals(name)) {
          nv[i + 1] = value;
          return this;
        }
      }
      if (n + 2 > nv.length) {
        nv = Arrays.copyOf(nv, nv.length * 2);
      }
      nv[n++] = name;
      nv[n++] = value;
      return this;
    }

    public Builder del(String name) {
      for (int i = 0; i < n; i += 2) {
        if (nv[i].equals(name)) {
          System.arraycopy(nv, i + 2, nv, i, n - i - 2);
          n -= 2;
          return this;
        }
      }
      return this;
    }

    public String get(String name) {
      for (int i = 0; i < n; i += 2) {
        if (nv[i].equals(name)) {
          return nv[i + 1];
        }
      }
      return "";
    }

    public Builder reset() {
      n = 0;
      return this;
    }

    public Labels build() {
      int count = 0;
      for (int i = 0; i < n; i += 2) {
        if (!nv[i + 1].isEmpty()) {
          count++;
        }
      }
      if (count == 0) {
        return EMPTY;
      }
      Integer[] order = new Integer[count];
      for (int i = 0, k = 0; i < n; i += 2) {
        if (!nv[i + 1].isEmpty()) {
          order[k++] = i;
        }
      }
      Arrays.sort(order, (a, b) -> Utf8Order.compare(nv[a], nv[b]));
      String[] out = new String[count * 2];
      for (int k = 0; k < count; k++) {
        out[2 * k] = nv[order[k]];
        out[2 * k + 1] = nv[order[k] + 1];
      }
      return new Labels(out);
    }
  }
}
