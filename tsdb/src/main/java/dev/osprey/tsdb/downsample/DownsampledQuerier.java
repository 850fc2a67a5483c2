package dev.osprey.tsdb.downsample;

import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import dev.osprey.tsdb.block.BlockQuerier;
import dev.osprey.tsdb.block.BlockReader;
import dev.osprey.tsdb.index.PostingsSource;
import java.util.List;
import org.roaringbitmap.IntIterator;

/**
 * Reads a downsampled block as if it held samples: each series answers with one view of its
 * aggregates, chosen per series by {@link Aggr#viewFor} (the function in the hints, else the metric
 * name: counters read the counter column, everything else the window averages). Label names and
 * values are those of the raw series.
 */
public final class DownsampledQuerier implements Querier {
  private final BlockReader block;

  public DownsampledQuerier(BlockReader block) {
    if (!block.meta().downsampled()) {
      throw new IllegalArgumentException("BUG: block " + block.dir() + " is not downsampled");
    }
    this.block = block;
  }

  private boolean outside(long mint, long maxt) {
    return maxt < block.meta().minTime() || mint >= block.meta().maxTime();
  }

  private static SampleIterator view(
      BlockReader block, long[] chunks, Aggr.View view, long mint, long maxt) {
    SampleIterator main = new ColumnIterator(block, chunks, view.column(), mint, maxt);
    if (view != Aggr.View.AVG) {
      return main;
    }
    return new AvgIterator(main, new ColumnIterator(block, chunks, Aggr.COUNT, mint, maxt));
  }

  @Override
  public SeriesSet select(long mint, long maxt, SelectHints hints, LabelMatcher... matchers) {
    if (outside(mint, maxt)) {
      return SeriesSet.EMPTY;
    }
    IntIterator ids = PostingsSource.select(block, matchers).getIntIterator();
    return new SeriesSet() {
      private BlockReader.Series cur;
      private Aggr.View curView;

      @Override
      public boolean next() {
        while (ids.hasNext()) {
          BlockReader.Series s = block.series(ids.next());
          Aggr.View v = Aggr.viewFor(hints, s.labels().metricName());
          if (ColumnIterator.overlaps(s.chunks(), v.column(), mint, maxt)) {
            cur = s;
            curView = v;
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
        return view(block, cur.chunks(), curView, mint, maxt);
      }
    };
  }

  @Override
  public List<String> labelNames(long mint, long maxt, LabelMatcher... matchers) {
    return new BlockQuerier(block).labelNames(mint, maxt, matchers);
  }

  @Override
  public List<String> labelValues(long mint, long maxt, String name, LabelMatcher... matchers) {
    return new BlockQuerier(block).labelValues(mint, maxt, name, matchers);
  }

  @Override
  public void close() {}
}
