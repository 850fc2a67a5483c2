package dev.osprey.logs.index;

import dev.osprey.core.labels.Labels;
import java.io.IOException;
import java.util.PriorityQueue;
import java.util.function.Predicate;
import org.apache.lucene.index.CodecReader;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.StoredFieldVisitor;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.Weight;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.FixedBitSet;

/**
 * Reads the hits of one partition in timestamp order. A segment is sorted by time (older
 * partitions) or by stream and time ({@link SegmentOrder}): then each stream range is a run sorted
 * by time. The cursors, one per segment or per (segment, stream range) with a hit, are merged by
 * timestamp. Forward: streaming with no limit. Backward: see {@link #backward}.
 */
final class PartitionReader {

  private PartitionReader() {}

  /** What {@link Leaf#deliver} did with a hit. */
  static final int SKIPPED = 0;

  static final int DELIVERED = 1;
  static final int STOPPED = -1;

  /** Per-segment readers; doc values must be read in increasing doc order. */
  private static final class Leaf {
    final LeafReaderContext ctx;
    final NumericDocValues ts;
    final NumericDocValues len;
    final SortedDocValues stream;
    final StoredFields stored;
    final boolean needLine;
    final LineVisitor visitor;
    final Labels[] labelsByOrd;
    final Bits live;
    DocIdSetIterator it;
    int end; // the cursor's docs end here: the segment's end, or its stream range's
    int doc;
    long t;

    /**
     * @param hits about how many of the segment's docs will be read over {@code span} docs: dense
     *     reads take the sequential stored-fields reader, sparse ones the ordinary one
     * @param filter lines to deliver, or null for all
     */
    Leaf(LeafReaderContext ctx, boolean needLine, Predicate<String> filter, long hits, long span)
        throws IOException {
      this.ctx = ctx;
      this.ts = ctx.reader().getNumericDocValues(LogPartition.F_TS);
      this.len = ctx.reader().getNumericDocValues(LogPartition.F_LEN);
      this.stream = ctx.reader().getSortedDocValues(LogPartition.F_STREAM);
      this.needLine = needLine;
      this.stored = needLine || filter != null ? storedFields(ctx, hits, span) : null;
      this.visitor = new LineVisitor(filter);
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
        l = Tenants.strip(Codec.decodeLabels(b.bytes, b.offset, b.length));
        labelsByOrd[ord] = l;
      }
      return l;
    }

    int len(int d) throws IOException {
      return len.advanceExact(d) ? (int) len.longValue() : 0;
    }

    /**
     * Delivers one hit unless the line filter rejects it: {@link #DELIVERED}, {@link #SKIPPED}, or
     * {@link #STOPPED} when the consumer asked to stop.
     */
    int deliver(int d, long t, LogHitConsumer c) throws IOException {
      if (stored == null) {
        return c.accept(labels(d), t, null, Labels.EMPTY, len(d)) ? DELIVERED : STOPPED;
      }
      visitor.reset();
      stored.document(d, visitor);
      if (!visitor.accepted()) {
        return SKIPPED;
      }
      String line = needLine ? visitor.line : null;
      return c.accept(labels(d), t, line, visitor.meta, len(d)) ? DELIVERED : STOPPED;
    }

    boolean advance() throws IOException {
      return startAt(it.nextDoc());
    }

    /** Positions on {@code d}, the iterator's current doc, or on the next live one. */
    boolean startAt(int d) throws IOException {
      while (true) {
        doc = d;
        if (doc >= end) {
          return false;
        }
        if (live == null || live.get(doc)) {
          t = ts(doc);
          return true;
        }
        d = it.nextDoc();
      }
    }
  }

  /**
   * Below this share of a span's docs, hits are read with the ordinary stored-fields reader: the
   * codec's merge instance decompresses each whole block (hundreds of KiB with BEST_COMPRESSION)
   * once for all its docs, which pays when a block holds several hits, while the ordinary reader
   * decompresses only the part of a block that holds the document, which pays for a rare needle.
   */
  static final int SPARSE_DOCS_PER_HIT = 1024;

  /** Stored fields for reading about {@code hits} docs in increasing order over {@code span}. */
  private static StoredFields storedFields(LeafReaderContext ctx, long hits, long span)
      throws IOException {
    if (hits > 1 && hits * SPARSE_DOCS_PER_HIT >= span && ctx.reader() instanceof CodecReader cr) {
      return cr.getFieldsReader().getMergeInstance();
    }
    return ctx.reader().storedFields();
  }

  /**
   * Collects the line and the structured metadata of one document; with a line filter, stops
   * reading a document as soon as its line is rejected.
   */
  private static final class LineVisitor extends StoredFieldVisitor {
    final Predicate<String> filter;
    String line;
    Labels meta;
    boolean tested;
    boolean rejected;

    LineVisitor(Predicate<String> filter) {
      this.filter = filter;
    }

    void reset() {
      line = null;
      meta = Labels.EMPTY;
      tested = false;
      rejected = false;
    }

    /** Whether the line passes the filter; tested once, after the line was read. */
    boolean accepted() {
      if (!tested) {
        tested = true;
        rejected = filter != null && !filter.test(line == null ? "" : line);
      }
      return !rejected;
    }

    @Override
    public Status needsField(FieldInfo fi) {
      if (fi.name.equals(LogPartition.F_LINE)) {
        return Status.YES;
      }
      if (line != null && !accepted()) {
        return Status.STOP;
      }
      if (fi.name.equals(LogPartition.F_META)) {
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
  static long forward(
      IndexSearcher s,
      Query q,
      boolean needLine,
      Predicate<String> filter,
      long limit,
      LogHitConsumer c)
      throws IOException {
    Query rq = s.rewrite(q);
    Weight w = s.createWeight(rq, ScoreMode.COMPLETE_NO_SCORES, 1f);
    PriorityQueue<Leaf> pq = new PriorityQueue<>((a, b) -> Long.compare(a.t, b.t));
    for (LeafReaderContext ctx : s.getIndexReader().leaves()) {
      Scorer sc = w.scorer(ctx);
      if (sc == null) {
        continue;
      }
      DocIdSetIterator it = sc.iterator();
      int maxDoc = ctx.reader().maxDoc();
      if (!SegmentOrder.streamSorted(ctx.reader())) {
        Leaf l = new Leaf(ctx, needLine, filter, it.cost(), maxDoc);
        l.it = it;
        l.end = maxDoc;
        if (l.advance()) {
          pq.add(l);
        }
        continue;
      }
      // one cursor per stream range with a hit, each with its own iterator, stopping at its end
      SegmentOrder.Probe probe = new SegmentOrder.Probe(ctx.reader());
      int d = it.nextDoc();
      while (d != DocIdSetIterator.NO_MORE_DOCS) {
        int end = probe.streamEnd(d);
        Leaf l = new Leaf(ctx, needLine, filter, Math.min(it.cost(), end - d), end - d);
        l.it = it;
        l.end = end;
        if (l.startAt(d)) {
          pq.add(l);
        }
        if (end >= maxDoc) {
          break;
        }
        sc = w.scorer(ctx);
        it = sc.iterator();
        d = it.advance(end);
      }
    }
    long n = 0;
    while (!pq.isEmpty() && n < limit) {
      Leaf l = pq.poll();
      int r = l.deliver(l.doc, l.t, c);
      if (r != SKIPPED) {
        n++;
      }
      if (r == STOPPED) {
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

  /**
   * Streams hits in descending time. Each segment (or stream range of a stream-sorted segment) is
   * sorted by time, so its matches (collected into an array, or a bit set when many) are walked
   * from the last doc down, a chunk at a time: a chunk's doc values and stored fields are read in
   * increasing doc order (as Lucene's iterators require), then delivered in reverse; the ranges are
   * merged by timestamp. No sorting and no re-running of the query.
   */
  static long backward(
      IndexSearcher s,
      Query q,
      boolean needLine,
      Predicate<String> filter,
      long limit,
      LogHitConsumer c)
      throws IOException {
    Query rq = s.rewrite(q);
    Weight w = s.createWeight(rq, ScoreMode.COMPLETE_NO_SCORES, 1f);
    PriorityQueue<Reverse> pq = new PriorityQueue<>((a, b) -> Long.compare(b.t(), a.t()));
    for (LeafReaderContext ctx : s.getIndexReader().leaves()) {
      Scorer sc = w.scorer(ctx);
      if (sc == null) {
        continue;
      }
      for (Reverse.Hits hits : Reverse.collect(ctx, sc.iterator())) {
        Reverse r = new Reverse(ctx, hits, needLine, filter);
        if (r.next()) {
          pq.add(r);
        }
      }
    }
    long n = 0;
    while (!pq.isEmpty() && n < limit) {
      Reverse r = pq.poll();
      n++;
      int i = r.cur;
      if (!c.accept(r.labels[i], r.ts[i], r.lines[i], r.metas[i], r.lens[i])) {
        return stopped(n);
      }
      if (r.next()) {
        pq.add(r);
      }
    }
    return n;
  }

  /** One segment's matches walked backwards in chunks. */
  static final class Reverse {
    private static final int CHUNK = 256;

    /**
     * A segment's matching live docs: a sorted array when few (a rare needle in a segment of
     * millions of docs costs a few ints, not a bit per doc to clear and to walk), a bit set when
     * many.
     */
    static final class Hits {
      FixedBitSet bits;
      int[] docs = new int[8];
      int size;
      final int base; // first doc of the range; kept as offsets from it
      final int maxDoc; // range length

      Hits(int base, int maxDoc) {
        this.base = base;
        this.maxDoc = maxDoc;
      }

      /** End (exclusive) of the range, as a doc id. */
      int end() {
        return base + maxDoc;
      }

      boolean isEmpty() {
        return bits == null ? size == 0 : bits.nextSetBit(0) == DocIdSetIterator.NO_MORE_DOCS;
      }

      void add(int doc) {
        int d = doc - base;
        if (bits != null) {
          bits.set(d);
          return;
        }
        if (size == docs.length) {
          if (size >= (maxDoc >>> 5)) { // an int per hit now outweighs a bit per doc
            bits = new FixedBitSet(maxDoc);
            for (int i = 0; i < size; i++) {
              bits.set(docs[i]);
            }
            docs = null;
            bits.set(d);
            return;
          }
          docs = java.util.Arrays.copyOf(docs, size * 2);
        }
        docs[size++] = d;
      }

      /** The last hit (a doc id) below doc {@code belowDoc}, or -1. */
      int prev(int belowDoc) {
        int below = belowDoc - base;
        if (bits != null) {
          int p = below <= 0 ? -1 : bits.prevSetBit(below - 1);
          return p < 0 ? -1 : base + p;
        }
        // hits are walked downwards, so the array is consumed from its end
        while (size > 0 && docs[size - 1] >= below) {
          size--;
        }
        return size == 0 ? -1 : base + docs[size - 1];
      }
    }

    /**
     * A segment's matching live docs: one range for a time-sorted segment, one per stream range
     * with a hit for a stream-sorted one (each range is sorted by time).
     */
    static java.util.List<Hits> collect(LeafReaderContext ctx, DocIdSetIterator it)
        throws IOException {
      int maxDoc = ctx.reader().maxDoc();
      Bits live = ctx.reader().getLiveDocs();
      java.util.List<Hits> out = new java.util.ArrayList<>();
      SegmentOrder.Probe probe =
          SegmentOrder.streamSorted(ctx.reader()) ? new SegmentOrder.Probe(ctx.reader()) : null;
      int d = it.nextDoc();
      while (d != DocIdSetIterator.NO_MORE_DOCS) {
        int start = probe == null ? 0 : d;
        int end = probe == null ? maxDoc : probe.streamEnd(d);
        Hits h = new Hits(start, end - start);
        for (; d < end; d = it.nextDoc()) {
          if (live == null || live.get(d)) {
            h.add(d);
          }
        }
        if (!h.isEmpty()) {
          out.add(h);
        }
      }
      return out;
    }

    final LeafReaderContext ctx;
    final Hits hits;
    final boolean needLine;
    final Predicate<String> filter;
    int below; // docs below this index are not yet loaded
    final int[] docs = new int[CHUNK];
    final long[] ts = new long[CHUNK];
    final int[] lens = new int[CHUNK];
    final Labels[] labels = new Labels[CHUNK];
    final String[] lines = new String[CHUNK];
    final Labels[] metas = new Labels[CHUNK];
    int cur = -1; // index in the chunk of the current hit; chunk walked from its end

    int fill; // slots filled by the chunk being loaded
    private final LogHitConsumer slotWriter =
        (st, t, line, md, bytes) -> {
          labels[fill] = st;
          ts[fill] = t;
          lines[fill] = line;
          metas[fill] = md;
          lens[fill] = bytes;
          return true;
        };

    Reverse(LeafReaderContext ctx, Hits hits, boolean needLine, Predicate<String> filter) {
      this.ctx = ctx;
      this.hits = hits;
      this.needLine = needLine;
      this.filter = filter;
      this.below = hits.end();
    }

    long t() {
      return ts[cur];
    }

    /** Moves to the previous hit; false when none is left. */
    boolean next() throws IOException {
      if (cur > 0) {
        cur--;
        return true;
      }
      return load();
    }

    /** Loads the next chunk that holds a hit the line filter accepts; false when none is left. */
    private boolean load() throws IOException {
      while (true) {
        int n = 0;
        int d = below;
        while (n < CHUNK) {
          d = hits.prev(d);
          if (d < 0) {
            break;
          }
          docs[CHUNK - 1 - n] = d;
          n++;
        }
        if (n == 0) {
          return false;
        }
        below = docs[CHUNK - n];
        // docs[CHUNK-n .. CHUNK) ascending; read in that order into slots 0..fill
        Leaf leaf = new Leaf(ctx, needLine, filter, n, docs[CHUNK - 1] - docs[CHUNK - n] + 1L);
        fill = 0;
        for (int k = 0; k < n; k++) {
          int doc = docs[CHUNK - n + k];
          if (leaf.deliver(doc, leaf.ts(doc), slotWriter) == DELIVERED) {
            fill++;
          }
        }
        if (fill > 0) {
          cur = fill - 1;
          return true;
        }
      }
    }
  }

  /** One segment of an unordered search: the weight of its partition's query and the segment. */
  record SegmentTask(Weight weight, LeafReaderContext ctx) {}

  /** Adds a task per segment of {@code s} for query {@code q}. */
  static void segmentTasks(IndexSearcher s, Query q, java.util.List<SegmentTask> out)
      throws IOException {
    Weight w = s.createWeight(s.rewrite(q), ScoreMode.COMPLETE_NO_SCORES, 1f);
    for (LeafReaderContext ctx : s.getIndexReader().leaves()) {
      out.add(new SegmentTask(w, ctx));
    }
  }

  /**
   * Delivers the hits of every task's segment in doc order, not time order: the segments are read
   * by the calling thread and up to {@code helpers} threads of {@code pool} (biggest first), each
   * segment by one thread; the consumer is called under a lock (one thread at a time). Returns the
   * lines delivered; stops early when the consumer returns false.
   */
  static long inDocOrder(
      java.util.List<SegmentTask> tasks,
      boolean needLine,
      Predicate<String> filter,
      LogHitConsumer c,
      java.util.concurrent.ExecutorService pool,
      int helpers)
      throws IOException {
    java.util.List<SegmentTask> sorted = new java.util.ArrayList<>(tasks);
    sorted.sort((a, b) -> Integer.compare(b.ctx().reader().maxDoc(), a.ctx().reader().maxDoc()));
    java.util.concurrent.ConcurrentLinkedQueue<SegmentTask> queue =
        new java.util.concurrent.ConcurrentLinkedQueue<>(sorted);
    java.util.concurrent.atomic.AtomicBoolean stop =
        new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicLong delivered = new java.util.concurrent.atomic.AtomicLong();
    Object lock = new Object();
    LogHitConsumer serial =
        (stream, t, line, md, bytes) -> {
          synchronized (lock) {
            if (stop.get()) {
              return false;
            }
            if (!c.accept(stream, t, line, md, bytes)) {
              stop.set(true);
              return false;
            }
            delivered.incrementAndGet();
            return true;
          }
        };
    java.util.concurrent.Callable<Void> worker =
        () -> {
          try {
            for (SegmentTask t = queue.poll(); t != null && !stop.get(); t = queue.poll()) {
              readInDocOrder(t, needLine, filter, serial);
            }
            return null;
          } catch (IOException | RuntimeException | Error e) {
            stop.set(true);
            throw e;
          }
        };
    int n = pool == null ? 0 : Math.min(helpers, sorted.size() - 1);
    java.util.List<java.util.concurrent.Future<Void>> fs = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      try {
        fs.add(pool.submit(worker));
      } catch (java.util.concurrent.RejectedExecutionException e) {
        break; // the store is closing: the caller reads alone
      }
    }
    Throwable failed = null;
    try {
      worker.call();
    } catch (Exception | Error e) {
      failed = e;
    }
    for (java.util.concurrent.Future<Void> f : fs) {
      try {
        f.get();
      } catch (java.util.concurrent.ExecutionException e) {
        failed = failed == null ? e.getCause() : failed;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stop.set(true);
        failed = failed == null ? e : failed;
      }
    }
    if (failed instanceof IOException e) {
      throw e;
    } else if (failed instanceof RuntimeException e) {
      throw e;
    } else if (failed instanceof Error e) {
      throw e;
    } else if (failed != null) {
      throw new IOException("cannot read segments: " + failed, failed);
    }
    return delivered.get();
  }

  /** One segment's hits in doc order. */
  private static void readInDocOrder(
      SegmentTask t, boolean needLine, Predicate<String> filter, LogHitConsumer c)
      throws IOException {
    Scorer sc = t.weight().scorer(t.ctx());
    if (sc == null) {
      return;
    }
    DocIdSetIterator it = sc.iterator();
    Leaf l = new Leaf(t.ctx(), needLine, filter, it.cost(), t.ctx().reader().maxDoc());
    for (int d = it.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = it.nextDoc()) {
      if (l.live != null && !l.live.get(d)) {
        continue;
      }
      if (l.deliver(d, l.ts(d), c) == STOPPED) {
        return;
      }
    }
  }

  /**
   * Entries and bytes of the matches, from doc values only; adds the streams seen to {@code
   * streams}.
   */
  static long[] stats(IndexSearcher s, Query q, java.util.Set<Labels> streams) throws IOException {
    Weight w = s.createWeight(s.rewrite(q), ScoreMode.COMPLETE_NO_SCORES, 1f);
    long entries = 0;
    long bytes = 0;
    for (LeafReaderContext ctx : s.getIndexReader().leaves()) {
      Scorer sc = w.scorer(ctx);
      if (sc == null) {
        continue;
      }
      NumericDocValues len = ctx.reader().getNumericDocValues(LogPartition.F_LEN);
      SortedDocValues stream = ctx.reader().getSortedDocValues(LogPartition.F_STREAM);
      FixedBitSet ords = new FixedBitSet(Math.max(1, stream == null ? 1 : stream.getValueCount()));
      Bits live = ctx.reader().getLiveDocs();
      DocIdSetIterator it = sc.iterator();
      for (int d = it.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = it.nextDoc()) {
        if (live != null && !live.get(d)) {
          continue;
        }
        entries++;
        if (len != null && len.advanceExact(d)) {
          bytes += len.longValue();
        }
        if (stream != null && stream.advanceExact(d)) {
          ords.set(stream.ordValue());
        }
      }
      if (stream != null) {
        for (int o = ords.nextSetBit(0);
            o != DocIdSetIterator.NO_MORE_DOCS;
            o = o + 1 < ords.length() ? ords.nextSetBit(o + 1) : DocIdSetIterator.NO_MORE_DOCS) {
          BytesRef b = stream.lookupOrd(o);
          streams.add(Codec.decodeLabels(b.bytes, b.offset, b.length));
        }
      }
    }
    return new long[] {entries, bytes};
  }
}
