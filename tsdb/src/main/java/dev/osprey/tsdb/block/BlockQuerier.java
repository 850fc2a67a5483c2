package dev.osprey.tsdb.block;

import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.labels.Utf8Order;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import dev.osprey.tsdb.index.PostingsSource;
import dev.osprey.tsdb.query.ChunkChainIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.roaringbitmap.IntIterator;
import org.roaringbitmap.RoaringBitmap;

/** Reads one block. Series ordinals are in label order, so results come out sorted. */
public final class BlockQuerier implements Querier {
  private final BlockReader block;

  public BlockQuerier(BlockReader block) {
    this.block = block;
  }

  private boolean outside(long mint, long maxt) {
    return maxt < block.meta().minTime() || mint >= block.meta().maxTime();
  }

  /**
   * Fills {@code into} with the chunks of {@code s} overlapping the range; false when the series
   * has no sample in it. The chunks' first and last timestamps usually decide that; only when every
   * such chunk starts before the range and ends after it is the first chunk decoded to see (the
   * iterator is then left on that sample, pending).
   */
  boolean fill(BlockReader.Series s, long mint, long maxt, ChunkChainIterator into) {
    into.clear(mint, maxt);
    long[] c = s.chunks();
    boolean sure = false;
    for (int i = 0; i < c.length; i += 4) {
      long cmin = c[i];
      long cmax = c[i + 1];
      if (cmax < mint || cmin > maxt) {
        continue;
      }
      block.copyChunk(c[i + 3], into, (int) c[i + 2], cmax);
      sure |= cmin >= mint || cmax <= maxt; // its first or its last sample is in range
    }
    return into.chunks() > 0 && (sure || into.probe());
  }

  @Override
  public SeriesSet select(long mint, long maxt, SelectHints hints, LabelMatcher... matchers) {
    if (outside(mint, maxt)) {
      return SeriesSet.EMPTY;
    }
    RoaringBitmap ids = PostingsSource.select(block, matchers);
    IntIterator it = ids.getIntIterator();
    return new SeriesSet() {
      private BlockReader.Series cur;
      private ChunkChainIterator filled; // for cur, not yet handed out
      private ChunkChainIterator spare; // handed back by the caller, free to fill

      @Override
      public boolean next() {
        ChunkChainIterator c = filled;
        if (c == null) {
          c = spare != null ? spare : new ChunkChainIterator();
          spare = null;
        }
        while (it.hasNext()) {
          BlockReader.Series s = block.series(it.next());
          if (fill(s, mint, maxt, c)) {
            cur = s;
            filled = c;
            return true;
          }
        }
        spare = c;
        filled = null;
        cur = null;
        return false;
      }

      @Override
      public Labels labels() {
        return cur.labels();
      }

      @Override
      public SampleIterator iterator(SampleIterator reuse) {
        ChunkChainIterator mine = reuse instanceof ChunkChainIterator r && r.reusable() ? r : null;
        ChunkChainIterator c = filled;
        if (c != null) {
          filled = null;
          if (mine != null && mine != c) {
            spare = mine;
          }
          return c;
        }
        // a second iterator over the same series
        c = mine != null ? mine : new ChunkChainIterator();
        fill(cur, mint, maxt, c);
        return c;
      }
    };
  }

  private List<Labels> matching(long mint, long maxt, LabelMatcher[] matchers) {
    List<Labels> out = new ArrayList<>();
    if (outside(mint, maxt)) {
      return out;
    }
    IntIterator it = PostingsSource.select(block, matchers).getIntIterator();
    while (it.hasNext()) {
      BlockReader.Series s = block.series(it.next());
      long[] c = s.chunks();
      for (int i = 0; i < c.length; i += 4) {
        if (c[i + 1] >= mint && c[i] <= maxt) {
          out.add(s.labels());
          break;
        }
      }
    }
    return out;
  }

  @Override
  public List<String> labelNames(long mint, long maxt, LabelMatcher... matchers) {
    if (outside(mint, maxt)) {
      return List.of();
    }
    if (matchers.length == 0) {
      return block.labelNames();
    }
    TreeSet<String> out = new TreeSet<>(Utf8Order::compare);
    for (Labels l : matching(mint, maxt, matchers)) {
      out.addAll(l.names());
    }
    return new ArrayList<>(out);
  }

  @Override
  public List<String> labelValues(long mint, long maxt, String name, LabelMatcher... matchers) {
    if (outside(mint, maxt)) {
      return List.of();
    }
    if (matchers.length == 0) {
      return new ArrayList<>(block.values(name));
    }
    TreeSet<String> out = new TreeSet<>(Utf8Order::compare);
    for (Labels l : matching(mint, maxt, matchers)) {
      String v = l.get(name);
      if (!v.isEmpty()) {
        out.add(v);
      }
    }
    return new ArrayList<>(out);
  }

  @Override
  public void close() {}
}
