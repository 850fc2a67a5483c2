package dev.osprey.logs.shipper;

import dev.osprey.core.labels.Labels;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Multi-line joining for the sources it selects: consecutive lines of one stream that belong to one
 * record (a stack trace) are shipped as one entry, lines joined with {@code \n}.
 *
 * <p>Either a {@code preset} ({@code java}, {@code python}, {@code go}) or a {@code start} regex: a
 * line in which {@code start} is found begins a record, any other line continues the open one (so
 * {@code ^\S} joins indented lines to the line above, {@code ^\d{4}-} joins everything up to the
 * next line that starts with a date).
 *
 * @param namespaces regexes (full match) on the namespace; empty: any
 * @param pods as {@code namespaces}, on the pod name
 * @param containers as {@code namespaces}, on the container name
 * @param preset {@code java}, {@code python} or {@code go}, or null
 * @param start regex of a record's first line, or null (exactly one of preset and start)
 * @param maxLines most lines in one record; the rest starts a new record (default 500)
 * @param maxBytes most UTF-8 bytes in one record (default 256 KiB)
 * @param flushTimeout a record whose last line is this old is shipped (default 1 s)
 */
public record MultilineConfig(
    List<String> namespaces,
    List<String> pods,
    List<String> containers,
    String preset,
    String start,
    int maxLines,
    int maxBytes,
    Duration flushTimeout) {
  static final Set<String> PRESETS = Set.of("java", "python", "go");
  private static final Set<String> KEYS =
      Set.of(
          "namespaces", "pods", "containers", "preset", "start", "max_lines", "max_bytes",
          "flush_timeout");

  public MultilineConfig {
    namespaces = namespaces != null ? List.copyOf(namespaces) : List.of();
    pods = pods != null ? List.copyOf(pods) : List.of();
    containers = containers != null ? List.copyOf(containers) : List.of();
    maxLines = maxLines > 0 ? maxLines : 500;
    maxBytes = maxBytes > 0 ? maxBytes : 256 << 10;
    flushTimeout = flushTimeout != null ? flushTimeout : Duration.ofSeconds(1);
    if ((preset == null) == (start == null)) {
      throw invalid("preset", "give exactly one of preset and start");
    }
    if (preset != null && !PRESETS.contains(preset)) {
      throw invalid("preset", "unknown preset \"" + preset + "\" (java, python, go)");
    }
    compile("start", start);
    namespaces.forEach(r -> compile("namespaces", r));
    pods.forEach(r -> compile("pods", r));
    containers.forEach(r -> compile("containers", r));
    if (flushTimeout.isNegative() || flushTimeout.isZero()) {
      throw invalid("flush_timeout", "must be positive, got " + flushTimeout);
    }
  }

  /** A preset for every source. */
  public static MultilineConfig preset(String preset) {
    return new MultilineConfig(null, null, null, preset, null, 0, 0, null);
  }

  /** A start regex for every source. */
  public static MultilineConfig start(String regex) {
    return new MultilineConfig(null, null, null, null, regex, 0, 0, null);
  }

  public MultilineConfig forContainers(String... regexes) {
    return new MultilineConfig(
        namespaces, pods, List.of(regexes), preset, start, maxLines, maxBytes, flushTimeout);
  }

  public MultilineConfig withLimits(int lines, int bytes, Duration timeout) {
    return new MultilineConfig(
        namespaces, pods, containers, preset, start, lines, bytes, timeout);
  }

  /** True when this rule applies to a file with these base labels. */
  boolean selects(Labels base) {
    return matches(namespaces, base.get("namespace"))
        && matches(pods, base.get("pod"))
        && matches(containers, base.get("container"));
  }

  private static boolean matches(List<String> regexes, String v) {
    if (regexes.isEmpty()) {
      return true;
    }
    return v != null && regexes.stream().anyMatch(r -> Pattern.matches(r, v));
  }

  private static Pattern compile(String field, String regex) {
    if (regex == null) {
      return null;
    }
    try {
      return Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw invalid(
          field,
          "invalid regex \""
              + regex
              + "\": "
              + e.getDescription()
              + (e.getIndex() >= 0 ? " at index " + e.getIndex() : ""));
    }
  }

  private static IllegalArgumentException invalid(String field, String why) {
    return new IllegalArgumentException(
        "cannot configure log shipper: multiline." + field + ": " + why);
  }

  /**
   * Rules from a parsed YAML list ({@code agent.logs.multiline}: a list of maps with the snake_case
   * keys of this record; {@code flush_timeout} as {@code 500ms}, {@code 2s}). Errors name the
   * entry and the key: {@code multiline[1].start: invalid regex ...}.
   */
  public static List<MultilineConfig> fromYaml(List<?> entries) {
    List<MultilineConfig> out = new ArrayList<>();
    if (entries == null) {
      return out;
    }
    for (int i = 0; i < entries.size(); i++) {
      String at = "multiline[" + i + "]";
      if (!(entries.get(i) instanceof Map<?, ?> m)) {
        throw new IllegalArgumentException(
            "cannot configure log shipper: " + at + ": expected a map");
      }
      for (Object k : m.keySet()) {
        if (!KEYS.contains(String.valueOf(k))) {
          throw new IllegalArgumentException(
              "cannot configure log shipper: " + at + "." + k + ": unknown key (known: " + KEYS + ")");
        }
      }
      try {
        out.add(
            new MultilineConfig(
                strings(m.get("namespaces")),
                strings(m.get("pods")),
                strings(m.get("containers")),
                string(m.get("preset")),
                string(m.get("start")),
                integer(m.get("max_lines"), "max_lines"),
                integer(m.get("max_bytes"), "max_bytes"),
                duration(m.get("flush_timeout"))));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            Objects.requireNonNull(e.getMessage()).replace("multiline.", at + "."), e);
      }
    }
    return out;
  }

  private static List<String> strings(Object o) {
    if (o == null) {
      return null;
    }
    if (o instanceof List<?> l) {
      return l.stream().map(String::valueOf).toList();
    }
    return List.of(String.valueOf(o));
  }

  private static String string(Object o) {
    return o == null ? null : String.valueOf(o);
  }

  private static int integer(Object o, String field) {
    if (o == null) {
      return 0;
    }
    try {
      return Integer.parseInt(String.valueOf(o));
    } catch (NumberFormatException e) {
      throw invalid(field, "expected a whole number, got \"" + o + "\"");
    }
  }

  private static Duration duration(Object o) {
    if (o == null) {
      return null;
    }
    String s = String.valueOf(o).trim();
    try {
      if (s.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
      }
      if (s.endsWith("s")) {
        return Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
      }
      if (s.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw invalid("flush_timeout", "expected a duration such as 500ms or 2s, got \"" + s + "\"");
  }
}
