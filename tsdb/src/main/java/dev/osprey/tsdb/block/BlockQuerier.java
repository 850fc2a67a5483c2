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
import dev.osprey.tsdb.query.PeekedIterator;
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
   * An iterator over the chunks of {@code s} overlapping the range, or null when there are none.
   */
  SampleIterator chunksOf(BlockReader.Series s, long mint, long maxt) {
    long[] c = s.chunks();
    int n = c.length / 4;
    byte[][] pages = new byte[n][];
    int[] offsets = new int[n];
    int[] counts = new int[n];
    long[] ends = new long[n];
    int k = 0;
    for (int i = 0; i < n; i++) {
      if (c[4 * i + 1] < mint || c[4 * i] > maxt) {
        continue;
      }
      pages[k] = block.chunk(c[4 * i + 3]);
      counts[k] = (int) c[4 * i + 2];
      ends[k] = c[4 * i + 1];
      k++;
    }
    if (k == 0) {
      return null;
    }
    return new ChunkChainIterator(pages, offsets, counts, ends, k, mint, maxt);
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
      private SampleIterator peeked;

      @Override
      public boolean next() {
        while (it.hasNext()) {
          BlockReader.Series s = block.series(it.next());
          SampleIterator si = chunksOf(s, mint, maxt);
          if (si != null && si.next()) {
            cur = s;
            peeked = new PeekedIterator(si);
            return true;
          }
        }
        cur = null;
        return false;
      }

      @Override
      public Labels labels() {
        return cur.labels();
      }

      @Override
      public SampleIterator iterator(SampleIterator reuse) {
        SampleIterator p = peeked;
        if (p != null) {
          peeked = null;
          return p;
        }
        SampleIterator si = chunksOf(cur, mint, maxt);
        return si;
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
      return block.values(name);
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
