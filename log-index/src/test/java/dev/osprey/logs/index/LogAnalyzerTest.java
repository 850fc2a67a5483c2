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
    List<String> out = new ArrayList<>();
    try (LogAnalyzer a = new LogAnalyzer();
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
            "/api/v1/users?id/1",
            "~api/0",
            "~users/1",
            "123e4567-e89b-12d3-a456-426614174000/1",
            "~426614174000/1",
            "trace_id/1",
            "~4bf92f3577b34da6a3ce929d0e0e4736/1");
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
