package dev.osprey.tsdb.downsample;

import dev.osprey.core.storage.SampleIterator;
import dev.osprey.tsdb.block.BlockReader;
import dev.osprey.tsdb.chunk.ChunkCodec;
import dev.osprey.tsdb.chunk.DecimalIterator;
import dev.osprey.tsdb.chunk.XorIterator;

/**
 * The samples in {@code [mint, maxt]} of one column of a downsampled series. Chunks of other
 * columns and chunks outside the range are skipped by their index entries, without being read.
 */
final class ColumnIterator implements SampleIterator {
  private final BlockReader block;
  private final long[] chunks; // mint, maxt, packed count, ref per chunk
  private final int column;
  private final long mint;
  private final long maxt;
  private final XorIterator xorIt = new XorIterator();
  private final DecimalIterator decIt = new DecimalIterator();
  private SampleIterator it;
  private int chunk = -1;
  private boolean positioned;
  private boolean done;

  ColumnIterator(BlockReader block, long[] chunks, int column, long mint, long maxt) {
    this.block = block;
    this.chunks = chunks;
    this.column = column;
    this.mint = mint;
    this.maxt = maxt;
  }

  /** Whether the series has a chunk of this column overlapping the range. */
  static boolean overlaps(long[] chunks, int column, long mint, long maxt) {
    for (int i = 0; i < chunks.length; i += 4) {
      if (Aggr.column(chunks[i + 2]) == column && chunks[i + 1] >= mint && chunks[i] <= maxt) {
        return true;
      }
    }
    return false;
  }

  private boolean nextChunk(long from) {
    for (chunk++; 4 * chunk < chunks.length; chunk++) {
      int i = 4 * chunk;
      if (Aggr.column(chunks[i + 2]) != column || chunks[i + 1] < from) {
        continue;
      }
      if (chunks[i] > maxt) {
        return false;
      }
      byte[] b = block.chunk(chunks[i + 3]);
      it = ChunkCodec.iterator(b, 0, Aggr.samples(chunks[i + 2]), xorIt, decIt);
      return true;
    }
    return false;
  }

  @Override
  public boolean next() {
    if (done) {
      return false;
    }
    while (true) {
      if (it == null || !it.next()) {
        if (!nextChunk(mint)) {
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

  @Override
  public boolean seek(long target) {
    if (done) {
      return false;
    }
    if (positioned && it.t() >= target) {
      return true;
    }
    if (it != null && chunks[4 * chunk + 1] < target) {
      if (!nextChunk(target)) {
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
