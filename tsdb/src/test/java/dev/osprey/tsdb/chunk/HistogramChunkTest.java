package dev.osprey.tsdb.chunk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.tsdb.query.ChunkChainIterator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HistogramChunkTest {
  /**
   * A sample as a reader sees it: the histogram as stored, a stale marker (sum = the stale NaN)
   * included, and its sum as the float value.
   */
  static void assertRead(SampleIterator it, FloatHistogram want) {
    assertSame(it.histogram(), want);
    assertThat(Double.doubleToRawLongBits(it.v()))
        .isEqualTo(Double.doubleToRawLongBits(want.sum()));
  }

  /** Equal in every field, the sum's NaN bits included (a stale marker stays one). */
  static void assertSame(FloatHistogram got, FloatHistogram want) {
    assertThat(got).isEqualTo(want);
    assertThat(Double.doubleToRawLongBits(got.sum()))
        .isEqualTo(Double.doubleToRawLongBits(want.sum()));
    assertThat(got.counterResetHint()).isEqualTo(want.counterResetHint());
  }

  @Test
  void randomSequencesReadBackExactly() {
    int schemas = 0;
    int custom = 0;
    int stale = 0;
    for (int seed = 0; seed < 300; seed++) {
      SplittableRandom r = new SplittableRandom(seed);
      RandomHistograms gen = new RandomHistograms(seed);
      int n = 1 + r.nextInt(200);
      long[] ts = new long[n];
      FloatHistogram[] hs = new FloatHistogram[n];
      HistogramChunk c = new HistogramChunk();
      long t = r.nextLong(-1L << 40, 1L << 40);
      for (int i = 0; i < n; i++) {
        t += r.nextInt(4) == 0 ? 1 + r.nextLong(1L << 33) : 15_000 + r.nextInt(-5, 6);
        ts[i] = t;
        hs[i] = gen.next();
        if (i > 0 && hs[i].schema() != hs[i - 1].schema()) {
          schemas++;
        }
        custom += hs[i].usesCustomBuckets() ? 1 : 0;
        stale += Double.isNaN(hs[i].sum()) ? 1 : 0;
        c.append(t, hs[i]);
      }
      assertThat(c.count()).isEqualTo(n);
      assertThat(c.firstT()).isEqualTo(ts[0]);
      assertThat(c.lastT()).isEqualTo(ts[n - 1]);
      byte[] b = Arrays.copyOf(c.bytes(), c.length());
      assertThat(b[0]).isEqualTo(HistogramChunk.KIND);
      HistogramIterator it = new HistogramIterator().reset(b, 1, n);
      for (int i = 0; i < n; i++) {
        assertThat(it.next()).isTrue();
        assertThat(it.t()).isEqualTo(ts[i]);
        assertRead(it, hs[i]);
      }
      assertThat(it.next()).isFalse();
      // seek lands on the first sample at or after the target
      int k = r.nextInt(n);
      it.reset(b, 1, n);
      assertThat(it.seek(ts[k])).isTrue();
      assertThat(it.t()).isEqualTo(ts[k]);
      assertRead(it, hs[k]);
    }
    assertThat(schemas).as("schema changes").isGreaterThan(50);
    assertThat(custom).as("custom-bucket samples").isGreaterThan(1000);
    assertThat(stale).as("stale markers").isGreaterThan(100);
  }

  @Test
  void unchangedLayoutCostsOnlyTheIncrements() {
    HistogramChunk c = new HistogramChunk();
    double[] cnt = new double[20];
    int[] idx = new int[20];
    for (int i = 0; i < 20; i++) {
      idx[i] = i - 5;
    }
    int afterFirst = 0;
    for (int s = 0; s < 120; s++) {
      double count = 0;
      for (int i = 0; i < cnt.length; i++) {
        cnt[i] += i % 3;
        count += cnt[i];
      }
      c.append(
          s * 15_000L,
          FloatHistogram.ofSparse(
              3, 0, 0, count, count * 2, idx, cnt, new int[0], new double[0], null, null));
      if (s == 0) {
        afterFirst = c.length();
      }
    }
    // 20 buckets with small whole increments: about one byte each per sample, no layout again
    assertThat((c.length() - afterFirst) / 119.0).isLessThan(30);
  }

  @Test
  void chainsWithFloatChunksInTimeOrder() {
    ChunkCodec codec = new ChunkCodec();
    List<byte[]> pages = new ArrayList<>();
    List<long[]> meta = new ArrayList<>();
    List<Object> want = new ArrayList<>();
    RandomHistograms gen = new RandomHistograms(7);
    long t = 0;
    for (int chunk = 0; chunk < 6; chunk++) {
      if (chunk % 2 == 0) {
        long[] ts = new long[10];
        long[] vs = new long[10];
        for (int i = 0; i < 10; i++) {
          ts[i] = t += 1000;
          vs[i] = Double.doubleToRawLongBits(i * 1.5);
          want.add(new Object[] {ts[i], i * 1.5});
        }
        codec.encode(ts, vs, 10);
        pages.add(Arrays.copyOf(codec.bytes(), codec.length() + 8));
        meta.add(new long[] {10, ts[9]});
      } else {
        HistogramChunk h = new HistogramChunk();
        for (int i = 0; i < 7; i++) {
          FloatHistogram x = gen.next();
          h.append(t += 1000, x);
          want.add(new Object[] {t, x});
        }
        pages.add(Arrays.copyOf(h.bytes(), h.length()));
        meta.add(new long[] {7, h.lastT()});
      }
    }
    int k = pages.size();
    ChunkChainIterator it =
        new ChunkChainIterator(
            pages.toArray(new byte[0][]),
            new int[k],
            meta.stream().mapToInt(m -> (int) m[0]).toArray(),
            meta.stream().mapToLong(m -> m[1]).toArray(),
            k,
            Long.MIN_VALUE,
            Long.MAX_VALUE);
    assertThat(it.mayHaveHistograms()).isTrue();
    for (Object o : want) {
      Object[] w = (Object[]) o;
      assertThat(it.next()).isTrue();
      assertThat(it.t()).isEqualTo((long) w[0]);
      if (w[1] instanceof FloatHistogram h) {
        assertRead(it, h);
      } else {
        assertThat(it.histogram()).isNull();
        assertThat(it.v()).isEqualTo((double) w[1]);
      }
    }
    assertThat(it.next()).isFalse();
  }

  @Test
  void floatOnlyChainsSayNoHistograms() {
    ChunkCodec codec = new ChunkCodec();
    codec.encode(new long[] {1, 2}, new long[] {0, 0}, 2);
    byte[] b = Arrays.copyOf(codec.bytes(), codec.length() + 8);
    SampleIterator it =
        new ChunkChainIterator(
            new byte[][] {b}, new int[1], new int[] {2}, new long[] {2}, 1, 0, 10);
    assertThat(it.mayHaveHistograms()).isFalse();
  }

  @Test
  void unknownChunkKindIsRefusedByName() {
    byte[] b = {9, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assertThatThrownBy(() -> ChunkCodec.iterator(b, 0, 1, new XorIterator(), new DecimalIterator()))
        .hasMessageContaining("unknown chunk encoding 9");
  }

  @Test
  void corruptFlagsAreRefused() {
    HistogramChunk c = new HistogramChunk();
    c.append(1000, new RandomHistograms(1).next());
    byte[] b = Arrays.copyOf(c.bytes(), c.length());
    b[3] = (byte) 0xF0; // the flags byte after a two-byte timestamp
    HistogramIterator it = new HistogramIterator().reset(b, 1, 1);
    assertThatThrownBy(it::next).hasMessageContaining("cannot read histogram chunk");
  }
}
