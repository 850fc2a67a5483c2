package dev.osprey.tsdb.downsample;

import dev.osprey.core.storage.SampleIterator;
import dev.osprey.tsdb.block.BlockReader;
import dev.osprey.tsdb.block.BlockWriter;
import dev.osprey.tsdb.chunk.ChunkCodec;
import dev.osprey.tsdb.chunk.DecimalIterator;
import dev.osprey.tsdb.chunk.XorIterator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.roaringbitmap.RoaringBitmap;

/**
 * Applies a {@link RetentionPolicy} to one block. The series whose rule's retention for the block's
 * resolution (raw or downsampled) has passed are removed from it, after being downsampled into the
 * rule's next coarser resolution whose retention has not passed, if there is one. Ages count back
 * from {@code newest}, the newest sample in the database; a block has passed a retention when its
 * {@code maxTime} is at or before {@code newest - retention}.
 *
 * <p>New blocks are published before the block is replaced: the downsampled blocks (each naming the
 * raw block they were made from, so that a crash before the raw block is replaced leaves them to be
 * deleted and redone on open), then the rewritten block (naming the old one as its parent).
 */
public final class RetentionApplier {
  private RetentionApplier() {}

  /**
   * What was done to a block: nothing ({@code changed} false), or it is to be replaced by {@code
   * rewritten} (null when nothing of it is left) and the new {@code downsampled} blocks.
   */
  public record Outcome(boolean changed, BlockReader rewritten, List<BlockReader> downsampled) {
    static final Outcome UNCHANGED = new Outcome(false, null, List.of());
  }

  public static Outcome apply(Path dir, BlockReader b, RetentionPolicy policy, long newest)
      throws IOException {
    long maxTime = b.meta().maxTime();
    List<RetentionPolicy.Rule> rules = policy.rules();
    RoaringBitmap[] groups = policy.groups(b);
    RoaringBitmap drop = new RoaringBitmap();
    Map<Long, RoaringBitmap> toDownsample = new TreeMap<>();
    long resolution = b.meta().resolution();
    for (int g = 0; g < groups.length; g++) {
      if (groups[g].isEmpty()) {
        continue;
      }
      RetentionPolicy.Rule rule = g < rules.size() ? rules.get(g) : null;
      long keep;
      if (resolution == 0) {
        keep = rule == null ? policy.global() : rule.raw();
      } else {
        keep = rule == null ? policy.global() : rule.retentionAt(resolution);
      }
      if (maxTime > newest - keep) {
        continue;
      }
      drop.or(groups[g]);
      if (rule != null) {
        // into the next coarser resolution that is still kept, so a series has one at a time
        for (int j = 0; j < rule.resolutions().length; j++) {
          if (rule.resolutions()[j] > resolution && maxTime > newest - rule.retentions()[j]) {
            toDownsample
                .computeIfAbsent(rule.resolutions()[j], x -> new RoaringBitmap())
                .or(groups[g]);
            break;
          }
        }
      }
    }
    if (drop.isEmpty()) {
      return Outcome.UNCHANGED;
    }
    List<BlockReader> made = new ArrayList<>();
    for (Map.Entry<Long, RoaringBitmap> e : toDownsample.entrySet()) {
      BlockReader d = downsample(dir, b, e.getKey(), e.getValue());
      if (d != null) {
        made.add(d);
      }
    }
    return new Outcome(true, without(dir, b, drop), made);
  }

  /**
   * Writes the aggregates at {@code resolution} of the series {@code ordinals} of block b (raw, or
   * downsampled at a finer resolution).
   */
  static BlockReader downsample(Path dir, BlockReader b, long resolution, RoaringBitmap ordinals)
      throws IOException {
    Path written;
    XorIterator xorIt = new XorIterator();
    DecimalIterator decIt = new DecimalIterator();
    try (BlockWriter w = new BlockWriter(dir, System.currentTimeMillis())) {
      w.downsampled(resolution, b.meta().ulid());
      Downsampler ds = new Downsampler(resolution, w);
      var it = ordinals.getIntIterator();
      while (it.hasNext()) {
        BlockReader.Series s = b.series(it.next());
        if (b.meta().downsampled()) {
          ds.addAggregated(s.labels(), b, s.chunks());
        } else {
          ds.add(s.labels(), new RawChunks(b, s.chunks(), xorIt, decIt));
        }
      }
      written = w.finish(b.meta().minTime(), b.meta().maxTime(), 1, List.of());
    }
    return written == null ? null : BlockReader.open(written);
  }

  /** Copies block b without the series {@code drop}; null when nothing is left. */
  static BlockReader without(Path dir, BlockReader b, RoaringBitmap drop) throws IOException {
    if (drop.getLongCardinality() == b.numSeries()) {
      return null;
    }
    Path written;
    try (BlockWriter w = new BlockWriter(dir, System.currentTimeMillis())) {
      w.downsampled(b.meta().resolution(), b.meta().downsampledFrom());
      for (int i = 0; i < b.numSeries(); i++) {
        if (drop.contains(i)) {
          continue;
        }
        BlockReader.Series s = b.series(i);
        long[] c = s.chunks();
        for (int j = 0; j < c.length; j += 4) {
          byte[] bytes = b.chunk(c[j + 3]);
          w.addChunk(bytes, 0, bytes.length, c[j], c[j + 1], (int) c[j + 2]);
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

  /** The samples of a raw series' chunks, in order. */
  private static final class RawChunks implements SampleIterator {
    private final BlockReader block;
    private final long[] chunks;
    private final XorIterator xorIt;
    private final DecimalIterator decIt;
    private SampleIterator it;
    private int next;

    RawChunks(BlockReader block, long[] chunks, XorIterator xorIt, DecimalIterator decIt) {
      this.block = block;
      this.chunks = chunks;
      this.xorIt = xorIt;
      this.decIt = decIt;
    }

    @Override
    public boolean next() {
      while (it == null || !it.next()) {
        if (4 * next >= chunks.length) {
          return false;
        }
        byte[] bytes = block.chunk(chunks[4 * next + 3]);
        if (bytes.length > 0 && bytes[0] == dev.osprey.tsdb.chunk.HistogramChunk.KIND) {
          // downsampling keeps float samples only; a series' histograms stay in raw blocks
          it = null;
          next++;
          continue;
        }
        it = ChunkCodec.iterator(bytes, 0, (int) chunks[4 * next + 2], xorIt, decIt);
        next++;
      }
      return true;
    }

    @Override
    public boolean seek(long t) {
      if (it != null && it.t() >= t) {
        return true;
      }
      while (next()) {
        if (it.t() >= t) {
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
}
