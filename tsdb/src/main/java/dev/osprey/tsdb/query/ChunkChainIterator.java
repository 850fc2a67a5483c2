package dev.osprey.tsdb.query;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.tsdb.chunk.ChunkCodec;
import dev.osprey.tsdb.chunk.DecimalIterator;
import dev.osprey.tsdb.chunk.HistogramChunk;
import dev.osprey.tsdb.chunk.HistogramIterator;
import dev.osprey.tsdb.chunk.XorIterator;
import java.util.Arrays;

/**
 * Iterates over consecutive, non-overlapping tagged chunks ({@link ChunkCodec}) of one series in
 * time order, returning only samples in {@code [mint, maxt]}. Seeking skips whole chunks by their
 * time range.
 *
 * <p>Either over chunks in the caller's pages (the constructor with arrays), or reusable: {@link
 * #clear} and then the chunks' bytes copied into the iterator's own buffer ({@link #reserve},
 * {@link #add}), so that a reader of many series keeps one iterator, its decoders and its buffers.
 */
public final class ChunkChainIterator implements SampleIterator, Bounded {
  private byte[][] pages;
  private int[] offsets;
  private int[] counts;
  private long[] chunkMaxT;
  private int n;
  private long mint;
  private long maxt;
  private final XorIterator xorIt = new XorIterator();
  private final DecimalIterator decIt = new DecimalIterator();
  private HistogramIterator histIt; // made when a chain holds a histogram chunk
  private SampleIterator it = xorIt;
  private int chunk = -1;
  private boolean positioned;
  private boolean done;
  private boolean pending; // on a sample that the next next() or read() returns again
  private boolean trimmed; // a bulk read stopped at maxt: on the last sample it copied, kept here
  private long endT;
  private double endV;
  private byte[] own; // the copied chunks of a reusable iterator
  private int ownLen;

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

  /** A reusable iterator with no chunks; fill it with {@link #clear} and {@link #add}. */
  public ChunkChainIterator() {
    this(new byte[4][], new int[4], new int[4], new long[4], 0, 0, -1);
    own = new byte[256];
  }

  /** Empties a reusable iterator for a new series and range. */
  public void clear(long mint, long maxt) {
    if (own == null) {
      throw new IllegalStateException("BUG: clear() on a chain over the caller's pages");
    }
    this.n = 0;
    this.ownLen = 0;
    this.mint = mint;
    this.maxt = maxt;
    this.it = xorIt;
    this.chunk = -1;
    this.positioned = false;
    this.done = false;
    this.pending = false;
    this.trimmed = false;
  }

  /**
   * Room for {@code len} more bytes: the buffer the next chunk is copied into, from {@link
   * #reservedOffset()}. The buffer may be replaced by a bigger one on each call.
   */
  public byte[] reserve(int len) {
    if (ownLen + len > own.length) {
      own = Arrays.copyOf(own, Math.max(ownLen + len, 2 * own.length));
      for (int i = 0; i < n; i++) {
        pages[i] = own;
      }
    }
    return own;
  }

  public int reservedOffset() {
    return ownLen;
  }

  /** Adds the chunk just copied to the reserved bytes ({@code len} of them) to the chain. */
  public void add(int len, int count, long chunkMaxT) {
    if (n == pages.length) {
      int cap = 2 * n;
      pages = Arrays.copyOf(pages, cap);
      offsets = Arrays.copyOf(offsets, cap);
      counts = Arrays.copyOf(counts, cap);
      this.chunkMaxT = Arrays.copyOf(this.chunkMaxT, cap);
    }
    pages[n] = own;
    offsets[n] = ownLen;
    counts[n] = count;
    this.chunkMaxT[n] = chunkMaxT;
    n++;
    ownLen += len;
  }

  /** Whether this iterator owns its buffers and can be refilled ({@link #clear}). */
  public boolean reusable() {
    return own != null;
  }

  /** The number of chunks. */
  public int chunks() {
    return n;
  }

  /**
   * Advances to the first sample in range and leaves it pending, so that the next {@link #next} or
   * {@link #read} returns it again; false when the chain has no sample in range.
   */
  public boolean probe() {
    if (!next()) {
      return false;
    }
    pending = true;
    return true;
  }

  /** No sample after this time is left: the end of the range or of the last chunk. */
  @Override
  public long maxTime() {
    return n == 0 ? Long.MIN_VALUE : Math.min(maxt, chunkMaxT[n - 1]);
  }

  private boolean nextChunk() {
    chunk++;
    while (chunk < n && chunkMaxT[chunk] < mint) {
      chunk++;
    }
    if (chunk >= n) {
      return false;
    }
    byte[] page = pages[chunk];
    int off = offsets[chunk];
    it =
        page[off] == HistogramChunk.KIND
            ? histIt().reset(page, off + 1, counts[chunk])
            : ChunkCodec.iterator(page, off, counts[chunk], xorIt, decIt);
    return true;
  }

  private HistogramIterator histIt() {
    if (histIt == null) {
      histIt = new HistogramIterator();
    }
    return histIt;
  }

  /** True when one of the chunks holds native histograms (then read sample by sample). */
  @Override
  public boolean mayHaveHistograms() {
    for (int i = 0; i < n; i++) {
      if (pages[i][offsets[i]] == HistogramChunk.KIND) {
        return true;
      }
    }
    return false;
  }

  @Override
  public FloatHistogram histogram() {
    return trimmed ? null : it.histogram();
  }

  @Override
  public boolean next() {
    if (pending) {
      pending = false;
      return true;
    }
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
    boolean had = positioned && !done && !pending;
    long prevT = had ? it.t() : 0;
    double prevV = had ? it.v() : 0;
    if (pending && max > 0) {
      pending = false;
      ts[off] = it.t();
      vs[off] = it.v();
      n = 1;
    }
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
        // the chunk iterator read past maxt; keep the position on the last sample returned
        if (to > off) {
          trimmed = true;
          endT = ts[to - 1];
          endV = vs[to - 1];
        } else if (had) {
          trimmed = true;
          endT = prevT;
          endV = prevV;
        }
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
    pending = false; // on that sample: it stays if it qualifies
    if (trimmed) {
      return endT >= target; // nothing is left after it
    }
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
    return trimmed ? endT : it.t();
  }

  @Override
  public double v() {
    return trimmed ? endV : it.v();
  }
}
