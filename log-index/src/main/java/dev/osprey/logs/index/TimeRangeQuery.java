package dev.osprey.logs.index;

import java.io.IOException;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.search.ConstantScoreScorer;
import org.apache.lucene.search.ConstantScoreWeight;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.QueryVisitor;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.ScorerSupplier;
import org.apache.lucene.search.TwoPhaseIterator;
import org.apache.lucene.search.Weight;

/**
 * Lines with a timestamp in [from, to] (inclusive), found by binary search over the sorted
 * timestamps: once per segment in a time-sorted segment, once per stream range (lazily, as the
 * iterator reaches it) in a stream-sorted one; a doc-values scan in a segment of any other order.
 */
final class TimeRangeQuery extends org.apache.lucene.search.Query {
  final long from;
  final long to;

  TimeRangeQuery(long from, long to) {
    this.from = from;
    this.to = to;
  }

  @Override
  public Weight createWeight(IndexSearcher searcher, ScoreMode scoreMode, float boost) {
    return new ConstantScoreWeight(this, boost) {
      @Override
      public ScorerSupplier scorerSupplier(LeafReaderContext ctx) throws IOException {
        LeafReader r = ctx.reader();
        if (from > to || r.maxDoc() == 0 || r.getNumericDocValues(LogPartition.F_TS) == null) {
          return null;
        }
        if (SegmentOrder.timeSorted(r)) {
          SegmentOrder.Probe p = new SegmentOrder.Probe(r);
          int a = p.firstAtLeast(0, r.maxDoc(), from);
          int b = to == Long.MAX_VALUE ? r.maxDoc() : p.firstAtLeast(a, r.maxDoc(), to + 1);
          if (a >= b) {
            return null;
          }
          return new DefaultScorerSupplier(
              new ConstantScoreScorer(score(), scoreMode, DocIdSetIterator.range(a, b)));
        }
        if (SegmentOrder.streamSorted(r)) {
          return new DefaultScorerSupplier(
              new ConstantScoreScorer(score(), scoreMode, new PerStream(r, from, to)));
        }
        NumericDocValues ts = r.getNumericDocValues(LogPartition.F_TS);
        TwoPhaseIterator tp =
            new TwoPhaseIterator(ts) {
              @Override
              public boolean matches() throws IOException {
                long t = ts.longValue();
                return t >= from && t <= to;
              }

              @Override
              public float matchCost() {
                return 2;
              }
            };
        return new DefaultScorerSupplier(new ConstantScoreScorer(score(), scoreMode, tp));
      }

      @Override
      public boolean isCacheable(LeafReaderContext ctx) {
        // as Lucene's doc-values range queries: the query cache may keep a repeated query's hits
        return DocValues.isCacheable(ctx, LogPartition.F_TS);
      }
    };
  }

  /**
   * Iterates the docs in [from, to] of a stream-sorted segment: on reaching a stream range, two
   * binary searches give its docs in the time range, and the rest of the range is skipped.
   */
  static final class PerStream extends DocIdSetIterator {
    private final SegmentOrder.Probe probe;
    private final int maxDoc;
    private final long from;
    private final long to;
    private int doc = -1;
    private int rangeEnd; // end of the stream range the bounds below belong to
    private int a; // first doc of that range in the time range
    private int b; // end of that range's docs in the time range

    PerStream(LeafReader r, long from, long to) {
      this.probe = new SegmentOrder.Probe(r);
      this.maxDoc = r.maxDoc();
      this.from = from;
      this.to = to;
    }

    @Override
    public int docID() {
      return doc;
    }

    @Override
    public int nextDoc() throws IOException {
      return advance(doc + 1);
    }

    @Override
    public int advance(int target) throws IOException {
      while (target < maxDoc) {
        if (target >= rangeEnd) {
          rangeEnd = probe.streamEnd(target);
          a = probe.firstAtLeast(target, rangeEnd, from);
          b = to == Long.MAX_VALUE ? rangeEnd : probe.firstAtLeast(a, rangeEnd, to + 1);
        }
        if (target < a) {
          target = a;
        }
        if (target < b) {
          return doc = target;
        }
        target = rangeEnd;
      }
      return doc = NO_MORE_DOCS;
    }

    @Override
    public long cost() {
      return maxDoc;
    }
  }

  @Override
  public void visit(QueryVisitor visitor) {
    if (visitor.acceptField(LogPartition.F_TS)) {
      visitor.visitLeaf(this);
    }
  }

  @Override
  public String toString(String field) {
    return LogPartition.F_TS + ":[" + from + " TO " + to + "]";
  }

  @Override
  public boolean equals(Object o) {
    return sameClassAs(o) && from == ((TimeRangeQuery) o).from && to == ((TimeRangeQuery) o).to;
  }

  @Override
  public int hashCode() {
    return 31 * (31 * classHash() + Long.hashCode(from)) + Long.hashCode(to);
  }
}
