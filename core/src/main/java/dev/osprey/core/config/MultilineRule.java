package dev.osprey.core.config;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One entry of {@code agent.multiline}: which container logs are joined into multi-line records
 * (stack traces) and how. Checked here, where the loader can still name the file and line; the log
 * shipper turns it into its own rule.
 *
 * @param namespaces regexes (full match) on the namespace; empty: any
 * @param pods as {@code namespaces}, on the pod name
 * @param containers as {@code namespaces}, on the container name
 * @param preset {@code java}, {@code python} or {@code go}, or null
 * @param start regex (found anywhere in the line) of a record's first line, or null; exactly one of
 *     preset and start
 * @param maxLines most lines in one record (default 500)
 * @param maxBytes most UTF-8 bytes in one record (default 256 KiB)
 * @param flushTimeout a record whose last line is this old is shipped (default 1 s)
 */
public record MultilineRule(
    List<String> namespaces,
    List<String> pods,
    List<String> containers,
    String preset,
    String start,
    Integer maxLines,
    Integer maxBytes,
    Duration flushTimeout) {
  public static final Set<String> PRESETS = Set.of("java", "python", "go");

  public MultilineRule {
    namespaces = namespaces != null ? List.copyOf(namespaces) : List.of();
    pods = pods != null ? List.copyOf(pods) : List.of();
    containers = containers != null ? List.copyOf(containers) : List.of();
    maxLines = maxLines != null ? maxLines : 500;
    maxBytes = maxBytes != null ? maxBytes : 256 << 10;
    flushTimeout = flushTimeout != null ? flushTimeout : Duration.ofSeconds(1);
    if ((preset == null) == (start == null)) {
      throw new IllegalArgumentException("give exactly one of preset and start");
    }
    if (preset != null && !PRESETS.contains(preset)) {
      throw new IllegalArgumentException(
          "preset: unknown preset \"" + preset + "\" (java, python, go)");
    }
    if (maxLines <= 0 || maxBytes <= 0) {
      throw new IllegalArgumentException("max_lines and max_bytes must be positive");
    }
    if (flushTimeout.isNegative() || flushTimeout.isZero()) {
      throw new IllegalArgumentException("flush_timeout: must be positive, got " + flushTimeout);
    }
    check("start", start);
    namespaces.forEach(r -> check("namespaces", r));
    pods.forEach(r -> check("pods", r));
    containers.forEach(r -> check("containers", r));
  }

  private static void check(String field, String regex) {
    if (regex == null) {
      return;
    }
    try {
      Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          field + ": invalid regex \"" + regex + "\": " + e.getDescription());
    }
  }
}
