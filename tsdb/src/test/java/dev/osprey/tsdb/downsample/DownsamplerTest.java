package dev.osprey.tsdb.downsample;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import dev.osprey.core.storage.StaleNaN;
import dev.osprey.tsdb.block.BlockReader;
import dev.osprey.tsdb.block.BlockWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One series through the Downsampler and back through DownsampledQuerier, column by column. */
class DownsamplerTest {
  static final long RES = 60_000;

  @TempDir Path dir;

  /** Raw samples as a cursor. */
  static SampleIterator samples(long[] ts, double[] vs) {
    return new SampleIterator() {
      int i = -1;

      @Override
      public boolean next() {
        return ++i < ts.length;
      }

      @Override
      public boolean seek(long t) {
        while (i < 0 || ts[i] < t) {
          if (!next()) {
            return false;
          }
        }
        return true;
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

  BlockReader write(Labels l, long[] ts, double[] vs) throws Exception {
    try (BlockWriter w = new BlockWriter(dir, 1)) {
      w.downsampled(RES, "raw");
      new Downsampler(RES, w).add(l, samples(ts, vs));
      return BlockReader.open(w.finish(0, 10 * RES, 1, List.of()));
    }
  }

  static List<double[]> read(BlockReader b, String func) {
    SeriesSet set =
        new DownsampledQuerier(b)
            .select(
                0,
                Long.MAX_VALUE,
                new SelectHints(0, 0, 0, func, 0, List.of(), false),
                LabelMatcher.regex("__name__", ".+"));
    List<double[]> out = new ArrayList<>();
    assertThat(set.next()).isTrue();
    SampleIterator it = set.iterator(null);
    while (it.next()) {
      out.add(new double[] {it.t(), it.v()});
    }
    assertThat(set.next()).isFalse();
    return out;
  }

  @Test
  void counterKeepsBothSidesOfAResetAndEachWindowsLastSample() throws Exception {
    // 10 s samples over 3 windows; the counter resets at 70 s (window 1)
    long[] ts = {0, 10_000, 50_000, 60_000, 65_000, 70_000, 80_000, 130_000, 170_000};
    double[] vs = {1, 2, 5, 6, 9, 1, 3, 4, 8};
    BlockReader b = write(Labels.of("__name__", "x_total"), ts, vs);
    assertThat(b.meta().resolution()).isEqualTo(RES);
    assertThat(read(b, null))
        .containsExactly(
            new double[] {59_999, 5},
            new double[] {65_000, 9},
            new double[] {70_000, 1},
            new double[] {119_999, 3},
            new double[] {179_999, 8});
    // increase over the column = increase over the raw samples: (9-1) + 1 + (8-1) = 16; the
    // column: (5-1 is before it) 5->9 +4, reset +1, 1->3 +2, 3->8 +5, and from 1 to 5 in window 0
    double rawIncrease = 0;
    for (int i = 1; i < vs.length; i++) {
      rawIncrease += vs[i] >= vs[i - 1] ? vs[i] - vs[i - 1] : vs[i];
    }
    List<double[]> c = read(b, "rate");
    double colIncrease = c.get(0)[1] - vs[0];
    for (int i = 1; i < c.size(); i++) {
      colIncrease += c.get(i)[1] >= c.get(i - 1)[1] ? c.get(i)[1] - c.get(i - 1)[1] : c.get(i)[1];
    }
    assertThat(colIncrease).isEqualTo(rawIncrease);
  }

  @Test
  void gaugeViewsAreWindowAggregatesAtTheWindowsLastMillisecond() throws Exception {
    long[] ts = {0, 20_000, 40_000, 60_000, 80_000, 100_000};
    double[] vs = {4, 1, 7, 10, 2, 6};
    BlockReader b = write(Labels.of("__name__", "g"), ts, vs);
    assertThat(read(b, null)).containsExactly(new double[] {59_999, 4}, new double[] {119_999, 6});
    assertThat(read(b, "min_over_time"))
        .containsExactly(new double[] {59_999, 1}, new double[] {119_999, 2});
    assertThat(read(b, "max_over_time"))
        .containsExactly(new double[] {59_999, 7}, new double[] {119_999, 10});
    assertThat(read(b, "sum_over_time"))
        .containsExactly(new double[] {59_999, 12}, new double[] {119_999, 18});
  }

  @Test
  void aGaugeThatDropsOftenGetsNoExtraCounterSamples() throws Exception {
    int n = 60;
    long[] ts = new long[n];
    double[] vs = new double[n];
    for (int i = 0; i < n; i++) {
      ts[i] = i * 10_000L;
      vs[i] = i % 2; // drops every other sample
    }
    BlockReader b = write(Labels.of("__name__", "g"), ts, vs);
    assertThat(read(b, "rate")).hasSize(10); // one per window
  }

  @Test
  void staleMarkerEndsTheWindowAndIsKept() throws Exception {
    long[] ts = {0, 10_000, 20_000, 30_000};
    double[] vs = {3, 5, StaleNaN.VALUE, 9};
    BlockReader b = write(Labels.of("__name__", "g"), ts, vs);
    List<double[]> avg = read(b, null);
    assertThat(avg).hasSize(3);
    assertThat(avg.get(0)).containsExactly(10_000, 4);
    assertThat(avg.get(1)[0]).isEqualTo(20_000);
    assertThat(StaleNaN.is(avg.get(1)[1])).isTrue();
    assertThat(avg.get(2)).containsExactly(59_999, 9);
  }
}
