package dev.osprey.query.promql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.StaleNaN;
import dev.osprey.core.storage.memory.MemStorage;
import dev.osprey.query.promql.Values.Sample;
import dev.osprey.query.promql.Values.Series;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Range queries take whole-range shortcuts (sliding windows, fused aggregations); instant queries
 * never do. Every step of a range query must equal the instant query at that time, bit for bit, on
 * data with gaps, counter resets, staleness markers and irregular scrapes.
 */
class RangeEvaluationTest {
  private static final long STEP = 60_000;
  private static final long START = 3_600_000;
  private static final long END = START + 40 * STEP;

  private static MemStorage data() {
    MemStorage s = new MemStorage();
    Appender a = s.appender();
    Random r = new Random(42);
    for (int i = 0; i < 40; i++) {
      Labels l =
          Labels.of(
              "__name__",
              i % 3 == 0 ? "gauge_bytes" : "req_total",
              "ns",
              "ns-" + (i % 4),
              "pod",
              "p-" + i,
              "le",
              i % 2 == 0 ? "+Inf" : "0.5");
      double v = r.nextInt(100);
      long t = r.nextInt(15_000);
      while (t < END + 10 * STEP) {
        if (r.nextInt(50) == 0) {
          a.append(0, l, t, StaleNaN.VALUE);
          t += 5 * STEP; // a gap after the marker
          continue;
        }
        // occasional resets, except in every fifth series (which only ever grows)
        v = i % 5 != 1 && r.nextInt(40) == 0 ? r.nextInt(5) : v + r.nextInt(20);
        a.append(0, l, t, i % 7 == 0 ? r.nextGaussian() * 1e6 : v);
        t += 10_000 + r.nextInt(10_000);
      }
    }
    a.commit();
    return s;
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "sum by (ns) (rate(req_total[5m]))",
        "sum(rate(req_total[2m] offset 3m))",
        "avg without (pod) (increase({__name__=~\".+\"}[5m]))",
        "max by (ns, le) (delta(gauge_bytes[4m]))",
        "min(irate(req_total[3m]))",
        "count by (ns) (idelta(req_total[1m]))",
        "stddev by (ns) (sum_over_time(gauge_bytes[10m]))",
        "stdvar(avg_over_time(req_total[7m]))",
        "group by (pod) (count_over_time(req_total[30s]))",
        "sum by (__name__) (last_over_time({__name__=~\".+\"}[5m]))",
        "sum by (__name__) (rate(req_total[5m]))",
        "max(min_over_time(gauge_bytes[5m])) - min(max_over_time(gauge_bytes[5m]))",
        "sum(present_over_time(req_total[1m]))",
        "sum(changes(req_total[10m])) / sum(resets(req_total[10m]))",
        "sum(stddev_over_time(gauge_bytes[5m])) + sum(stdvar_over_time(gauge_bytes[5m]))",
        "count({__name__=~\".+\"})",
        "count by (pod) (req_total)",
        "sum without (le) (gauge_bytes offset 2m)",
        "topk(3, sum by (ns, pod) (req_total))",
        "histogram_quantile(0.9, sum by (le, ns) (rate(req_total[5m])))",
        "max_over_time(sum(rate(req_total[5m]))[30m:1m])",
        "max_over_time(sum(rate(req_total[5m]))[30m:1m] offset 90s)",
        "avg_over_time(count by (ns) (req_total)[10m:45s])",
        "sum_over_time(sum(rate(req_total[1m]))[2m:20s])",
        "min_over_time(max(req_total)[5m:])",
        "sum(rate(req_total[5m] @ 3700))",
        "avg by (ns) (req_total)"
      })
  void everyStepEqualsTheInstantQuery(String expr) {
    MemStorage s = data();
    Engine e = new Engine(s, 60_000, 50_000_000, 300_000, 60_000);
    QueryResult range = e.rangeQuery(expr, START, END, STEP);
    Map<Labels, Map<Long, Double>> byLabels = pointsByLabels(range);
    int points = 0;
    HashSet<String> infos = new HashSet<>();
    for (long t = START; t <= END; t += STEP) {
      QueryResult inst = e.instantQuery(expr, t);
      infos.addAll(inst.infos());
      List<Sample> vec = inst.vector();
      assertStepEqualsInstant(byLabels, vec, t, expr);
      points += vec.size();
    }
    assertThat(new HashSet<>(range.infos())).isEqualTo(infos);
    assertThat(points).as("the query returns something").isPositive();
  }

  /**
   * Sum and count keep their (step, group) cells in flat arrays up to {@link
   * FusedAggregation#FLAT_MAX_CELLS}; past it, midway through the series, the cells move into group
   * objects and the rest is fed there. Steps of one second over half an hour make 1801 steps, so
   * the 700 groups here pass the limit (582 of them fit).
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "sum by (pod) (rate(req_total[1m]))",
        "count by (pod) (req_total)",
        "sum by (pod) (req_total)"
      })
  void manyGroupsOverManyStepsEqualTheInstantQueries(String expr) {
    int pods = 700;
    long step = 1_000;
    long start = 3_600_000;
    long end = start + 1_800_000;
    assertThat((long) pods * ((end - start) / step + 1))
        .isGreaterThan(FusedAggregation.FLAT_MAX_CELLS);
    MemStorage s = new MemStorage();
    Appender a = s.appender();
    Random r = new Random(7);
    for (int i = 0; i < pods; i++) {
      Labels l = Labels.of("__name__", "req_total", "pod", "p-" + i);
      double v = 0;
      // series that begin late: a group's first step differs, so step rows list groups in
      // different orders
      for (long t = r.nextInt(600_000); t <= end; t += 15_000) {
        v += r.nextInt(100) / 7.0;
        a.append(0, l, t, v);
      }
    }
    a.commit();
    Engine e = new Engine(s, 60_000, 50_000_000, 300_000, 60_000);
    Map<Labels, Map<Long, Double>> byLabels = pointsByLabels(e.rangeQuery(expr, start, end, step));
    assertThat(byLabels).hasSize(pods);
    for (long t = start; t <= end; t += 37 * step) {
      assertStepEqualsInstant(byLabels, e.instantQuery(expr, t).vector(), t, expr);
    }
  }

  /**
   * The range answer's points at {@code t} are the instant answer's, series for series, bit for
   * bit.
   */
  private static void assertStepEqualsInstant(
      Map<Labels, Map<Long, Double>> byLabels, List<Sample> vec, long t, String expr) {
    int inRange = 0;
    for (Map<Long, Double> pts : byLabels.values()) {
      if (pts.containsKey(t)) {
        inRange++;
      }
    }
    assertThat(inRange).as("series at %d for %s", t, expr).isEqualTo(vec.size());
    for (Sample smp : vec) {
      Map<Long, Double> pts = byLabels.get(smp.labels);
      assertThat(pts).as("%s at %d for %s", smp.labels, t, expr).isNotNull();
      assertThat(Double.doubleToLongBits(pts.get(t)))
          .as("%s at %d for %s", smp.labels, t, expr)
          .isEqualTo(Double.doubleToLongBits(smp.v));
    }
  }

  /** A range query's points, by series labels and time. */
  private static Map<Labels, Map<Long, Double>> pointsByLabels(QueryResult range) {
    Map<Labels, Map<Long, Double>> byLabels = new TreeMap<>(Labels::compareTo);
    for (Series ser : range.matrix()) {
      Map<Long, Double> pts = new TreeMap<>();
      for (int i = 0; i < ser.n; i++) {
        pts.put(ser.t[i], ser.v[i]);
      }
      byLabels.put(ser.labels, pts);
    }
    return byLabels;
  }
}
