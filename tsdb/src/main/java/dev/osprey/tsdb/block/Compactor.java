package dev.osprey.tsdb.block;

import dev.osprey.core.labels.Labels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Plans and runs block compaction: blocks that fall in one aligned window of 3, 9 or 27 block
 * ranges, once the head has moved past that window, are merged into one block. Chunks are copied as
 * they are (blocks never overlap in time, so a series' chunks stay in order).
 */
public final class Compactor {
  private static final int[] LEVEL_FACTORS = {3, 9, 27};

  private Compactor() {}

  /**
   * The next group of blocks to merge, oldest first, or an empty list. Merged blocks span at most
   * {@code maxRange} (a tenth of the retention, as Prometheus), so that retention can still delete
   * old data in small steps.
   */
  public static List<BlockReader> plan(
      List<BlockReader> blocks, long blockRange, long headFloor, long maxRange) {
    for (int f : LEVEL_FACTORS) {
      long range = blockRange * f;
      if (range > maxRange) {
        break;
      }
      List<BlockReader> group = new ArrayList<>();
      long window = Long.MIN_VALUE;
      for (BlockReader b : blocks) {
        long w = Math.floorDiv(b.meta().minTime(), range);
        boolean fits = b.meta().maxTime() <= (w + 1) * range;
        if (!fits) {
          if (group.size() >= 2) {
            return group;
          }
          group.clear();
          window = Long.MIN_VALUE;
          continue;
        }
        if (w != window) {
          if (group.size() >= 2) {
            return group;
          }
          group.clear();
          window = w;
        }
        if ((w + 1) * range <= headFloor) {
          group.add(b);
        }
      }
      if (group.size() >= 2) {
        return group;
      }
    }
    return List.of();
  }

  /**
   * Merges {@code group} (oldest first; blocks of one resolution, each series in at most one of
   * them for any time) into a new block in {@code dir}.
   */
  public static BlockReader merge(Path dir, List<BlockReader> group) throws IOException {
    int level = 0;
    Set<String> sources = new LinkedHashSet<>();
    for (BlockReader b : group) {
      level = Math.max(level, b.meta().compaction().level());
      sources.addAll(b.meta().compaction().sources());
    }
    int k = group.size();
    int[] next = new int[k];
    BlockReader.Series[] cur = new BlockReader.Series[k];
    for (int i = 0; i < k; i++) {
      cur[i] = group.get(i).numSeries() > 0 ? group.get(i).series(0) : null;
      next[i] = 1;
    }
    Path written;
    try (BlockWriter w = new BlockWriter(dir, System.currentTimeMillis())) {
      w.downsampled(group.get(0).meta().resolution(), null);
      while (true) {
        Labels min = null;
        for (int i = 0; i < k; i++) {
          if (cur[i] != null && (min == null || cur[i].labels().compareTo(min) < 0)) {
            min = cur[i].labels();
          }
        }
        if (min == null) {
          break;
        }
        for (int i = 0; i < k; i++) {
          if (cur[i] == null || !cur[i].labels().equals(min)) {
            continue;
          }
          long[] c = cur[i].chunks();
          for (int j = 0; j < c.length; j += 4) {
            byte[] bytes = group.get(i).chunk(c[j + 3]);
            w.addChunk(bytes, 0, bytes.length, c[j], c[j + 1], (int) c[j + 2]);
          }
          BlockReader b = group.get(i);
          cur[i] = next[i] < b.numSeries() ? b.series(next[i]++) : null;
        }
        w.finishSeries(min);
      }
      long maxTime = Long.MIN_VALUE; // downsampled blocks of one resolution may overlap
      for (BlockReader b : group) {
        maxTime = Math.max(maxTime, b.meta().maxTime());
      }
      written =
          w.finish(
              group.get(0).meta().minTime(),
              maxTime,
              level + 1,
              List.copyOf(sources),
              group.stream().map(b -> b.meta().ulid()).toList());
    }
    if (written == null) {
      throw new IllegalStateException("BUG: compaction of " + k + " blocks produced nothing");
    }
    return BlockReader.open(written);
  }

  /**
   * Blocks that another block replaces: listed as its parent (a compaction or rewrite that died
   * before deleting its inputs), or whose every source a higher-level block also has.
   */
  public static List<BlockReader> superseded(List<BlockReader> blocks) {
    List<BlockReader> out = new ArrayList<>();
    for (BlockReader b : blocks) {
      Set<String> mine = new HashSet<>(b.meta().compaction().sources());
      for (BlockReader o : blocks) {
        if (o != b
            && (o.meta().compaction().parents().contains(b.meta().ulid())
                || (o.meta().compaction().level() > b.meta().compaction().level()
                    && o.meta().compaction().sources().containsAll(mine)))) {
          out.add(b);
          break;
        }
      }
    }
    return out;
  }

  /** Adds a histogram chunk without its samples in {@code [mint, maxt]}. */
  private static void rewriteHistograms(
      BlockWriter w, byte[] bytes, int count, long mint, long maxt) throws IOException {
    dev.osprey.tsdb.chunk.HistogramIterator it =
        new dev.osprey.tsdb.chunk.HistogramIterator().reset(bytes, 1, count);
    dev.osprey.tsdb.chunk.HistogramChunk out = new dev.osprey.tsdb.chunk.HistogramChunk();
    while (it.next()) {
      if (it.t() < mint || it.t() > maxt) {
        out.append(it.t(), it.histogram());
      }
    }
    if (out.count() > 0) {
      w.addChunk(out.bytes(), 0, out.length(), out.firstT(), out.lastT(), out.count());
    }
  }

  /**
   * Rewrites {@code b} without the samples in {@code [mint, maxt]} of the series in {@code
   * ordinals}; returns the new block (null when nothing is left), which lists {@code b} as parent.
   */
  public static BlockReader rewriteWithout(
      Path dir, BlockReader b, org.roaringbitmap.RoaringBitmap ordinals, long mint, long maxt)
      throws IOException {
    Path written;
    dev.osprey.tsdb.chunk.ChunkCodec codec = new dev.osprey.tsdb.chunk.ChunkCodec();
    dev.osprey.tsdb.chunk.XorIterator xorIt = new dev.osprey.tsdb.chunk.XorIterator();
    dev.osprey.tsdb.chunk.DecimalIterator decIt = new dev.osprey.tsdb.chunk.DecimalIterator();
    boolean packed = b.meta().downsampled(); // count fields also hold the column
    int bits = BlockWriter.DOWNSAMPLED_COLUMN_BITS;
    try (BlockWriter w = new BlockWriter(dir, System.currentTimeMillis())) {
      w.downsampled(b.meta().resolution(), b.meta().downsampledFrom());
      for (int i = 0; i < b.numSeries(); i++) {
        BlockReader.Series s = b.series(i);
        long[] c = s.chunks();
        for (int j = 0; j < c.length; j += 4) {
          byte[] bytes = b.chunk(c[j + 3]);
          boolean touched = ordinals.contains(i) && c[j + 1] >= mint && c[j] <= maxt;
          if (!touched) {
            w.addChunk(bytes, 0, bytes.length, c[j], c[j + 1], (int) c[j + 2]);
            continue;
          }
          if (bytes.length > 0 && bytes[0] == dev.osprey.tsdb.chunk.HistogramChunk.KIND) {
            rewriteHistograms(w, bytes, (int) c[j + 2], mint, maxt);
            continue;
          }
          int count = packed ? (int) (c[j + 2] >>> bits) : (int) c[j + 2];
          int column = packed ? (int) (c[j + 2] & ((1 << bits) - 1)) : 0;
          long[] ts = codec.scratchT(count);
          long[] vs = codec.scratchV(count);
          dev.osprey.core.storage.SampleIterator it =
              dev.osprey.tsdb.chunk.ChunkCodec.iterator(bytes, 0, count, xorIt, decIt);
          int n = 0;
          while (it.next()) {
            if (it.t() < mint || it.t() > maxt) {
              ts[n] = it.t();
              vs[n] = Double.doubleToRawLongBits(it.v());
              n++;
            }
          }
          if (n > 0) {
            codec.encode(ts, vs, n);
            w.addChunk(
                codec.bytes(),
                0,
                codec.length(),
                ts[0],
                ts[n - 1],
                packed ? n << bits | column : n);
          }
        }
        w.finishSeries(s.labels());
      }
      written =
          w.finish(
              b.meta().minTime(),
              b.meta().maxTime(),
              b.meta().compaction().level(),
              b.meta().compaction().sources(),
              List.of(b.meta().ulid()));
    }
    return written == null ? null : BlockReader.open(written);
  }

  public static void deleteTree(Path p) throws IOException {
    BlockWriter.deleteTree(p);
  }

  static boolean exists(Path p) {
    return Files.exists(p);
  }
}
