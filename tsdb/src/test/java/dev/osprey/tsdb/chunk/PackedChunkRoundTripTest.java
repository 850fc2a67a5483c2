package dev.osprey.tsdb.chunk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.storage.StaleNaN;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Seeded random round trips through the packed chunk encoding (tag 3): every chunk size up to 600,
 * the timestamp and value generators of {@link ChunkRoundTripRandomTest} (special floats and the
 * stale marker, random bits, every delta-of-delta bucket edge, jumps of 2^52 ms) plus the shapes
 * the packed forms are made for (jittered scrape grids with missed scrapes, page-sized gauge steps,
 * float counters, bit deltas that wrap), decoded by next(), by bulk reads and by seek. Every form
 * of both sections must have been chosen at least once.
 */
class PackedChunkRoundTripTest {
  private final ChunkCodec codec = new ChunkCodec();
  private final XorIterator xorIt = new XorIterator();
  private final DecimalIterator decIt = new DecimalIterator();

  @Test
  void everySizeAndShapeRoundTripsBitExact() {
    SplittableRandom r = new SplittableRandom(20261203_3L);
    int[] tsForms = new int[3];
    int[] vForms = new int[5];
    for (int n = 1; n <= 600; n += n < 140 ? 1 : 7) {
      for (int kind = 0; kind < 12; kind++) {
        long[] ts = r.nextBoolean() ? ChunkRoundTripRandomTest.timestamps(n, r) : scrapes(n, r);
        long[] vs = kind < 6 ? ChunkRoundTripRandomTest.values(n, kind, r) : values(n, kind, r);
        int[] st = roundTrip(ts, vs, r);
        tsForms[st[2]]++;
        vForms[st[3]]++;
      }
    }
    for (int c : tsForms) {
      assertThat(c).as("timestamp forms %s", java.util.Arrays.toString(tsForms)).isGreaterThan(50);
    }
    for (int c : vForms) {
      assertThat(c).as("value forms %s", java.util.Arrays.toString(vForms)).isGreaterThan(50);
    }
  }

  @Test
  void jitteredScrapesCostSevenThirdsBitsOfTimestampPerSample() {
    long[] ts = new long[480];
    long[] vs = new long[480];
    SplittableRandom r = new SplittableRandom(7);
    for (int i = 0; i < ts.length; i++) {
      ts[i] = 1_764_000_000_000L + 15_000L * i + r.nextInt(-2, 3);
      vs[i] = Double.doubleToRawLongBits(4096.0 * (1000 + r.nextInt(-3, 4)));
    }
    codec.encodePacked(ts, vs, ts.length);
    int[] st = codec.packedStats();
    assertThat(st[2]).as("grid form, residuals in threes").isEqualTo(PackedEncoder.TS_GRID3);
    assertThat(st[0]).isLessThanOrEqualTo(7 * 480 / 3 + 100);
    assertThat(st[3]).as("decimal frame of reference").isEqualTo(PackedEncoder.V_FOR);
    // deltas are -6..6 pages: 4 bits each once the page size is divided out
    assertThat(st[1]).as("page steps divided out").isLessThanOrEqualTo(4 * 480 + 100);
    roundTrip(ts, vs, r);
  }

  @Test
  void seekFindsFirstAtOrAfterAndStaysPut() {
    long[] ts = {10, 20, 30, 40, 50};
    long[] vs = new long[5];
    for (int i = 0; i < 5; i++) {
      vs[i] = Double.doubleToRawLongBits(i);
    }
    vs[2] = StaleNaN.BITS;
    codec.encodePacked(ts, vs, 5);
    byte[] b = java.util.Arrays.copyOf(codec.bytes(), codec.length());
    var it = ChunkCodec.iterator(b, 0, 5, xorIt, decIt);
    assertThat(it.seek(25)).isTrue();
    assertThat(it.t()).isEqualTo(30);
    assertThat(Double.doubleToRawLongBits(it.v())).isEqualTo(StaleNaN.BITS);
    assertThat(it.seek(5)).isTrue();
    assertThat(it.t()).isEqualTo(30);
    assertThat(it.next()).isTrue();
    assertThat(it.t()).isEqualTo(40);
    assertThat(it.seek(51)).isFalse();
    assertThat(it.next()).isFalse();
  }

  /**
   * One iterator reused over chunks of every form, driven by a random mix of next(), bulk reads of
   * any length and seeks (to sample times, between them, backwards), checked against a model of the
   * position after every step: the streaming decoder's groups, the digits of a grid code split over
   * two runs and the value state carried between runs must never show.
   */
  @Test
  void randomMixOfNextReadAndSeekOnOneReusedIterator() {
    SplittableRandom r = new SplittableRandom(20261203_4L);
    long[] gotT = new long[700];
    double[] gotV = new double[700];
    for (int round = 0; round < 1500; round++) {
      int n = 1 + r.nextInt(r.nextBoolean() ? 600 : 40);
      int kind = r.nextInt(12);
      long[] ts = r.nextInt(4) == 0 ? ChunkRoundTripRandomTest.timestamps(n, r) : scrapes(n, r);
      long[] vs = kind < 6 ? ChunkRoundTripRandomTest.values(n, kind, r) : values(n, kind, r);
      boolean increasing = true;
      for (int i = 1; i < n; i++) {
        increasing &= ts[i] > ts[i - 1];
      }
      codec.encodePacked(ts, vs, n);
      byte[] b = java.util.Arrays.copyOf(codec.bytes(), codec.length() + r.nextInt(9));
      var it = ChunkCodec.iterator(b, 0, n, xorIt, decIt);
      int idx = -1;
      for (int step = 0; step < 60 && idx < n; step++) {
        int op = r.nextInt(increasing ? 3 : 2);
        if (op == 0) {
          boolean more = it.next();
          idx = Math.min(idx + 1, n);
          assertThat(more).as("next at %d of %d", idx, n).isEqualTo(idx < n);
        } else if (op == 1) {
          int max = r.nextInt(0, 90);
          int off = r.nextInt(5);
          int k = it.read(gotT, gotV, off, max);
          int want = Math.max(0, Math.min(max, n - idx - 1));
          assertThat(k).as("read %d after %d of %d", max, idx, n).isEqualTo(want);
          for (int i = 0; i < k; i++) {
            assertThat(gotT[off + i]).isEqualTo(ts[idx + 1 + i]);
            assertThat(Double.doubleToRawLongBits(gotV[off + i])).isEqualTo(vs[idx + 1 + i]);
          }
          idx += k;
        } else {
          int j = r.nextInt(n);
          long target = ts[j] + (r.nextBoolean() ? 0 : r.nextInt(-3, 4));
          boolean found = it.seek(target);
          if (idx < 0 || idx >= n || ts[idx] < target) {
            int from = Math.max(idx, 0);
            while (from < n && ts[from] < target) {
              from++;
            }
            idx = from;
          }
          assertThat(found).as("seek %d at %d of %d", target, idx, n).isEqualTo(idx < n);
        }
        if (idx >= 0 && idx < n) {
          assertThat(it.t()).as("t at %d of %d", idx, n).isEqualTo(ts[idx]);
          assertThat(Double.doubleToRawLongBits(it.v())).as("v at %d", idx).isEqualTo(vs[idx]);
        }
      }
    }
  }

  @Test
  void unknownFormIsAnError() {
    byte[] b = {ChunkCodec.PACKED, (byte) 0b1100_0000, 0, 0, 0, 0, 0, 0, 0, 0};
    assertThatThrownBy(() -> ChunkCodec.iterator(b, 0, 2, xorIt, decIt))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot read chunk");
  }

  /** Scrape timestamps: a grid with jitter, sometimes a missed scrape or a restart's shift. */
  private static long[] scrapes(int n, SplittableRandom r) {
    long[] ts = new long[n];
    long step = r.nextBoolean() ? 15_000 : 1 + r.nextInt(120_000);
    int jitter = r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(r.nextBoolean() ? 3 : 500);
    long base = r.nextInt(4) == 0 ? -r.nextLong(1L << 45) : r.nextLong(1L << 42);
    long prev = Long.MIN_VALUE;
    for (int i = 0; i < n; i++) {
      if (r.nextInt(100) == 0) {
        base += step * (1 + r.nextInt(3)); // missed scrapes
      }
      if (r.nextInt(300) == 0) {
        base += r.nextInt(1, 7_000); // the target restarted with a new offset
      }
      long t = base + step * i + (jitter == 0 ? 0 : r.nextInt(-jitter, jitter + 1));
      ts[i] = Math.max(t, prev + 1);
      prev = ts[i];
    }
    return ts;
  }

  private static long[] values(int n, int kind, SplittableRandom r) {
    long[] vs = new long[n];
    double v = r.nextDouble(1, 1e6);
    long bits = r.nextLong();
    long rate = 1 + r.nextLong(1L << r.nextInt(1, 40));
    for (int i = 0; i < n; i++) {
      vs[i] =
          switch (kind) {
            case 6 -> Double.doubleToRawLongBits(4096.0 * (1000 + r.nextInt(-50, 51))); // pages
            case 7 -> Double.doubleToRawLongBits(v += Math.round(r.nextDouble(1, 30) * 1e9) / 1e9);
            case 10 -> Double.doubleToRawLongBits(v += r.nextInt(-500, 3000) / 100.0); // increments
            case 8 -> bits += r.nextLong(rate); // raw bit deltas, wrapping around
            case 9 ->
                r.nextInt(40) == 0
                    ? StaleNaN.BITS
                    : Double.doubleToRawLongBits(v += r.nextInt(1000)); // counter with stale
            default -> Double.doubleToRawLongBits(Math.round(r.nextDouble(-1e3, 1e3)) * 0.25);
          };
    }
    return vs;
  }

  private int[] roundTrip(long[] ts, long[] vs, SplittableRandom r) {
    codec.encodePacked(ts, vs, ts.length);
    int[] st = codec.packedStats();
    int len = codec.length();
    assertThat(codec.bytes()[0]).isEqualTo(ChunkCodec.PACKED);
    int off = r.nextInt(16);
    byte[] page = new byte[off + len + r.nextInt(16)];
    for (int i = 0; i < page.length; i++) {
      page[i] = (byte) r.nextInt();
    }
    System.arraycopy(codec.bytes(), 0, page, off, len);
    byte[] flush = new byte[off + len];
    System.arraycopy(codec.bytes(), 0, flush, off, len);
    ChunkRoundTripRandomTest.check(ChunkCodec.iterator(page, off, ts.length, xorIt, decIt), ts, vs);
    ChunkRoundTripRandomTest.check(
        ChunkCodec.iterator(flush, off, ts.length, xorIt, decIt), ts, vs);
    ChunkRoundTripRandomTest.checkBulk(
        ChunkCodec.iterator(flush, off, ts.length, xorIt, decIt), ts, vs, r);
    for (int i = 1; i < ts.length; i++) {
      if (ts[i] <= ts[i - 1]) {
        return st; // the bucket-edge generator can go back in time; real chunks never do
      }
    }
    int k = r.nextInt(ts.length);
    var it = ChunkCodec.iterator(page, off, ts.length, xorIt, decIt);
    assertThat(it.seek(ts[k])).as("seek to sample %d of %d", k, ts.length).isTrue();
    assertThat(it.t()).isEqualTo(ts[k]);
    assertThat(Double.doubleToRawLongBits(it.v())).isEqualTo(vs[k]);
    return st;
  }
}
