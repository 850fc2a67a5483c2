package dev.osprey.tsdb.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.storage.SampleIterator;
import dev.osprey.tsdb.chunk.ChunkCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The merge against a reference (the union by timestamp, the earliest source winning ties), read by
 * any mix of next(), bulk reads and seeks, over sources that are disjoint in time (blocks, where
 * bulk reads copy whole runs), interleaved, overlapping with equal timestamps, bounded (chunk
 * chains) or not; one merge reused for every case.
 */
class MergeIteratorTest {
  private final ChunkCodec codec = new ChunkCodec();

  @Test
  void anyMixOfReadsMatchesTheReferenceMerge() {
    SplittableRandom r = new SplittableRandom(20261203L);
    MergeIterator reused = new MergeIterator(4);
    long[] gotT = new long[4096];
    double[] gotV = new double[4096];
    int bulkCopies = 0;
    for (int round = 0; round < 800; round++) {
      int sources = 1 + r.nextInt(4);
      boolean disjoint = r.nextBoolean();
      List<long[]> srcT = new ArrayList<>();
      List<double[]> srcV = new ArrayList<>();
      long t0 = 1_000_000;
      for (int s = 0; s < sources; s++) {
        int n = r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(300);
        long[] ts = new long[n];
        double[] vs = new double[n];
        long t = disjoint ? t0 : 1_000_000 + r.nextInt(3) * 15_000L;
        for (int i = 0; i < n; i++) {
          t += disjoint || r.nextBoolean() ? 15_000 : 1 + r.nextInt(3);
          ts[i] = t;
          vs[i] = s * 1000 + r.nextInt(1000) / 4.0; // which source won a tie shows in the value
        }
        t0 = t + 1;
        srcT.add(ts);
        srcV.add(vs);
      }
      TreeMap<Long, Double> expected = new TreeMap<>();
      for (int s = 0; s < sources; s++) {
        for (int i = 0; i < srcT.get(s).length; i++) {
          expected.putIfAbsent(srcT.get(s)[i], srcV.get(s)[i]);
        }
      }
      long[] wantT = expected.keySet().stream().mapToLong(Long::longValue).toArray();
      SampleIterator[] its = new SampleIterator[sources];
      for (int s = 0; s < sources; s++) {
        its[s] = source(srcT.get(s), srcV.get(s), r);
      }
      MergeIterator m = r.nextBoolean() ? new MergeIterator(its) : reused.reset(its, sources);
      int idx = -1; // position in wantT
      for (int step = 0; step < 200 && idx < wantT.length; step++) {
        int op = r.nextInt(4);
        if (op == 0) {
          boolean more = m.next();
          idx = Math.min(idx + 1, wantT.length);
          assertThat(more).isEqualTo(idx < wantT.length);
        } else if (op <= 2) {
          int max = r.nextInt(1, 600);
          int k = m.read(gotT, gotV, 3, max);
          assertThat(k).isEqualTo(Math.max(0, Math.min(max, wantT.length - idx - 1)));
          for (int i = 0; i < k; i++) {
            assertThat(gotT[3 + i]).isEqualTo(wantT[idx + 1 + i]);
            assertThat(gotV[3 + i]).isEqualTo(expected.get(wantT[idx + 1 + i]));
          }
          bulkCopies += k > 1 && disjoint ? 1 : 0;
          idx += k;
        } else if (wantT.length > 0) {
          long target = wantT[r.nextInt(wantT.length)] + r.nextInt(-2, 3);
          boolean found = m.seek(target);
          if (idx < 0 || idx >= wantT.length || wantT[idx] < target) {
            int from = Math.max(idx, 0);
            while (from < wantT.length && wantT[from] < target) {
              from++;
            }
            idx = from;
          }
          assertThat(found).isEqualTo(idx < wantT.length);
        }
        if (idx >= 0 && idx < wantT.length) {
          assertThat(m.t()).isEqualTo(wantT[idx]);
          assertThat(m.v()).isEqualTo(expected.get(wantT[idx]));
        }
      }
    }
    assertThat(bulkCopies).isGreaterThan(100);
  }

  /** A chunk chain (bounded, bulk reads) or a plain iterator over arrays (neither). */
  private SampleIterator source(long[] ts, double[] vs, SplittableRandom r) {
    if (ts.length == 0 || r.nextInt(3) == 0) {
      return new SampleIterator() {
        int i = -1;

        @Override
        public boolean next() {
          return ++i < ts.length || (i = ts.length) < 0;
        }

        @Override
        public boolean seek(long t) {
          if (i >= 0 && i < ts.length && ts[i] >= t) {
            return true;
          }
          while (next()) {
            if (ts[i] >= t) {
              return true;
            }
          }
          return false;
        }

        @Override
        public long t() {
          return ts[i];
        }

        @Override
        public double v() {
          return vs[i];
        }
      };
    }
    ChunkChainIterator c = new ChunkChainIterator();
    c.clear(Long.MIN_VALUE, Long.MAX_VALUE);
    for (int from = 0; from < ts.length; ) {
      int n = Math.min(ts.length - from, 1 + r.nextInt(200));
      long[] ct = new long[n];
      long[] cv = new long[n];
      for (int i = 0; i < n; i++) {
        ct[i] = ts[from + i];
        cv[i] = Double.doubleToRawLongBits(vs[from + i]);
      }
      codec.encodePacked(ct, cv, n);
      byte[] dst = c.reserve(codec.length());
      System.arraycopy(codec.bytes(), 0, dst, c.reservedOffset(), codec.length());
      c.add(codec.length(), n, ct[n - 1]);
      from += n;
    }
    return c;
  }
}
