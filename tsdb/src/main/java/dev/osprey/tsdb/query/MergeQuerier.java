package dev.osprey.tsdb.query;

import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.labels.Utf8Order;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * Queries several queriers (blocks, oldest first, then the head) as one: series sets are merged by
 * labels, and a series present in several has its samples merged in time order (at equal timestamps
 * the earlier querier wins).
 */
public final class MergeQuerier implements Querier {
  private final List<Querier> queriers;

  public MergeQuerier(List<Querier> queriers) {
    this.queriers = queriers;
  }

  @Override
  public SeriesSet select(long mint, long maxt, SelectHints hints, LabelMatcher... matchers) {
    if (queriers.size() == 1) {
      return queriers.get(0).select(mint, maxt, hints, matchers);
    }
    SeriesSet[] sets = new SeriesSet[queriers.size()];
    boolean[] live = new boolean[sets.length];
    for (int i = 0; i < sets.length; i++) {
      sets[i] = queriers.get(i).select(mint, maxt, hints, matchers);
      live[i] = sets[i].next();
    }
    return new SeriesSet() {
      private Labels cur;
      private boolean first = true;
      private final boolean[] inCur = new boolean[sets.length];
      private final SampleIterator[] parts = new SampleIterator[sets.length];

      @Override
      public boolean next() {
        if (!first) {
          for (int i = 0; i < sets.length; i++) {
            if (inCur[i]) {
              live[i] = sets[i].next();
            }
          }
        }
        first = false;
        cur = null;
        // A series usually sits in every block: test equality first (String.equals is an
        // intrinsic), and compare in UTF-8 order, char by char, only labels that differ.
        for (int i = 0; i < sets.length; i++) {
          inCur[i] = false;
          if (!live[i]) {
            continue;
          }
          Labels l = sets[i].labels();
          if (cur == null) {
            cur = l;
            inCur[i] = true;
          } else if (l.equals(cur)) {
            inCur[i] = true;
          } else if (l.compareTo(cur) < 0) {
            Arrays.fill(inCur, 0, i, false);
            cur = l;
            inCur[i] = true;
          }
        }
        return cur != null;
      }

      @Override
      public Labels labels() {
        return cur;
      }

      @Override
      public SampleIterator iterator(SampleIterator reuse) {
        // a merge of ours keeps each source's last iterator in its slot, for that source to reuse
        MergeIterator m = reuse instanceof MergeIterator r && r.slots() == sets.length ? r : null;
        SampleIterator single = m == null ? reuse : null;
        int k = 0;
        for (int i = 0; i < sets.length; i++) {
          if (inCur[i]) {
            SampleIterator prev = m != null ? m.slot(i) : single;
            single = null;
            SampleIterator it = sets[i].iterator(prev);
            parts[k++] = it;
            if (m != null) {
              m.setSlot(i, it);
            }
          }
        }
        if (k == 1) {
          return parts[0];
        }
        if (m == null) {
          m = new MergeIterator(sets.length);
          for (int i = 0, j = 0; i < sets.length; i++) {
            if (inCur[i]) {
              m.setSlot(i, parts[j++]);
            }
          }
        }
        return m.reset(parts, k);
      }
    };
  }

  @Override
  public List<String> labelNames(long mint, long maxt, LabelMatcher... matchers) {
    TreeSet<String> out = new TreeSet<>(Utf8Order::compare);
    for (Querier q : queriers) {
      out.addAll(q.labelNames(mint, maxt, matchers));
    }
    return new ArrayList<>(out);
  }

  @Override
  public List<String> labelValues(long mint, long maxt, String name, LabelMatcher... matchers) {
    TreeSet<String> out = new TreeSet<>(Utf8Order::compare);
    for (Querier q : queriers) {
      out.addAll(q.labelValues(mint, maxt, name, matchers));
    }
    return new ArrayList<>(out);
  }

  @Override
  public void close() {
    for (Querier q : queriers) {
      q.close();
    }
  }
}
