package dev.osprey.tsdb.query;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.storage.SampleIterator;

/**
 * Merges time-ordered iterators that may overlap into one time-ordered iterator. At equal
 * timestamps the earliest iterator in the list wins and the others skip the sample.
 *
 * <p>A bulk {@link #read} copies runs from one source with that source's own bulk read whenever
 * everything it has left ({@link Bounded}) comes before every other source's next sample: blocks
 * hold disjoint time ranges, so a series spread over several blocks and the head is read as a few
 * bulk reads, not sample by sample. Reusable through {@link #reset}; slots let a caller keep one
 * iterator per source for the next series.
 */
public final class MergeIterator implements SampleIterator, Bounded {
  private SampleIterator[] its;
  private int n;
  private boolean[] live;
  private long[] heads; // the current timestamp of each live source
  private boolean started;
  private int cur = -1;
  private boolean atEnd; // a bulk read ran out: on the last sample it copied, kept here
  private long endT;
  private double endV;
  private final SampleIterator[] slots; // per source of the caller, for reuse; may be empty

  public MergeIterator(SampleIterator... its) {
    this.slots = new SampleIterator[0];
    init(its, its.length);
  }

  /** An empty merge with {@code slots} places for the caller's reusable sources. */
  public MergeIterator(int slots) {
    this.slots = new SampleIterator[slots];
    init(new SampleIterator[slots], 0);
  }

  private void init(SampleIterator[] its, int n) {
    this.its = its;
    this.n = n;
    if (live == null || live.length < its.length) {
      live = new boolean[its.length];
      heads = new long[its.length];
    }
    started = false;
    cur = -1;
    atEnd = false;
  }

  /** The number of slots. */
  public int slots() {
    return slots.length;
  }

  /** The caller's source kept in slot {@code i} (null if none). */
  public SampleIterator slot(int i) {
    return slots[i];
  }

  /** Keeps {@code it} in slot {@code i}, for the caller's next reset. */
  public void setSlot(int i, SampleIterator it) {
    slots[i] = it;
  }

  /** Merges the first {@code n} of {@code sources} from now on (copied; the array is free). */
  public MergeIterator reset(SampleIterator[] sources, int n) {
    SampleIterator[] a = its.length >= n ? its : new SampleIterator[n];
    System.arraycopy(sources, 0, a, 0, n);
    for (int i = n; i < a.length; i++) {
      a[i] = null;
    }
    init(a, n);
    return this;
  }

  private void start() {
    started = true;
    for (int i = 0; i < n; i++) {
      advance(i);
    }
  }

  private void advance(int i) {
    SampleIterator it = its[i];
    boolean l = it.next();
    live[i] = l;
    if (l) {
      heads[i] = it.t();
    }
  }

  private boolean pick() {
    cur = -1;
    long best = Long.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      if (live[i] && (cur < 0 || heads[i] < best)) {
        cur = i;
        best = heads[i];
      }
    }
    return cur >= 0;
  }

  @Override
  public boolean next() {
    atEnd = false;
    if (!started) {
      start();
      return pick();
    }
    if (cur < 0) {
      return false;
    }
    long t = heads[cur];
    for (int i = 0; i < n; i++) {
      if (live[i] && heads[i] == t) {
        advance(i);
      }
    }
    return pick();
  }

  @Override
  public int read(long[] t, double[] v, int off, int max) {
    if (atEnd || max <= 0) {
      return 0; // ran out before: stays on the last sample
    }
    boolean had = started && cur >= 0;
    long prevT = had ? heads[cur] : 0;
    double prevV = had ? its[cur].v() : 0;
    int k = 0;
    while (k < max) {
      if (!next()) {
        if (k > 0 || had) { // stay on the last sample copied
          atEnd = true;
          endT = k > 0 ? t[off + k - 1] : prevT;
          endV = k > 0 ? v[off + k - 1] : prevV;
        }
        break;
      }
      SampleIterator it = its[cur];
      t[off + k] = heads[cur];
      v[off + k] = it.v();
      k++;
      if (k == max) {
        break;
      }
      long bound = Long.MAX_VALUE; // the next sample of any other source
      boolean others = false;
      for (int i = 0; i < n; i++) {
        if (i != cur && live[i]) {
          others = true;
          bound = Math.min(bound, heads[i]);
        }
      }
      if (!others || Bounded.of(it) < bound) {
        // all that is left of this source comes first
        int got = it.read(t, v, off + k, max - k);
        k += got;
        heads[cur] = t[off + k - 1];
      }
    }
    return k;
  }

  @Override
  public boolean seek(long target) {
    if (atEnd) {
      return endT >= target; // nothing is left after it
    }
    if (!started) {
      started = true;
      for (int i = 0; i < n; i++) {
        boolean l = its[i].seek(target);
        live[i] = l;
        if (l) {
          heads[i] = its[i].t();
        }
      }
      return pick();
    }
    if (cur < 0) {
      return false;
    }
    if (heads[cur] >= target) {
      return true;
    }
    for (int i = 0; i < n; i++) {
      if (live[i]) {
        boolean l = its[i].seek(target);
        live[i] = l;
        if (l) {
          heads[i] = its[i].t();
        }
      }
    }
    return pick();
  }

  @Override
  public long maxTime() {
    long m = Long.MIN_VALUE;
    for (int i = 0; i < n; i++) {
      if (!started || live[i]) {
        m = Math.max(m, Bounded.of(its[i]));
      }
    }
    return m;
  }

  @Override
  public boolean mayHaveHistograms() {
    for (int i = 0; i < n; i++) {
      if (its[i].mayHaveHistograms()) {
        return true;
      }
    }
    return false;
  }

  @Override
  public FloatHistogram histogram() {
    return atEnd ? null : its[cur].histogram();
  }

  @Override
  public long t() {
    return atEnd ? endT : heads[cur];
  }

  @Override
  public double v() {
    return atEnd ? endV : its[cur].v();
  }
}
