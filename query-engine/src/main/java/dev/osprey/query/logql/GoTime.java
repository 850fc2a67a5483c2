package dev.osprey.query.logql;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.util.Locale;

/**
 * Go's {@code time.Time} as the date functions of {@code line_format} and {@code label_format} see
 * it: an instant with nanoseconds, in a zone, formatted and parsed with Go's reference-time layouts
 * ({@code "2006-01-02T15:04:05.999999999Z07:00"}).
 *
 * <p>Layout elements (Go's {@code time} package): {@code January Jan 1 01 Monday Mon 2 _2 02 __2
 * 002 15 3 03 4 04 5 05 2006 06 PM pm MST Z07:00:00 Z070000 Z07:00 Z0700 Z07 -07:00:00 -070000
 * -07:00 -0700 -07}, and fractional seconds {@code .000} (fixed digits) or {@code .999} (trailing
 * zeros dropped), with a period or a comma. Everything else is literal text. The server's "local"
 * zone is UTC, as in Loki's container images.
 *
 * @param abbrev the zone's abbreviation as Go prints it, or null to take it from {@code zone}
 */
record GoTime(Instant instant, ZoneId zone, String abbrev) {
  /** Go's zero time, {@code 0001-01-01 00:00:00 +0000 UTC}, what a failed parse returns. */
  static final GoTime ZERO =
      new GoTime(LocalDateTime.of(1, 1, 1, 0, 0).toInstant(ZoneOffset.UTC), ZoneOffset.UTC, "UTC");

  /** {@code time.Unix(0, ns)} in the local zone (UTC). */
  static GoTime ofEpochNanos(long ns) {
    return new GoTime(
        Instant.ofEpochSecond(Math.floorDiv(ns, 1_000_000_000L), Math.floorMod(ns, 1_000_000_000L)),
        ZoneOffset.UTC,
        "UTC");
  }

  static GoTime ofEpochSeconds(long s) {
    return new GoTime(Instant.ofEpochSecond(s), ZoneOffset.UTC, "UTC");
  }

  ZonedDateTime zoned() {
    return instant.atZone(zone);
  }

  /** The same instant in another zone ({@code t.In(loc)}). */
  GoTime in(ZoneId z) {
    return new GoTime(instant, z, null);
  }

  long unixNanos() {
    return Math.addExact(
        Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
  }

  /** Go's {@code Time.String()}: {@code 2006-01-02 15:04:05.999999999 -0700 MST}. */
  @Override
  public String toString() {
    return format("2006-01-02 15:04:05.999999999 -0700 MST");
  }

  /** A zone by name as Go's {@code time.LoadLocation}: "" and "UTC" are UTC, "Local" is UTC. */
  static ZoneId zone(String name) {
    if (name.isEmpty() || name.equals("UTC") || name.equals("Local")) {
      return ZoneOffset.UTC;
    }
    try {
      return ZoneId.of(name);
    } catch (DateTimeException e) {
      return null;
    }
  }

  // ---------------------------------------------------------------- layout chunks

  private static final int NONE = 0;
  private static final int LONG_MONTH = 1;
  private static final int MONTH = 2;
  private static final int NUM_MONTH = 3;
  private static final int ZERO_MONTH = 4;
  private static final int LONG_WEEKDAY = 5;
  private static final int WEEKDAY = 6;
  private static final int DAY = 7;
  private static final int UNDER_DAY = 8;
  private static final int ZERO_DAY = 9;
  private static final int UNDER_YEAR_DAY = 10;
  private static final int ZERO_YEAR_DAY = 11;
  private static final int HOUR = 12;
  private static final int HOUR12 = 13;
  private static final int ZERO_HOUR12 = 14;
  private static final int MINUTE = 15;
  private static final int ZERO_MINUTE = 16;
  private static final int SECOND = 17;
  private static final int ZERO_SECOND = 18;
  private static final int LONG_YEAR = 19;
  private static final int YEAR = 20;
  private static final int PM = 21;
  private static final int LOWER_PM = 22;
  private static final int TZ = 23;
  // numeric zones: ISO forms print Z for UTC; COLON has colons; SHORT is hours only; SECONDS too
  private static final int ISO = 1 << 8;
  private static final int COLON = 1 << 9;
  private static final int SHORT = 1 << 10;
  private static final int SECONDS = 1 << 11;
  private static final int NUM_TZ = 24;
  private static final int FRAC0 = 25; // .000: digits in bits 12-15, separator in bit 16
  private static final int FRAC9 = 26;
  private static final int KIND = 0xff;

  /** One step of a layout: literal text before an element, the element, where the rest starts. */
  private record Chunk(int prefixEnd, int std, int next) {}

  private static final int[] ZERO_X = {
    ZERO_MONTH, ZERO_DAY, ZERO_HOUR12, ZERO_MINUTE, ZERO_SECOND, YEAR
  };

  /** Go's nextStdChunk: the first layout element at or after {@code from}. */
  private static Chunk next(String l, int from) {
    int n = l.length();
    for (int i = from; i < n; i++) {
      char c = l.charAt(i);
      switch (c) {
        case 'J' -> {
          if (l.startsWith("Jan", i)) {
            if (l.startsWith("January", i)) {
              return new Chunk(i, LONG_MONTH, i + 7);
            }
            if (!lowerAt(l, i + 3)) {
              return new Chunk(i, MONTH, i + 3);
            }
          }
        }
        case 'M' -> {
          if (l.startsWith("Mon", i)) {
            if (l.startsWith("Monday", i)) {
              return new Chunk(i, LONG_WEEKDAY, i + 6);
            }
            if (!lowerAt(l, i + 3)) {
              return new Chunk(i, WEEKDAY, i + 3);
            }
          }
          if (l.startsWith("MST", i)) {
            return new Chunk(i, TZ, i + 3);
          }
        }
        case '0' -> {
          if (i + 1 < n && l.charAt(i + 1) >= '1' && l.charAt(i + 1) <= '6') {
            return new Chunk(i, ZERO_X[l.charAt(i + 1) - '1'], i + 2);
          }
          if (l.startsWith("002", i)) {
            return new Chunk(i, ZERO_YEAR_DAY, i + 3);
          }
        }
        case '1' -> {
          return l.startsWith("15", i) ? new Chunk(i, HOUR, i + 2) : new Chunk(i, NUM_MONTH, i + 1);
        }
        case '2' -> {
          return l.startsWith("2006", i)
              ? new Chunk(i, LONG_YEAR, i + 4)
              : new Chunk(i, DAY, i + 1);
        }
        case '_' -> {
          if (l.startsWith("_2", i)) {
            // _2006 is a literal _ and a long year
            return l.startsWith("_2006", i)
                ? new Chunk(i + 1, LONG_YEAR, i + 5)
                : new Chunk(i, UNDER_DAY, i + 2);
          }
          if (l.startsWith("__2", i)) {
            return new Chunk(i, UNDER_YEAR_DAY, i + 3);
          }
        }
        case '3' -> {
          return new Chunk(i, HOUR12, i + 1);
        }
        case '4' -> {
          return new Chunk(i, MINUTE, i + 1);
        }
        case '5' -> {
          return new Chunk(i, SECOND, i + 1);
        }
        case 'P' -> {
          if (l.startsWith("PM", i)) {
            return new Chunk(i, PM, i + 2);
          }
        }
        case 'p' -> {
          if (l.startsWith("pm", i)) {
            return new Chunk(i, LOWER_PM, i + 2);
          }
        }
        case '-', 'Z' -> {
          int iso = c == 'Z' ? ISO : 0;
          String p = c == 'Z' ? "Z07" : "-07";
          if (l.startsWith(p + "0000", i)) {
            return new Chunk(i, NUM_TZ | iso | SECONDS, i + 7);
          }
          if (l.startsWith(p + ":00:00", i)) {
            return new Chunk(i, NUM_TZ | iso | COLON | SECONDS, i + 9);
          }
          if (l.startsWith(p + "00", i)) {
            return new Chunk(i, NUM_TZ | iso, i + 5);
          }
          if (l.startsWith(p + ":00", i)) {
            return new Chunk(i, NUM_TZ | iso | COLON, i + 6);
          }
          if (l.startsWith(p, i)) {
            return new Chunk(i, NUM_TZ | iso | SHORT, i + 3);
          }
        }
        case '.', ',' -> {
          if (i + 1 < n && (l.charAt(i + 1) == '0' || l.charAt(i + 1) == '9')) {
            char d = l.charAt(i + 1);
            int j = i + 1;
            while (j < n && l.charAt(j) == d) {
              j++;
            }
            if (!(j < n && Character.isDigit(l.charAt(j)))) {
              int std =
                  (d == '0' ? FRAC0 : FRAC9)
                      | Math.min(j - i - 1, 9) << 12
                      | (c == ',' ? 1 << 16 : 0);
              return new Chunk(i, std, j);
            }
          }
        }
        default -> {}
      }
    }
    return new Chunk(n, NONE, n);
  }

  private static boolean lowerAt(String s, int i) {
    return i < s.length() && s.charAt(i) >= 'a' && s.charAt(i) <= 'z';
  }

  // ---------------------------------------------------------------- format

  /** {@code t.Format(layout)}. */
  String format(String layout) {
    ZonedDateTime t = zoned();
    StringBuilder b = new StringBuilder(layout.length() + 10);
    int pos = 0;
    while (pos < layout.length()) {
      Chunk ch = next(layout, pos);
      b.append(layout, pos, ch.prefixEnd());
      pos = ch.next();
      int std = ch.std();
      int hour = t.getHour();
      switch (std & KIND) {
        case NONE -> {}
        case YEAR -> pad(b, Math.floorMod(t.getYear(), 100), 2);
        case LONG_YEAR -> pad(b, t.getYear(), 4);
        case MONTH -> b.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
        case LONG_MONTH -> b.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
        case NUM_MONTH -> b.append(t.getMonthValue());
        case ZERO_MONTH -> pad(b, t.getMonthValue(), 2);
        case WEEKDAY -> b.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
        case LONG_WEEKDAY ->
            b.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
        case DAY -> b.append(t.getDayOfMonth());
        case UNDER_DAY -> b.append(t.getDayOfMonth() < 10 ? " " : "").append(t.getDayOfMonth());
        case ZERO_DAY -> pad(b, t.getDayOfMonth(), 2);
        case UNDER_YEAR_DAY -> {
          int d = t.getDayOfYear();
          b.append(d < 10 ? "  " : d < 100 ? " " : "").append(d);
        }
        case ZERO_YEAR_DAY -> pad(b, t.getDayOfYear(), 3);
        case HOUR -> pad(b, hour, 2);
        case HOUR12 -> b.append(hour % 12 == 0 ? 12 : hour % 12);
        case ZERO_HOUR12 -> pad(b, hour % 12 == 0 ? 12 : hour % 12, 2);
        case MINUTE -> b.append(t.getMinute());
        case ZERO_MINUTE -> pad(b, t.getMinute(), 2);
        case SECOND -> b.append(t.getSecond());
        case ZERO_SECOND -> pad(b, t.getSecond(), 2);
        case PM -> b.append(hour >= 12 ? "PM" : "AM");
        case LOWER_PM -> b.append(hour >= 12 ? "pm" : "am");
        case TZ -> {
          String name = zoneName();
          if (!name.isEmpty()) {
            b.append(name);
          } else {
            offset(b, t.getOffset().getTotalSeconds(), NUM_TZ);
          }
        }
        case NUM_TZ -> offset(b, t.getOffset().getTotalSeconds(), std);
        case FRAC0, FRAC9 -> fraction(b, t.getNano(), std);
        default -> throw new IllegalStateException("BUG: layout element " + std);
      }
    }
    return b.toString();
  }

  /** The abbreviation Go prints for {@code MST}; "" for a zone known only by its offset. */
  String zoneName() {
    if (abbrev != null) {
      return abbrev;
    }
    if (zone.equals(ZoneOffset.UTC)
        || zone.getId().equals("UTC")
        || zone.getId().equals("Etc/UTC")) {
      return "UTC";
    }
    if (zone instanceof ZoneOffset) {
      return "";
    }
    return DateTimeFormatter.ofPattern("zzz", Locale.ENGLISH).format(zoned());
  }

  private static void offset(StringBuilder b, int offset, int std) {
    if (offset == 0 && (std & ISO) != 0) {
      b.append('Z');
      return;
    }
    int abs = Math.abs(offset);
    b.append(offset < 0 ? '-' : '+');
    pad(b, abs / 3600, 2);
    if ((std & SHORT) == 0) {
      if ((std & COLON) != 0) {
        b.append(':');
      }
      pad(b, abs / 60 % 60, 2);
    }
    if ((std & SECONDS) != 0) {
      if ((std & COLON) != 0) {
        b.append(':');
      }
      pad(b, abs % 60, 2);
    }
  }

  private static void fraction(StringBuilder b, int nanos, int std) {
    int digits = std >> 12 & 0xf;
    boolean trim = (std & KIND) == FRAC9;
    if (trim && (digits == 0 || nanos == 0)) {
      return;
    }
    char sep = (std & 1 << 16) != 0 ? ',' : '.';
    int start = b.length();
    b.append(sep);
    String ns = Integer.toString(nanos);
    b.append("0".repeat(9 - ns.length())).append(ns);
    b.setLength(start + 1 + digits);
    if (trim) {
      int e = b.length();
      while (e > start + 1 && b.charAt(e - 1) == '0') {
        e--;
      }
      b.setLength(e == start + 1 ? start : e);
    }
  }

  private static void pad(StringBuilder b, int v, int width) {
    if (v < 0) {
      b.append('-');
      v = -v;
    }
    String s = Integer.toString(v);
    for (int i = s.length(); i < width; i++) {
      b.append('0');
    }
    b.append(s);
  }

  // ---------------------------------------------------------------- parse

  private static final String[] MONTHS = {
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December"
  };
  private static final String[] DAYS = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"
  };

  /**
   * {@code time.ParseInLocation(layout, value, loc)}: a value without a zone is in {@code loc}; a
   * numeric offset that is not {@code loc}'s gives a fixed zone.
   *
   * @throws IllegalArgumentException as Go's {@code parsing time "v" as "layout": ...}
   */
  static GoTime parse(String layout, String value, ZoneId loc) {
    String v = value;
    int pos = 0;
    int year = 0;
    int month = -1;
    int day = -1;
    int yday = -1;
    int hour = 0;
    int min = 0;
    int sec = 0;
    int nsec = 0;
    boolean pmSet = false;
    boolean amSet = false;
    ZoneId z = null;
    int zoneOffset = Integer.MIN_VALUE;
    String zoneName = "";
    while (true) {
      Chunk ch = next(layout, pos);
      v = skip(v, layout.substring(pos, ch.prefixEnd()), layout, value);
      pos = ch.next();
      int std = ch.std();
      if (std == NONE) {
        if (!v.isEmpty()) {
          throw bad(layout, value, ": extra text: \"" + v + "\"");
        }
        break;
      }
      String before = v;
      String elem = layout.substring(ch.prefixEnd(), ch.next());
      try {
        switch (std & KIND) {
          case YEAR -> {
            int y = fixed(v, 2);
            year = y >= 69 ? 1900 + y : 2000 + y;
            v = v.substring(2);
          }
          case LONG_YEAR -> {
            year = fixed(v, 4);
            v = v.substring(4);
          }
          case MONTH, LONG_MONTH -> {
            int m = lookup(v, MONTHS, (std & KIND) == MONTH);
            month = m + 1;
            v = v.substring(((std & KIND) == MONTH ? 3 : MONTHS[m].length()));
          }
          case NUM_MONTH, ZERO_MONTH -> {
            int[] r = num(v, (std & KIND) == ZERO_MONTH);
            month = r[0];
            v = v.substring(r[1]);
            if (month < 1 || month > 12) {
              throw bad(layout, value, ": month out of range");
            }
          }
          case WEEKDAY, LONG_WEEKDAY -> {
            int d = lookup(v, DAYS, (std & KIND) == WEEKDAY);
            v = v.substring(((std & KIND) == WEEKDAY ? 3 : DAYS[d].length()));
          }
          case DAY, UNDER_DAY, ZERO_DAY -> {
            if ((std & KIND) == UNDER_DAY && v.startsWith(" ")) {
              v = v.substring(1);
            }
            int[] r = num(v, (std & KIND) == ZERO_DAY);
            day = r[0];
            v = v.substring(r[1]);
          }
          case UNDER_YEAR_DAY, ZERO_YEAR_DAY -> {
            for (int i = 0; i < 2; i++) {
              if ((std & KIND) == UNDER_YEAR_DAY && v.startsWith(" ")) {
                v = v.substring(1);
              }
            }
            int[] r = num3(v, (std & KIND) == ZERO_YEAR_DAY);
            yday = r[0];
            v = v.substring(r[1]);
          }
          case HOUR -> {
            int[] r = num(v, false);
            hour = r[0];
            v = v.substring(r[1]);
            if (hour >= 24) {
              throw bad(layout, value, ": hour out of range");
            }
          }
          case HOUR12, ZERO_HOUR12 -> {
            int[] r = num(v, (std & KIND) == ZERO_HOUR12);
            hour = r[0];
            v = v.substring(r[1]);
            if (hour > 12) {
              throw bad(layout, value, ": hour out of range");
            }
          }
          case MINUTE, ZERO_MINUTE -> {
            int[] r = num(v, (std & KIND) == ZERO_MINUTE);
            min = r[0];
            v = v.substring(r[1]);
            if (min >= 60) {
              throw bad(layout, value, ": minute out of range");
            }
          }
          case SECOND, ZERO_SECOND -> {
            int[] r = num(v, (std & KIND) == ZERO_SECOND);
            sec = r[0];
            v = v.substring(r[1]);
            if (sec >= 60) {
              throw bad(layout, value, ": second out of range");
            }
            // a fraction in the value that the layout does not name is taken as well
            if (v.length() >= 2 && (v.charAt(0) == '.' || v.charAt(0) == ',') && digit(v, 1)) {
              int nextKind = next(layout, pos).std() & KIND;
              if (nextKind != FRAC0 && nextKind != FRAC9) {
                int n = 2;
                while (n < v.length() && digit(v, n)) {
                  n++;
                }
                nsec = nanos(v, n);
                v = v.substring(n);
              }
            }
          }
          case PM, LOWER_PM -> {
            String p = v.length() >= 2 ? v.substring(0, 2) : "";
            boolean upper = (std & KIND) == PM;
            if (p.equals(upper ? "PM" : "pm")) {
              pmSet = true;
            } else if (p.equals(upper ? "AM" : "am")) {
              amSet = true;
            } else {
              throw new NumberFormatException();
            }
            v = v.substring(2);
          }
          case NUM_TZ -> {
            if ((std & ISO) != 0 && v.startsWith("Z")) {
              v = v.substring(1);
              z = ZoneOffset.UTC;
              break;
            }
            String sign;
            String hh;
            String mm = "00";
            String ss = "00";
            if ((std & SHORT) != 0) {
              need(v, 3);
              sign = v.substring(0, 1);
              hh = v.substring(1, 3);
              v = v.substring(3);
            } else if ((std & COLON) != 0 && (std & SECONDS) != 0) {
              need(v, 9);
              if (v.charAt(3) != ':' || v.charAt(6) != ':') {
                throw new NumberFormatException();
              }
              sign = v.substring(0, 1);
              hh = v.substring(1, 3);
              mm = v.substring(4, 6);
              ss = v.substring(7, 9);
              v = v.substring(9);
            } else if ((std & COLON) != 0) {
              need(v, 6);
              if (v.charAt(3) != ':') {
                throw new NumberFormatException();
              }
              sign = v.substring(0, 1);
              hh = v.substring(1, 3);
              mm = v.substring(4, 6);
              v = v.substring(6);
            } else if ((std & SECONDS) != 0) {
              need(v, 7);
              sign = v.substring(0, 1);
              hh = v.substring(1, 3);
              mm = v.substring(3, 5);
              ss = v.substring(5, 7);
              v = v.substring(7);
            } else {
              need(v, 5);
              sign = v.substring(0, 1);
              hh = v.substring(1, 3);
              mm = v.substring(3, 5);
              v = v.substring(5);
            }
            int h = fixed(hh, 2);
            int m = fixed(mm, 2);
            int s = fixed(ss, 2);
            if (h > 24 || m > 60 || s > 60) {
              throw bad(layout, value, ": time zone offset out of range");
            }
            zoneOffset = (h * 60 + m) * 60 + s;
            switch (sign) {
              case "+" -> {}
              case "-" -> zoneOffset = -zoneOffset;
              default -> throw new NumberFormatException();
            }
          }
          case TZ -> {
            if (v.startsWith("UTC")) {
              z = ZoneOffset.UTC;
              v = v.substring(3);
              break;
            }
            int n = zoneNameLength(v);
            if (n <= 0) {
              throw new NumberFormatException();
            }
            zoneName = v.substring(0, n);
            v = v.substring(n);
          }
          case FRAC0 -> {
            int ndigit = 1 + (std >> 12 & 0xf);
            need(v, ndigit);
            nsec = nanos(v, ndigit);
            v = v.substring(ndigit);
          }
          case FRAC9 -> {
            if (v.length() < 2 || (v.charAt(0) != '.' && v.charAt(0) != ',') || !digit(v, 1)) {
              break; // fraction omitted
            }
            int i = 1;
            while (i < v.length() && digit(v, i)) {
              i++;
            }
            nsec = nanos(v, i);
            v = v.substring(i);
          }
          default -> throw new IllegalStateException("BUG: layout element " + std);
        }
      } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
        throw bad(layout, value, " cannot parse \"" + before + "\" as \"" + elem + "\"");
      }
    }
    if (pmSet && hour < 12) {
      hour += 12;
    } else if (amSet && hour == 12) {
      hour = 0;
    }
    if (yday >= 0) {
      boolean leap = java.time.Year.isLeap(year);
      if (yday < 1 || yday > (leap ? 366 : 365)) {
        throw bad(layout, value, ": day-of-year out of range");
      }
      LocalDate d = LocalDate.ofYearDay(year, yday);
      if ((month >= 0 && month != d.getMonthValue()) || (day >= 0 && day != d.getDayOfMonth())) {
        throw bad(
            layout,
            value,
            ": day-of-year does not match "
                + (month >= 0 && month != d.getMonthValue() ? "month" : "day"));
      }
      month = d.getMonthValue();
      day = d.getDayOfMonth();
    } else {
      month = month < 0 ? 1 : month;
      day = day < 0 ? 1 : day;
    }
    if (day < 1 || day > java.time.YearMonth.of(year, month).lengthOfMonth()) {
      throw bad(layout, value, ": day out of range");
    }
    LocalDateTime local = LocalDateTime.of(year, month, day, hour, min, sec, nsec);
    if (z != null) {
      return new GoTime(local.atZone(z).toInstant(), z, null);
    }
    if (zoneOffset != Integer.MIN_VALUE) {
      Instant at = local.toInstant(ZoneOffset.ofTotalSeconds(zoneOffset));
      GoTime inLoc = new GoTime(at, loc, null);
      if (loc.getRules().getOffset(at).getTotalSeconds() == zoneOffset
          && (zoneName.isEmpty() || inLoc.zoneName().equals(zoneName))) {
        return inLoc;
      }
      return new GoTime(at, ZoneOffset.ofTotalSeconds(zoneOffset), zoneName);
    }
    if (!zoneName.isEmpty()) {
      // a zone abbreviation: the location's own when it has that name then, else offset 0 (or
      // GMT+h)
      for (int off : new int[] {loc.getRules().getOffset(local).getTotalSeconds()}) {
        Instant at = local.toInstant(ZoneOffset.ofTotalSeconds(off));
        GoTime inLoc = new GoTime(at, loc, null);
        if (inLoc.zoneName().equals(zoneName)) {
          return inLoc;
        }
      }
      int off = 0;
      if (zoneName.length() > 3 && zoneName.startsWith("GMT")) {
        off = Integer.parseInt(zoneName.substring(zoneName.charAt(3) == '+' ? 4 : 3)) * 3600;
      }
      return new GoTime(
          local.toInstant(ZoneOffset.ofTotalSeconds(off)),
          ZoneOffset.ofTotalSeconds(off),
          zoneName);
    }
    return new GoTime(local.atZone(loc).toInstant(), loc, null);
  }

  private static IllegalArgumentException bad(String layout, String value, String why) {
    return new IllegalArgumentException(
        "parsing time \"" + value + "\" as \"" + layout + "\":" + why);
  }

  /** Literal layout text; a space in it matches one or more spaces (Go's skip). */
  private static String skip(String v, String prefix, String layout, String value) {
    int i = 0;
    int j = 0;
    while (i < prefix.length()) {
      if (prefix.charAt(i) == ' ') {
        if (j < v.length() && v.charAt(j) != ' ') {
          throw bad(
              layout,
              value,
              " cannot parse \"" + v.substring(j) + "\" as \"" + prefix.substring(i) + "\"");
        }
        while (i < prefix.length() && prefix.charAt(i) == ' ') {
          i++;
        }
        while (j < v.length() && v.charAt(j) == ' ') {
          j++;
        }
        continue;
      }
      if (j >= v.length() || v.charAt(j) != prefix.charAt(i)) {
        throw bad(
            layout,
            value,
            " cannot parse \"" + v.substring(j) + "\" as \"" + prefix.substring(i) + "\"");
      }
      i++;
      j++;
    }
    return v.substring(j);
  }

  private static boolean digit(String s, int i) {
    return i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9';
  }

  private static void need(String v, int n) {
    if (v.length() < n) {
      throw new NumberFormatException();
    }
  }

  /** Exactly {@code n} digits. */
  private static int fixed(String v, int n) {
    int r = 0;
    for (int i = 0; i < n; i++) {
      if (!digit(v, i)) {
        throw new NumberFormatException();
      }
      r = r * 10 + v.charAt(i) - '0';
    }
    return r;
  }

  /** One or two digits (exactly two when {@code fixed}): {value, digits used}. */
  private static int[] num(String v, boolean fixed) {
    if (!digit(v, 0)) {
      throw new NumberFormatException();
    }
    if (!digit(v, 1)) {
      if (fixed) {
        throw new NumberFormatException();
      }
      return new int[] {v.charAt(0) - '0', 1};
    }
    return new int[] {(v.charAt(0) - '0') * 10 + v.charAt(1) - '0', 2};
  }

  /** One to three digits (exactly three when {@code fixed}). */
  private static int[] num3(String v, boolean fixed) {
    int n = 0;
    int r = 0;
    while (n < 3 && digit(v, n)) {
      r = r * 10 + v.charAt(n) - '0';
      n++;
    }
    if (n == 0 || (fixed && n != 3)) {
      throw new NumberFormatException();
    }
    return new int[] {r, n};
  }

  /** A separator and digits {@code v[1..n)} as nanoseconds (digits past the ninth dropped). */
  private static int nanos(String v, int n) {
    if (v.charAt(0) != '.' && v.charAt(0) != ',') {
      throw new NumberFormatException();
    }
    String d = v.substring(1, Math.min(n, 10));
    int r = Integer.parseInt(d);
    for (int i = d.length(); i < 9; i++) {
      r *= 10;
    }
    return r;
  }

  /** Index of a month or day name at the start of {@code v}, case-insensitive. */
  private static int lookup(String v, String[] names, boolean shortForm) {
    for (int i = 0; i < names.length; i++) {
      String n = shortForm ? names[i].substring(0, 3) : names[i];
      if (v.regionMatches(true, 0, n, 0, n.length())) {
        return i;
      }
    }
    throw new NumberFormatException();
  }

  /** Go's parseTimeZone: how long the zone abbreviation at the start of {@code v} is, or 0. */
  private static int zoneNameLength(String v) {
    if (v.length() < 3) {
      return 0;
    }
    if (v.startsWith("ChST") || v.startsWith("MeST")) {
      return 4;
    }
    if (v.startsWith("GMT")) {
      return 3 + signedHours(v.substring(3));
    }
    if (v.charAt(0) == '+' || v.charAt(0) == '-') {
      return signedHours(v);
    }
    int upper = 0;
    while (upper < 6 && upper < v.length() && v.charAt(upper) >= 'A' && v.charAt(upper) <= 'Z') {
      upper++;
    }
    return switch (upper) {
      case 3 -> 3;
      case 4 -> v.charAt(3) == 'T' || v.startsWith("WITA") ? 4 : 0;
      case 5 -> v.charAt(4) == 'T' ? 5 : 0;
      default -> 0;
    };
  }

  /** A sign and an hour offset from -23 to +23, as in {@code GMT+3}: its length, or 0. */
  private static int signedHours(String v) {
    if (v.isEmpty() || (v.charAt(0) != '+' && v.charAt(0) != '-')) {
      return 0;
    }
    int i = 1;
    while (i < v.length() && digit(v, i)) {
      i++;
    }
    if (i == 1 || i > 3) {
      return 0;
    }
    int h = Integer.parseInt(v.substring(1, i));
    return h > 23 ? 0 : i;
  }
}
