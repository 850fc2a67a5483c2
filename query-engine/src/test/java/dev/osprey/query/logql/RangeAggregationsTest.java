package dev.osprey.query.logql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RangeAggregationsTest {
  @Test
  void foldedStepsAgreeWithWindowsOverKeptSamples() {
    Random r = new Random(3);
    String[] fns = {
      "count_over_time",
      "rate",
      "bytes_over_time",
      "bytes_rate",
      "sum_over_time",
      "avg_over_time",
      "min_over_time",
      "max_over_time"
    };
    for (int round = 0; round < 50; round++) {
      int n = r.nextInt(200);
      long[] ts = new long[n];
      double[] vs = new double[n];
      for (int i = 0; i < n; i++) {
        ts[i] = r.nextInt(10_000);
        vs[i] = r.nextInt(100) - 20;
      }
      Arrays.sort(ts);
      long start = r.nextInt(3000);
      long step = round % 5 == 0 ? 0 : 1 + r.nextInt(500);
      int steps = step == 0 ? 1 : 1 + r.nextInt(30);
      long range = 1 + r.nextInt(2000);
      long offset = r.nextInt(3) == 0 ? r.nextInt(500) : 0;
      for (String fn : fns) {
        double[] want = new double[steps];
        RangeAggregations.evaluate(fn, null, ts, vs, n, start, step, steps, range, offset, want);
        RangeAggregations.StepAccumulator a = new RangeAggregations.StepAccumulator(steps);
        for (int i = 0; i < n; i++) {
          a.add(ts[i], vs[i], start, step, steps, range, offset);
        }
        double[] got = new double[steps];
        a.result(fn, range / 1e9, got);
        for (int i = 0; i < steps; i++) {
          if (Double.isNaN(want[i])) {
            assertThat(got[i]).as("%s round %d step %d", fn, round, i).isNaN();
          } else {
            assertThat(got[i])
                .as("%s round %d step %d", fn, round, i)
                .isCloseTo(
                    want[i],
                    org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, Math.abs(want[i]))));
          }
        }
      }
    }
  }

  @Test
  void quantileInterpolates() {
    assertThat(RangeAggregations.quantile(0.5, new double[] {1, 3, 2, 4})).isEqualTo(2.5);
    assertThat(RangeAggregations.quantile(0.9, new double[] {10})).isEqualTo(10);
    assertThat(RangeAggregations.quantile(2, new double[] {1})).isInfinite();
  }

  @Test
  void rateCounterFollowsLokiOnResetsAndBounds() {
    long s = 1_000_000_000L;
    // 10, 20, 5 (reset), 15 at 1 s intervals, range 10 s: increase 10 + 20 (the reset) - 5 + 10 =
    // 25
    long[] ts = {1 * s, 2 * s, 3 * s, 4 * s};
    double[] vs = {10, 20, 5, 15};
    // toStart: the range (10 s) > 1.1 s, and the zero point 3 s * 10/15 = 2 s is also past 1.1 s:
    // half an interval at the start, none at the end: 25 * 3.5 / 3 / 10
    assertThat(RangeAggregations.rateCounter(ts, vs, 0, 4, 10 * s))
        .isCloseTo(25 * 3.5 / 3 / 10, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(RangeAggregations.rateCounter(ts, vs, 0, 1, 10 * s)).isZero();
    // a counter from 0: the zero point is the first sample, nothing added at the start
    assertThat(RangeAggregations.rateCounter(ts, new double[] {0, 1, 2, 3}, 0, 4, 10 * s))
        .isCloseTo(0.3, org.assertj.core.data.Offset.offset(1e-12));
  }
}
