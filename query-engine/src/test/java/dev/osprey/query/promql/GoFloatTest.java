package dev.osprey.query.promql;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GoFloatTest {
  @ParameterizedTest
  @CsvSource({
    "1000000, 1e+06",
    "100000, 100000",
    "123456789, 1.23456789e+08",
    "0.0001, 0.0001",
    "0.00001, 1e-05",
    "1.5, 1.5",
    "-2, -2",
  })
  void formatsLikeGoPercentV(double in, String want) {
    assertThat(GoFloat.formatG(in)).isEqualTo(want);
  }

  @ParameterizedTest
  @CsvSource({
    "1e21, 1000000000000000000000",
    "1e-7, 0.0000001",
    "0.1, 0.1",
    "12.34e6, 12340000",
    "-0.5, -0.5",
  })
  void formatsLikeStrconvF(double in, String want) {
    assertThat(GoFloat.formatF(in)).isEqualTo(want);
  }

  @org.junit.jupiter.api.Test
  void fastFormattingEqualsTheReferenceForm() {
    java.util.Random r = new java.util.Random(7);
    for (int i = 0; i < 200_000; i++) {
      double f =
          switch (i % 5) {
            case 0 -> Double.longBitsToDouble(r.nextLong());
            case 1 -> r.nextInt(1_000_000) / 1000.0;
            case 2 -> (double) r.nextLong(1L << 53) * (r.nextBoolean() ? 1 : -1);
            case 3 -> r.nextGaussian() * Math.pow(10, r.nextInt(40) - 20);
            default -> r.nextInt(100_000) * Math.pow(10, r.nextInt(30) - 15);
          };
      if (Double.isNaN(f) || Double.isInfinite(f) || f == 0) {
        continue;
      }
      assertThat(GoFloat.formatF(f)).as("%s", f).isEqualTo(GoFloat.formatFSlow(f));
    }
  }
}
