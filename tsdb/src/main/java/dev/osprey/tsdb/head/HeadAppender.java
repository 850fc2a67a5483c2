package dev.osprey.tsdb.head;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.DuplicateSampleException;
import dev.osprey.core.storage.OutOfBoundsException;
import dev.osprey.core.storage.OutOfOrderSampleException;
import dev.osprey.core.storage.SampleRejectedException;
import dev.osprey.tsdb.wal.Buf;
import dev.osprey.tsdb.wal.WalRecords;
import java.util.Arrays;

/**
 * Gathers a batch in primitive arrays, checks each sample as Prometheus's head appender does, and
 * hands the batch to the head at commit. The reference returned by {@link #append} is the series
 * id.
 */
public final class HeadAppender implements Appender {
  /**
   * An appender's arrays, handed back to the head at commit or rollback and reused by a later
   * appender: a scrape of 2,000 series otherwise grows (and drops) about 250 KB of arrays.
   */
  static final class Scratch {
    /** Larger arrays are not kept for reuse. */
    static final int MAX_KEPT = 1 << 15;

    int[] ids = new int[64];
    long[] ts = new long[64];
    long[] vs = new long[64];
    int[] lastKey = new int[64];
    int[] lastIdx = new int[64];
    MemSeries[] touched = new MemSeries[16];
    final Buf record = new Buf(256);

    boolean worthKeeping() {
      return ids.length <= MAX_KEPT
          && lastKey.length <= 2 * MAX_KEPT
          && touched.length <= MAX_KEPT
          && record.array().length <= 24 * MAX_KEPT;
    }
  }

  private final Head head;
  private Scratch scratch;
  private int[] ids;
  private long[] ts;
  private long[] vs;
  private int n;
  // series id -> index of its last sample in this batch, open addressing
  private int[] lastKey;
  private int[] lastIdx;
  private int lastSize;
  private boolean done;
  private MemSeries[] touched;
  private int nTouched;

  private final boolean backfill;

  // native-histogram samples of the batch, beside the float arrays (null until the first one):
  // the histogram at index j comes after the first hPos[j] float samples
  private int[] hIds;
  private long[] hTs;
  private FloatHistogram[] hHs;
  private int[] hPos;
  private int hN;
  private java.util.HashMap<Integer, Integer> hLast; // series id -> index of its last histogram

  HeadAppender(Head head, boolean backfill, Scratch scratch) {
    this.head = head;
    this.backfill = backfill;
    this.scratch = scratch;
    this.ids = scratch.ids;
    this.ts = scratch.ts;
    this.vs = scratch.vs;
    this.lastKey = scratch.lastKey;
    this.lastIdx = scratch.lastIdx;
    this.touched = scratch.touched;
  }

  /**
   * The hot path: a known series, its first sample in the batch, after its last stored one. Kept
   * small so that the JIT compiles it early and compactly; everything else (finding or creating the
   * series, too old, a second sample of a series in one batch, histograms in the batch, rejections)
   * is in methods of its own that the hot path only calls.
   */
  @Override
  public long append(long ref, Labels labels, long t, double v) {
    if (done) {
      throw usedAfterDone();
    }
    MemSeries s = head.byId(ref);
    if (s == null || (labels != null && s.labels != labels)) {
      s = series(s, labels);
    }
    long vBits = Double.doubleToRawLongBits(v);
    if (t < (backfill ? head.minValidFloor() : head.minValidTime())) {
      throw tooOld(s, t);
    }
    int prev = lastIndex(s.id);
    if (prev < 0 && hN == 0 && s.addPendingIfNewest(t)) {
      touch(s);
      add(s.id, t, vBits, true);
      return s.id;
    }
    return appendChecked(s, prev, t, v, vBits);
  }

  /** The series {@code ref} named ({@code s}) if it has these labels, else the one that has. */
  private MemSeries series(MemSeries s, Labels labels) {
    if (s != null && (labels == null || s.labels.equals(labels))) {
      return s;
    }
    if (labels == null || labels.isEmpty()) {
      throw new IllegalArgumentException("cannot append: empty label set");
    }
    return head.getOrCreate(labels);
  }

  private static IllegalStateException usedAfterDone() {
    return new IllegalStateException("BUG: appender used after commit or rollback");
  }

  private OutOfBoundsException tooOld(MemSeries s, long t) {
    head.rejectedTooOld.increment();
    return new OutOfBoundsException(s.labels, t);
  }

  /** Remembers that {@code s} has samples pending in this batch (released at commit). */
  private void touch(MemSeries s) {
    if (nTouched == touched.length) {
      touched = Arrays.copyOf(touched, nTouched * 2);
    }
    touched[nTouched++] = s;
  }

  /**
   * Every case the hot path does not take: a later sample of a series already in the batch,
   * histograms in the batch, a timestamp at or before the series' last one (duplicates,
   * out-of-order samples and the out-of-order window), a series that truncation just removed.
   */
  private long appendChecked(MemSeries s, int prev, long t, double v, long vBits) {
    int c;
    if (hN > 0 && histogramAtOrAfter(s.id, t) != MemSeries.OK) {
      c = histogramAtOrAfter(s.id, t);
    } else if (prev >= 0 && t >= ts[prev]) {
      c =
          t > ts[prev]
              ? MemSeries.OK
              : (vs[prev] == vBits ? MemSeries.DUPLICATE_IGNORED : MemSeries.DUPLICATE);
    } else if (prev >= 0 && head.oooWindow() == 0) {
      c = MemSeries.OUT_OF_ORDER;
    } else {
      c = s.check(t, vBits, head.oooWindow(), head.arena());
    }
    switch (c) {
      case MemSeries.OK -> {
        if (prev < 0) {
          if (!s.addPending(1)) {
            // truncation removed the series just now: start over with a live one
            return append(0, s.labels, t, v);
          }
          touch(s);
        }
        add(s.id, t, vBits, prev < 0 || t > ts[prev]);
      }
      case MemSeries.DUPLICATE_IGNORED -> {}
      default -> throw rejected(c, s, t);
    }
    return s.id;
  }

  /** How a sample at {@code t} of series {@code id} stands against the batch's histograms. */
  private int histogramAtOrAfter(int id, long t) {
    Integer j = hLast.get(id);
    if (j == null || hTs[j] < t) {
      return MemSeries.OK;
    }
    return hTs[j] == t ? MemSeries.DUPLICATE : MemSeries.OUT_OF_ORDER;
  }

  /**
   * Adds a native-histogram sample with the same rules as floats: too old, out of order (there is
   * no out-of-order window for histograms) and duplicate timestamps are refused by name; a sample
   * equal to the one stored at its timestamp is ignored. A float and a histogram at one timestamp
   * are a duplicate.
   */
  @Override
  public long appendHistogram(long ref, Labels labels, long t, FloatHistogram h) {
    if (done) {
      throw new IllegalStateException("BUG: appender used after commit or rollback");
    }
    if (h == null) {
      throw new IllegalArgumentException("cannot append histogram sample: null histogram");
    }
    MemSeries s = head.byId(ref);
    if (s == null || (labels != null && s.labels != labels && !s.labels.equals(labels))) {
      if (labels == null || labels.isEmpty()) {
        throw new IllegalArgumentException("cannot append: empty label set");
      }
      s = head.getOrCreate(labels);
    }
    if (t < (backfill ? head.minValidFloor() : head.minValidTime())) {
      head.rejectedTooOld.increment();
      throw new OutOfBoundsException(s.labels, t);
    }
    if (hIds == null) {
      hIds = new int[16];
      hTs = new long[16];
      hHs = new FloatHistogram[16];
      hPos = new int[16];
      hLast = new java.util.HashMap<>();
    }
    int prevF = lastIndex(s.id);
    Integer prevH = hLast.get(s.id);
    int c;
    if (prevF >= 0 && ts[prevF] >= t && (prevH == null || ts[prevF] >= hTs[prevH])) {
      c = ts[prevF] == t ? MemSeries.DUPLICATE : MemSeries.OUT_OF_ORDER;
    } else if (prevH != null && hTs[prevH] >= t) {
      c =
          hTs[prevH] > t
              ? MemSeries.OUT_OF_ORDER
              : (hHs[prevH].equals(h) ? MemSeries.DUPLICATE_IGNORED : MemSeries.DUPLICATE);
    } else if (prevF >= 0 || prevH != null) {
      c = MemSeries.OK; // after this series' samples in the batch, which were checked
    } else {
      c = s.checkHistogram(t, h);
    }
    switch (c) {
      case MemSeries.OK -> {
        if (prevF < 0 && prevH == null) {
          if (!s.addPending(1)) {
            return appendHistogram(0, s.labels, t, h);
          }
          if (nTouched == touched.length) {
            touched = Arrays.copyOf(touched, nTouched * 2);
          }
          touched[nTouched++] = s;
        }
        if (hN == hIds.length) {
          hIds = Arrays.copyOf(hIds, hN * 2);
          hTs = Arrays.copyOf(hTs, hN * 2);
          hHs = Arrays.copyOf(hHs, hN * 2);
          hPos = Arrays.copyOf(hPos, hN * 2);
        }
        hIds[hN] = s.id;
        hTs[hN] = t;
        hHs[hN] = h;
        hPos[hN] = n;
        hLast.put(s.id, hN);
        hN++;
      }
      case MemSeries.DUPLICATE_IGNORED -> {}
      default -> throw rejected(c, s, t);
    }
    return s.id;
  }

  /** Counts a rejected sample by its reason and returns the exception that names it. */
  private SampleRejectedException rejected(int c, MemSeries s, long t) {
    return switch (c) {
      case MemSeries.DUPLICATE -> {
        head.rejectedDuplicate.increment();
        yield new DuplicateSampleException(s.labels, t);
      }
      case MemSeries.OUT_OF_ORDER -> {
        head.rejectedOutOfOrder.increment();
        yield new OutOfOrderSampleException(s.labels, t);
      }
      default -> throw new IllegalStateException("BUG: unknown append check result " + c);
    };
  }

  private void add(int id, long t, long vBits, boolean newest) {
    if (n == ids.length) {
      ids = Arrays.copyOf(ids, n * 2);
      ts = Arrays.copyOf(ts, n * 2);
      vs = Arrays.copyOf(vs, n * 2);
    }
    ids[n] = id;
    ts[n] = t;
    vs[n] = vBits;
    if (newest) {
      putLast(id, n);
    }
    n++;
  }

  private int lastIndex(int id) {
    int mask = lastKey.length - 1;
    for (int i = mix(id) & mask; ; i = (i + 1) & mask) {
      if (lastKey[i] == 0) {
        return -1;
      }
      if (lastKey[i] == id) {
        return lastIdx[i];
      }
    }
  }

  private void putLast(int id, int idx) {
    if ((lastSize + 1) * 2 > lastKey.length) {
      int[] ok = lastKey;
      int[] oi = lastIdx;
      lastKey = new int[ok.length * 2];
      lastIdx = new int[ok.length * 2];
      lastSize = 0;
      for (int i = 0; i < ok.length; i++) {
        if (ok[i] != 0) {
          putLast(ok[i], oi[i]);
        }
      }
    }
    int mask = lastKey.length - 1;
    for (int i = mix(id) & mask; ; i = (i + 1) & mask) {
      if (lastKey[i] == 0) {
        lastKey[i] = id;
        lastIdx[i] = idx;
        lastSize++;
        return;
      }
      if (lastKey[i] == id) {
        lastIdx[i] = idx;
        return;
      }
    }
  }

  private static int mix(int id) {
    return id * 0x9E3779B9 >>> 7;
  }

  @Override
  public void commit() {
    if (done) {
      throw new IllegalStateException("BUG: appender committed twice");
    }
    done = true;
    try {
      if (hN > 0) {
        head.commitWithHistograms(ids, ts, vs, n, hIds, hTs, hHs, hPos, hN);
      } else if (n > 0) {
        Buf record = scratch.record;
        record.reset();
        WalRecords.encodeSamples(record, ids, ts, vs, n);
        head.commit(record, ids, ts, vs, n);
      }
    } finally {
      release();
    }
  }

  @Override
  public void rollback() {
    done = true;
    n = 0;
    hN = 0;
    release();
  }

  private void release() {
    if (scratch == null) {
      return; // released already (a rollback after commit)
    }
    for (int i = 0; i < nTouched; i++) {
      touched[i].addPending(-1);
      touched[i] = null;
    }
    nTouched = 0;
    // hand the (possibly grown) arrays back for the next appender
    Scratch sc = scratch;
    scratch = null;
    sc.ids = ids;
    sc.ts = ts;
    sc.vs = vs;
    if (lastSize > 0) {
      Arrays.fill(lastKey, 0);
    }
    sc.lastKey = lastKey;
    sc.lastIdx = lastIdx;
    sc.touched = touched;
    ids = null;
    ts = null;
    vs = null;
    lastKey = null;
    lastIdx = null;
    touched = null;
    head.giveBack(sc);
  }
}
