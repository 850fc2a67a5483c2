package dev.osprey.logs.shipper;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

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

  /**
   * A reader's lines in a row, each a variation of the one before (another second, minute, day or
   * zone, or one byte replaced): parsed with one {@link Rfc3339.Minute} the whole way, every result
   * is the uncached parse's, and a well-formed timestamp's is java.time's.
   */
  @Property(tries = 2000)
  void minuteCacheGivesTheUncachedResult(@ForAll("timestampRuns") List<String> run) {
    Rfc3339.Minute cache = new Rfc3339.Minute();
    for (String s : run) {
      byte[] b = ("  " + s + " stdout").getBytes(StandardCharsets.ISO_8859_1);
      long uncached = Rfc3339.parseNanos(b, 2, s.length());
      assertThat(Rfc3339.parseNanos(b, 2, s.length(), cache)).as(s).isEqualTo(uncached);
      long expected;
      try {
        OffsetDateTime t = OffsetDateTime.parse(s);
        expected = t.toEpochSecond() * 1_000_000_000L + t.getNano();
      } catch (DateTimeException e) {
        continue;
      }
      if (uncached != Long.MIN_VALUE) {
        assertThat(uncached).as(s).isEqualTo(expected);
      }
    }
  }

  @Provide
  Arbitrary<List<String>> timestampRuns() {
    Arbitrary<String> one =
        Arbitraries.of(
            "2026-12-04T17:25:03.123456789Z",
            "2026-12-04T17:25:59.5Z",
            "2026-12-04T17:26:00Z",
            "2026-12-04T17:25:03.123456789+02:00",
            "2026-12-04T17:25:03.1-11:30",
            "2026-12-04T18:25:03.000000001Z",
            "2026-12-05T17:25:03.123Z",
            "2024-02-29T23:59:60.999999999Z",
            "2023-02-29T23:59:01Z",
            "2026-12-04T17:25:03.123456789",
            "2026-12-04T17:25:03.Z",
            "2026-12-04t17:25:03z");
    Arbitrary<String> mutated =
        Arbitraries.integers()
            .between(0, 29)
            .flatMap(
                at ->
                    Arbitraries.of('0', '5', '9', ':', '-', 'T', '.', 'Z', ' ', 'x')
                        .flatMap(
                            c ->
                                one.map(
                                    s ->
                                        at < s.length()
                                            ? s.substring(0, at) + c + s.substring(at + 1)
                                            : s)));
    return Arbitraries.oneOf(one, mutated).list().ofMinSize(1).ofMaxSize(12);
  }

  @Test
  void minuteCacheSeesAChangeInEveryByteOfTheMinute() {
    Rfc3339.Minute cache = new Rfc3339.Minute();
    String base = "2026-12-04T17:25:03.5Z";
    byte[] b = base.getBytes(StandardCharsets.US_ASCII);
    long first = Rfc3339.parseNanos(b, 0, b.length, cache);
    assertThat(first).isEqualTo(Rfc3339.parseNanos(b, 0, b.length));
    for (int i = 0; i < 16; i++) {
      byte[] c = b.clone();
      c[i] = (byte) (c[i] == '1' ? '0' : Character.isDigit(c[i]) ? '1' : 'x');
      assertThat(Rfc3339.parseNanos(c, 0, c.length, cache))
          .as(new String(c, StandardCharsets.US_ASCII))
          .isEqualTo(Rfc3339.parseNanos(c, 0, c.length))
          .isNotEqualTo(first);
      assertThat(Rfc3339.parseNanos(b, 0, b.length, cache)).isEqualTo(first);
    }
  }
}
