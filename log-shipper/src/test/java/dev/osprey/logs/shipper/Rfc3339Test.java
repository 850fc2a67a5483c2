package dev.osprey.logs.shipper;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The allocation-free date arithmetic agrees with java.time on every date, valid or not. */
class Rfc3339Test {
  @Property(tries = 5000)
  void agreesWithJavaTime(
      @ForAll @IntRange(min = 0, max = 9999) int year,
      @ForAll @IntRange(min = 1, max = 12) int month,
      @ForAll @IntRange(min = 1, max = 31) int day,
      @ForAll @IntRange(min = 0, max = 86399) int secondOfDay,
      @ForAll @IntRange(min = 0, max = 999_999_999) int nanos) {
    String s =
        String.format(
            "%04d-%02d-%02dT%02d:%02d:%02d.%09dZ",
            year, month, day, secondOfDay / 3600, secondOfDay / 60 % 60, secondOfDay % 60, nanos);
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    long got = Rfc3339.parseNanos(b, 0, b.length);
    LocalDate date;
    try {
      date = LocalDate.of(year, month, day);
    } catch (DateTimeException e) {
      assertThat(got).as(s).isEqualTo(Long.MIN_VALUE);
      return;
    }
    assertThat(Rfc3339.epochDay(year, month, day)).as(s).isEqualTo(date.toEpochDay());
    OffsetDateTime t = OffsetDateTime.parse(s);
    long sec = t.toEpochSecond();
    if (sec > Long.MAX_VALUE / 1_000_000_000L - 1 || sec < Long.MIN_VALUE / 1_000_000_000L + 1) {
      assertThat(got).as(s + " does not fit in int64 nanoseconds").isEqualTo(Long.MIN_VALUE);
    } else {
      assertThat(got).as(s).isEqualTo(sec * 1_000_000_000L + t.getNano());
    }
  }
}
