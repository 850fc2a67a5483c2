package dev.osprey.collector.scrape;

import dev.osprey.collector.scrape.ExpositionParser.Entry;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/** Whatever the input, the parser ends or throws its own exception: never anything else. */
class ExpositionParserFuzzTest {
  static final String SEED =
      "# HELP m_total Help \\\\ text\n# TYPE m_total counter\n"
          + "m_total{a=\"x\\\"y\",b=\"\\n\"} 1.5e3 1700000000000\nm2 +Inf\nm3{le=\"0.5\"} NaN\n"
          + "h_bucket{le=\"+Inf\"} 17 # {trace_id=\"abc\"} 0.67 1.5\n# UNIT h seconds\n# EOF\n";

  static void drain(byte[] b, boolean om) {
    ExpositionParser p = new ExpositionParser(b, 0, b.length, om);
    try {
      for (int i = 0; i < 100_000 && p.next() != Entry.EOF; i++) {
        p.labelCount();
      }
    } catch (ExpositionParseException expected) {
      // a clean error is fine
    }
  }

  @Property(tries = 3000)
  void randomBytes(@ForAll @Size(max = 300) byte[] b, @ForAll boolean om) {
    drain(b, om);
  }

  @Property(tries = 3000)
  void randomTokenSoup(@ForAll("soup") String s, @ForAll boolean om) {
    drain(s.getBytes(StandardCharsets.UTF_8), om);
  }

  @Property(tries = 3000)
  void mutatedValidInput(
      @ForAll("positions") int pos,
      @ForAll("bytes") byte replacement,
      @ForAll boolean om,
      @ForAll boolean delete) {
    byte[] seed = SEED.getBytes(StandardCharsets.UTF_8);
    int at = pos % seed.length;
    byte[] b;
    if (delete) {
      b = new byte[seed.length - 1];
      System.arraycopy(seed, 0, b, 0, at);
      System.arraycopy(seed, at + 1, b, at, seed.length - at - 1);
    } else {
      b = seed.clone();
      b[at] = replacement;
    }
    drain(b, om);
  }

  @Property(tries = 5000)
  void valuesParseExactlyAsJava(@ForAll double d, @ForAll("formats") String fmt)
      throws ExpositionParseException {
    String text = String.format(java.util.Locale.ROOT, fmt, d);
    if (!Double.isFinite(d)) {
      return;
    }
    byte[] b = ("m " + text + "\n").getBytes(StandardCharsets.UTF_8);
    ExpositionParser p = new ExpositionParser(b, 0, b.length, false);
    net.jqwik.api.Assume.that(p.next() == Entry.SERIES);
    org.assertj.core.api.Assertions.assertThat(Double.doubleToRawLongBits(p.value()))
        .as(text)
        .isEqualTo(Double.doubleToRawLongBits(Double.parseDouble(text)));
  }

  @Provide
  Arbitrary<String> formats() {
    return Arbitraries.of("%s", "%.6e", "%.3f", "%.15g", "%.17g", "%.0f", "%.12e");
  }

  @Provide
  Arbitrary<String> soup() {
    return Arbitraries.of(
            "m",
            "_x:y",
            "{",
            "}",
            "=",
            "\"",
            "\\",
            ",",
            " ",
            "\t",
            "\n",
            "#",
            " HELP ",
            " TYPE ",
            " UNIT ",
            " EOF",
            "1",
            "-",
            "+",
            ".",
            "e",
            "Inf",
            "NaN",
            "0x1p3",
            "a=\"b\"",
            "\r",
            "ż",
            "\u0000",
            "9999999999999999999999",
            "# {",
            "le")
        .list()
        .ofMaxSize(60)
        .map(l -> String.join("", l));
  }

  @Provide
  Arbitrary<Integer> positions() {
    return Arbitraries.integers().between(0, 10_000);
  }

  @Provide
  Arbitrary<Byte> bytes() {
    return Arbitraries.of(
        (byte) '{',
        (byte) '}',
        (byte) '"',
        (byte) '\\',
        (byte) '\n',
        (byte) ' ',
        (byte) '#',
        (byte) '=',
        (byte) ',',
        (byte) 0xff,
        (byte) 0xc3,
        (byte) 'a',
        (byte) '0',
        (byte) '.');
  }
}
