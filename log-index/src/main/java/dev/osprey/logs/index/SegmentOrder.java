package dev.osprey.logs.index;

import java.io.IOException;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;

/**
 * The doc order of a partition's segments. Partitions written since format version {@code
 * stream-time} (log-partition.md) sort each segment by (stream, timestamp): a segment is a run of
 * time-sorted doc ranges, one per stream ordinal. Older partitions sort by timestamp alone, and
 * keep that sort until retention drops them (Lucene cannot change the sort of an index).
 */
final class SegmentOrder {
  private SegmentOrder() {}

  /** The sort of partitions created now. */
  static final Sort STREAM_TIME =
      new Sort(
          new SortField(LogPartition.F_STREAM, SortField.Type.STRING),
          new SortField(LogPartition.F_TS, SortField.Type.LONG));

  /** The sort of partitions created before format version {@code stream-time}. */
  static final Sort TIME = new Sort(new SortField(LogPartition.F_TS, SortField.Type.LONG));

  static boolean streamSorted(LeafReader r) {
    return STREAM_TIME.equals(r.getMetaData().sort());
  }

  static boolean timeSorted(LeafReader r) {
    return TIME.equals(r.getMetaData().sort());
  }

  /**
   * Random reads of a segment's stream ordinal and timestamp doc values (every document has both).
   * Lucene's doc-values iterators only move forward, so a read below the last one takes a fresh
   * iterator.
   */
  static final class Probe {
    private final LeafReader reader;
    private final int maxDoc;
    private SortedDocValues stream;
    private NumericDocValues ts;

    Probe(LeafReader reader) {
      this.reader = reader;
      this.maxDoc = reader.maxDoc();
    }

    int ord(int doc) throws IOException {
      if (stream == null || doc < stream.docID()) {
        stream = reader.getSortedDocValues(LogPartition.F_STREAM);
      }
      if (stream == null || !stream.advanceExact(doc)) {
        throw new IllegalStateException("BUG: document " + doc + " without stream labels");
      }
      return stream.ordValue();
    }

    long ts(int doc) throws IOException {
      if (ts == null || doc < ts.docID()) {
        ts = reader.getNumericDocValues(LogPartition.F_TS);
      }
      if (ts == null || !ts.advanceExact(doc)) {
        throw new IllegalStateException("BUG: document " + doc + " without timestamp");
      }
      return ts.longValue();
    }

    /**
     * The end (exclusive) of the stream range holding {@code doc} in a stream-sorted segment:
     * galloping forward from {@code doc}, then a binary search.
     */
    int streamEnd(int doc) throws IOException {
      int ord = ord(doc);
      int in = doc; // last doc known to have ord
      int step = 1;
      int out; // first doc known past the range (or maxDoc)
      while (true) {
        int probe = in + step;
        if (probe >= maxDoc) {
          out = maxDoc;
          break;
        }
        if (ord(probe) != ord) {
          out = probe;
          break;
        }
        in = probe;
        step <<= 1;
      }
      while (out - in > 1) {
        int mid = (in + out) >>> 1;
        if (ord(mid) == ord) {
          in = mid;
        } else {
          out = mid;
        }
      }
      return out;
    }

    /**
     * The first doc in [lo, hi) whose timestamp is at least {@code t}, or hi. Time-sorted range.
     */
    int firstAtLeast(int lo, int hi, long t) throws IOException {
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (ts(mid) < t) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lo;
    }
  }
}
