package dev.osprey.logs.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.lucene.codecs.Codec;
import org.apache.lucene.codecs.lucene104.Lucene104Codec;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.SegmentCommitInfo;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The zstd stored-fields codec: round trips, merges, reopening, and segments of the old codec. */
class LogCodecTest {
  record Doc(String line, byte[] meta) {}

  /** Random lines: empty, one char, typical, over a chunk (1 MiB), any code point, NUL, U+FFFD. */
  static List<Doc> randomDocs(Random r, int n) {
    List<Doc> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int kind = r.nextInt(20);
      int len =
          switch (kind) {
            case 0 -> 0;
            case 1 -> 1;
            case 2 -> r.nextInt(1 << 20) + LogCodec.CHUNK_BYTES; // larger than a chunk
            default -> r.nextInt(300);
          };
      if (kind == 2 && r.nextInt(4) != 0) {
        len = r.nextInt(70_000); // around the dictionary and block sizes
      }
      StringBuilder b = new StringBuilder(len);
      boolean ascii = r.nextBoolean();
      while (b.length() < len) {
        if (ascii) {
          b.append((char) (r.nextInt(3) == 0 ? '0' + r.nextInt(10) : 32 + r.nextInt(95)));
        } else {
          int cp =
              switch (r.nextInt(5)) {
                case 0 -> 0; // NUL
                case 1 -> 0xFFFD;
                case 2 -> 0x10000 + r.nextInt(0x10FFFF - 0x10000); // supplementary
                case 3 -> r.nextInt(0xD800); // BMP below the surrogates
                default -> 0xE000 + r.nextInt(0x2000);
              };
          b.appendCodePoint(cp);
        }
      }
      byte[] meta = null;
      if (r.nextInt(3) == 0) {
        meta = new byte[r.nextInt(r.nextInt(10) == 0 ? 100_000 : 64)];
        r.nextBytes(meta); // arbitrary bytes, not UTF-8
      }
      out.add(new Doc(b.toString(), meta));
    }
    return out;
  }

  static IndexWriterConfig config(Codec codec) {
    IndexWriterConfig c = new IndexWriterConfig();
    c.setCodec(codec);
    c.setUseCompoundFile(false);
    c.getMergePolicy().setNoCFSRatio(0);
    c.setCommitOnClose(false);
    return c;
  }

  static void add(IndexWriter w, List<Doc> docs, int from, int to) throws IOException {
    for (int i = from; i < to; i++) {
      Document d = new Document();
      d.add(new NumericDocValuesField("i", i));
      d.add(new StoredField(LogPartition.F_LINE, docs.get(i).line()));
      if (docs.get(i).meta() != null) {
        d.add(new StoredField(LogPartition.F_META, new BytesRef(docs.get(i).meta())));
      }
      w.addDocument(d);
    }
  }

  /** Reads every document back, one at a time and through the merge instance, by its "i". */
  static void assertAll(Directory dir, List<Doc> docs) throws IOException {
    try (DirectoryReader r = DirectoryReader.open(dir)) {
      assertThat(r.numDocs()).isEqualTo(docs.size());
      boolean[] seen = new boolean[docs.size()];
      for (LeafReaderContext leaf : r.leaves()) {
        NumericDocValues ids = leaf.reader().getNumericDocValues("i");
        StoredFields one = leaf.reader().storedFields();
        var merge =
            ((org.apache.lucene.index.CodecReader) leaf.reader())
                .getFieldsReader()
                .getMergeInstance();
        for (int d = 0; d < leaf.reader().maxDoc(); d++) {
          assertThat(ids.advanceExact(d)).isTrue();
          int i = (int) ids.longValue();
          seen[i] = true;
          Doc want = docs.get(i);
          Document got = one.document(d);
          assertThat(got.get(LogPartition.F_LINE)).isEqualTo(want.line());
          BytesRef meta = got.getBinaryValue(LogPartition.F_META);
          if (want.meta() == null) {
            assertThat(meta).isNull();
          } else {
            assertThat(BytesRef.deepCopyOf(meta).bytes).isEqualTo(want.meta());
          }
          var visitor = new org.apache.lucene.document.DocumentStoredFieldVisitor();
          merge.document(d, visitor);
          assertThat(visitor.getDocument().get(LogPartition.F_LINE)).isEqualTo(want.line());
        }
      }
      for (int i = 0; i < seen.length; i++) {
        assertThat(seen[i]).as("doc %d", i).isTrue();
      }
    }
  }

  static List<String> segmentCodecs(Directory dir) throws IOException {
    List<String> out = new ArrayList<>();
    for (SegmentCommitInfo si : SegmentInfos.readLatestCommit(dir)) {
      out.add(si.info.getCodec().getName());
    }
    return out;
  }

  @Test
  void randomDocumentsSurviveFlushMergeAndReopen(@TempDir Path tmp) throws IOException {
    Random r = new Random(20261203L);
    List<Doc> docs = randomDocs(r, 3_000);
    try (Directory dir = FSDirectory.open(tmp)) {
      try (IndexWriter w = new IndexWriter(dir, config(new LogCodec()))) {
        for (int s = 0; s < 3; s++) { // three segments
          add(w, docs, s * 1_000, (s + 1) * 1_000);
          w.commit();
        }
      }
      assertThat(segmentCodecs(dir)).hasSize(3).containsOnly(LogCodec.NAME);
      assertAll(dir, docs);
      try (IndexWriter w = new IndexWriter(dir, config(new LogCodec()))) {
        w.forceMerge(1);
        w.commit();
      }
      assertThat(segmentCodecs(dir)).containsExactly(LogCodec.NAME);
      assertAll(dir, docs);
    }
    // Reopened as after a restart: the codec is found by its name through SPI.
    assertThat(Codec.forName(LogCodec.NAME)).isInstanceOf(LogCodec.class);
    try (Directory dir = FSDirectory.open(tmp)) {
      assertAll(dir, docs);
    }
  }

  @Test
  void segmentsOfTheOldCodecOpenAndMergeIntoTheNewOne(@TempDir Path tmp) throws IOException {
    Random r = new Random(7);
    List<Doc> docs = randomDocs(r, 600);
    try (Directory dir = FSDirectory.open(tmp)) {
      // As the code before this codec wrote partitions.
      try (IndexWriter w =
          new IndexWriter(dir, config(new Lucene104Codec(Lucene104Codec.Mode.BEST_COMPRESSION)))) {
        add(w, docs, 0, 300);
        w.commit();
      }
      try (IndexWriter w = new IndexWriter(dir, config(new LogCodec()))) {
        add(w, docs, 300, 600);
        w.commit();
        assertThat(segmentCodecs(dir)).containsExactlyInAnyOrder("Lucene104", LogCodec.NAME);
        assertAll(dir, docs);
        w.forceMerge(1);
        w.commit();
      }
      assertThat(segmentCodecs(dir)).containsExactly(LogCodec.NAME);
      assertAll(dir, docs);
    }
  }

  @Test
  void compressesLogLinesBetterThanDeflate(@TempDir Path tmp) throws IOException {
    Random r = new Random(1);
    List<Doc> docs = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      docs.add(
          new Doc(
              "10.1."
                  + r.nextInt(256)
                  + "."
                  + r.nextInt(256)
                  + " - - \"GET /api/v1/users/"
                  + r.nextInt(100_000)
                  + " HTTP/1.1\" 200 "
                  + r.nextInt(50_000),
              null));
    }
    long[] sizes = new long[2];
    Codec[] codecs = {new Lucene104Codec(Lucene104Codec.Mode.BEST_COMPRESSION), new LogCodec()};
    for (int c = 0; c < 2; c++) {
      Path d = tmp.resolve("c" + c);
      try (Directory dir = FSDirectory.open(d)) {
        try (IndexWriter w = new IndexWriter(dir, config(codecs[c]))) {
          add(w, docs, 0, docs.size());
          w.forceMerge(1);
          w.commit();
        }
        for (String f : dir.listAll()) {
          if (f.endsWith(".fdt")) {
            sizes[c] += dir.fileLength(f);
          }
        }
        assertAll(dir, docs);
      }
    }
    assertThat(sizes[1]).isLessThan(sizes[0]);
  }
}
