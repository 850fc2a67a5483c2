package dev.osprey.core.histogram;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.histogram.FloatHistogram.CounterResetHint;
import org.junit.jupiter.api.Test;

class FloatHistogramTest {
  private static FloatHistogram exp(int schema, int offset, double... buckets) {
    double count = 0;
    for (double b : buckets) {
      count += b;
    }
    return FloatHistogram.of(
        schema,
        0,
        0,
        count,
        count,
        new int[] {offset, buckets.length},
        buckets,
        null,
        null,
        null,
        CounterResetHint.UNKNOWN);
  }

  @Test
  void exponentialBoundsFollowTheSchema() {
    assertThat(FloatHistogram.bound(0, 0, null)).isEqualTo(1);
    assertThat(FloatHistogram.bound(0, 1, null)).isEqualTo(2);
    assertThat(FloatHistogram.bound(0, -1, null)).isEqualTo(0.5);
    assertThat(FloatHistogram.bound(1, 1, null)).isEqualTo(Math.sqrt(2));
    assertThat(FloatHistogram.bound(-1, 1, null)).isEqualTo(4);
    double[] cv = {5, 10};
    assertThat(FloatHistogram.bound(-53, 1, cv)).isEqualTo(10);
    assertThat(FloatHistogram.bound(-53, 2, cv)).isEqualTo(Double.POSITIVE_INFINITY);
  }

  @Test
  void zeroCountsAreCompactedAway() {
    FloatHistogram h = exp(0, 0, 1, 0, 2);
    assertThat(h.positiveBuckets()).isEqualTo(2);
    assertThat(h.positiveIndex(1)).isEqualTo(2);
    assertThat(h.positiveCount(1)).isEqualTo(2);
  }

  @Test
  void addReducesToTheCoarserSchema() {
    // schema 1 buckets 1 and 2 ((1, 1.41], (1.41, 2]) both fall into schema 0 bucket 1 ((1, 2])
    FloatHistogram fine = exp(1, 1, 3, 4);
    FloatHistogram coarse = exp(0, 1, 10);
    FloatHistogram sum = coarse.add(fine, null);
    assertThat(sum.schema()).isZero();
    assertThat(sum.positiveBuckets()).isEqualTo(1);
    assertThat(sum.positiveCount(0)).isEqualTo(17);
    assertThat(sum.count()).isEqualTo(17);
    FloatHistogram diff = sum.sub(fine, null);
    assertThat(diff.equalsIgnoringHint(coarse)).isTrue();
  }

  @Test
  void hintsCombineAsUpstream() {
    FloatHistogram.Notes notes = new FloatHistogram.Notes();
    FloatHistogram a = exp(0, 0, 1).withHint(CounterResetHint.COUNTER_RESET);
    FloatHistogram b = exp(0, 0, 1).withHint(CounterResetHint.NOT_COUNTER_RESET);
    assertThat(a.add(b, notes).counterResetHint()).isEqualTo(CounterResetHint.UNKNOWN);
    assertThat(notes.counterResetCollision).isTrue();
    FloatHistogram g = exp(0, 0, 1).withHint(CounterResetHint.GAUGE);
    assertThat(a.add(g, null).counterResetHint()).isEqualTo(CounterResetHint.GAUGE);
  }

  @Test
  void largerZeroThresholdSwallowsBuckets() {
    FloatHistogram wide =
        FloatHistogram.of(0, 1, 2, 2, 0, null, null, null, null, null, CounterResetHint.UNKNOWN);
    // bucket -1 is (0.25, 0.5], bucket 0 (0.5, 1]: both inside the threshold 1
    FloatHistogram narrow = exp(0, -1, 3, 4, 5);
    FloatHistogram sum = narrow.add(wide, null);
    assertThat(sum.zeroThreshold()).isEqualTo(1);
    assertThat(sum.zeroCount()).isEqualTo(2 + 3 + 4);
    assertThat(sum.positiveBuckets()).isEqualTo(1);
    assertThat(sum.positiveIndex(0)).isEqualTo(1);
  }

  @Test
  void customBucketsAreReconciledOrRefused() {
    FloatHistogram a =
        FloatHistogram.of(
            -53,
            0,
            0,
            6,
            0,
            new int[] {0, 3},
            new double[] {1, 2, 3},
            null,
            null,
            new double[] {1, 2},
            CounterResetHint.UNKNOWN);
    FloatHistogram b =
        FloatHistogram.of(
            -53,
            0,
            0,
            2,
            0,
            new int[] {0, 2},
            new double[] {1, 1},
            null,
            null,
            new double[] {2},
            CounterResetHint.UNKNOWN);
    FloatHistogram.Notes notes = new FloatHistogram.Notes();
    FloatHistogram sum = a.add(b, notes);
    assertThat(notes.customBucketsReconciled).isTrue();
    assertThat(sum.customValues()).containsExactly(2);
    assertThat(sum.positiveCount(0)).isEqualTo(1 + 2 + 1);
    assertThat(sum.positiveCount(1)).isEqualTo(3 + 1);
    assertThatThrownBy(() -> a.add(exp(0, 0, 1), null))
        .isInstanceOf(FloatHistogram.IncompatibleSchemaException.class);
  }

  @Test
  void resetsAreDetectedPerBucketAndByHint() {
    FloatHistogram prev = exp(0, 0, 2, 3);
    assertThat(exp(0, 0, 2, 4).detectReset(prev)).isFalse();
    assertThat(exp(0, 0, 3, 2, 1).detectReset(prev)).isTrue(); // bucket 1 went down
    assertThat(exp(0, 1, 5, 1).detectReset(prev)).isTrue(); // bucket 0 vanished
    assertThat(exp(1, 0, 2, 3).detectReset(prev)).isTrue(); // resolution went up
    assertThat(exp(-1, 0, 2, 3).detectReset(prev)).isFalse(); // coarser: buckets merge
    assertThat(exp(0, 0, 1).withHint(CounterResetHint.NOT_COUNTER_RESET).detectReset(prev))
        .isFalse();
  }

  @Test
  void scalingTouchesEveryCount() {
    FloatHistogram h = exp(0, 0, 2, 4).mul(0.5);
    assertThat(h.count()).isEqualTo(3);
    assertThat(h.sum()).isEqualTo(3);
    assertThat(h.positiveCount(1)).isEqualTo(2);
    assertThat(h.div(2).positiveCount(0)).isEqualTo(0.5);
  }

  @Test
  void kahanAddKeepsWhatPlainAdditionLoses() {
    // bucket 1 and the sum go 3.1, +1e100, -1e100, +1.3: plain addition ends at 1.3
    double[] bucket = {3.1, 1e100, -1e100, 1.3};
    FloatHistogram sum = null;
    FloatHistogram plain = null;
    FloatHistogram comp = null;
    for (double b : bucket) {
      FloatHistogram h = exp(0, 1, b);
      if (sum == null) {
        sum = h;
        plain = h;
        continue;
      }
      FloatHistogram.Compensated k = sum.kahanAdd(h, comp, null);
      sum = k.sum();
      comp = k.compensation();
      plain = plain.add(h, null);
    }
    assertThat(plain.sum()).isEqualTo(1.3);
    FloatHistogram v = new FloatHistogram.Compensated(sum, comp).value();
    assertThat(v.sum()).isEqualTo(4.4);
    assertThat(v.count()).isEqualTo(4.4);
    assertThat(v.positiveBuckets()).isEqualTo(1);
    assertThat(v.positiveCount(0)).isEqualTo(4.4);
  }

  @Test
  void kahanAddReconcilesSchemasAndReportsOverflow() {
    FloatHistogram fine = exp(1, 1, 3, 4);
    FloatHistogram coarse = exp(0, 1, 10);
    FloatHistogram.Compensated k = coarse.kahanAdd(fine, null, null);
    assertThat(k.value().equalsIgnoringHint(coarse.add(fine, null))).isTrue();
    assertThat(k.sum().hasOverflow()).isFalse();
    FloatHistogram big = exp(0, 1, Double.MAX_VALUE);
    assertThat(big.kahanAdd(big, null, null).sum().hasOverflow()).isTrue();
  }

  private static FloatHistogram nhcb(double[] bounds, double... buckets) {
    double count = 0;
    for (double b : buckets) {
      count += b;
    }
    return FloatHistogram.of(
        FloatHistogram.CUSTOM_BUCKETS_SCHEMA,
        0,
        0,
        count,
        count,
        new int[] {0, buckets.length},
        buckets,
        null,
        null,
        bounds,
        CounterResetHint.UNKNOWN);
  }

  @Test
  void changedCustomBoundsAreComparedOnTheCommonOnes() {
    FloatHistogram before = nhcb(new double[] {2, 4, 6}, 1, 2, 5, 7);
    // finer bounds, every common bucket grew: no reset
    FloatHistogram finer =
        nhcb(new double[] {1, 2, 3, 4, 5, 6, 7, 8}, 10, 20, 30, 40, 50, 60, 70, 80, 90);
    assertThat(finer.detectReset(before)).isFalse();
    // a bucket split in two, (2, 4] went from 2 to 0 + 1: reset
    FloatHistogram split = nhcb(new double[] {2, 3, 4, 6}, 1, 0, 1, 5, 8);
    assertThat(split.detectReset(before)).isTrue();
    // no common bound: only the +Inf bucket is compared
    FloatHistogram other = nhcb(new double[] {5, 10}, 3);
    assertThat(other.detectReset(nhcb(new double[] {1}, 3))).isFalse();
    assertThat(other.detectReset(nhcb(new double[] {1}, 4))).isTrue();
  }
}
