package dev.osprey.tsdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.DuplicateSampleException;
import dev.osprey.core.storage.OutOfBoundsException;
import dev.osprey.core.storage.OutOfOrderSampleException;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import dev.osprey.core.storage.StaleNaN;
import dev.osprey.tsdb.chunk.RandomHistograms;
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
 * Native histograms through the whole tsdb: head, WAL replay, checkpoints, blocks, compaction,
 * deletion; series that switch between float and histogram samples; the rejection rules.
 */
class TsdbHistogramTest {
  static final long H = 3_600_000;
  static final TsdbConfig CONFIG = new TsdbConfig(null, null, null, "never");

  @TempDir Path dir;

  /** One sample as stored: a histogram, or the raw bits of a float. */
  record S(long t, FloatHistogram h, long vBits) {
    @Override
    public String toString() {
      return t + "=" + (h != null ? h : Double.longBitsToDouble(vBits));
    }
  }

  static Map<Labels, List<S>> read(Tsdb db, long mint, long maxt) {
    Map<Labels, List<S>> out = new LinkedHashMap<>();
    try (Querier q = db.querier()) {
      SeriesSet set =
          q.select(mint, maxt, SelectHints.of(mint, maxt), LabelMatcher.regex("__name__", ".+"));
      while (set.next()) {
        SampleIterator it = set.iterator(null);
        List<S> l = new ArrayList<>();
        boolean mixed = it.mayHaveHistograms();
        while (it.next()) {
          FloatHistogram h = it.histogram();
          if (h != null) {
            assertThat(mixed).as("histogram from an iterator that said floats only").isTrue();
          }
          l.add(new S(it.t(), h, h == null ? Double.doubleToRawLongBits(it.v()) : 0));
        }
        out.put(set.labels(), l);
      }
    }
    return out;
  }

  /** Compares sample by sample, histograms by every field and the sum's bits. */
  static void assertStored(Map<Labels, List<S>> got, Map<Labels, List<S>> want) {
    assertThat(got.keySet()).containsExactlyInAnyOrderElementsOf(want.keySet());
    for (Labels l : want.keySet()) {
      List<S> g = got.get(l);
      List<S> w = want.get(l);
      assertThat(g).as("%s", l).hasSameSizeAs(w);
      for (int i = 0; i < w.size(); i++) {
        S a = g.get(i);
        S b = w.get(i);
        assertThat(a.t()).as("%s sample %d", l, i).isEqualTo(b.t());
        if (b.h() == null) {
          assertThat(a.h()).as("%s at %d", l, b.t()).isNull();
          assertThat(a.vBits()).as("%s at %d", l, b.t()).isEqualTo(b.vBits());
        } else {
          assertThat(a.h()).as("%s at %d", l, b.t()).isEqualTo(b.h());
          assertThat(a.h().counterResetHint()).isEqualTo(b.h().counterResetHint());
          assertThat(Double.doubleToRawLongBits(a.h().sum()))
              .isEqualTo(Double.doubleToRawLongBits(b.h().sum()));
        }
      }
    }
  }

  /**
   * What a reader gets for a histogram sample: the histogram as appended, a stale marker (sum = the
   * stale NaN) included; the query engine, not the tsdb, treats that one as stale.
   */
  static S expect(long t, FloatHistogram h) {
    return new S(t, h, 0);
  }

  /** {@code hours} of three series: histograms only, switching kinds, floats only. */
  static Map<Labels, List<S>> fill(Tsdb db, long from, long hours, long seed) {
    Labels hist = Labels.of("__name__", "req_seconds", "job", "h");
    Labels mixed = Labels.of("__name__", "req_seconds", "job", "mixed");
    Labels floats = Labels.of("__name__", "up", "job", "f");
    Map<Labels, List<S>> want = new LinkedHashMap<>();
    for (Labels l : List.of(hist, mixed, floats)) {
      want.put(l, new ArrayList<>());
    }
    RandomHistograms g1 = new RandomHistograms(seed);
    RandomHistograms g2 = new RandomHistograms(seed + 1);
    SplittableRandom r = new SplittableRandom(seed);
    Appender a = db.appender();
    int i = 0;
    for (long t = from; t < from + hours * H; t += 30_000, i++) {
      FloatHistogram h = g1.next();
      a.appendHistogram(0, hist, t, h);
      want.get(hist).add(expect(t, h));
      if ((i / 100) % 2 == 1) {
        FloatHistogram m = g2.next();
        a.appendHistogram(0, mixed, t + 1, m);
        want.get(mixed).add(expect(t + 1, m));
      } else {
        double v = r.nextInt(20) == 0 ? StaleNaN.VALUE : r.nextDouble() * 100;
        a.append(0, mixed, t + 1, v);
        want.get(mixed).add(new S(t + 1, null, Double.doubleToRawLongBits(v)));
      }
      a.append(0, floats, t + 2, i);
      want.get(floats).add(new S(t + 2, null, Double.doubleToRawLongBits(i)));
      if (r.nextInt(40) == 0) {
        a.commit();
        a = db.appender();
      }
    }
    a.commit();
    return want;
  }

  @Test
  void mixedSeriesSurviveReplayCheckpointsBlocksAndCompaction() {
    Map<Labels, List<S>> want;
    try (Tsdb db = Tsdb.open(dir, CONFIG, new SimpleMeterRegistry())) {
      want = fill(db, 0, 11, 1);
      // stale histograms stay histograms through the WAL, checkpoints, blocks and compaction
      assertThat(
              want.values().stream()
                  .flatMap(List::stream)
                  .filter(x -> x.h() != null && StaleNaN.is(x.h().sum()))
                  .count())
          .as("stale histograms in the data")
          .isGreaterThan(5);
      assertStored(read(db, Long.MIN_VALUE, Long.MAX_VALUE), want);
    }
    // the WAL alone
    try (Tsdb db = Tsdb.open(dir, CONFIG, new SimpleMeterRegistry())) {
      assertStored(read(db, Long.MIN_VALUE, Long.MAX_VALUE), want);
      db.compact(); // cuts the older part into blocks and checkpoints the rest
      assertThat(db.blocks()).isNotEmpty();
      assertStored(read(db, Long.MIN_VALUE, Long.MAX_VALUE), want);
    }
    // blocks, the checkpoint and the WAL after it
    try (Tsdb db = Tsdb.open(dir, CONFIG, new SimpleMeterRegistry())) {
      assertStored(read(db, Long.MIN_VALUE, Long.MAX_VALUE), want);
      // a range inside one block and the head
      long lo = 3 * H + 7;
      long hi = 9 * H + 13;
      Map<Labels, List<S>> part = new LinkedHashMap<>();
      want.forEach(
          (l, s) -> part.put(l, s.stream().filter(x -> x.t() >= lo && x.t() <= hi).toList()));
      assertStored(read(db, lo, hi), part);
      db.flush();
      db.compact();
      assertThat(db.head().minTime()).isEqualTo(Long.MAX_VALUE);
      assertStored(read(db, Long.MIN_VALUE, Long.MAX_VALUE), want);
    }
    try (Tsdb db = Tsdb.open(dir, CONFIG, new SimpleMeterRegistry())) {
      // more days, so that compaction merges the blocks into larger ones
      Map<Labels, List<S>> more = fill(db, 11 * H, 60, 9);
      more.forEach((l, s) -> want.get(l).addAll(s));
      db.flush();
      db.compact();
      assertThat(db.blocks().stream().anyMatch(b -> b.meta().compaction().level() > 1))
          .as("a compacted block")
          .isTrue();
      assertStored(read(db, Long.MIN_VALUE, Long.MAX_VALUE), want);
    }
  }

  @Test
  void deletingRangesOfHistogramSeries() {
    try (Tsdb db = Tsdb.open(dir, CONFIG, new SimpleMeterRegistry())) {
      Map<Labels, List<S>> want = fill(db, 0, 7, 3);
      db.compact(); // some in blocks, some in the head
      long lo = 2 * H;
      long hi = 6 * H;
      db.deleteSeries(
          lo,
          hi,
          List.<LabelMatcher[]>of(
              new LabelMatcher[] {LabelMatcher.equal("__name__", "req_seconds")}));
      Labels floats = Labels.of("__name__", "up", "job", "f");
      want.forEach(
          (l, s) -> {
            if (!l.equals(floats)) {
              s.removeIf(x -> x.t() >= lo && x.t() <= hi);
            }
          });
      assertStored(read(db, Long.MIN_VALUE, Long.MAX_VALUE), want);
    }
    try (Tsdb db = Tsdb.open(dir, CONFIG, new SimpleMeterRegistry())) {
      Map<Labels, List<S>> got = read(db, Long.MIN_VALUE, Long.MAX_VALUE);
      assertThat(got.get(Labels.of("__name__", "req_seconds", "job", "h")))
          .noneMatch(x -> x.t() >= 2 * H && x.t() <= 6 * H)
          .isNotEmpty();
    }
  }

  @Test
  void rejectionsFollowTheFloatRulesAndAreCounted() {
    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    try (Tsdb db = Tsdb.open(dir, CONFIG, reg)) {
      Labels l = Labels.of("__name__", "h");
      RandomHistograms g = new RandomHistograms(5);
      FloatHistogram h1 = g.next();
      while (StaleNaN.is(h1.sum())) {
        h1 = g.next();
      }
      FloatHistogram h2 = g.next();
      while (h2.equals(h1) || StaleNaN.is(h2.sum())) {
        h2 = g.next();
      }
      FloatHistogram h2f = h2;
      Appender a = db.appender();
      a.appendHistogram(0, l, 10 * H, h1);
      // in the same batch
      a.appendHistogram(0, l, 10 * H, h1); // the same again: ignored
      assertThatThrownBy(() -> a.appendHistogram(0, l, 10 * H, h2f))
          .isInstanceOf(DuplicateSampleException.class);
      assertThatThrownBy(() -> a.appendHistogram(0, l, 10 * H - 1, h2f))
          .isInstanceOf(OutOfOrderSampleException.class);
      assertThatThrownBy(() -> a.append(0, l, 10 * H, 1.0))
          .isInstanceOf(DuplicateSampleException.class);
      assertThatThrownBy(() -> a.append(0, l, 10 * H - 5, 1.0))
          .isInstanceOf(OutOfOrderSampleException.class);
      a.commit();
      // against what is stored
      Appender b = db.appender();
      b.appendHistogram(0, l, 10 * H, h1); // ignored
      assertThatThrownBy(() -> b.appendHistogram(0, l, 10 * H, h2f))
          .isInstanceOf(DuplicateSampleException.class);
      assertThatThrownBy(() -> b.appendHistogram(0, l, 10 * H - 1000, h2f))
          .isInstanceOf(OutOfOrderSampleException.class);
      assertThatThrownBy(() -> b.appendHistogram(0, l, 5 * H, h2f))
          .isInstanceOf(OutOfBoundsException.class);
      assertThatThrownBy(() -> b.append(0, l, 10 * H, 3.0))
          .isInstanceOf(DuplicateSampleException.class);
      b.append(0, l, 10 * H + 1000, 2.0); // a float after the histogram
      assertThatThrownBy(() -> b.appendHistogram(0, l, 10 * H + 500, h2f))
          .isInstanceOf(OutOfOrderSampleException.class);
      b.appendHistogram(0, l, 10 * H + 2000, h2f); // and a histogram after the float
      b.commit();
      Map<Labels, List<S>> got = read(db, Long.MIN_VALUE, Long.MAX_VALUE);
      assertThat(got.get(l))
          .containsExactly(
              new S(10 * H, h1, 0),
              new S(10 * H + 1000, null, Double.doubleToRawLongBits(2.0)),
              new S(10 * H + 2000, h2f, 0));
      assertThat(rejected(reg, DuplicateSampleException.REASON)).isEqualTo(4);
      assertThat(rejected(reg, OutOfOrderSampleException.REASON)).isEqualTo(4);
      assertThat(rejected(reg, OutOfBoundsException.REASON)).isEqualTo(1);
    }
  }

  private static double rejected(SimpleMeterRegistry reg, String reason) {
    return reg.get("osprey_tsdb_samples_rejected_total").tag("reason", reason).counter().count();
  }
}
