package dev.osprey.tsdb.head;

import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.labels.Utf8Order;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import dev.osprey.tsdb.query.PeekedIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.roaringbitmap.IntIterator;
import org.roaringbitmap.RoaringBitmap;

/** Reads the head: postings for the matchers, then each series' chunks for the time range. */
final class HeadQuerier implements Querier {
  private final Head head;

  HeadQuerier(Head head) {
    this.head = head;
  }

  private List<MemSeries> matching(long mint, long maxt, LabelMatcher[] matchers) {
    List<MemSeries> out = new ArrayList<>();
    if (mint > head.maxTime() || maxt < head.minTime()) {
      return out;
    }
    RoaringBitmap ids = head.postings().select(matchers);
    IntIterator it = ids.getIntIterator();
    while (it.hasNext()) {
      MemSeries s = head.byId(it.next());
      if (s != null && s.overlaps(mint, maxt)) {
        out.add(s);
      }
    }
    return out;
  }

  @Override
  public SeriesSet select(long mint, long maxt, SelectHints hints, LabelMatcher... matchers) {
    List<MemSeries> series = matching(mint, maxt, matchers);
    series.sort((a, b) -> a.labels.compareTo(b.labels));
    return new SeriesSet() {
      private int i = -1;
      private SampleIterator probed;

      @Override
      public boolean next() {
        while (++i < series.size()) {
          SampleIterator it = series.get(i).iterator(head.arena(), mint, maxt);
          if (it.next()) {
            probed = new PeekedIterator(it);
            return true;
          }
        }
        return false;
      }

      @Override
      public Labels labels() {
        return series.get(i).labels;
      }

      @Override
      public SampleIterator iterator(SampleIterator reuse) {
        SampleIterator p = probed;
        if (p != null) {
          probed = null;
          return p;
        }
        return series.get(i).iterator(head.arena(), mint, maxt);
      }
    };
  }

  @Override
  public List<String> labelNames(long mint, long maxt, LabelMatcher... matchers) {
    if (matchers.length == 0 && mint <= head.minTime() && maxt >= head.maxTime()) {
      return head.postings().labelNames();
    }
    TreeSet<String> out = new TreeSet<>(Utf8Order::compare);
    for (MemSeries s : matching(mint, maxt, matchers)) {
      for (int i = 0; i < s.labels.size(); i++) {
        out.add(s.labels.name(i));
      }
    }
    return new ArrayList<>(out);
  }

  @Override
  public List<String> labelValues(long mint, long maxt, String name, LabelMatcher... matchers) {
    if (matchers.length == 0 && mint <= head.minTime() && maxt >= head.maxTime()) {
      return head.postings().labelValues(name);
    }
    TreeSet<String> out = new TreeSet<>(Utf8Order::compare);
    for (MemSeries s : matching(mint, maxt, matchers)) {
      String v = s.labels.get(name);
      if (!v.isEmpty()) {
        out.add(v);
      }
    }
    return new ArrayList<>(out);
  }

  @Override
  public void close() {}
}
