package dev.osprey.tsdb.downsample;

import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.StaleNaN;
import dev.osprey.tsdb.block.BlockWriter;
import dev.osprey.tsdb.chunk.ChunkCodec;
import java.io.IOException;
import java.util.Arrays;

/**
 * Turns the raw samples of series into per-window aggregates at one resolution and writes them to a
 * downsampled block, series by series in the order given (docs/format/downsampled.md).
 *
 * <p>Windows are aligned to multiples of the resolution since the epoch. A window's count, sum, min
 * and max are stamped with the timestamp of its last raw sample. The counter column holds that last
 * sample too, and around every drop (a counter reset) both the sample before and the one after, so
 * that the increases PromQL's rate() adds up over the column are those of the raw samples. Drops
 * are kept so only while they are rare (at most one per {@value #WINDOWS_PER_RESET} windows of the
 * series in the block, as for a counter); a series that drops more often is a gauge, and its
 * counter column holds just the last sample of each window. A stale marker ends the window it falls
 * in and is kept, in every column, at its own timestamp.
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

  // the open window
  private long window;
  private int count;
  private double sum;
  private double min;
  private double max;
  private long lastT;
  private double lastV;
  // the previous raw sample (for resets)
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

  /** Downsamples one series (raw samples in time order) and adds it to the block. */
  public void add(Labels labels, SampleIterator raw) throws IOException {
    for (Column c : cols) {
      c.n = 0;
    }
    resets.n = 0;
    count = 0;
    hasPrev = false;
    window = Long.MIN_VALUE;
    while (raw.next()) {
      long t = raw.t();
      double v = raw.v();
      if (StaleNaN.is(v)) {
        flushWindow();
        for (Column c : cols) {
          c.add(t, v);
        }
        continue;
      }
      long w = Math.floorDiv(t, resolution);
      if (w != window) {
        flushWindow();
        window = w;
      }
      if (hasPrev && v < prevV) { // a counter reset: keep both sides of it
        if (resets.n == 0 || resets.t[resets.n - 1] < prevT) {
          resets.add(prevT, prevV);
        }
        resets.add(t, v);
      }
      hasPrev = true;
      prevT = t;
      prevV = v;
      if (count == 0) {
        sum = v;
        min = v;
        max = v;
      } else {
        sum += v;
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      count++;
      lastT = t;
      lastV = v;
    }
    flushWindow();
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
    Column out = scratch;
    out.n = 0;
    int i = 0;
    int j = 0;
    while (i < counter.n || j < resets.n) {
      boolean fromCounter = j >= resets.n || (i < counter.n && counter.t[i] <= resets.t[j]);
      Column src = fromCounter ? counter : resets;
      int k = fromCounter ? i++ : j++;
      if (out.n > 0 && out.t[out.n - 1] == src.t[k]) {
        continue; // a window's last sample that is also next to a drop
      }
      out.add(src.t[k], Double.longBitsToDouble(src.v[k]));
    }
    scratch = counter;
    return out;
  }

  private void flushWindow() {
    if (count == 0) {
      return;
    }
    cols[Aggr.COUNT].add(lastT, count);
    cols[Aggr.SUM].add(lastT, sum);
    cols[Aggr.MIN].add(lastT, min);
    cols[Aggr.MAX].add(lastT, max);
    cols[Aggr.COUNTER].add(lastT, lastV);
    count = 0;
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
