package dev.osprey.alerting.internal;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Go's time.Time JSON form (RFC 3339 with trailing zeros of the fraction cut) and back. */
public final class GoTime {
  public static final Instant ZERO = Instant.parse("0001-01-01T00:00:00Z");
  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

  private GoTime() {}

  public static String format(Instant t) {
    if (t == null) {
      t = ZERO;
    }
    StringBuilder sb = new StringBuilder(SECONDS.format(t));
    int n = t.getNano();
    if (n != 0) {
      String f = String.format("%09d", n);
      int end = 9;
      while (f.charAt(end - 1) == '0') {
        end--;
      }
      sb.append('.').append(f, 0, end);
    }
    return sb.append('Z').toString();
  }

  private static final DateTimeFormatter MILLIS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  /** go-openapi strfmt.DateTime, as Alertmanager's API v2 writes times: always milliseconds. */
  public static String formatMillis(Instant t) {
    return MILLIS.format(t == null ? ZERO : t);
  }

  public static Instant ofNanos(long nanos) {
    return Instant.ofEpochSecond(
        Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
  }

  public static long toNanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  /** Parses RFC 3339 with any offset; throws IllegalArgumentException naming the input. */
  public static Instant parse(String s) {
    try {
      return java.time.OffsetDateTime.parse(s).toInstant();
    } catch (java.time.format.DateTimeParseException e) {
      throw new IllegalArgumentException("cannot parse time " + s + ": not RFC 3339");
    }
  }

  public static boolean isZero(Instant t) {
    return t == null || t.equals(ZERO);
  }
}
