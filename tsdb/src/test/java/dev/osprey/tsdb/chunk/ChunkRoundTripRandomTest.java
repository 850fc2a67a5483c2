package dev.osprey.tsdb.chunk;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.StaleNaN;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Seeded random round trips through both chunk encodings and {@link BitReader}: every chunk size up
 * to two chunks' worth, special floats (the stale marker, NaN payloads, infinities, -0.0,
 * subnormals), random bit patterns, decimals of every width, and timestamp steps in every
 * delta-of-delta bucket up to jumps of 2^52 ms. Chunks are decoded where the arena puts them: at an
 * offset, followed by other bytes, and also flush with the end of the array (where the reader
 * cannot load 8 bytes at once).
 */
class ChunkRoundTripRandomTest {
  private static final long[] SPECIALS = {
    StaleNaN.BITS,
    Double.doubleToRawLongBits(Double.NaN),
    0x7ff8000000000001L, // NaN with a payload
    0xfff0000000000001L, // negative signalling NaN
    Double.doubleToRawLongBits(Double.POSITIVE_INFINITY),
    Double.doubleToRawLongBits(Double.NEGATIVE_INFINITY),
    Double.doubleToRawLongBits(-0.0),
    0L,
    Double.doubleToRawLongBits(Double.MIN_VALUE),
    Double.doubleToRawLongBits(Double.MAX_VALUE),
    Double.doubleToRawLongBits(-Double.MAX_VALUE),
    Long.MIN_VALUE + 1,
    -1L,
    1L,
  };

  private static final long[] DOD_EDGES = {
    0,
    1,
    -1,
    -63,
    -64,
    64,
    65,
    -8191,
    -8192,
    8192,
    8193,
    -524287,
    -524288,
    524288,
    524289,
    1L << 31,
    -(1L << 31)
  };

  private final ChunkCodec codec = new ChunkCodec();
  private final XorIterator xorIt = new XorIterator();
  private final DecimalIterator decIt = new DecimalIterator();

  @Test
  void everySizeAndValueKindRoundTripsBitExact() {
    SplittableRandom r = new SplittableRandom(20261203);
    int decimalChunks = 0;
    int xorChunks = 0;
    for (int n = 1; n <= 260; n++) {
      for (int kind = 0; kind < 6; kind++) {
        long[] ts = timestamps(n, r);
        long[] vs = values(n, kind, r);
        byte chosen = roundTripCodec(ts, vs, r);
        if (chosen == ChunkCodec.DECIMAL) {
          decimalChunks++;
        } else {
          xorChunks++;
        }
        roundTripOpenChunk(ts, vs);
      }
    }
    // both encodings were exercised
    assertThat(decimalChunks).isGreaterThan(200);
    assertThat(xorChunks).isGreaterThan(200);
  }

  @Test
  void emptyChunkYieldsNothing() {
    assertThat(xorIt.reset(new byte[0], 0, 0).next()).isFalse();
    assertThat(decIt.reset(new byte[0], 0, 0).next()).isFalse();
  }

  @Test
  void truncatedChunkIsAnErrorNotZeros() {
    long[] ts = {1000, 2000, 3000};
    long[] vs = {1, 2, 3};
    XorEncoder e = new XorEncoder();
    e.reset();
    for (int i = 0; i < 3; i++) {
      e.append(ts[i], Double.doubleToRawLongBits(vs[i] * 0.1));
    }
    byte[] cut = Arrays.copyOf(e.buffer(), 4); // t0 and half of v0
    XorIterator it = xorIt.reset(cut, 0, 3);
    org.assertj.core.api.Assertions.assertThatThrownBy(it::next)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot read chunk");
  }

  static long[] timestamps(int n, SplittableRandom r) {
    long[] ts = new long[n];
    long t = r.nextInt(4) == 0 ? -r.nextLong(1L << 50) : r.nextLong(1L << 42);
    long step = 1 + r.nextInt(60_000);
    int style = r.nextInt(5);
    if (style == 4) {
      // deltas of deltas at the edges of every bucket
      long delta = 1L << 32;
      for (int i = 0; i < n; i++) {
        ts[i] = t;
        delta += DOD_EDGES[r.nextInt(DOD_EDGES.length)];
        t += delta;
      }
      return ts;
    }
    for (int i = 0; i < n; i++) {
      ts[i] = t;
      long jump =
          switch (style) {
            case 0 -> step; // exact scrape interval: dod 0
            case 1 -> step + r.nextInt(11) - 5; // jitter: 7-bit bucket
            default ->
                switch (r.nextInt(6)) {
                  case 0 -> step;
                  case 1 -> 1 + r.nextInt(64);
                  case 2 -> 1 + r.nextInt(8192);
                  case 3 -> 1 + r.nextInt(524_288);
                  case 4 -> 1 + r.nextLong(1L << 40);
                  default -> 1 + r.nextLong(1L << 52); // beyond every small bucket
                };
          };
      t += jump;
    }
    return ts;
  }

  static long[] values(int n, int kind, SplittableRandom r) {
    long[] vs = new long[n];
    double acc = r.nextInt(1000);
    int digits = r.nextInt(7);
    double scale = Math.pow(10, digits);
    for (int i = 0; i < n; i++) {
      double d =
          switch (kind) {
            case 0 -> (acc += r.nextInt(1 << r.nextInt(1, 31))) / scale; // decimal counter
            case 1 -> Math.round((r.nextDouble() - 0.5) * 1e6) / scale; // decimal gauge, negatives
            case 2 -> r.nextInt(3) == 0 ? acc : (acc = r.nextDouble() * 1e3); // repeats
            case 3 -> (double) r.nextLong(); // integers up to 2^63: wide deltas
            default -> 0; // bits below
          };
      long bits = Double.doubleToRawLongBits(d);
      if (kind == 4) {
        bits = r.nextLong(); // any pattern
      } else if (kind == 5 || (kind >= 2 && r.nextInt(50) == 0)) {
        bits = SPECIALS[r.nextInt(SPECIALS.length)];
      }
      vs[i] = bits;
    }
    return vs;
  }

  private byte roundTripCodec(long[] ts, long[] vs, SplittableRandom r) {
    codec.encode(ts, vs, ts.length);
    int len = codec.length();
    // as in an arena page: at an offset, with other bytes after; and flush with the array's end
    int off = r.nextInt(16);
    byte[] page = new byte[off + len + r.nextInt(16)];
    for (int i = 0; i < page.length; i++) {
      page[i] = (byte) r.nextInt();
    }
    System.arraycopy(codec.bytes(), 0, page, off, len);
    check(ChunkCodec.iterator(page, off, ts.length, xorIt, decIt), ts, vs);
    byte[] flush = new byte[off + len];
    System.arraycopy(codec.bytes(), 0, flush, off, len);
    check(ChunkCodec.iterator(flush, off, ts.length, xorIt, decIt), ts, vs);
    checkBulk(ChunkCodec.iterator(page, off, ts.length, xorIt, decIt), ts, vs, r);
    checkBulk(ChunkCodec.iterator(flush, off, ts.length, xorIt, decIt), ts, vs, r);
    return codec.bytes()[0];
  }

  private void roundTripOpenChunk(long[] ts, long[] vs) {
    XorEncoder e = new XorEncoder(16);
    e.reset();
    for (int i = 0; i < ts.length; i++) {
      e.append(ts[i], vs[i]);
    }
    check(xorIt.reset(Arrays.copyOf(e.buffer(), e.byteLength()), 0, ts.length), ts, vs);
  }

  /** Reads in random batches (a few samples by next() first), as the query engine does. */
  static void checkBulk(SampleIterator it, long[] ts, long[] vs, SplittableRandom r) {
    long[] gotT = new long[ts.length + 8];
    double[] gotV = new double[ts.length + 8];
    int n = 0;
    for (int first = r.nextInt(4); n < first && it.next(); n++) {
      gotT[n] = it.t();
      gotV[n] = it.v();
    }
    for (int round = 0; round <= ts.length; round++) {
      int max = r.nextInt(1, 40);
      int k = it.read(gotT, gotV, n, Math.min(max, gotT.length - n));
      n += k;
      if (k < max) {
        break;
      }
      assertThat(it.t()).isEqualTo(gotT[n - 1]);
    }
    assertThat(n).isEqualTo(ts.length);
    for (int i = 0; i < n; i++) {
      assertThat(gotT[i]).as("t of sample %d of %d", i, n).isEqualTo(ts[i]);
      assertThat(Double.doubleToRawLongBits(gotV[i]))
          .as("v of sample %d of %d", i, n)
          .isEqualTo(vs[i]);
    }
    assertThat(it.next()).isFalse();
  }

  static void check(SampleIterator it, long[] ts, long[] vs) {
    for (int i = 0; i < ts.length; i++) {
      assertThat(it.next()).as("sample %d of %d", i, ts.length).isTrue();
      if (it.t() != ts[i] || Double.doubleToRawLongBits(it.v()) != vs[i]) {
        assertThat(it.t()).as("t of sample %d of %d", i, ts.length).isEqualTo(ts[i]);
        assertThat(Long.toHexString(Double.doubleToRawLongBits(it.v())))
            .as("v of sample %d of %d", i, ts.length)
            .isEqualTo(Long.toHexString(vs[i]));
      }
    }
    assertThat(it.next()).isFalse();
  }
}
