package dev.osprey.tsdb.chunk;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.StaleNaN;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChunkCodecTest {
  private final ChunkCodec codec = new ChunkCodec();

  /** Encodes, decodes, checks bit-exactness; returns the encoding chosen. */
  private byte roundTrip(long[] ts, double[] values) {
    long[] vs = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      vs[i] = Double.doubleToRawLongBits(values[i]);
    }
    codec.encode(ts, vs, ts.length);
    byte[] b = Arrays.copyOf(codec.bytes(), codec.length());
    SampleIterator it =
        ChunkCodec.iterator(b, 0, ts.length, new XorIterator(), new DecimalIterator());
    for (int i = 0; i < ts.length; i++) {
      assertThat(it.next()).isTrue();
      assertThat(it.t()).as("t %d", i).isEqualTo(ts[i]);
      assertThat(Double.doubleToRawLongBits(it.v()))
          .as("value %d: %s", i, values[i])
          .isEqualTo(vs[i]);
    }
    assertThat(it.next()).isFalse();
    return b[0];
  }

  private static long[] times(int n, Random r, int jitter) {
    long[] ts = new long[n];
    for (int i = 0; i < n; i++) {
      ts[i] = 1_700_000_000_000L + i * 15_000L + (jitter > 0 ? r.nextInt(2 * jitter) - jitter : 0);
    }
    return ts;
  }

  @Test
  void decimalValuesUseTheDecimalEncodingAndRoundTrip() {
    Random r = new Random(7);
    for (int round = 0; round < 300; round++) {
      int n = 1 + r.nextInt(120);
      double[] vs = new double[n];
      int kind = round % 5;
      double acc = r.nextInt(1000);
      for (int i = 0; i < n; i++) {
        vs[i] =
            switch (kind) {
              // cpu seconds: /proc counts hundredths, the exporter divides
              case 0 -> (acc += r.nextInt(1500)) / 100.0;
              case 1 -> acc += r.nextInt(200_000); // bytes counter
              case 2 -> Math.round(r.nextDouble() * 10_000) / 10_000.0; // ratio, 4 digits
              case 3 -> Math.round(20 + r.nextDouble() * 10) * 1e8; // large, few digits
              default -> -Math.round(r.nextGaussian() * 1e6) / 1e3; // negative, 3 decimals
            };
      }
      byte kindChosen = roundTrip(times(n, r, round % 2 == 0 ? 0 : 5), vs);
      if (n > 10) {
        assertThat(kindChosen).as("round %d kind %d", round, kind).isEqualTo(ChunkCodec.DECIMAL);
      }
    }
  }

  @Test
  void valuesThatAreNotShortDecimalsFallBackToXor() {
    Random r = new Random(3);
    double[] random = new double[120];
    for (int i = 0; i < random.length; i++) {
      random[i] = r.nextDouble();
    }
    assertThat(roundTrip(times(120, r, 0), random)).isEqualTo(ChunkCodec.XOR);
    double[][] specials = {
      {1, 2, StaleNaN.VALUE, 3},
      {1, Double.NaN, 2},
      {0.0, -0.0, 0.0},
      {1, Double.POSITIVE_INFINITY},
      {0x1p53, 0x1p53 + 2, 1},
      {Double.MAX_VALUE, Double.MIN_VALUE},
      {0.1 + 0.2, 0.3},
    };
    for (double[] s : specials) {
      roundTrip(times(s.length, r, 0), s);
    }
  }

  @Test
  void constantSeriesCostAboutOneBitPerValue() {
    double[] vs = new double[120];
    Arrays.fill(vs, 42.5);
    assertThat(roundTrip(times(120, new Random(1), 0), vs))
        .isIn(ChunkCodec.XOR, ChunkCodec.DECIMAL);
    // t0 and v0 take ~10 bytes, then 2 bits per sample (timestamp and value unchanged)
    assertThat(codec.length()).isLessThan(45);
  }
}
