package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.query.promql.Engine;
import dev.osprey.query.promql.QueryResult;
import dev.osprey.tsdb.Tsdb;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PromQL through the real engine over a tsdb whose older data was downsampled by a retention rule
 * (raw 2 h, 5 m aggregates), against the same samples kept raw: the engine passes no function
 * hints, so this is what users get from the default views.
 */
class DownsampledPromqlTest {
  static final long H = 3_600_000;

  @TempDir Path rawDir;
  @TempDir Path dsDir;

  /** 30 h of a counter (about 1/s, reset at 10 h) and a gauge, 15 s apart with ±2 ms jitter. */
  static void fill(Tsdb db) {
    Random r = new Random(1);
    double c = 0;
    for (long t = 0; t < 30 * H; t += 15_000) {
      Appender a = db.appender();
      if (t == 10 * H) {
        c = 0;
      }
      c += 15 * (0.5 + r.nextDouble());
      a.append(0, Labels.of("__name__", "c_total", "job", "x"), t + r.nextInt(5) - 2, c);
      double g = 1000 + 100 * Math.sin(t / 3e6) + r.nextGaussian();
      a.append(0, Labels.of("__name__", "g", "job", "x"), t + r.nextInt(5) - 2, g);
      a.commit();
    }
    db.flush();
    db.compact();
  }

  static double value(Engine e, String q, long t) {
    QueryResult res = e.instantQuery(q, t);
    assertThat(res.vector()).as("%s at %d h", q, t / H).hasSize(1);
    return res.vector().get(0).v;
  }

  @Test
  void rateIncreaseAndAvgOverDownsampledDataMatchRaw() {
    TsdbConfig none = new TsdbConfig(Duration.ofDays(10), null, null, "never");
    TsdbConfig rules =
        new TsdbConfig(
            Duration.ofDays(10),
            null,
            null,
            "never",
            List.of(
                new TsdbConfig.RetentionRule(
                    "{job=\"x\"}",
                    Duration.ofHours(2),
                    List.of(
                        new TsdbConfig.Downsample(Duration.ofMinutes(5), Duration.ofDays(10))))));
    try (Tsdb db = Tsdb.open(rawDir, none, new SimpleMeterRegistry())) {
      fill(db);
    }
    try (Tsdb db = Tsdb.open(dsDir, none, new SimpleMeterRegistry())) {
      fill(db);
    }
    try (Tsdb raw = Tsdb.open(rawDir, none, new SimpleMeterRegistry());
        Tsdb ds = Tsdb.open(dsDir, rules, new SimpleMeterRegistry())) {
      ds.compact();
      assertThat(ds.downsampledBlocks()).isNotEmpty();
      Engine er = new Engine(raw, QueryConfig.DEFAULTS);
      Engine ed = new Engine(ds, QueryConfig.DEFAULTS);
      // ranges that end before the raw data (26 h on): a range holding raw samples and windows
      // weights each window's average like one raw sample (see tsdb/docs/retention.md)
      for (long t = 6 * H; t <= 24 * H; t += 2 * H) {
        double want = value(er, "rate(c_total[1h])", t);
        assertThat(value(ed, "rate(c_total[1h])", t)).isCloseTo(want, within(want * 0.02));
        want = value(er, "increase(c_total[2h])", t);
        assertThat(value(ed, "increase(c_total[2h])", t)).isCloseTo(want, within(want * 0.02));
        want = value(er, "avg_over_time(g[1h])", t);
        assertThat(value(ed, "avg_over_time(g[1h])", t)).isCloseTo(want, within(want * 0.001));
        // min/max/sum read their own columns (the engine tells storage the function), not the
        // window averages; a raw range and the windows differ by at most a sample at each end
        for (String f : List.of("min_over_time", "max_over_time")) {
          want = value(er, f + "(g[1h])", t);
          assertThat(value(ed, f + "(g[1h])", t)).as(f).isCloseTo(want, within(want * 0.003));
        }
        want = value(er, "sum_over_time(g[1h])", t);
        assertThat(value(ed, "sum_over_time(g[1h])", t)).isCloseTo(want, within(want * 0.01));
        // a counter's instant value is a real sample: the window's last, at most 5 m old
        double got = value(ed, "c_total", t);
        double lo = value(er, "c_total offset 5m", t);
        assertThat(got).isBetween(Math.min(lo, value(er, "c_total", t)), value(er, "c_total", t));
      }
    }
  }
}
