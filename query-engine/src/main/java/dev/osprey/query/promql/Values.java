package dev.osprey.query.promql;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.labels.Labels;
import java.util.ArrayList;
import java.util.Arrays;

/** Values an expression evaluates to. */
public final class Values {
  private Values() {}

  /** One element of an instant vector. */
  public static final class Sample {
    public Labels labels;
    public double v;
    public long t;
    public boolean dropName;

    /** The native histogram when this is a histogram sample (then {@link #v} is unused). */
    public FloatHistogram h;

    public Sample(Labels labels, double v, long t, boolean dropName) {
      this.labels = labels;
      this.v = v;
      this.t = t;
      this.dropName = dropName;
    }

    public Sample(Labels labels, FloatHistogram h, long t, boolean dropName) {
      this.labels = labels;
      this.h = h;
      this.t = t;
      this.dropName = dropName;
    }
  }

  /** One series of a range vector / matrix: parallel timestamp and value arrays. */
  public static final class Series {
    public Labels labels;
    public long[] t;
    public double[] v;
    public int n;
    public boolean dropName;

    /** Per point the native histogram, or null for a float point; null while all are floats. */
    public FloatHistogram[] h;

    /**
     * Per point its start time (0: unknown), or null: set only on windows read straight from a
     * selector whose series has start times (subqueries and functions cut them, as upstream).
     */
    public long[] st;

    public Series(Labels labels, int capacity) {
      this.labels = labels;
      this.t = new long[Math.max(capacity, 1)];
      this.v = new double[Math.max(capacity, 1)];
    }

    public void add(long ts, double val) {
      if (n == t.length) {
        t = Arrays.copyOf(t, n * 2);
        v = Arrays.copyOf(v, n * 2);
      }
      t[n] = ts;
      v[n] = val;
      if (h != null) {
        if (h.length < t.length) {
          h = Arrays.copyOf(h, t.length);
        }
        h[n] = null;
      }
      n++;
    }

    /** Appends a histogram point. */
    public void addHistogram(long ts, FloatHistogram hist) {
      if (h == null) {
        h = new FloatHistogram[t.length];
      }
      add(ts, 0);
      h[n - 1] = hist;
    }

    /** The histogram at point i, or null for a float point. */
    public FloatHistogram histogram(int i) {
      return h == null ? null : h[i];
    }
  }

  public sealed interface Value permits ScalarV, StringV, VectorV, MatrixV {}

  public record ScalarV(double v) implements Value {}

  public record StringV(String s) implements Value {}

  public record VectorV(ArrayList<Sample> samples) implements Value {}

  public record MatrixV(ArrayList<Series> series) implements Value {}
}
