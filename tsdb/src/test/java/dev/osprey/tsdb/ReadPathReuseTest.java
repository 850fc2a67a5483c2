package dev.osprey.tsdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import dev.osprey.core.storage.StaleNaN;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read path over several blocks and the head with iterators passed back for reuse (as the
 * PromQL evaluator does) gives exactly the samples that were written, for random ranges and
 * matchers, read by bulk reads of random sizes, by next() and by seek; series with no sample in a
 * range (one chunk around it) are not returned.
 */
class ReadPathReuseTest {
  @TempDir Path dir;

  private static final long START = 1_764_000_000_000L + 47 * 60_000L; // not on a block boundary

  @Test
  void reusedIteratorsReadWhatWasWritten() {
    SplittableRandom r = new SplittableRandom(20261203_7L);
    Map<Labels, List<long[]>> written = new LinkedHashMap<>(); // per series: {t, bits} pairs
    List<Labels> series = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      series.add(Labels.of("__name__", "m" + (i % 3), "i", Integer.toString(i), "j", "x" + i % 4));
    }
    try (Tsdb db =
        Tsdb.open(dir, new TsdbConfig(null, null, null, "never"), new SimpleMeterRegistry())) {
      long[] refs = new long[series.size()];
      int steps = 5 * 240; // 5 h of 15 s scrapes: three blocks after the flush
      for (int step = 0; step < steps + 80; step++) {
        if (step == steps) {
          db.flush(); // the last 20 minutes stay in the head
          assertThat(db.blocks()).hasSizeGreaterThanOrEqualTo(3);
        }
        Appender app = db.appender();
        for (int i = 0; i < series.size(); i++) {
          if (i % 7 == 3 && (step / 200) % 2 == 1) {
            continue; // gaps of 50 minutes
          }
          long t = START + 15_000L * step + r.nextInt(-2, 3);
          double v =
              i % 11 == 0 && r.nextInt(30) == 0
                  ? StaleNaN.VALUE
                  : i % 2 == 0 ? step * 0.25 + i : r.nextDouble();
          refs[i] = app.append(refs[i], series.get(i), t, v);
          written
              .computeIfAbsent(series.get(i), k -> new ArrayList<>())
              .add(new long[] {t, Double.doubleToRawLongBits(v)});
        }
        app.commit();
      }
      long end = START + 15_000L * (steps + 80);
      long[] gotT = new long[8192];
      double[] gotV = new double[8192];
      for (int round = 0; round < 300; round++) {
        long mint = START - 60_000 + r.nextLong(end - START);
        long maxt = r.nextInt(5) == 0 ? mint + r.nextInt(30_000) : mint + r.nextLong(end - mint);
        LabelMatcher[] ms =
            switch (r.nextInt(3)) {
              case 0 -> new LabelMatcher[] {LabelMatcher.regex("__name__", "m.*")};
              case 1 -> new LabelMatcher[] {LabelMatcher.equal("__name__", "m1")};
              default -> new LabelMatcher[] {LabelMatcher.regex("j", "x[13]")};
            };
        try (Querier q = db.querier()) {
          SeriesSet set = q.select(mint, maxt, SelectHints.of(mint, maxt), ms);
          SampleIterator reuse = null;
          List<Labels> seen = new ArrayList<>();
          while (set.next()) {
            Labels l = set.labels();
            seen.add(l);
            List<long[]> want = inRange(written.get(l), mint, maxt);
            assertThat(want).as("%s has samples in [%d, %d]", l, mint, maxt).isNotEmpty();
            SampleIterator it = set.iterator(reuse);
            reuse = it;
            int n = 0;
            switch (r.nextInt(3)) {
              case 0 -> {
                int k;
                do {
                  k = it.read(gotT, gotV, n, Math.min(r.nextInt(1, 700), gotT.length - n));
                  n += k;
                } while (k > 0);
              }
              case 1 -> {
                while (it.next()) {
                  gotT[n] = it.t();
                  gotV[n++] = it.v();
                }
              }
              default -> {
                long target = want.get(r.nextInt(want.size()))[0];
                assertThat(it.seek(target)).isTrue();
                assertThat(it.t()).isEqualTo(target);
                want = inRange(want, target, maxt);
                gotT[n] = it.t();
                gotV[n++] = it.v();
                n += it.read(gotT, gotV, n, gotT.length - n);
              }
            }
            assertThat(n).as("samples of %s in [%d, %d]", l, mint, maxt).isEqualTo(want.size());
            for (int i = 0; i < n; i++) {
              assertThat(gotT[i]).isEqualTo(want.get(i)[0]);
              assertThat(Double.doubleToRawLongBits(gotV[i])).isEqualTo(want.get(i)[1]);
            }
          }
          List<Labels> expected = new ArrayList<>();
          for (Labels l : series) {
            boolean selected = true;
            for (LabelMatcher m : ms) {
              selected &= m.matches(l.get(m.name()));
            }
            if (selected && !inRange(written.get(l), mint, maxt).isEmpty()) {
              expected.add(l);
            }
          }
          expected.sort(Labels::compareTo);
          assertThat(seen).isEqualTo(expected);
        }
      }
    }
  }

  /** A chunk that starts before a range and ends after it may have no sample in it. */
  @Test
  void seriesWithAChunkAroundTheRangeButNoSampleInItIsNotSelected() {
    try (Tsdb db =
        Tsdb.open(dir, new TsdbConfig(null, null, null, "never"), new SimpleMeterRegistry())) {
      Appender app = db.appender();
      Labels sparse = Labels.of("__name__", "sparse");
      app.append(0, sparse, START, 1);
      app.append(0, sparse, START + 600_000, 2);
      app.commit();
      db.flush();
      assertThat(db.blocks()).hasSize(1);
      assertThat(selected(db, START + 1, START + 599_999)).isEmpty();
      assertThat(selected(db, START + 1, START + 600_000)).containsExactly(START + 600_000);
      assertThat(selected(db, START, START + 1)).containsExactly(START);
    }
  }

  private static List<Long> selected(Tsdb db, long mint, long maxt) {
    List<Long> out = new ArrayList<>();
    try (Querier q = db.querier()) {
      SeriesSet set =
          q.select(
              mint, maxt, SelectHints.of(mint, maxt), LabelMatcher.equal("__name__", "sparse"));
      while (set.next()) {
        SampleIterator it = set.iterator(null);
        while (it.next()) {
          out.add(it.t());
        }
      }
    }
    return out;
  }

  private static List<long[]> inRange(List<long[]> samples, long mint, long maxt) {
    List<long[]> out = new ArrayList<>();
    if (samples != null) {
      for (long[] s : samples) {
        if (s[0] >= mint && s[0] <= maxt) {
          out.add(s);
        }
      }
    }
    return out;
  }
}
