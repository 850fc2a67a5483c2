package dev.osprey.tsdb.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.tsdb.chunk.ChunkCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The chain's range filter, by next() and by bulk read, over chunks of both encodings. */
class ChunkChainIteratorTest {
  private static final int CHUNKS = 5;
  private static final int PER_CHUNK = 120;

  private final byte[][] pages = new byte[CHUNKS][];
  private final int[] offsets = new int[CHUNKS];
  private final int[] counts = new int[CHUNKS];
  private final long[] ends = new long[CHUNKS];
  private final long[] allT = new long[CHUNKS * PER_CHUNK];
  private final double[] allV = new double[CHUNKS * PER_CHUNK];

  ChunkChainIteratorTest() {
    ChunkCodec codec = new ChunkCodec();
    SplittableRandom r = new SplittableRandom(5);
    long t = 1_000_000;
    for (int c = 0; c < CHUNKS; c++) {
      long[] ts = new long[PER_CHUNK];
      long[] vs = new long[PER_CHUNK];
      for (int i = 0; i < PER_CHUNK; i++) {
        t += 15_000 + r.nextInt(5);
        double v = c % 2 == 0 ? r.nextInt(1000) / 10.0 : r.nextDouble(); // decimal, then XOR
        ts[i] = t;
        vs[i] = Double.doubleToRawLongBits(v);
        allT[c * PER_CHUNK + i] = t;
        allV[c * PER_CHUNK + i] = v;
      }
      codec.encode(ts, vs, PER_CHUNK);
      offsets[c] = 3 + c; // chunks at an offset, with bytes after
      pages[c] = new byte[offsets[c] + codec.length() + c];
      System.arraycopy(codec.bytes(), 0, pages[c], offsets[c], codec.length());
      counts[c] = PER_CHUNK;
      ends[c] = t;
    }
  }

  private ChunkChainIterator chain(long mint, long maxt) {
    return new ChunkChainIterator(pages, offsets, counts, ends, CHUNKS, mint, maxt);
  }

  private List<Long> expectedTimes(long mint, long maxt) {
    List<Long> out = new ArrayList<>();
    for (long t : allT) {
      if (t >= mint && t <= maxt) {
        out.add(t);
      }
    }
    return out;
  }

  @Test
  void bulkReadAndNextYieldTheSameSamplesInRange() {
    SplittableRandom r = new SplittableRandom(11);
    long first = allT[0];
    long last = allT[allT.length - 1];
    for (int round = 0; round < 400; round++) {
      long mint = first - 20_000 + r.nextLong(last - first + 40_000);
      long maxt = mint + r.nextLong(last - first + 40_000);
      List<Long> expected = expectedTimes(mint, maxt);

      List<Long> byNext = new ArrayList<>();
      ChunkChainIterator it = chain(mint, maxt);
      while (it.next()) {
        byNext.add(it.t());
        assertThat(it.v()).isEqualTo(allV[indexOf(it.t())]);
      }
      assertThat(byNext).isEqualTo(expected);

      List<Long> byRead = new ArrayList<>();
      it = chain(mint, maxt);
      for (int k = r.nextInt(3); k > 0 && it.next(); k--) {
        byRead.add(it.t());
      }
      long[] t = new long[64];
      double[] v = new double[64];
      for (int guard = 0; guard < allT.length + 1; guard++) {
        int max = r.nextInt(1, t.length);
        int got = it.read(t, v, 0, max);
        for (int i = 0; i < got; i++) {
          byRead.add(t[i]);
          assertThat(v[i]).isEqualTo(allV[indexOf(t[i])]);
        }
        if (got < max) {
          break;
        }
        assertThat(it.t()).isEqualTo(t[got - 1]);
      }
      assertThat(it.next()).isFalse();
      assertThat(byRead).as("range %d..%d", mint, maxt).isEqualTo(expected);
    }
  }

  private int indexOf(long t) {
    for (int i = 0; i < allT.length; i++) {
      if (allT[i] == t) {
        return i;
      }
    }
    throw new AssertionError("no sample at " + t);
  }
}
