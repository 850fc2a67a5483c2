package dev.osprey.tsdb.downsample;

import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.StaleNaN;
import dev.osprey.tsdb.block.BlockReader;
import dev.osprey.tsdb.block.BlockWriter;
import dev.osprey.tsdb.chunk.ChunkCodec;
import java.io.IOException;
import java.util.Arrays;

/**
 * Turns series into per-window aggregates at one resolution and writes them to a downsampled block,
 * series by series in the order given (docs/format/downsampled.md). The input is either raw samples
 * or the aggregates of a finer resolution (a resolution's data is re-aggregated into the next
 * coarser one when its retention passes, so a series has one resolution at a time).
 *
 * <p>Windows are aligned to multiples of the resolution since the epoch. A window's count, sum, min
 * and max, and its last raw value in the counter column, are stamped with the window's last
 * millisecond (regular timestamps cost about a bit each; a window that a stale marker ends is
 * stamped with its last sample's time instead). The counter column also holds, around every drop (a
 * counter reset) both the sample before and the one after, so that the increases PromQL's rate()
 * adds up over the column are those of the raw samples. Drops are kept so only while they are rare
 * (at most one per {@value #WINDOWS_PER_RESET} windows of the series in the block, as for a
 * counter); a series that drops more often is a gauge, and its counter column holds just the last
 * sample of each window. A stale marker ends the window it falls in and is kept, in every column,
 * at its own timestamp.
 */
public final class Downsampler {
  static final int SAMPLES_PER_CHUNK = 120;
  static final int WINDOWS_PER_RESET = 8;

  private final long resolution;
  private final BlockWriter out;
  private final ChunkCodec codec = new ChunkCodec();
  private final Column[] cols = new Column[Aggr.COLUMNS];
  private final Column resets = new Column(); // both sides of each drop
  private Column scratch = new Column();

  // the open window of the count/sum/min/max columns
  private long window;
  private double count;
  private double sum;
  private double min;
  private double max;
  private long lastT;
  // the open window of the counter column, and the previous counter sample (for drops)
  private long cWindow;
  private boolean cOpen;
  private long cLastT;
  private double cLastV;
  private boolean hasPrev;
  private long prevT;
  private double prevV;

  public Downsampler(long resolution, BlockWriter out) {
    if (resolution <= 0) {
      throw new IllegalArgumentException("BUG: resolution " + resolution);
    }
    this.resolution = resolution;
    this.out = out;
    for (int i = 0; i < cols.length; i++) {
      cols[i] = new Column();
    }
  }

  public long resolution() {
    return resolution;
  }

  private void start() {
    for (Column c : cols) {
      c.n = 0;
    }
    resets.n = 0;
    count = 0;
    window = Long.MIN_VALUE;
    cOpen = false;
    cWindow = Long.MIN_VALUE;
    hasPrev = false;
  }

  /** Downsamples one series given as raw samples in time order, and adds it to the block. */
  public void add(Labels labels, SampleIterator raw) throws IOException {
    start();
    while (raw.next()) {
      long t = raw.t();
      double v = raw.v();
      if (StaleNaN.is(v)) {
        stale(t);
        continue;
      }
      window(t, 1, v, v, v);
      counter(t, v);
    }
    finish(labels);
  }

  /**
   * Downsamples one series of a downsampled block of a finer resolution (its columns), and adds it
   * to the block.
   */
  public void addAggregated(Labels labels, BlockReader block, long[] chunks) throws IOException {
    if (block.meta().resolution() >= resolution) {
      throw new IllegalArgumentException(
          "BUG: cannot downsample resolution " + block.meta().resolution() + " to " + resolution);
    }
    start();
    long lo = Long.MIN_VALUE;
    long hi = Long.MAX_VALUE;
    ColumnIterator c = new ColumnIterator(block, chunks, Aggr.COUNT, lo, hi);
    ColumnIterator s = new ColumnIterator(block, chunks, Aggr.SUM, lo, hi);
    ColumnIterator mn = new ColumnIterator(block, chunks, Aggr.MIN, lo, hi);
    ColumnIterator mx = new ColumnIterator(block, chunks, Aggr.MAX, lo, hi);
    while (c.next()) {
      if (!s.next() || !mn.next() || !mx.next() || s.t() != c.t()) {
        throw new IllegalStateException(
            "BUG: columns of " + labels + " in block " + block.dir() + " are not aligned");
      }
      if (StaleNaN.is(c.v())) {
        staleWindows(c.t());
      } else {
        window(c.t(), c.v(), s.v(), mn.v(), mx.v());
      }
    }
    flushWindow(false);
    ColumnIterator k = new ColumnIterator(block, chunks, Aggr.COUNTER, lo, hi);
    while (k.next()) {
      if (StaleNaN.is(k.v())) {
        staleCounter(k.t());
      } else {
        counter(k.t(), k.v());
      }
    }
    finish(labels);
  }

  private void stale(long t) {
    staleWindows(t);
    staleCounter(t);
  }

  private void staleWindows(long t) {
    flushWindow(true);
    for (int i = 0; i < Aggr.COUNTER; i++) {
      cols[i].add(t, StaleNaN.VALUE);
    }
  }

  private void staleCounter(long t) {
    flushCounter(true);
    cols[Aggr.COUNTER].add(t, StaleNaN.VALUE);
  }

  /** Adds a partial aggregate (one raw sample, or a finer window) stamped {@code t}. */
  private void window(long t, double n, double s, double mn, double mx) {
    long w = Math.floorDiv(t, resolution);
    if (w != window) {
      flushWindow(false);
      window = w;
    }
    if (count == 0) {
      sum = s;
      min = mn;
      max = mx;
    } else {
      sum += s;
      min = Math.min(min, mn);
      max = Math.max(max, mx);
    }
    count += n;
    lastT = t;
  }

  /** The timestamp of a window's aggregates: its last millisecond, or its last sample's time. */
  private long stamp(long w, long last, boolean byStale) {
    return byStale ? last : (w + 1) * resolution - 1;
  }

  private void flushWindow(boolean byStale) {
    if (count == 0) {
      return;
    }
    long t = stamp(window, lastT, byStale);
    cols[Aggr.COUNT].add(t, count);
    cols[Aggr.SUM].add(t, sum);
    cols[Aggr.MIN].add(t, min);
    cols[Aggr.MAX].add(t, max);
    count = 0;
  }

  /** Adds a counter sample (raw, or from a finer counter column). */
  private void counter(long t, double v) {
    long w = Math.floorDiv(t, resolution);
    if (cOpen && w != cWindow) {
      flushCounter(false);
    }
    cWindow = w;
    cOpen = true;
    cLastT = t;
    cLastV = v;
    if (hasPrev && v < prevV) { // a counter reset: keep both sides of it
      // (a side that is its window's last sample is there already, at the window's stamp)
      if (Math.floorDiv(prevT, resolution) == w
          && (resets.n == 0 || resets.t[resets.n - 1] < prevT)) {
        resets.add(prevT, prevV);
      }
      resets.add(t, v);
    }
    hasPrev = true;
    prevT = t;
    prevV = v;
  }

  private void flushCounter(boolean byStale) {
    if (cOpen) {
      if (resets.n > 0 && resets.t[resets.n - 1] == cLastT) {
        resets.n--; // the window's last sample is the one after a drop: the stamp stands for it
      }
      cols[Aggr.COUNTER].add(stamp(cWindow, cLastT, byStale), cLastV);
      cOpen = false;
    }
  }

  private void finish(Labels labels) throws IOException {
    flushWindow(false);
    flushCounter(false);
    int windows = cols[Aggr.COUNT].n;
    if (resets.n > 0 && resets.n / 2 <= Math.max(1, windows / WINDOWS_PER_RESET)) {
      cols[Aggr.COUNTER] = mergeResets(cols[Aggr.COUNTER]);
    }
    for (int i = 0; i < cols.length; i++) {
      Column c = cols[i];
      for (int from = 0; from < c.n; from += SAMPLES_PER_CHUNK) {
        int n = Math.min(SAMPLES_PER_CHUNK, c.n - from);
        long[] ts = codec.scratchT(n);
        long[] vs = codec.scratchV(n);
        System.arraycopy(c.t, from, ts, 0, n);
        System.arraycopy(c.v, from, vs, 0, n);
        codec.encode(ts, vs, n);
        out.addChunk(
            codec.bytes(), 0, codec.length(), ts[0], ts[n - 1], (int) Aggr.packCount(n, i));
      }
    }
    out.finishSeries(labels);
  }

  /** The counter column with the samples around drops merged in; the old one becomes scratch. */
  private Column mergeResets(Column counter) {
    Column merged = scratch;
    merged.n = 0;
    int i = 0;
    int j = 0;
    while (i < counter.n || j < resets.n) {
      boolean fromCounter = j >= resets.n || (i < counter.n && counter.t[i] <= resets.t[j]);
      Column src = fromCounter ? counter : resets;
      int k = fromCounter ? i++ : j++;
      if (merged.n > 0 && merged.t[merged.n - 1] == src.t[k]) {
        continue; // a window's last sample that is also next to a drop
      }
      merged.add(src.t[k], Double.longBitsToDouble(src.v[k]));
    }
    scratch = counter;
    return merged;
  }

  /** Samples of one column of the current series; values as raw bits. */
  private static final class Column {
    long[] t = new long[64];
    long[] v = new long[64];
    int n;

    void add(long ts, double value) {
      if (n == t.length) {
        t = Arrays.copyOf(t, n * 2);
        v = Arrays.copyOf(v, n * 2);
      }
      t[n] = ts;
      v[n] = Double.doubleToRawLongBits(value);
      n++;
    }
  }
}
