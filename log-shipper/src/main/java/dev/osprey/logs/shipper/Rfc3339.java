package dev.osprey.logs.shipper;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** A strict, allocation-free RFC 3339 timestamp parser (nanosecond precision). */
final class Rfc3339 {
  private Rfc3339() {}

  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /**
   * The last minute a reader parsed ({@code YYYY-MM-DDTHH:MM}, the first 16 bytes, validated) and
   * its seconds since the epoch before the zone offset. Lines of one file share their minute but
   * for one line in thousands, so {@link #parseNanos(byte[], int, int, Minute)} parses the date and
   * the time of day once per minute instead of once per line. One per reading thread.
   */
  static final class Minute {
    private long head0;
    private long head1;
    private long seconds = Long.MIN_VALUE; // MIN_VALUE: nothing cached yet
  }

  /**
   * Parses {@code YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)} from ASCII bytes.
   *
   * @return nanoseconds since the epoch, or {@link Long#MIN_VALUE} when malformed
   */
  static long parseNanos(byte[] b, int off, int len) {
    if (len < 20) {
      return Long.MIN_VALUE;
    }
    return rest(b, off, len, minuteSeconds(b, off));
  }

  /**
   * As {@link #parseNanos(byte[], int, int)}, the same result for every input, with the minute of
   * the previous call on {@code cache} reused when the first 16 bytes are the same.
   */
  static long parseNanos(byte[] b, int off, int len, Minute cache) {
    if (len < 20) {
      return Long.MIN_VALUE;
    }
    long h0 = (long) LONG.get(b, off);
    long h1 = (long) LONG.get(b, off + 8);
    long minute;
    if (h0 == cache.head0 && h1 == cache.head1 && cache.seconds != Long.MIN_VALUE) {
      minute = cache.seconds;
    } else {
      minute = minuteSeconds(b, off);
      if (minute != Long.MIN_VALUE) {
        cache.head0 = h0;
        cache.head1 = h1;
        cache.seconds = minute;
      }
    }
    return rest(b, off, len, minute);
  }

  /**
   * Seconds since the epoch (zone offset not applied) of {@code YYYY-MM-DDTHH:MM} in {@code b[off,
   * off+16)}, or {@link Long#MIN_VALUE} when malformed or not a date.
   */
  private static long minuteSeconds(byte[] b, int off) {
    int year = digits(b, off, 4);
    int month = digits(b, off + 5, 2);
    int day = digits(b, off + 8, 2);
    int hour = digits(b, off + 11, 2);
    int min = digits(b, off + 14, 2);
    if (year < 0
        || month < 1
        || month > 12
        || day < 1
        || day > 31
        || hour < 0
        || hour > 23
        || min < 0
        || min > 59
        || b[off + 4] != '-'
        || b[off + 7] != '-'
        || (b[off + 10] != 'T' && b[off + 10] != 't')
        || b[off + 13] != ':'
        || day > daysInMonth(year, month)) {
      return Long.MIN_VALUE;
    }
    return epochDay(year, month, day) * 86400 + hour * 3600L + min * 60L;
  }

  /** The rest after the minute ({@code :SS[.fraction]zone}, from byte 16; {@code len >= 20}). */
  private static long rest(byte[] b, int off, int len, long minute) {
    if (minute == Long.MIN_VALUE) {
      return Long.MIN_VALUE;
    }
    int sec = digits(b, off + 17, 2);
    if (sec < 0 || sec > 60 || b[off + 16] != ':') {
      return Long.MIN_VALUE;
    }
    int end = off + len;
    int i = off + 19;
    long nanos = 0;
    if (i < end && b[i] == '.') {
      i++;
      int digits = 0;
      if (end - i >= 8) {
        // Eight digits in one step (kubelet writes nine): SWAR, as in Lemire's
        // parse_eight_digits_unrolled; anything else takes the loop below from the start.
        long v = (long) LONG.get(b, i);
        if ((v & 0xF0F0F0F0F0F0F0F0L) == 0x3030303030303030L
            && ((v + 0x0606060606060606L) & 0xF0F0F0F0F0F0F0F0L) == 0x3030303030303030L) {
          v = (v & 0x0F0F0F0F0F0F0F0FL) * 2561 >>> 8;
          v = (v & 0x00FF00FF00FF00FFL) * 6553601 >>> 16;
          nanos = (v & 0x0000FFFF0000FFFFL) * 42949672960001L >>> 32;
          digits = 8;
          i += 8;
        }
      }
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
    long seconds = minute + sec - offsetSeconds;
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
