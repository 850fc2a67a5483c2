package dev.osprey.core.storage.memory;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.DuplicateSampleException;
import dev.osprey.core.storage.OutOfOrderSampleException;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import dev.osprey.core.storage.Storage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The reference storage: every sample in plain arrays, every select a scan. Small and obviously
 * right, so that the query engine can be built and tested before (and against) the tsdb, and so
 * that the storage contract test has a second implementation.
 */
public final class MemStorage implements Storage {
  private final TreeMap<Labels, Series> series = new TreeMap<>();
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final dev.osprey.core.storage.SampleChanges changes =
      new dev.osprey.core.storage.SampleChanges();

  private static final class Series {
    final Labels labels;
    long[] t = new long[8];
    double[] v = new double[8];
    FloatHistogram[] h; // null while the series holds floats only
    long[] st; // start times; null while every sample's is unknown
    int n;

    Series(Labels labels) {
      this.labels = labels;
    }

    void add(long ts, double val, FloatHistogram hist, long start) {
      if (n == t.length) {
        t = Arrays.copyOf(t, n * 2);
        v = Arrays.copyOf(v, n * 2);
        if (h != null) {
          h = Arrays.copyOf(h, n * 2);
        }
        if (st != null) {
          st = Arrays.copyOf(st, n * 2);
        }
      }
      if (hist != null && h == null) {
        h = new FloatHistogram[t.length];
      }
      if (start != SampleIterator.NO_START_TIME && st == null) {
        st = new long[t.length]; // earlier samples: NO_START_TIME (0)
      }
      t[n] = ts;
      v[n] = val;
      if (h != null) {
        h[n] = hist;
      }
      if (st != null) {
        st[n] = start;
      }
      n++;
    }
  }

  private record Pending(Labels labels, long t, double v, FloatHistogram h, long st) {}

  @Override
  public Appender appender() {
    return new Appender() {
      private final List<Pending> pending = new ArrayList<>();
      private final Map<Labels, Pending> lastInBatch = new java.util.HashMap<>();
      private boolean done;

      @Override
      public long append(long ref, Labels labels, long t, double v) {
        return add(labels, t, v, null, SampleIterator.NO_START_TIME);
      }

      @Override
      public long appendHistogram(long ref, Labels labels, long t, FloatHistogram h) {
        return add(labels, t, 0, java.util.Objects.requireNonNull(h), SampleIterator.NO_START_TIME);
      }

      @Override
      public long appendWithStartTime(long ref, Labels labels, long st, long t, double v) {
        return add(labels, t, v, null, st);
      }

      @Override
      public long appendHistogramWithStartTime(
          long ref, Labels labels, long st, long t, FloatHistogram h) {
        return add(labels, t, 0, java.util.Objects.requireNonNull(h), st);
      }

      private long add(Labels labels, long t, double v, FloatHistogram h, long st) {
        if (done) {
          throw new IllegalStateException("BUG: appender used after commit or rollback");
        }
        Pending last = lastInBatch.get(labels);
        if (last == null) {
          lock.readLock().lock();
          try {
            Series s = series.get(labels);
            if (s != null && s.n > 0) {
              last =
                  new Pending(
                      labels,
                      s.t[s.n - 1],
                      s.v[s.n - 1],
                      s.h == null ? null : s.h[s.n - 1],
                      s.st == null ? SampleIterator.NO_START_TIME : s.st[s.n - 1]);
            }
          } finally {
            lock.readLock().unlock();
          }
        }
        if (last != null) {
          if (t < last.t()) {
            throw new OutOfOrderSampleException(labels, t);
          }
          if (t == last.t()) {
            boolean same =
                st == last.st()
                    && (h == null
                        ? last.h() == null
                            && Double.doubleToRawLongBits(v) == Double.doubleToRawLongBits(last.v())
                        : h.equals(last.h()));
            if (same) {
              return 0; // an identical replay is accepted and ignored
            }
            throw new DuplicateSampleException(labels, t);
          }
        }
        Pending p = new Pending(labels, t, v, h, st);
        pending.add(p);
        lastInBatch.put(labels, p);
        return 0;
      }

      @Override
      public void commit() {
        done = true;
        long minT = Long.MAX_VALUE;
        lock.writeLock().lock();
        try {
          for (Pending p : pending) {
            series.computeIfAbsent(p.labels(), Series::new).add(p.t(), p.v(), p.h(), p.st());
            minT = Math.min(minT, p.t());
          }
        } finally {
          lock.writeLock().unlock();
        }
        changes.committed(minT);
      }

      @Override
      public void rollback() {
        done = true;
      }
    };
  }

  @Override
  public Querier querier() {
    return new Querier() {
      @Override
      public SeriesSet select(long mint, long maxt, SelectHints hints, LabelMatcher... matchers) {
        List<Labels> ls = new ArrayList<>();
        List<long[]> ts = new ArrayList<>();
        List<double[]> vs = new ArrayList<>();
        List<FloatHistogram[]> hs = new ArrayList<>();
        List<long[]> sts = new ArrayList<>();
        lock.readLock().lock();
        try {
          for (Series s : series.values()) {
            if (!matchesAll(s.labels, matchers)) {
              continue;
            }
            int from = lowerBound(s.t, s.n, mint);
            int to = lowerBound(s.t, s.n, maxt + 1);
            if (from >= to) {
              continue;
            }
            ls.add(s.labels);
            ts.add(Arrays.copyOfRange(s.t, from, to));
            vs.add(Arrays.copyOfRange(s.v, from, to));
            hs.add(s.h == null ? null : Arrays.copyOfRange(s.h, from, to));
            sts.add(s.st == null ? null : Arrays.copyOfRange(s.st, from, to));
          }
        } finally {
          lock.readLock().unlock();
        }
        return new SeriesSet() {
          int i = -1;

          @Override
          public boolean next() {
            return ++i < ls.size();
          }

          @Override
          public Labels labels() {
            return ls.get(i);
          }

          @Override
          public SampleIterator iterator(SampleIterator reuse) {
            return new ArrayIterator(ts.get(i), vs.get(i), hs.get(i), sts.get(i));
          }
        };
      }

      @Override
      public List<String> labelNames(long mint, long maxt, LabelMatcher... matchers) {
        TreeSet<String> out = new TreeSet<>(dev.osprey.core.labels.Utf8Order::compare);
        forMatching(mint, maxt, matchers, l -> out.addAll(l.names()));
        return List.copyOf(out);
      }

      @Override
      public List<String> labelValues(long mint, long maxt, String name, LabelMatcher... matchers) {
        TreeSet<String> out = new TreeSet<>(dev.osprey.core.labels.Utf8Order::compare);
        forMatching(
            mint,
            maxt,
            matchers,
            l -> {
              String v = l.get(name);
              if (!v.isEmpty()) {
                out.add(v);
              }
            });
        return List.copyOf(out);
      }

      private void forMatching(
          long mint, long maxt, LabelMatcher[] matchers, java.util.function.Consumer<Labels> c) {
        lock.readLock().lock();
        try {
          for (Series s : series.values()) {
            int from = lowerBound(s.t, s.n, mint);
            if (from < s.n && s.t[from] <= maxt && matchesAll(s.labels, matchers)) {
              c.accept(s.labels);
            }
          }
        } finally {
          lock.readLock().unlock();
        }
      }

      @Override
      public void close() {}
    };
  }

  static boolean matchesAll(Labels l, LabelMatcher[] matchers) {
    for (LabelMatcher m : matchers) {
      if (!m.matches(l.get(m.name()))) {
        return false;
      }
    }
    return true;
  }

  private static int lowerBound(long[] a, int n, long key) {
    int lo = 0;
    int hi = n;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] < key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  @Override
  public dev.osprey.core.storage.SampleChanges changes() {
    return changes;
  }

  @Override
  public long minTime() {
    lock.readLock().lock();
    try {
      long min = Long.MAX_VALUE;
      for (Series s : series.values()) {
        if (s.n > 0) {
          min = Math.min(min, s.t[0]);
        }
      }
      return min;
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public void close() {}

  /** Iterates over two parallel arrays. */
  public static final class ArrayIterator implements SampleIterator {
    private final long[] t;
    private final double[] v;
    private final FloatHistogram[] h;
    private final long[] st;
    private int i = -1;

    public ArrayIterator(long[] t, double[] v) {
      this(t, v, null);
    }

    /** Over parallel arrays where {@code h[i]}, when not null, is sample i's histogram. */
    public ArrayIterator(long[] t, double[] v, FloatHistogram[] h) {
      this(t, v, h, null);
    }

    /**
     * As {@link #ArrayIterator(long[], double[], FloatHistogram[])}, with {@code st[i]} sample i's
     * start time ({@code st} null: every start time unknown).
     */
    public ArrayIterator(long[] t, double[] v, FloatHistogram[] h, long[] st) {
      this.t = t;
      this.v = v;
      this.h = h;
      this.st = st;
    }

    @Override
    public boolean mayHaveStartTimes() {
      return st != null;
    }

    @Override
    public long st() {
      return st == null ? NO_START_TIME : st[i];
    }

    @Override
    public boolean mayHaveHistograms() {
      return h != null;
    }

    @Override
    public FloatHistogram histogram() {
      return h == null ? null : h[i];
    }

    @Override
    public boolean next() {
      return ++i < t.length;
    }

    @Override
    public boolean seek(long ts) {
      if (i < 0) {
        i = 0;
      }
      while (i < t.length && t[i] < ts) {
        i++;
      }
      return i < t.length;
    }

    @Override
    public long t() {
      return t[i];
    }

    @Override
    public double v() {
      return v[i];
    }
  }
}
