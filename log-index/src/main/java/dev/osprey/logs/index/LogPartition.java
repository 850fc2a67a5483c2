package dev.osprey.logs.index;

import dev.osprey.core.labels.Labels;
import dev.osprey.core.util.Utf8;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexOptions;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.SegmentCommitInfo;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.Weight;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;

/**
 * One Lucene index holding the lines of one time partition [start, end) (nanoseconds), sorted by
 * stream and timestamp (older partitions by timestamp alone: {@link #sort}). Keeps in memory the
 * streams it holds and the dedup keys of its lines.
 */
final class LogPartition implements AutoCloseable {
  static final String F_TS = "ts";
  static final String F_SID = "sid";
  static final String F_STREAM = "stream";
  static final String F_LINE = "line";
  static final String F_LEN = "len";
  static final String F_META = "meta";

  static final FieldType LINE_TYPE = new FieldType();

  static {
    LINE_TYPE.setIndexOptions(IndexOptions.DOCS);
    LINE_TYPE.setTokenized(true);
    LINE_TYPE.setStored(true);
    LINE_TYPE.setOmitNorms(true);
    LINE_TYPE.freeze();
  }

  final long start;
  final long end;
  final Path dir;
  private final FSDirectory directory;
  final IndexWriter writer;
  final SearcherManager searchers;

  /**
   * The index sort: {@link SegmentOrder#STREAM_TIME} for partitions created since format version
   * {@code stream-time}, {@link SegmentOrder#TIME} for older ones (kept: Lucene refuses to reopen
   * an index with another sort than its segments have).
   */
  final Sort sort;

  /** The sort given to partitions created from now on; tests set the old one to build old ones. */
  static volatile Sort sortForNewPartitions = SegmentOrder.STREAM_TIME;

  /** Commit user data key of the partition's term forms ({@link LogTokens.Terms}'s name). */
  static final String TERMS_KEY = "osprey.terms";

  /**
   * The term forms the partition's lines are written with: {@link LogTokens#CURRENT} for partitions
   * created since format version {@code terms-v2}, {@link LogTokens.Terms#V1} for older ones (their
   * commits have no {@link #TERMS_KEY}), kept so that a partition holds one form.
   */
  final LogTokens.Terms terms;

  /** The terms given to partitions created from now on; tests set V1 to build old ones. */
  static volatile LogTokens.Terms termsForNewPartitions = LogTokens.CURRENT;

  /** Stream id (hex of the label hash) to labels. */
  final Map<String, Labels> streams = new ConcurrentHashMap<>();

  /**
   * Whether any stream here belongs to a tenant other than the default one ({@link Tenants}); set
   * before such a stream's first line is added, so a searcher acquired before this is read holds no
   * line of one when it is false.
   */
  volatile boolean tenantStreams;

  /**
   * Dedup state, loaded when the partition is first written to in this process and dropped when it
   * has gone cold (so a week of partitions does not sit in memory). {@code diskKeys} holds the
   * (stream, timestamp) keys of the lines that were in the index when it was loaded, rebuilt from
   * the timestamp and stream doc values (no key is stored per line); a line whose (stream,
   * timestamp) is there is compared with the stored lines of that stream and timestamp. {@code
   * keys} holds the full (stream, timestamp, line) keys of the lines added since.
   */
  private LongSet diskKeys;

  private LongSet keys;

  private volatile long lastAddNanos = System.nanoTime();
  private static final long COLD_NANOS = 600_000_000_000L;

  private LogPartition(long start, long end, Path dir) throws IOException {
    this.start = start;
    this.end = end;
    this.dir = dir;
    this.directory = FSDirectory.open(dir);
    this.sort = existingSort(directory);
    this.terms = existingTerms(directory);
    IndexWriterConfig iwc = new IndexWriterConfig(new LogAnalyzer(terms));
    iwc.setIndexSort(sort);
    iwc.setCodec(new LogCodec());
    iwc.setRAMBufferSizeMB(48);
    iwc.setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND);
    iwc.setCommitOnClose(false);
    iwc.setUseCompoundFile(false);
    iwc.getMergePolicy().setNoCFSRatio(0);
    iwc.setMergedSegmentWarmer(WholeWords::warm);
    this.writer = new IndexWriter(directory, iwc);
    writer.setLiveCommitData(Map.of(TERMS_KEY, terms.name()).entrySet());
    this.searchers = new SearcherManager(writer, null);
    load();
  }

  /** The sort of the partition's last commit, or the one for new partitions when it has none. */
  private static Sort existingSort(Directory d) throws IOException {
    if (DirectoryReader.indexExists(d)) {
      for (SegmentCommitInfo sci : SegmentInfos.readLatestCommit(d)) {
        Sort s = sci.info.getIndexSort();
        if (s != null) {
          return s;
        }
      }
    }
    return sortForNewPartitions;
  }

  /**
   * The terms recorded in the partition's last commit ({@link LogTokens.Terms#V1} when it has a
   * commit without them), or the ones for new partitions when it has none.
   */
  private static LogTokens.Terms existingTerms(Directory d) throws IOException {
    if (!DirectoryReader.indexExists(d)) {
      return termsForNewPartitions;
    }
    String t = SegmentInfos.readLatestCommit(d).getUserData().get(TERMS_KEY);
    if (t == null) {
      return LogTokens.Terms.V1;
    }
    try {
      return LogTokens.Terms.valueOf(t);
    } catch (IllegalArgumentException e) {
      throw new IOException(
          "cannot open log partition " + d + ": unknown terms version " + t + " (a newer build?)");
    }
  }

  static String dirName(long start) {
    return "p-" + start;
  }

  static LogPartition open(Path root, long start, long span) throws IOException {
    Path d = root.resolve(dirName(start));
    Files.createDirectories(d);
    return new LogPartition(start, start + span, d);
  }

  /** Rebuilds the stream table from the index. */
  private void load() throws IOException {
    IndexSearcher s = searchers.acquire();
    try {
      for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
        SortedDocValues sdv = leaf.reader().getSortedDocValues(F_STREAM);
        if (sdv != null) {
          TermsEnum te = sdv.termsEnum();
          for (BytesRef b = te.next(); b != null; b = te.next()) {
            Labels l = Codec.decodeLabels(b.bytes, b.offset, b.length);
            if (l.has(Tenants.LABEL)) {
              tenantStreams = true;
            }
            streams.put(sid(l), l);
          }
        }
      }
    } finally {
      searchers.release(s);
    }
  }

  /**
   * Loads the (stream, timestamp) keys of every line the writer holds (refreshing first, so lines
   * added since the last refresh are counted) and starts an empty set of full keys. Every line
   * added later is in {@code keys}, so every searcher acquired from now on shows every line that is
   * not. Caller holds the lock of {@code this}.
   */
  private void loadKeys() throws IOException {
    LongSet set = new LongSet();
    searchers.maybeRefreshBlocking();
    IndexSearcher s = searchers.acquire();
    try {
      for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
        NumericDocValues ts = leaf.reader().getNumericDocValues(F_TS);
        SortedDocValues stream = leaf.reader().getSortedDocValues(F_STREAM);
        if (ts == null || stream == null) {
          continue;
        }
        long[] hashByOrd = new long[stream.getValueCount()];
        for (int o = 0; o < hashByOrd.length; o++) {
          BytesRef b = stream.lookupOrd(o);
          hashByOrd[o] = Codec.decodeLabels(b.bytes, b.offset, b.length).hash();
        }
        for (int d = ts.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = ts.nextDoc()) {
          if (!stream.advanceExact(d)) {
            throw new IllegalStateException("BUG: document without stream labels");
          }
          set.add(Hashing.streamTimeKey(hashByOrd[stream.ordValue()], ts.longValue()));
        }
      }
    } finally {
      searchers.release(s);
    }
    diskKeys = set;
    keys = new LongSet();
  }

  /** Whether the index holds {@code line} in stream {@code sid} at {@code ts}. */
  private boolean indexed(String sid, long ts, String line) throws IOException {
    IndexSearcher s = searchers.acquire();
    try {
      BooleanQuery q =
          new BooleanQuery.Builder()
              .add(new TermQuery(new Term(F_SID, sid)), BooleanClause.Occur.FILTER)
              .add(timeRange(ts, ts), BooleanClause.Occur.FILTER)
              .build();
      Weight w = s.createWeight(s.rewrite(q), ScoreMode.COMPLETE_NO_SCORES, 1f);
      for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
        Scorer sc = w.scorer(leaf);
        if (sc == null) {
          continue;
        }
        StoredFields stored = leaf.reader().storedFields();
        DocIdSetIterator it = sc.iterator();
        for (int d = it.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = it.nextDoc()) {
          if (line.equals(stored.document(d, Set.of(F_LINE)).get(F_LINE))) {
            return true;
          }
        }
      }
      return false;
    } finally {
      searchers.release(s);
    }
  }

  /**
   * Timestamps in [from, to] (inclusive): binary searches over the sorted timestamps of each
   * segment, or of each stream range of a stream-sorted segment ({@link TimeRangeQuery}).
   */
  static Query timeRange(long from, long to) {
    return new TimeRangeQuery(from, to);
  }

  /** Drops the dedup keys when the partition ended over a span ago and saw no add for 10 min. */
  void evictKeysIfCold(long nowNanos) {
    if (nowNanos - end > end - start && System.nanoTime() - lastAddNanos > COLD_NANOS) {
      synchronized (this) {
        keys = null;
        diskKeys = null;
      }
    }
  }

  static String sid(Labels l) {
    return Long.toHexString(l.hash());
  }

  /**
   * Adds one line unless its dedup key is already here; returns whether it was added. {@code
   * streamBytes} is the encoded stream labels.
   */
  boolean add(Labels stream, String sid, BytesRef streamBytes, LogEntry e) throws IOException {
    long key = Hashing.entryKey(stream.hash(), e.timestampNanos(), e.line());
    long ts = e.timestampNanos();
    synchronized (this) {
      if (keys == null) {
        loadKeys();
      }
      if (keys.contains(key)
          || (diskKeys.contains(Hashing.streamTimeKey(stream.hash(), ts))
              && indexed(sid, ts, e.line()))) {
        return false;
      }
      keys.add(key);
    }
    lastAddNanos = System.nanoTime();
    if (!tenantStreams && stream.has(Tenants.LABEL)) {
      tenantStreams = true;
    }
    streams.putIfAbsent(sid, stream);
    Document doc = new Document();
    doc.add(new NumericDocValuesField(F_TS, ts));
    doc.add(new StringField(F_SID, sid, Field.Store.NO));
    doc.add(new SortedDocValuesField(F_STREAM, streamBytes));
    doc.add(new Field(F_LINE, e.line(), LINE_TYPE));
    doc.add(new NumericDocValuesField(F_LEN, Utf8.length(e.line())));
    if (!e.metadata().isEmpty()) {
      doc.add(new StoredField(F_META, Codec.encodeLabels(e.metadata())));
    }
    writer.addDocument(doc);
    return true;
  }

  synchronized int dedupKeys() {
    return keys == null ? -1 : keys.size() + diskKeys.size();
  }

  boolean overlaps(long from, long to) {
    return start < to && from < end;
  }

  /**
   * Makes every line added so far searchable. Blocking: when another thread is refreshing, waits
   * for it and refreshes again (a non-blocking refresh would return at once, possibly without the
   * lines added since that other refresh started, and nothing would refresh them later).
   */
  void refresh() throws IOException {
    searchers.maybeRefreshBlocking();
  }

  void commit() throws IOException {
    if (writer.hasUncommittedChanges()) {
      writer.commit();
    }
  }

  long sizeOnDisk() throws IOException {
    try (Stream<Path> st = Files.list(dir)) {
      return st.mapToLong(
              p -> {
                try {
                  return Files.size(p);
                } catch (IOException e) {
                  return 0; // a file merged away while listing
                }
              })
          .sum();
    }
  }

  @Override
  public void close() throws IOException {
    searchers.close();
    writer.close();
    directory.close();
  }

  /** Closes without committing and deletes the partition's files. */
  void drop() throws IOException {
    writer.rollback();
    searchers.close();
    directory.close();
    try (Stream<Path> st = Files.walk(dir)) {
      for (Path p : st.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
