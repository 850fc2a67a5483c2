package dev.osprey.logs.shipper;

/** A strict, allocation-free RFC 3339 timestamp parser (nanosecond precision). */
final class Rfc3339 {
  private Rfc3339() {}

  /**
   * Parses {@code YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)} from ASCII bytes.
   *
   * @return nanoseconds since the epoch, or {@link Long#MIN_VALUE} when malformed
   */
  static long parseNanos(byte[] b, int off, int len) {
    if (len < 20) {
      return Long.MIN_VALUE;
    }
    int end = off + len;
    int year = digits(b, off, 4);
    int month = digits(b, off + 5, 2);
    int day = digits(b, off + 8, 2);
    int hour = digits(b, off + 11, 2);
    int min = digits(b, off + 14, 2);
    int sec = digits(b, off + 17, 2);
    if (year < 0
        || month < 1
        || month > 12
        || day < 1
        || day > 31
        || hour < 0
        || hour > 23
        || min < 0
        || min > 59
        || sec < 0
        || sec > 60
        || b[off + 4] != '-'
        || b[off + 7] != '-'
        || (b[off + 10] != 'T' && b[off + 10] != 't')
        || b[off + 13] != ':'
        || b[off + 16] != ':') {
      return Long.MIN_VALUE;
    }
    int i = off + 19;
    long nanos = 0;
    if (i < end && b[i] == '.') {
      i++;
      int digits = 0;
      while (i < end && b[i] >= '0' && b[i] <= '9') {
        if (digits < 9) {
          nanos = nanos * 10 + (b[i] - '0');
        }
        digits++;
        i++;
      }
      if (digits == 0) {
        return Long.MIN_VALUE;
      }
      for (int d = digits; d < 9; d++) {
        nanos *= 10;
      }
    }
    if (i >= end) {
      return Long.MIN_VALUE;
    }
    int offsetSeconds;
    if (b[i] == 'Z' || b[i] == 'z') {
      offsetSeconds = 0;
      i++;
    } else if (b[i] == '+' || b[i] == '-') {
      if (end - i < 6 || b[i + 3] != ':') {
        return Long.MIN_VALUE;
      }
      int oh = digits(b, i + 1, 2);
      int om = digits(b, i + 4, 2);
      if (oh < 0 || oh > 23 || om < 0 || om > 59) {
        return Long.MIN_VALUE;
      }
      offsetSeconds = (oh * 3600 + om * 60) * (b[i] == '-' ? -1 : 1);
      i += 6;
    } else {
      return Long.MIN_VALUE;
    }
    if (i != end) {
      return Long.MIN_VALUE;
    }
    if (day > daysInMonth(year, month)) {
      return Long.MIN_VALUE;
    }
    long epochDay = epochDay(year, month, day);
    long seconds = epochDay * 86400 + hour * 3600L + min * 60L + sec - offsetSeconds;
    if (seconds > Long.MAX_VALUE / 1_000_000_000L - 1
        || seconds < Long.MIN_VALUE / 1_000_000_000L + 1) {
      return Long.MIN_VALUE;
    }
    return seconds * 1_000_000_000L + nanos;
  }

  /** Also accepts a String (Docker's "time" field). */
  static long parseNanos(String s) {
    byte[] b = new byte[s.length()];
    for (int i = 0; i < b.length; i++) {
      char c = s.charAt(i);
      if (c > 127) {
        return Long.MIN_VALUE;
      }
      b[i] = (byte) c;
    }
    return parseNanos(b, 0, b.length);
  }

  private static int daysInMonth(int year, int month) {
    return switch (month) {
      case 2 -> (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
      case 4, 6, 9, 11 -> 30;
      default -> 31;
    };
  }

  /**
   * Days since 1970-01-01 of a valid proleptic Gregorian date, without allocating (the per-line
   * {@code LocalDate} cost on the agent's C1-only JVM): the civil-from-days inverse of H. Hinnant's
   * {@code days_from_civil}.
   */
  static long epochDay(int year, int month, int day) {
    int y = month <= 2 ? year - 1 : year;
    int era = Math.floorDiv(y, 400);
    int yoe = y - era * 400;
    int mp = (month + 9) % 12;
    int doy = (153 * mp + 2) / 5 + day - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097L + doe - 719468;
  }

  private static int digits(byte[] b, int off, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) {
      int d = b[off + i] - '0';
      if (d < 0 || d > 9) {
        return -1;
      }
      v = v * 10 + d;
    }
    return v;
  }
}
