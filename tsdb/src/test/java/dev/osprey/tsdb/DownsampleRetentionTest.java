package dev.osprey.tsdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.config.TsdbConfig.Downsample;
import dev.osprey.core.config.TsdbConfig.RetentionRule;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import dev.osprey.tsdb.block.BlockReader;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention rules end to end, on 30 hours of 15-second samples with a 1-hour block range: {@code
 * container_*} keeps raw samples 2 h and 5-minute aggregates 1 d, {@code debug_metric} keeps raw
 * samples 3 h and no aggregates, everything else raw samples 12 h. Time is the samples' own: ages
 * count back from the newest sample.
 */
class DownsampleRetentionTest {
  static final long H = 3_600_000;
  static final long STEP = 15_000;
  static final long END = 30 * H; // samples in [0, END)
  static final long NEWEST = END - STEP;
  static final int PODS = 4;
  static final long RESET_AT = 10 * H; // every counter restarts from 0 here

  static final TsdbConfig NO_RULES = new TsdbConfig(Duration.ofDays(10), null, null, "never");
  static final TsdbConfig RULES =
      new TsdbConfig(
          Duration.ofHours(12),
          null,
          null,
          "never",
          List.of(
              new RetentionRule(
                  "{__name__=~\"container_.*\"}",
                  Duration.ofHours(2),
                  List.of(new Downsample(Duration.ofMinutes(5), Duration.ofDays(1)))),
              new RetentionRule("debug_metric", Duration.ofHours(3), null)));

  @TempDir Path dir;

  private Tsdb open(TsdbConfig c) {
    return Tsdb.open(dir, c, new SimpleMeterRegistry(), H);
  }

  static Labels cpu(int p) {
    return Labels.of("__name__", "container_cpu_usage_seconds_total", "pod", "p" + p);
  }

  static Labels mem(int p) {
    return Labels.of("__name__", "container_memory_usage_bytes", "pod", "p" + p);
  }

  static final Labels LOAD = Labels.of("__name__", "node_load1", "instance", "n1");
  static final Labels DEBUG = Labels.of("__name__", "debug_metric", "instance", "n1");

  /** Raw samples of every series, as appended: counters with random increments, a sine gauge. */
  static final class Data {
    final long[] ts;
    final double[][] cpu = new double[PODS][];
    final double[][] mem = new double[PODS][];

    Data() {
      int n = (int) (END / STEP);
      ts = new long[n];
      Random r = new Random(42);
      for (int p = 0; p < PODS; p++) {
        cpu[p] = new double[n];
        mem[p] = new double[n];
        double c = 1000 * p;
        for (int i = 0; i < n; i++) {
          long t = i * STEP;
          ts[i] = t;
          if (t == RESET_AT) {
            c = 0;
          }
          c += (p + 1) * STEP / 1000.0 * (0.5 + r.nextDouble()); // about p+1 per second
          cpu[p][i] = c;
          mem[p][i] =
              1e6 * (p + 1) + 2e5 * Math.sin(2 * Math.PI * t / (3.0 * H)) + 1e4 * r.nextGaussian();
        }
      }
    }

    void append(Tsdb db) {
      for (int i = 0; i < ts.length; i++) {
        Appender a = db.appender();
        long t = ts[i];
        for (int p = 0; p < PODS; p++) {
          a.append(0, cpu(p), t, cpu[p][i]);
          a.append(0, mem(p), t, mem[p][i]);
        }
        a.append(0, LOAD, t, (t / STEP) % 7);
        a.append(0, DEBUG, t, t / 1000.0);
        a.commit();
        if (t % H == 0) {
          db.compact();
        }
      }
    }

    /** The raw samples of series {@code values} in (from, to]. */
    List<double[]> range(double[] values, long from, long to) {
      List<double[]> out = new ArrayList<>();
      for (int i = 0; i < ts.length; i++) {
        if (ts[i] > from && ts[i] <= to) {
          out.add(new double[] {ts[i], values[i]});
        }
      }
      return out;
    }
  }

  static final Data DATA = new Data();

  /** Samples of one series in (from, to] as the database answers, [t, v] pairs. */
  static List<double[]> select(Tsdb db, Labels series, long from, long to, String func) {
    List<LabelMatcher> ms = new ArrayList<>();
    series.forEach((n, v) -> ms.add(LabelMatcher.equal(n, v)));
    List<double[]> out = new ArrayList<>();
    try (Querier q = db.querier()) {
      SeriesSet set =
          q.select(
              from + 1,
              to,
              new SelectHints(from, to, 0, func, to - from, List.of(), false),
              ms.toArray(LabelMatcher[]::new));
      while (set.next()) {
        assertThat(set.labels()).isEqualTo(series);
        SampleIterator it = set.iterator(null);
        while (it.next()) {
          out.add(new double[] {it.t(), it.v()});
        }
      }
    }
    return out;
  }

  /** Prometheus's extrapolatedRate (promql/functions.go) for rate(), over (end-range, end]. */
  static double rate(List<double[]> s, long end, long range) {
    if (s.size() < 2) {
      return Double.NaN;
    }
    double first = s.get(0)[1];
    double last = s.get(s.size() - 1)[1];
    double result = last - first;
    for (int i = 1; i < s.size(); i++) {
      if (s.get(i)[1] < s.get(i - 1)[1]) {
        result += s.get(i - 1)[1];
      }
    }
    double start = end - range;
    double toStart = (s.get(0)[0] - start) / 1000;
    double toEnd = (end - s.get(s.size() - 1)[0]) / 1000;
    double sampled = (s.get(s.size() - 1)[0] - s.get(0)[0]) / 1000;
    double avg = sampled / (s.size() - 1);
    if (result > 0 && first >= 0) {
      toStart = Math.min(toStart, sampled * (first / result));
    }
    double threshold = avg * 1.1;
    double interval = sampled;
    interval += toStart < threshold ? toStart : avg / 2;
    interval += toEnd < threshold ? toEnd : avg / 2;
    return result * (interval / sampled) / (range / 1000.0);
  }

  static double avg(List<double[]> s) {
    double sum = 0;
    for (double[] x : s) {
      sum += x[1];
    }
    return sum / s.size();
  }

  /** What the checks read, to compare before and after a restart. */
  record Answers(List<Double> rates, List<Double> avgs, int loadSamples) {}

  /**
   * 1-hour rate() of the counters and avg_over_time() of the gauges every half hour from 7 h to 26
   * h, each within 2 % (rate) and 0.5 % (avg) of the answer over the raw samples.
   */
  static void ratesAndAvgs(Tsdb db, List<Double> rates, List<Double> avgs) {
    for (long t = 7 * H; t <= 26 * H; t += H / 2) {
      for (int p = 0; p < PODS; p++) {
        double got = rate(select(db, cpu(p), t - H, t, "rate"), t, H);
        double want = rate(DATA.range(DATA.cpu[p], t - H, t), t, H);
        assertThat(got).as("rate of pod %d at %d h", p, t / H).isCloseTo(want, within(want * 0.02));
        rates.add(got);
        double gotAvg = avg(select(db, mem(p), t - H, t, null));
        double wantAvg = avg(DATA.range(DATA.mem[p], t - H, t));
        assertThat(gotAvg).isCloseTo(wantAvg, within(Math.abs(wantAvg) * 0.005));
        avgs.add(gotAvg);
      }
    }
  }

  Answers check(Tsdb db) {
    // (a) container_* older than 2 h answer from 5 m aggregates: spaced >= 5 m apart (plus the
    // reset), rate() and avg_over_time() within 2 % and 0.5 % of the raw answers
    List<double[]> old = select(db, cpu(1), 8 * H, 20 * H, null);
    assertThat(old).hasSizeBetween(12 * 12, 12 * 12 + 4);
    List<double[]> oldMem = select(db, mem(1), 8 * H, 20 * H, null);
    assertThat(oldMem).hasSize(12 * 12);
    List<Double> rates = new ArrayList<>();
    List<Double> avgs = new ArrayList<>();
    ratesAndAvgs(db, rates, avgs);
    // the function hint picks the column: max_over_time reads window maxima
    List<double[]> max = select(db, mem(0), 12 * H, 13 * H, "max_over_time");
    double rawMax =
        DATA.range(DATA.mem[0], 12 * H, 13 * H).stream().mapToDouble(x -> x[1]).max().orElseThrow();
    assertThat(max.stream().mapToDouble(x -> x[1]).max().orElseThrow()).isEqualTo(rawMax);
    // the last 2 h of container_* are raw
    assertThat(select(db, cpu(0), NEWEST - 2 * H, NEWEST, null)).hasSize((int) (2 * H / STEP));

    // (b) other series keep raw samples for the global 12 h, debug_metric for its 3 h, at full
    // resolution and exact; no aggregates for them
    List<double[]> load = select(db, LOAD, NEWEST - 12 * H, NEWEST, null);
    assertThat(load).hasSize((int) (12 * H / STEP));
    for (double[] x : load) {
      assertThat(x[1]).isEqualTo(((long) x[0] / STEP) % 7);
    }
    assertThat(select(db, DEBUG, NEWEST - 3 * H, NEWEST, null)).hasSize((int) (3 * H / STEP));

    // (c) nothing is kept past its retention (blocks go whole, so up to one block span later)
    long span = 0;
    for (BlockReader b : db.blocks()) {
      span = Math.max(span, b.meta().maxTime() - b.meta().minTime());
    }
    assertThat(select(db, LOAD, 0, NEWEST - 12 * H - span, null)).isEmpty();
    assertThat(select(db, DEBUG, 0, NEWEST - 3 * H - span, null)).isEmpty();
    assertThat(select(db, cpu(0), 0, NEWEST - 24 * H - span, null)).isEmpty();
    assertThat(select(db, cpu(0), 0, NEWEST - 2 * H - span, null))
        .as("no raw container samples older than 2 h")
        .allSatisfy(
            x ->
                assertThat((long) x[0] == RESET_AT || x[0] % (5 * 60_000) == 5 * 60_000 - 1)
                    .as("sample at %d: a window's last or the one after the reset", (long) x[0])
                    .isTrue());
    return new Answers(rates, avgs, load.size());
  }

  @Test
  void rulesDownsampleAndDropByMetricAndQueriesReadTheAggregates() {
    long before;
    try (Tsdb db = open(NO_RULES)) {
      DATA.append(db);
      db.compact();
      before = db.blocksBytes();
      assertThat(db.downsampledBlocks()).isEmpty();
      assertThat(select(db, cpu(0), -1, END, null)).hasSize(DATA.ts.length);
    }
    Answers first;
    try (Tsdb db = open(RULES)) {
      db.compact();
      assertThat(db.downsampledBlocks()).isNotEmpty();
      assertThat(db.downsampledBlocks())
          .allSatisfy(b -> assertThat(b.meta().resolution()).isEqualTo(5 * 60_000));
      first = check(db);
      System.out.printf(
          "block bytes: %d without rules, %d with rules (%d raw blocks, %d downsampled)%n",
          before, db.blocksBytes(), db.blocks().size(), db.downsampledBlocks().size());
      assertThat(db.blocksBytes()).as("disk after downsampling").isLessThan(before / 2);
      db.compact(); // applying the rules again changes nothing
      assertThat(check(db)).isEqualTo(first);
    }
    // (d) a restart reads the same
    try (Tsdb db = open(RULES)) {
      assertThat(check(db)).isEqualTo(first);
      // delete_series reaches downsampled blocks too (their chunks keep their columns)
      List<double[]> kept = select(db, mem(3), 12 * H, 20 * H, null);
      db.deleteSeries(
          0,
          16 * H,
          List.<LabelMatcher[]>of(
              new LabelMatcher[] {
                LabelMatcher.equal("__name__", "container_memory_usage_bytes"),
                LabelMatcher.equal("pod", "p3")
              }));
      assertThat(select(db, mem(3), -1, 16 * H, null)).isEmpty();
      List<double[]> after = select(db, mem(3), 12 * H, 20 * H, null);
      assertThat(after).hasSize(4 * 12);
      assertThat(after.get(0)).containsExactly(kept.get(kept.size() - 48));
      assertThat(select(db, mem(2), 12 * H, 16 * H, null)).hasSize(4 * 12);
    }
  }

  @Test
  void aResolutionPastItsRetentionIsReaggregatedIntoTheNextCoarserOne() {
    TsdbConfig chained =
        new TsdbConfig(
            Duration.ofHours(12),
            null,
            null,
            "never",
            List.of(
                new RetentionRule(
                    "{__name__=~\"container_.*\"}",
                    Duration.ofHours(2),
                    List.of(
                        new Downsample(Duration.ofMinutes(5), Duration.ofHours(8)),
                        new Downsample(Duration.ofMinutes(30), Duration.ofDays(1))))));
    try (Tsdb db = open(NO_RULES)) {
      DATA.append(db);
      db.compact();
    }
    try (Tsdb db = open(chained)) {
      db.compact();
      db.compact(); // 5 m blocks made in the first run are past 8 h: re-aggregated now
      assertThat(db.downsampledBlocks())
          .extracting(b -> b.meta().resolution())
          .contains(5 * 60_000L, 30 * 60_000L);
      long span = 0;
      for (BlockReader b : db.blocks()) {
        span = Math.max(span, b.meta().maxTime() - b.meta().minTime());
      }
      // older than 8 h (and a block span): only 30 m windows, one resolution at a time
      long oldEnd = NEWEST - 8 * H - span;
      List<double[]> old = select(db, mem(2), NEWEST - 24 * H, oldEnd, null);
      assertThat(old).isNotEmpty();
      assertThat(old)
          .allSatisfy(x -> assertThat((long) x[0] % (30 * 60_000)).isEqualTo(30 * 60_000 - 1));
      // ranges of 12 windows, as for 1 h ranges at 5 m (a reset adds a sample, and Prometheus's
      // extrapolation is sensitive to the average spacing once a range holds only a few)
      int checked = 0;
      for (long t = 6 * H; t <= oldEnd; t += H) {
        checked++;
        for (int p = 0; p < PODS; p++) {
          double got = rate(select(db, cpu(p), t - 6 * H, t, "rate"), t, 6 * H);
          double want = rate(DATA.range(DATA.cpu[p], t - 6 * H, t), t, 6 * H);
          assertThat(got)
              .as("rate of pod %d at %d h", p, t / H)
              .isCloseTo(want, within(want * 0.02));
          double gotAvg = avg(select(db, mem(p), t - 6 * H, t, null));
          double wantAvg = avg(DATA.range(DATA.mem[p], t - 6 * H, t));
          assertThat(gotAvg).isCloseTo(wantAvg, within(Math.abs(wantAvg) * 0.005));
        }
      }
      assertThat(checked).isGreaterThanOrEqualTo(4);
    }
  }

  @Test
  void rulesAppliedWhileIngestingAndDownsampledBlocksMerged() {
    // 5 m aggregates kept 10 d: merged blocks may span a tenth of that
    TsdbConfig longer =
        new TsdbConfig(
            Duration.ofHours(12),
            null,
            null,
            "never",
            List.of(
                new RetentionRule(
                    "{__name__=~\"container_.*\"}",
                    Duration.ofHours(2),
                    List.of(new Downsample(Duration.ofMinutes(5), Duration.ofDays(10))))));
    Answers first;
    try (Tsdb db = open(longer)) {
      DATA.append(db); // compacts (and applies the rules) every hour of data
      db.compact();
      // raw blocks stay 1 h wide (a tenth of the shortest raw retention is below 3 h); the 1 h
      // downsampled blocks are merged into 3 h ones where no new one can appear
      assertThat(db.downsampledBlocks())
          .anySatisfy(b -> assertThat(b.meta().compaction().level()).isGreaterThanOrEqualTo(2));
      assertThat(db.downsampledBlocks()).hasSizeLessThan(18);
      List<Double> rates = new ArrayList<>();
      List<Double> avgs = new ArrayList<>();
      ratesAndAvgs(db, rates, avgs);
      first = new Answers(rates, avgs, 0);
    }
    try (Tsdb db = open(longer)) {
      List<Double> rates = new ArrayList<>();
      List<Double> avgs = new ArrayList<>();
      ratesAndAvgs(db, rates, avgs);
      assertThat(new Answers(rates, avgs, 0)).isEqualTo(first);
    }
  }

  @Test
  void aRuleMayKeepRawSamplesLongerThanTheGlobalRetention() {
    TsdbConfig keepLoad =
        new TsdbConfig(
            Duration.ofHours(6),
            null,
            null,
            "never",
            List.of(new RetentionRule("node_load1", Duration.ofHours(20), null)));
    try (Tsdb db = open(NO_RULES)) {
      DATA.append(db);
      db.compact();
    }
    try (Tsdb db = open(keepLoad)) {
      db.compact();
      long span = 0;
      for (BlockReader b : db.blocks()) {
        span = Math.max(span, b.meta().maxTime() - b.meta().minTime());
      }
      assertThat(select(db, LOAD, NEWEST - 20 * H, NEWEST, null)).hasSize((int) (20 * H / STEP));
      assertThat(select(db, LOAD, -1, NEWEST - 20 * H - span, null)).isEmpty();
      assertThat(select(db, DEBUG, NEWEST - 6 * H, NEWEST, null)).hasSize((int) (6 * H / STEP));
      assertThat(select(db, DEBUG, -1, NEWEST - 6 * H - span, null)).isEmpty();
      assertThat(select(db, cpu(0), -1, NEWEST - 6 * H - span, null)).isEmpty();
      assertThat(db.downsampledBlocks()).isEmpty();
    }
  }
}
