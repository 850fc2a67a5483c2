package dev.osprey.tsdb.head;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.tsdb.chunk.HistogramChunk;
import java.util.Arrays;

/**
 * The native-histogram samples of one head series, beside its float chunks ({@link MemSeries#hist},
 * null for the float-only series that are nearly all of them). Closed chunks are byte arrays on the
 * heap; the open chunk is appendable. In order only: no out-of-order window for histograms. Guarded
 * by the owning {@link MemSeries}' monitor.
 */
final class HistSeries {
  static final int SAMPLES_PER_CHUNK = 120;

  private byte[][] closed = new byte[2][];
  private long[] meta = new long[6]; // 3 per closed chunk: mint, maxt, count
  private int nClosed;
  private HistogramChunk open;
  private long openEnd;
  private long maxT = Long.MIN_VALUE;
  private FloatHistogram last;

  long maxT() {
    return maxT;
  }

  boolean isEmpty() {
    return nClosed == 0 && (open == null || open.count() == 0);
  }

  long minT() {
    if (nClosed > 0) {
      return meta[0];
    }
    return open == null || open.count() == 0 ? Long.MAX_VALUE : open.firstT();
  }

  /** {@link MemSeries#OK} or why a histogram sample at {@code t} cannot follow. */
  int check(long t, FloatHistogram h) {
    if (t > maxT) {
      return MemSeries.OK;
    }
    if (t == maxT) {
      return h.equals(last) ? MemSeries.DUPLICATE_IGNORED : MemSeries.DUPLICATE;
    }
    return MemSeries.OUT_OF_ORDER;
  }

  /** Appends a sample that {@link #check} accepted. */
  void append(long t, FloatHistogram h, long blockRange) {
    if (open == null) {
      open = new HistogramChunk();
    } else if (open.count() >= SAMPLES_PER_CHUNK || (open.count() > 0 && t >= openEnd)) {
      cut();
    }
    if (open.count() == 0) {
      openEnd = Math.floorDiv(t, blockRange) * blockRange + blockRange;
    }
    open.append(t, h);
    maxT = t;
    last = h;
  }

  /** Closes the open chunk (a float sample follows, so chunks of the two kinds never overlap). */
  void cut() {
    if (open == null || open.count() == 0) {
      return;
    }
    if (nClosed == closed.length) {
      closed = Arrays.copyOf(closed, nClosed * 2);
      meta = Arrays.copyOf(meta, nClosed * 6);
    }
    closed[nClosed] = Arrays.copyOf(open.bytes(), open.length());
    meta[3 * nClosed] = open.firstT();
    meta[3 * nClosed + 1] = open.lastT();
    meta[3 * nClosed + 2] = open.count();
    nClosed++;
    open.reset();
  }

  /** Calls {@code c} for every chunk overlapping {@code [mint, maxt]} (the open one copied). */
  void forEachChunk(long mint, long maxt, ChunkConsumer c) {
    for (int i = 0; i < nClosed; i++) {
      if (meta[3 * i + 1] >= mint && meta[3 * i] <= maxt) {
        c.chunk(closed[i], meta[3 * i], meta[3 * i + 1], (int) meta[3 * i + 2]);
      }
    }
    if (open != null && open.count() > 0 && open.lastT() >= mint && open.firstT() <= maxt) {
      c.chunk(
          Arrays.copyOf(open.bytes(), open.length()), open.firstT(), open.lastT(), open.count());
    }
  }

  interface ChunkConsumer {
    void chunk(byte[] bytes, long mint, long maxt, int count);
  }

  /** Drops the closed chunks that end before {@code mint}; true when nothing is left. */
  boolean truncateBefore(long mint) {
    int keep = 0;
    for (int i = 0; i < nClosed; i++) {
      if (meta[3 * i + 1] >= mint) {
        closed[keep] = closed[i];
        System.arraycopy(meta, 3 * i, meta, 3 * keep, 3);
        keep++;
      }
    }
    for (int i = keep; i < nClosed; i++) {
      closed[i] = null;
    }
    nClosed = keep;
    if (open != null && open.count() > 0 && open.lastT() < mint) {
      open.reset();
    }
    return isEmpty();
  }

  long sampleCount() {
    long n = open == null ? 0 : open.count();
    for (int i = 0; i < nClosed; i++) {
      n += meta[3 * i + 2];
    }
    return n;
  }

  int chunkCount() {
    return nClosed + (open != null && open.count() > 0 ? 1 : 0);
  }

  /** Forgets every sample (before a series is rebuilt by a deletion). */
  void clear() {
    closed = new byte[2][];
    meta = new long[6];
    nClosed = 0;
    open = null;
    maxT = Long.MIN_VALUE;
    last = null;
  }
}
