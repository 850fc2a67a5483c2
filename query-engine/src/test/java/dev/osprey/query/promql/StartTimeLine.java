package dev.osprey.query.promql;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import dev.osprey.core.labels.Labels;
import java.util.ArrayList;
import java.util.List;

/**
 * A start-timestamp line of a load block (shared/promql-tests/FORMAT.md 4.3): {@code <series>@st
 * <items>}, giving each slot of the following series line an offset from the sample's own timestamp
 * to its start time, or none ("unknown start time").
 */
record StartTimeLine(Labels labels, List<Long> offsets) {

  /** Whether a load-block line is a start-timestamp line (its first token ends in {@code @st}). */
  static boolean is(String line) {
    return line.strip().split("[ \t]+", 2)[0].endsWith("@st");
  }

  // D, then optionally +E or -E, then optionally xN; D and E are single-unit durations.
  private static final Pattern ITEM =
      Pattern.compile(
          "([+-]?(?:[0-9]+(?:ms|s|m|h|d|w|y)|0))(?:([+-])([0-9]+(?:ms|s|m|h|d|w|y)|0))?(?:x([0-9]+))?");
  private static final Pattern NONE = Pattern.compile("_(?:x([0-9]+))?");

  static StartTimeLine parse(String line) {
    String l = line.strip();
    int at = l.indexOf("@st");
    // the label set ends where the first whitespace-separated token ends, in "@st"
    String first = l.split("[ \t]+", 2)[0];
    if (!first.endsWith("@st") || at != first.length() - 3) {
      throw new IllegalArgumentException("not a start-timestamp line: " + line);
    }
    Labels labels = ScriptRunner.parseSeriesLine(l.substring(0, at)).labels();
    String rest = l.substring(at + 3).strip();
    List<Long> offsets = new ArrayList<>();
    if (!rest.isEmpty()) {
      for (String item : rest.split("[ \t]+")) {
        Matcher none = NONE.matcher(item);
        if (none.matches()) {
          int n = none.group(1) == null ? 1 : Integer.parseInt(none.group(1));
          if (n < 1) {
            throw new IllegalArgumentException("invalid start-timestamp item: " + item);
          }
          for (int i = 0; i < n; i++) {
            offsets.add(null);
          }
          continue;
        }
        Matcher m = ITEM.matcher(item);
        if (!m.matches()) {
          throw new IllegalArgumentException("invalid start-timestamp item: " + item);
        }
        long d = signedDuration(m.group(1));
        long e = m.group(3) == null ? 0 : durationMs(m.group(3));
        if (m.group(2) != null && m.group(4) == null) {
          throw new IllegalArgumentException("start-timestamp item with a step needs xN: " + item);
        }
        if (m.group(2) != null && m.group(2).equals("-")) {
          e = -e;
        }
        int n = m.group(4) == null ? 0 : Integer.parseInt(m.group(4));
        for (int i = 0; i <= n; i++) {
          offsets.add(d + i * e);
        }
      }
    }
    return new StartTimeLine(labels, offsets);
  }

  private static long signedDuration(String s) {
    if (s.startsWith("-")) {
      return -durationMs(s.substring(1));
    }
    return durationMs(s.startsWith("+") ? s.substring(1) : s);
  }

  private static long durationMs(String s) {
    return s.equals("0") ? 0 : ScriptRunner.parseDuration(s);
  }

  /**
   * Checks that this line belongs to {@code series} (the series line right after it) with {@code
   * slots} expanded values.
   */
  void checkFits(Labels series, int slots) {
    if (!labels.equals(series)) {
      throw new IllegalArgumentException(
          "start-timestamp line for " + labels + " is followed by the series line of " + series);
    }
    if (offsets.size() != slots) {
      throw new IllegalArgumentException(
          "start-timestamp line for "
              + labels
              + " has "
              + offsets.size()
              + " items, its series line "
              + slots);
    }
  }

  /** The start time of the sample at {@code t} in {@code slot}, or null when unknown. */
  Long startTime(int slot, long t) {
    Long off = offsets.get(slot);
    return off == null ? null : t + off;
  }
}
