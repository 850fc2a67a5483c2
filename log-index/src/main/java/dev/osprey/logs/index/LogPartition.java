package dev.osprey.logs.index;

import dev.osprey.core.labels.Labels;
import dev.osprey.core.util.Utf8;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.lucene.codecs.lucene104.Lucene104Codec;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexOptions;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;

/**
 * One Lucene index holding the lines of one time partition [start, end) (nanoseconds), sorted by
 * timestamp. Keeps in memory the streams it holds and the dedup keys of its lines.
 */
final class LogPartition implements AutoCloseable {
  static final String F_TS = "ts";
  static final String F_SID = "sid";
  static final String F_STREAM = "stream";
  static final String F_LINE = "line";
  static final String F_LEN = "len";
  static final String F_META = "meta";
  static final String F_KEY = "dk";
  static final String LABEL_PREFIX = "l.";

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

  /** Stream id (hex of the label hash) to labels. */
  final Map<String, Labels> streams = new ConcurrentHashMap<>();

  /**
   * Dedup keys of the lines here, loaded when the partition is first written to in this process and
   * dropped when it has gone cold (so a week of partitions does not sit in memory).
   */
  private LongSet keys;

  private volatile long lastAddNanos = System.nanoTime();
  private static final long COLD_NANOS = 600_000_000_000L;

  private LogPartition(long start, long end, Path dir) throws IOException {
    this.start = start;
    this.end = end;
    this.dir = dir;
    this.directory = FSDirectory.open(dir);
    IndexWriterConfig iwc = new IndexWriterConfig(new LogAnalyzer());
    iwc.setIndexSort(new Sort(new SortField(F_TS, SortField.Type.LONG)));
    iwc.setCodec(new Lucene104Codec(Lucene104Codec.Mode.BEST_COMPRESSION));
    iwc.setRAMBufferSizeMB(48);
    iwc.setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND);
    iwc.setCommitOnClose(false);
    iwc.setUseCompoundFile(false);
    iwc.getMergePolicy().setNoCFSRatio(0);
    this.writer = new IndexWriter(directory, iwc);
    this.searchers = new SearcherManager(writer, null);
    load();
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
            streams.put(sid(l), l);
          }
        }
      }
    } finally {
      searchers.release(s);
    }
  }

  /**
   * Loads the dedup keys of every line the writer holds (refreshing first, so lines added since the
   * last refresh are counted). Caller holds the lock of {@code this}.
   */
  private LongSet loadKeys() throws IOException {
    LongSet set = new LongSet();
    searchers.maybeRefreshBlocking();
    IndexSearcher s = searchers.acquire();
    try {
      for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
        NumericDocValues dk = leaf.reader().getNumericDocValues(F_KEY);
        if (dk != null) {
          for (int d = dk.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = dk.nextDoc()) {
            set.add(dk.longValue());
          }
        }
      }
    } finally {
      searchers.release(s);
    }
    return set;
  }

  /** Drops the dedup keys when the partition ended over a span ago and saw no add for 10 min. */
  void evictKeysIfCold(long nowNanos) {
    if (nowNanos - end > end - start && System.nanoTime() - lastAddNanos > COLD_NANOS) {
      synchronized (this) {
        keys = null;
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
    synchronized (this) {
      if (keys == null) {
        keys = loadKeys();
      }
      if (!keys.add(key)) {
        return false;
      }
    }
    lastAddNanos = System.nanoTime();
    streams.putIfAbsent(sid, stream);
    Document doc = new Document();
    long ts = e.timestampNanos();
    doc.add(new LongPoint(F_TS, ts));
    doc.add(new NumericDocValuesField(F_TS, ts));
    doc.add(new StringField(F_SID, sid, Field.Store.NO));
    doc.add(new SortedDocValuesField(F_STREAM, streamBytes));
    for (int i = 0; i < stream.size(); i++) {
      doc.add(new StringField(LABEL_PREFIX + stream.name(i), stream.value(i), Field.Store.NO));
    }
    doc.add(new Field(F_LINE, e.line(), LINE_TYPE));
    doc.add(new NumericDocValuesField(F_LEN, Utf8.length(e.line())));
    if (!e.metadata().isEmpty()) {
      doc.add(new StoredField(F_META, Codec.encodeLabels(e.metadata())));
    }
    doc.add(new NumericDocValuesField(F_KEY, key));
    writer.addDocument(doc);
    return true;
  }

  synchronized int dedupKeys() {
    return keys == null ? -1 : keys.size();
  }

  boolean overlaps(long from, long to) {
    return start < to && from < end;
  }

  void refresh() throws IOException {
    searchers.maybeRefresh();
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
