package dev.osprey.logs.index;

import dev.osprey.core.labels.Labels;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import org.apache.lucene.index.CodecReader;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.StoredFieldVisitor;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.FieldDoc;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.TopFieldDocs;
import org.apache.lucene.search.Weight;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/**
 * Reads the hits of one partition in timestamp order. Forward: every segment is sorted by time, so
 * the segments' hit iterators are merged by timestamp, streaming with no limit. Backward: pages of
 * a reverse-sorted top-N search.
 */
final class PartitionReader {
  private static final int PAGE = 1000;

  private PartitionReader() {}

  /** Per-segment readers; doc values must be read in increasing doc order. */
  private static final class Leaf {
    final LeafReaderContext ctx;
    final NumericDocValues ts;
    final NumericDocValues len;
    final SortedDocValues stream;
    final StoredFields stored;
    final LineVisitor visitor = new LineVisitor();
    final Labels[] labelsByOrd;
    final Bits live;
    DocIdSetIterator it;
    int doc;
    long t;

    Leaf(LeafReaderContext ctx, boolean needLine) throws IOException {
      this.ctx = ctx;
      this.ts = ctx.reader().getNumericDocValues(LogPartition.F_TS);
      this.len = ctx.reader().getNumericDocValues(LogPartition.F_LEN);
      this.stream = ctx.reader().getSortedDocValues(LogPartition.F_STREAM);
      this.stored = needLine ? sequentialStoredFields(ctx) : null;
      this.labelsByOrd = new Labels[stream == null ? 0 : stream.getValueCount()];
      this.live = ctx.reader().getLiveDocs();
    }

    long ts(int d) throws IOException {
      return ts.advanceExact(d) ? ts.longValue() : 0;
    }

    Labels labels(int d) throws IOException {
      if (!stream.advanceExact(d)) {
        throw new IllegalStateException("BUG: document without stream labels");
      }
      int ord = stream.ordValue();
      Labels l = labelsByOrd[ord];
      if (l == null) {
        BytesRef b = stream.lookupOrd(ord);
        l = Codec.decodeLabels(b.bytes, b.offset, b.length);
        labelsByOrd[ord] = l;
      }
      return l;
    }

    int len(int d) throws IOException {
      return len.advanceExact(d) ? (int) len.longValue() : 0;
    }

    /** Delivers one hit; returns the consumer's answer. */
    boolean deliver(int d, long t, LogHitConsumer c) throws IOException {
      Labels l = labels(d);
      int n = len(d);
      if (stored == null) {
        return c.accept(l, t, null, Labels.EMPTY, n);
      }
      visitor.line = null;
      visitor.meta = Labels.EMPTY;
      stored.document(d, visitor);
      return c.accept(l, t, visitor.line, visitor.meta, n);
    }

    boolean advance() throws IOException {
      while (true) {
        doc = it.nextDoc();
        if (doc == DocIdSetIterator.NO_MORE_DOCS) {
          return false;
        }
        if (live == null || live.get(doc)) {
          t = ts(doc);
          return true;
        }
      }
    }
  }

  /**
   * Stored fields for reading docs in increasing order: the codec's merge instance decompresses
   * each block once for all its docs, where the ordinary reader decompresses per document.
   */
  private static StoredFields sequentialStoredFields(LeafReaderContext ctx) throws IOException {
    if (ctx.reader() instanceof CodecReader cr) {
      return cr.getFieldsReader().getMergeInstance();
    }
    return ctx.reader().storedFields();
  }

  /** Collects the line and the structured metadata of one document. */
  private static final class LineVisitor extends StoredFieldVisitor {
    String line;
    Labels meta;

    @Override
    public Status needsField(FieldInfo fi) {
      if (fi.name.equals(LogPartition.F_LINE) || fi.name.equals(LogPartition.F_META)) {
        return Status.YES;
      }
      return line != null && meta != Labels.EMPTY ? Status.STOP : Status.NO;
    }

    @Override
    public void stringField(FieldInfo fi, String value) {
      if (fi.name.equals(LogPartition.F_LINE)) {
        line = value;
      }
    }

    @Override
    public void binaryField(FieldInfo fi, byte[] value) {
      if (fi.name.equals(LogPartition.F_META)) {
        meta = Codec.decodeLabels(value, 0, value.length);
      }
    }
  }

  /**
   * Streams hits in ascending time. Returns the lines delivered, {@code n}, or {@code -n} when the
   * consumer stopped the search.
   */
  static long forward(IndexSearcher s, Query q, boolean needLine, long limit, LogHitConsumer c)
      throws IOException {
    Query rq = s.rewrite(q);
    Weight w = s.createWeight(rq, ScoreMode.COMPLETE_NO_SCORES, 1f);
    PriorityQueue<Leaf> pq = new PriorityQueue<>((a, b) -> Long.compare(a.t, b.t));
    for (LeafReaderContext ctx : s.getIndexReader().leaves()) {
      Scorer sc = w.scorer(ctx);
      if (sc == null) {
        continue;
      }
      Leaf l = new Leaf(ctx, needLine);
      l.it = sc.iterator();
      if (l.advance()) {
        pq.add(l);
      }
    }
    long n = 0;
    while (!pq.isEmpty() && n < limit) {
      Leaf l = pq.poll();
      n++;
      if (!l.deliver(l.doc, l.t, c)) {
        return stopped(n);
      }
      if (l.advance()) {
        pq.add(l);
      }
    }
    return n;
  }

  private static long stopped(long n) {
    return n == 0 ? Long.MIN_VALUE : -n;
  }

  /** Streams hits in descending time, a page of a reverse-sorted search at a time. */
  static long backward(IndexSearcher s, Query q, boolean needLine, long limit, LogHitConsumer c)
      throws IOException {
    Sort sort = new Sort(new SortField(LogPartition.F_TS, SortField.Type.LONG, true));
    List<LeafReaderContext> leaves = s.getIndexReader().leaves();
    FieldDoc after = null;
    long n = 0;
    while (n < limit) {
      int want = (int) Math.min(PAGE, limit - n);
      TopFieldDocs top = s.searchAfter(after, q, want, sort, false);
      ScoreDoc[] hits = top.scoreDocs;
      if (hits.length == 0) {
        return n;
      }
      // read doc values in doc order per segment, then deliver in sort order
      Integer[] order = new Integer[hits.length];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Integer.compare(hits[a].doc, hits[b].doc));
      Labels[] labels = new Labels[hits.length];
      int[] lens = new int[hits.length];
      String[] lines = new String[hits.length];
      Labels[] metas = new Labels[hits.length];
      Leaf leaf = null;
      for (int i : order) {
        int d = hits[i].doc;
        int li = ReaderUtil.subIndex(d, leaves);
        LeafReaderContext ctx = leaves.get(li);
        if (leaf == null || leaf.ctx != ctx) {
          leaf = new Leaf(ctx, needLine);
        }
        int ld = d - ctx.docBase;
        long t = (Long) ((FieldDoc) hits[i]).fields[0];
        List<Object> got = new ArrayList<>(4);
        leaf.deliver(
            ld,
            t,
            (st, ts, line, md, bytes) -> {
              got.add(st);
              got.add(line);
              got.add(md);
              got.add(bytes);
              return true;
            });
        labels[i] = (Labels) got.get(0);
        lines[i] = (String) got.get(1);
        metas[i] = (Labels) got.get(2);
        lens[i] = (Integer) got.get(3);
      }
      for (int i = 0; i < hits.length; i++) {
        long t = (Long) ((FieldDoc) hits[i]).fields[0];
        n++;
        if (!c.accept(labels[i], t, lines[i], metas[i], lens[i])) {
          return stopped(n);
        }
      }
      if (hits.length < want) {
        return n;
      }
      after = (FieldDoc) hits[hits.length - 1];
    }
    return n;
  }
}
