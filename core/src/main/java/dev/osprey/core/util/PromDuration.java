package dev.osprey.core.util;

/**
 * Prometheus durations: {@code 0}, or {@code <n><unit>} groups with units y, w, d, h, m, s, ms,
 * largest first, each at most once ({@code 1h30m}, {@code 5m}, {@code 250ms}).
 */
public final class PromDuration {
  private static final String[] UNITS = {"y", "w", "d", "h", "m", "s", "ms"};
  private static final long[] MILLIS = {
    365L * 24 * 3600_000, 7L * 24 * 3600_000, 24L * 3600_000, 3600_000L, 60_000L, 1000L, 1L
  };

  private PromDuration() {}

  /**
   * Parses to milliseconds.
   *
   * @throws IllegalArgumentException with Prometheus's wording, naming the input
   */
  public static long parseMillis(String s) {
    if (s == null || s.isEmpty()) {
      throw new IllegalArgumentException("empty duration string");
    }
    if (s.equals("0")) {
      return 0;
    }
    long total = 0;
    int i = 0;
    int lastUnit = -1;
    while (i < s.length()) {
      int start = i;
      while (i < s.length() && Character.isDigit(s.charAt(i))) {
        i++;
      }
      if (start == i) {
        throw invalid(s);
      }
      long n;
      try {
        n = Long.parseLong(s.substring(start, i));
      } catch (NumberFormatException e) {
        throw invalid(s);
      }
      int unit = -1;
      for (int u = 0; u < UNITS.length; u++) {
        if (s.startsWith(UNITS[u], i) && !(UNITS[u].equals("m") && s.startsWith("ms", i))) {
          unit = u;
          break;
        }
      }
      if (unit < 0 || unit <= lastUnit) {
        throw invalid(s);
      }
      i += UNITS[unit].length();
      lastUnit = unit;
      try {
        total = Math.addExact(total, Math.multiplyExact(n, MILLIS[unit]));
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException("duration out of range: \"" + s + "\"");
      }
    }
    return total;
  }

  /** Formats as Prometheus's model.Duration.String(): {@code 1h30m}, {@code 0s}. */
  public static String format(long ms) {
    if (ms == 0) {
      return "0s";
    }
    StringBuilder sb = new StringBuilder();
    if (ms < 0) {
      sb.append('-');
      ms = -ms;
    }
    for (int u = 0; u < UNITS.length; u++) {
      long n = ms / MILLIS[u];
      if (n > 0) {
        sb.append(n).append(UNITS[u]);
        ms -= n * MILLIS[u];
      }
    }
    return sb.toString();
  }

  private static IllegalArgumentException invalid(String s) {
    return new IllegalArgumentException("not a valid duration string: \"" + s + "\"");
  }
}
