package dev.osprey.logs.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;
import org.junit.jupiter.api.Test;

class LogAnalyzerTest {
  static List<String> tokens(String text) throws IOException {
    return tokens(LogTokens.CURRENT, text);
  }

  static List<String> tokens(LogTokens.Terms terms, String text) throws IOException {
    List<String> out = new ArrayList<>();
    try (LogAnalyzer a = new LogAnalyzer(terms);
        TokenStream ts = a.tokenStream("line", text)) {
      CharTermAttribute t = ts.addAttribute(CharTermAttribute.class);
      PositionIncrementAttribute p = ts.addAttribute(PositionIncrementAttribute.class);
      ts.reset();
      while (ts.incrementToken()) {
        String term = t.toString();
        if (LogTokens.isPart(term)) { // the mark says the part's length and class
          assertThat(term.charAt(0))
              .isEqualTo(LogTokens.mark(term.length() - 1, LogTokens.isHexOnly(term.substring(1))));
          term = "~" + term.substring(1);
        }
        out.add(term + "/" + p.getPositionIncrement());
      }
      ts.end();
    }
    return out;
  }

  /** Every token with its position increment and offsets. */
  static List<String> detailed(org.apache.lucene.analysis.Analyzer a, String text)
      throws IOException {
    List<String> out = new ArrayList<>();
    try (TokenStream ts = a.tokenStream("line", text)) {
      CharTermAttribute t = ts.addAttribute(CharTermAttribute.class);
      PositionIncrementAttribute p = ts.addAttribute(PositionIncrementAttribute.class);
      org.apache.lucene.analysis.tokenattributes.OffsetAttribute o =
          ts.addAttribute(org.apache.lucene.analysis.tokenattributes.OffsetAttribute.class);
      ts.reset();
      while (ts.incrementToken()) {
        out.add(t + "/" + p.getPositionIncrement() + "/" + o.startOffset() + "-" + o.endOffset());
      }
      ts.end();
      out.add("end " + o.endOffset());
    }
    return out;
  }

  @Test
  void sameTokensAsTheReferenceTokenizer() throws IOException {
    List<String> lines =
        new ArrayList<>(
            List.of(
                "",
                "   ",
                "..::..",
                "a",
                "10.149.87.48 - - [22/Nov/2026:04:32:38 +0000] \"GET /static/app.js50455"
                    + " HTTP/1.1\" 200 49434 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\" rt=0.959",
                "{\"ts\":\"2026-11-22T04:18:00Z\",\"trace_id\":\"12a7eff0e4955f2d318357424d1bab30\"}",
                "\tat com.example.service.OrderService.process(OrderService.java:276)",
                "Größe ÄÖÜ straße İstanbul ΣΊΣΥΦΟΣ 東京:タワー.",
                "emoji \uD83D\uDE00x\uD83D\uDE00 caf\u00E9\u0301 \u00A0nbsp\u2003em",
                "trailing. :leading ::both.. a.b. .c.d",
                "x".repeat(LogTokens.MAX_TERM) + " " + "y".repeat(LogTokens.MAX_TERM + 1),
                "a/" + "z".repeat(LogTokens.MAX_TERM) + "/b " + "w".repeat(300) + ".v",
                "q".repeat(3000)));
    java.util.Random r = new java.util.Random(42);
    String alphabet = "aZ09 .:-_/\\\"'=|,;()[]{}<>\t\nÄé\u00A0\u2003ß\uD83D\uDE00";
    for (int i = 0; i < 2000; i++) {
      StringBuilder b = new StringBuilder();
      int n = r.nextInt(i < 1900 ? 40 : 3000);
      for (int k = 0; k < n; k++) {
        b.append(alphabet.charAt(r.nextInt(alphabet.length())));
      }
      lines.add(b.toString());
    }
    for (LogTokens.Terms terms : LogTokens.Terms.values()) {
      try (LogAnalyzer now = new LogAnalyzer(terms);
          ReferenceLogAnalyzer ref = new ReferenceLogAnalyzer(terms)) {
        for (String l : lines) {
          assertThat(detailed(now, l)).as(terms + ": " + l).isEqualTo(detailed(ref, l));
        }
      }
    }
  }

  @Test
  void ipIsFindableWholeAndByParts() throws IOException {
    assertThat(tokens("from 10.0.12.1:8080."))
        .containsExactly(
            "~from/1", "10.0.12.1:8080/1", "~10/0", "~0/1", "~12/1", "~1/1", "~8080/1");
  }

  @Test
  void uuidPathAndTraceId() throws IOException {
    List<String> t =
        tokens(
            "GET /api/v1/Users?id=123e4567-e89b-12d3-a456-426614174000"
                + " trace_id=4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(t)
        .contains(
            "~get/1",
            "~api/1",
            "~v1/1",
            "users?id/1",
            "~users/0",
            "~id/1",
            "123e4567-e89b-12d3-a456-426614174000/1",
            "~426614174000/1",
            "trace_id/1",
            "~4bf92f3577b34da6a3ce929d0e0e4736/1");
  }

  /**
   * A path is its segments (and the parts of each), not one whole term: in the bench's nginx lines
   * the whole path was a unique term per line. Partitions of the older term version (V1) have it.
   */
  @Test
  void aPathIsNotOneWholeTermSinceTermsV2() throws IOException {
    String line = "\"GET /api/v1/users/12675 HTTP/1.1\" 200 \"Mozilla/5.0\" /static/app.js50455";
    assertThat(tokens(line))
        .containsExactly(
            "~get/1",
            "~api/1",
            "~v1/1",
            "~users/1",
            "~12675/1",
            "~http/1",
            "1.1/1",
            "~1/0",
            "~1/1",
            "~200/1",
            "~mozilla/1",
            "5.0/1",
            "~5/0",
            "~0/1",
            "~static/1",
            "app.js50455/1",
            "~app/0",
            "~js50455/1");
    assertThat(tokens(LogTokens.Terms.V1, line))
        .contains("/api/v1/users/12675/1", "http/1.1/1", "mozilla/5.0/1", "/static/app.js50455/1")
        .doesNotContain("1.1/1", "5.0/1", "app.js50455/1");
    assertThat(LogTokens.needleTerms(" /static/app.js50455 ").terms())
        .containsExactly(
            LogTokens.part("static"),
            LogTokens.part("app"),
            LogTokens.part("js50455"),
            "app.js50455");
    assertThat(LogTokens.needleTerms(" /static/app.js50455 ", LogTokens.Terms.V1).terms())
        .containsExactly(
            LogTokens.part("static"),
            LogTokens.part("app"),
            LogTokens.part("js50455"),
            "/static/app.js50455");
  }

  @Test
  void quotesAndBracketsSplitAndJsonIsTokenized() throws IOException {
    assertThat(tokens("{\"level\":\"ERROR\",\"msg\":\"connection reset\"}"))
        .containsExactly("~level/1", "~error/1", "~msg/1", "~connection/1", "~reset/1");
  }

  @Test
  void overlongWordsAreMarked() throws IOException {
    String longWord = "x".repeat(LogTokens.MAX_TERM + 1);
    assertThat(tokens("a " + longWord + " b"))
        .containsExactly("~a/1", LogTokens.LONG_WORD + "/1", "~b/1");
  }

  @Test
  void partsAreMarkedByLengthAndClass() {
    assertThat(LogTokens.part("4bf9")).isEqualTo("\uE0044bf9");
    assertThat(LogTokens.part("kaleidoscope")).isEqualTo("\uE10Ckaleidoscope");
    assertThat(LogTokens.text(LogTokens.part("abc"))).isEqualTo("abc");
    assertThat(LogTokens.isPart("10.0.0.1")).isFalse();
  }

  @Test
  void needleTermsAreOnlyThoseAMatchingLineMustHold() {
    // cut at both ends: "onnection" is a suffix (unusable), "res" a prefix
    LogTokens.Needle n = LogTokens.needleTerms("onnection res");
    assertThat(n.terms()).isEmpty();
    assertThat(n.prefixes()).containsExactly("res");
    n = LogTokens.needleTerms(" 10.0.0.1 ");
    assertThat(n.terms())
        .containsExactly(
            LogTokens.part("10"),
            LogTokens.part("0"),
            LogTokens.part("0"),
            LogTokens.part("1"),
            "10.0.0.1");
    n = LogTokens.needleTerms("Connection Reset by");
    assertThat(n.terms()).containsExactly(LogTokens.part("reset"));
    assertThat(n.prefixes()).containsExactly("by");
    assertThat(LogTokens.needleTerms("a").isEmpty()).isTrue();
  }
}
