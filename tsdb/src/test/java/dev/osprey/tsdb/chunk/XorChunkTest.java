package dev.osprey.tsdb.chunk;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.storage.StaleNaN;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class XorChunkTest {
  private static void roundTrip(long[] ts, long[] vs) {
    XorEncoder e = new XorEncoder();
    e.reset();
    for (int i = 0; i < ts.length; i++) {
      e.append(ts[i], vs[i]);
    }
    XorIterator it =
        new XorIterator().reset(Arrays.copyOf(e.buffer(), e.byteLength()), 0, e.count());
    for (int i = 0; i < ts.length; i++) {
      assertThat(it.next()).as("sample %d", i).isTrue();
      assertThat(it.t()).as("t of sample %d", i).isEqualTo(ts[i]);
      assertThat(it.vBits()).as("v of sample %d", i).isEqualTo(vs[i]);
    }
    assertThat(it.next()).isFalse();
  }

  @Test
  void specialValuesAreBitExact() {
    double[] specials = {
      0.0,
      -0.0,
      Double.NaN,
      StaleNaN.VALUE,
      Double.POSITIVE_INFINITY,
      Double.NEGATIVE_INFINITY,
      Double.MIN_VALUE,
      Double.MAX_VALUE,
      1.0,
      1.0,
      Double.longBitsToDouble(0x7ff8000000000001L),
      42
    };
    long[] ts = new long[specials.length];
    long[] vs = new long[specials.length];
    for (int i = 0; i < specials.length; i++) {
      ts[i] = 1_700_000_000_000L + i * 15_000L;
      vs[i] = Double.doubleToRawLongBits(specials[i]);
    }
    roundTrip(ts, vs);
  }

  @Test
  void everyTimestampBucketAndNegativeTimes() {
    long[] deltas = {
      15_000, 15_000, 15_001, 14_937, 15_064, 15_000, 23_000, 7_000, 80_000, 15_000, 600_000,
      15_000, 1L << 40, 1, 1, 2, 8_192 + 1, 1
    };
    long[] ts = new long[deltas.length + 1];
    long[] vs = new long[ts.length];
    ts[0] = -5_000_000;
    for (int i = 0; i < deltas.length; i++) {
      ts[i + 1] = ts[i] + deltas[i];
      vs[i + 1] = Double.doubleToRawLongBits(i * 0.5);
    }
    roundTrip(ts, vs);
  }

  @Test
  void randomSeriesRoundTrip() {
    Random r = new Random(42);
    for (int round = 0; round < 200; round++) {
      int n = 1 + r.nextInt(200);
      long[] ts = new long[n];
      long[] vs = new long[n];
      long t = r.nextLong() >> 20;
      double counter = 0;
      for (int i = 0; i < n; i++) {
        t +=
            switch (r.nextInt(4)) {
              case 0 -> 15_000;
              case 1 -> 15_000 + r.nextInt(200) - 100;
              case 2 -> 1 + r.nextInt(1 << 21);
              default -> 1 + (r.nextLong() >>> 30);
            };
        ts[i] = t;
        counter += r.nextInt(1000);
        vs[i] =
            switch (r.nextInt(4)) {
              case 0 -> Double.doubleToRawLongBits(counter);
              case 1 -> r.nextLong();
              case 2 -> Double.doubleToRawLongBits(Math.round(r.nextGaussian() * 1000) / 100.0);
              default -> i > 0 ? vs[i - 1] : 0;
            };
      }
      roundTrip(ts, vs);
    }
  }

  @Test
  void goldenBytes() {
    XorEncoder e = new XorEncoder();
    e.reset();
    e.append(1000, Double.doubleToRawLongBits(1.0));
    e.append(16_000, Double.doubleToRawLongBits(1.0));
    e.append(31_000, Double.doubleToRawLongBits(2.0));
    e.append(46_001, Double.doubleToRawLongBits(2.0));
    String hex = HexFormat.of().formatHex(Arrays.copyOf(e.buffer(), e.byteLength()));
    // t0 zigzag varint d00f, v0 3ff0000000000000, delta 15000 as uvarint 9875, then bits:
    // '0' (same value), '0' (dod 0), xor 0x7ff0000000000000 as '11' lead=00001 sig=001011 and
    // eleven 1s, '10' dod=0000001, '0' (same value), zero padding: 3097ffe020
    assertThat(hex).isEqualTo("d00f3ff000000000000098753097ffe020");
  }

  @Test
  void seekDoesNotMoveBack() {
    XorEncoder e = new XorEncoder();
    e.reset();
    for (int i = 0; i < 10; i++) {
      e.append(i * 10L, Double.doubleToRawLongBits(i));
    }
    XorIterator it = new XorIterator().reset(e.buffer(), 0, e.count());
    assertThat(it.seek(35)).isTrue();
    assertThat(it.t()).isEqualTo(40);
    assertThat(it.seek(5)).isTrue();
    assertThat(it.t()).isEqualTo(40);
    assertThat(it.seek(1000)).isFalse();
  }
}
