package dev.osprey.logs.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NoMergePolicy;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.util.BytesRef;
import org.junit.jupiter.api.Test;

/**
 * The whole words of a segment containing a word are what a plain scan of its terms finds: every
 * term holding the word's text, except the marked parts (letters and digits only after the mark, so
 * never holding a punctuated word); whole words that sort among the parts included.
 */
class WholeWordsTest {
  static final String ALPHABET = "0123456789.ab-/: \uE003\uE005\uE1FF\uE200=é中\"";

  static final List<String> LINES =
      List.of(
          "10.42.17.5 - - [22/Nov/2026:04:10:11 +0000] \"GET /healthz HTTP/1.1\" 200 12",
          "peer=\uE005ab.10.42.17.9 closed",
          "\uE00310.42.17.1 at the start",
          "x \uE1FFz.10.42.17.2 y \uE200q.10.42.17.3",
          "host 110.42.17.5 and 10.42.171.5 ::ffff:10.42.17.99",
          "café.10.42.17 中.10.42.17.中 10.42.17é",
          "\uE005abcde \uE01042 17 10 plain parts");

  static List<String> scan(Terms terms, String word) throws IOException {
    List<String> out = new ArrayList<>();
    TermsEnum te = terms.iterator();
    for (BytesRef t = te.next(); t != null; t = te.next()) {
      String s = t.utf8ToString();
      boolean plainPart = LogTokens.isPart(s);
      for (int i = 1; plainPart && i < s.length(); i++) {
        plainPart = LogTokens.isWordChar(s.charAt(i));
      }
      if (!plainPart && s.contains(word)) {
        out.add(s);
      }
    }
    return out;
  }

  static List<String> strings(List<BytesRef> terms) {
    return terms.stream().map(BytesRef::utf8ToString).toList();
  }

  @Test
  void findsWhatAScanOfTheTermsFinds() throws Exception {
    Random r = new Random(11);
    List<String> lines = new ArrayList<>(LINES);
    for (int i = 0; i < 4000; i++) {
      StringBuilder b = new StringBuilder();
      for (int k = 0, n = 5 + r.nextInt(30); k < n; k++) {
        b.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
      }
      lines.add(b.toString());
    }
    List<String> words =
        new ArrayList<>(
            List.of(
                "10.42.17",
                "0.4",
                ".",
                "-",
                "/",
                "é",
                "中.1",
                "\uE005ab.",
                "z.10",
                "a",
                "10",
                "ab"));
    for (int i = 0; i < 40; i++) {
      StringBuilder b = new StringBuilder();
      for (int k = 0, n = 1 + r.nextInt(4); k < n; k++) {
        b.append("0123456789.ab-/é中\uE005".charAt(r.nextInt(17)));
      }
      words.add(b.toString());
    }
    try (ByteBuffersDirectory dir = new ByteBuffersDirectory();
        IndexWriter w =
            new IndexWriter(
                dir,
                new IndexWriterConfig(new LogAnalyzer())
                    .setMergePolicy(NoMergePolicy.INSTANCE)
                    .setMaxBufferedDocs(1500))) {
      for (String l : lines) {
        Document d = new Document();
        d.add(new Field(LogPartition.F_LINE, l, LogPartition.LINE_TYPE));
        w.addDocument(d);
      }
      try (DirectoryReader reader = DirectoryReader.open(w)) {
        assertThat(reader.leaves()).hasSizeGreaterThan(1);
        int nonEmpty = 0;
        for (LeafReaderContext ctx : reader.leaves()) {
          Terms terms = ctx.reader().terms(LogPartition.F_LINE);
          WholeWords ww = WholeWords.of(terms);
          assertThat(ww).isNotNull();
          assertThat(WholeWords.of(terms)).isSameAs(ww); // cached
          for (String word : words) {
            List<String> expected = scan(terms, word);
            assertThat(strings(ww.containing(word))).as(word).isEqualTo(expected);
            nonEmpty += expected.isEmpty() ? 0 : 1;
          }
        }
        assertThat(nonEmpty).isGreaterThan(words.size());
        // the words that sort among the parts are there
        Terms first = reader.leaves().get(0).reader().terms(LogPartition.F_LINE);
        assertThat(strings(WholeWords.of(first).containing("10.42.17")))
            .contains("\uE005ab.10.42.17.9", "\uE00310.42.17.1", "\uE1FFz.10.42.17.2")
            .contains("\uE200q.10.42.17.3", "110.42.17.5", "中.10.42.17.中");
        assertThat(WholeWords.held()).isPositive().isLessThanOrEqualTo(WholeWords.budget());
        assertThat(WholeWords.build(first, 100)).isSameAs(WholeWords.TOO_BIG);
      }
    }
  }

  @Test
  void aMergedSegmentIsWarmedOnceWholeWordsAreInUse() throws Exception {
    try (ByteBuffersDirectory dir = new ByteBuffersDirectory();
        IndexWriter w =
            new IndexWriter(
                dir,
                new IndexWriterConfig(new LogAnalyzer())
                    .setMaxBufferedDocs(100)
                    .setMergedSegmentWarmer(WholeWords::warm))) {
      for (int i = 0; i < 1000; i++) {
        Document d = new Document();
        d.add(new Field(LogPartition.F_LINE, "host 10.42." + i + ".7 up", LogPartition.LINE_TYPE));
        w.addDocument(d);
      }
      try (DirectoryReader before = DirectoryReader.open(w)) {
        WholeWords.of(before.leaves().get(0).reader().terms(LogPartition.F_LINE)); // in use
      }
      w.forceMerge(1);
      try (DirectoryReader merged = DirectoryReader.open(w)) {
        assertThat(merged.leaves()).hasSize(1);
        Terms terms = merged.leaves().get(0).reader().terms(LogPartition.F_LINE);
        assertThat(WholeWords.cached(terms)).isTrue();
        assertThat(strings(WholeWords.of(terms).containing("10.42.99.")))
            .containsExactly("10.42.99.7");
      }
    }
  }
}
