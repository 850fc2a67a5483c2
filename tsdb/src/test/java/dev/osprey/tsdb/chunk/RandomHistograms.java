package dev.osprey.tsdb.chunk;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.storage.StaleNaN;
import java.util.SplittableRandom;

/**
 * Random native histograms for tests: counter-like sequences (growing counts, occasional resets,
 * schema and layout changes), custom buckets, float counts, stale markers and every hint.
 */
public final class RandomHistograms {
  private final SplittableRandom r;
  private int schema;
  private double[] custom;
  private int[] idx;
  private double[] cnt;
  private int[] nIdx;
  private double[] nCnt;
  private double sum;
  private double zero;
  private boolean floats;

  public RandomHistograms(long seed) {
    r = new SplittableRandom(seed);
    newLayout();
  }

  private void newLayout() {
    boolean customBuckets = r.nextInt(4) == 0;
    schema = customBuckets ? FloatHistogram.CUSTOM_BUCKETS_SCHEMA : r.nextInt(-4, 9);
    custom = null;
    int n = r.nextInt(0, 12);
    if (customBuckets) {
      custom = new double[n + r.nextInt(3)];
      double b = r.nextDouble() * 0.1;
      for (int i = 0; i < custom.length; i++) {
        b += 0.05 + r.nextDouble();
        custom[i] = b;
      }
      n = Math.min(n, custom.length + 1);
    }
    idx = indices(n, customBuckets ? 0 : -20);
    if (customBuckets) {
      for (int i = 0; i < n; i++) {
        idx[i] = i; // custom bucket indices: 0..len(custom_values)
      }
    }
    cnt = new double[n];
    int m = customBuckets ? 0 : r.nextInt(0, 5);
    nIdx = indices(m, -10);
    nCnt = new double[m];
    sum = 0;
    zero = 0;
    floats = r.nextInt(5) == 0;
  }

  private int[] indices(int n, int from) {
    int[] a = new int[n];
    int at = from + r.nextInt(20);
    for (int i = 0; i < n; i++) {
      at += 1 + (r.nextInt(4) == 0 ? r.nextInt(5) : 0);
      a[i] = at;
    }
    return a;
  }

  private double inc() {
    return floats ? r.nextDouble() * 10 : r.nextInt(0, 20);
  }

  /** The next histogram of the sequence. */
  public FloatHistogram next() {
    int what = r.nextInt(40);
    if (what == 0) {
      newLayout(); // schema change (or a reset with new buckets)
    } else if (what == 1) {
      java.util.Arrays.fill(cnt, 0); // reset
      java.util.Arrays.fill(nCnt, 0);
      sum = 0;
      zero = 0;
    } else if (what == 2) {
      return stale();
    }
    double count = 0;
    for (int i = 0; i < cnt.length; i++) {
      cnt[i] += inc();
      count += cnt[i];
    }
    for (int i = 0; i < nCnt.length; i++) {
      nCnt[i] += inc();
      count += nCnt[i];
    }
    if (schema != FloatHistogram.CUSTOM_BUCKETS_SCHEMA) {
      zero += inc();
      count += zero;
    }
    sum += r.nextInt(3) == 0 ? r.nextInt(100) : r.nextDouble() * 1000 - 100;
    FloatHistogram.CounterResetHint hint =
        FloatHistogram.CounterResetHint.values()[r.nextInt(6) < 3 ? 0 : r.nextInt(4)];
    return FloatHistogram.ofSparse(
        schema,
        schema == FloatHistogram.CUSTOM_BUCKETS_SCHEMA ? 0 : (r.nextInt(3) == 0 ? 0.001 : 0),
        zero,
        count,
        sum,
        idx,
        cnt,
        nIdx,
        nCnt,
        custom,
        hint);
  }

  /** A stale marker: a histogram whose sum is the stale NaN, as Prometheus writes it. */
  public static FloatHistogram stale() {
    return FloatHistogram.ofSparse(
        0,
        0,
        0,
        0,
        Double.longBitsToDouble(StaleNaN.BITS),
        new int[0],
        new double[0],
        new int[0],
        new double[0],
        null,
        FloatHistogram.CounterResetHint.UNKNOWN);
  }
}
