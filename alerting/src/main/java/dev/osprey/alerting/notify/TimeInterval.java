package dev.osprey.alerting.notify;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;

/**
 * One of Alertmanager's time intervals: times of day, weekdays, days of month (negative from the
 * end), months and years as inclusive ranges, in a location. An empty list matches everything.
 */
public record TimeInterval(
    List<int[]> times,
    List<int[]> weekdays,
    List<int[]> daysOfMonth,
    List<int[]> months,
    List<int[]> years,
    ZoneId location) {

  /** True when {@code t} falls inside this interval. */
  public boolean contains(Instant t) {
    ZonedDateTime z = t.atZone(location);
    if (!times.isEmpty()) {
      int minute = z.getHour() * 60 + z.getMinute();
      boolean in = false;
      for (int[] r : times) {
        if (minute >= r[0] && minute < r[1]) {
          in = true;
          break;
        }
      }
      if (!in) {
        return false;
      }
    }
    if (!weekdays.isEmpty() && !inRanges(weekdays, z.getDayOfWeek().getValue() % 7)) {
      return false;
    }
    if (!daysOfMonth.isEmpty()) {
      int len = z.toLocalDate().lengthOfMonth();
      boolean in = false;
      for (int[] r : daysOfMonth) {
        int a = r[0] < 0 ? len + r[0] + 1 : r[0];
        int b = r[1] < 0 ? len + r[1] + 1 : r[1];
        if (z.getDayOfMonth() >= a && z.getDayOfMonth() <= b) {
          in = true;
          break;
        }
      }
      if (!in) {
        return false;
      }
    }
    if (!months.isEmpty() && !inRanges(months, z.getMonthValue())) {
      return false;
    }
    return years.isEmpty() || inRanges(years, z.getYear());
  }

  private static boolean inRanges(List<int[]> rs, int v) {
    for (int[] r : rs) {
      if (v >= r[0] && v <= r[1]) {
        return true;
      }
    }
    return false;
  }

  /** Alertmanager's weekday numbering: sunday 0 ... saturday 6. */
  static int weekday(String name) {
    for (DayOfWeek d : DayOfWeek.values()) {
      if (d.name().equalsIgnoreCase(name)) {
        return d.getValue() % 7;
      }
    }
    throw new IllegalArgumentException("invalid weekday: " + name);
  }

  static int month(String name) {
    String[] ms = {
      "january",
      "february",
      "march",
      "april",
      "may",
      "june",
      "july",
      "august",
      "september",
      "october",
      "november",
      "december"
    };
    for (int i = 0; i < ms.length; i++) {
      if (ms[i].equalsIgnoreCase(name)) {
        return i + 1;
      }
    }
    int n = Integer.parseInt(name);
    if (n < 1 || n > 12) {
      throw new IllegalArgumentException("month " + n + " out of range");
    }
    return n;
  }
}
