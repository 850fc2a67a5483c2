package dev.osprey.logs.shipper;

import dev.osprey.core.config.MultilineRule;
import dev.osprey.core.labels.Labels;
import java.time.Duration;
import java.util.List;
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
  static final Set<String> PRESETS = MultilineRule.PRESETS;

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
    return new MultilineConfig(namespaces, pods, containers, preset, start, lines, bytes, timeout);
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

  /** The rule an {@code agent.multiline} entry of osprey.yaml describes (checked by the loader). */
  public static MultilineConfig of(MultilineRule r) {
    return new MultilineConfig(
        r.namespaces(),
        r.pods(),
        r.containers(),
        r.preset(),
        r.start(),
        r.maxLines(),
        r.maxBytes(),
        r.flushTimeout());
  }
}
