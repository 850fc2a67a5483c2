package dev.osprey.tsdb.query;

import dev.osprey.core.storage.SampleIterator;

/**
 * Merges time-ordered iterators that may overlap into one time-ordered iterator. At equal
 * timestamps the earliest iterator in the list wins and the others skip the sample.
 */
public final class MergeIterator implements SampleIterator {
  private final SampleIterator[] its;
  private final boolean[] live;
  private boolean started;
  private int cur = -1;

  public MergeIterator(SampleIterator... its) {
    this.its = its;
    this.live = new boolean[its.length];
  }

  private void start() {
    started = true;
    for (int i = 0; i < its.length; i++) {
      live[i] = its[i].next();
    }
  }

  private boolean pick() {
    cur = -1;
    long best = Long.MAX_VALUE;
    for (int i = 0; i < its.length; i++) {
      if (live[i] && (cur < 0 || its[i].t() < best)) {
        cur = i;
        best = its[i].t();
      }
    }
    return cur >= 0;
  }

  @Override
  public boolean next() {
    if (!started) {
      start();
      return pick();
    }
    if (cur < 0) {
      return false;
    }
    long t = its[cur].t();
    for (int i = 0; i < its.length; i++) {
      if (live[i] && its[i].t() == t) {
        live[i] = its[i].next();
      }
    }
    return pick();
  }

  @Override
  public boolean seek(long target) {
    if (!started) {
      started = true;
      for (int i = 0; i < its.length; i++) {
        live[i] = its[i].seek(target);
      }
      return pick();
    }
    if (cur < 0) {
      return false;
    }
    if (its[cur].t() >= target) {
      return true;
    }
    for (int i = 0; i < its.length; i++) {
      if (live[i]) {
        live[i] = its[i].seek(target);
      }
    }
    return pick();
  }

  @Override
  public long t() {
    return its[cur].t();
  }

  @Override
  public double v() {
    return its[cur].v();
  }
}
