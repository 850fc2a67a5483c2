package dev.osprey.tsdb.query;

import dev.osprey.core.storage.SampleIterator;
import dev.osprey.tsdb.chunk.ChunkCodec;
import dev.osprey.tsdb.chunk.DecimalIterator;
import dev.osprey.tsdb.chunk.XorIterator;

/**
 * Iterates over consecutive, non-overlapping tagged chunks ({@link ChunkCodec}) of one series in
 * time order, returning only samples in {@code [mint, maxt]}. Seeking skips whole chunks by their
 * time range.
 */
public final class ChunkChainIterator implements SampleIterator {
  private final byte[][] pages;
  private final int[] offsets;
  private final int[] counts;
  private final long[] chunkMaxT;
  private final int n;
  private final long mint;
  private final long maxt;
  private final XorIterator xorIt = new XorIterator();
  private final DecimalIterator decIt = new DecimalIterator();
  private SampleIterator it = xorIt;
  private int chunk = -1;
  private boolean positioned;
  private boolean done;

  public ChunkChainIterator(
      byte[][] pages, int[] offsets, int[] counts, long[] chunkMaxT, int n, long mint, long maxt) {
    this.pages = pages;
    this.offsets = offsets;
    this.counts = counts;
    this.chunkMaxT = chunkMaxT;
    this.n = n;
    this.mint = mint;
    this.maxt = maxt;
  }

  private boolean nextChunk() {
    chunk++;
    while (chunk < n && chunkMaxT[chunk] < mint) {
      chunk++;
    }
    if (chunk >= n) {
      return false;
    }
    it = ChunkCodec.iterator(pages[chunk], offsets[chunk], counts[chunk], xorIt, decIt);
    return true;
  }

  @Override
  public boolean next() {
    if (done) {
      return false;
    }
    while (true) {
      if (chunk < 0 || !it.next()) {
        if (!nextChunk()) {
          done = true;
          return false;
        }
        continue;
      }
      long t = it.t();
      if (t < mint) {
        continue;
      }
      if (t > maxt) {
        done = true;
        return false;
      }
      positioned = true;
      return true;
    }
  }

  /**
   * Reads chunk by chunk through the chunk iterators' bulk read, then drops what is before {@code
   * mint} (only in the first chunks) and stops at the first sample after {@code maxt}.
   */
  @Override
  public int read(long[] ts, double[] vs, int off, int max) {
    int n = 0;
    while (n < max && !done) {
      if (chunk < 0 && !nextChunk()) {
        done = true;
        break;
      }
      int from = off + n;
      int asked = max - n;
      int got = it.read(ts, vs, from, asked);
      int to = from + got;
      int keep = from;
      while (keep < to && ts[keep] < mint) {
        keep++;
      }
      if (keep > from) {
        System.arraycopy(ts, keep, ts, from, to - keep);
        System.arraycopy(vs, keep, vs, from, to - keep);
        to -= keep - from;
      }
      if (to > from && ts[to - 1] > maxt) {
        int k = from;
        while (ts[k] <= maxt) {
          k++;
        }
        to = k;
        done = true;
      }
      if (to > from) {
        positioned = true;
      }
      n = to - off;
      if (!done && got < asked && !nextChunk()) {
        done = true;
      }
    }
    return n;
  }

  @Override
  public boolean seek(long target) {
    if (done) {
      return false;
    }
    if (positioned && it.t() >= target) {
      return true;
    }
    if (chunk >= 0 && chunk < n && chunkMaxT[chunk] < target) {
      // skip chunks that end before the target
      while (chunk + 1 < n && chunkMaxT[chunk + 1] < target) {
        chunk++;
      }
      if (!nextChunk()) {
        done = true;
        return false;
      }
    }
    while (next()) {
      if (it.t() >= target) {
        return true;
      }
    }
    return false;
  }

  @Override
  public long t() {
    return it.t();
  }

  @Override
  public double v() {
    return it.v();
  }
}
