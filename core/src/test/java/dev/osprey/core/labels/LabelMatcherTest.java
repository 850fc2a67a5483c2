package dev.osprey.core.labels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LabelMatcherTest {
  @ParameterizedTest(name = "{0} {1} {2} on \"{3}\" -> {4}")
  @CsvSource(
      delimiter = ';',
      value = {
        "EQUAL;job;api;api;true",
        "EQUAL;job;api;apix;false",
        "EQUAL;job;;'';true",
        "NOT_EQUAL;job;api;web;true",
        "NOT_EQUAL;job;api;api;false",
        "REGEX;job;ap.*;api;true",
        "REGEX;job;ap;api;false", // fully anchored
        "REGEX;job;pi;api;false",
        "REGEX;job;a|b;a;true",
        "REGEX;job;.*;'';true",
        "REGEX;job;.+;'';false",
        "REGEX;job;(?i)API;api;true",
        "REGEX;path;a.b;a\\nb;true", // (?s): dot matches newline
        "NOT_REGEX;job;api;web;true",
        "NOT_REGEX;job;a.*;api;false",
        "REGEX;job;foo\\.bar;foo.bar;true",
        "REGEX;job;foo\\.bar;fooxbar;false",
      })
  void matchesLikePrometheus(String type, String name, String value, String input, boolean want) {
    LabelMatcher m =
        LabelMatcher.of(LabelMatcher.Type.valueOf(type), name, value == null ? "" : value);
    assertThat(m.matches(input.replace("\\n", "\n"))).isEqualTo(want);
  }

  @Test
  void literalAlternativesAreASet() {
    assertThat(LabelMatcher.regex("job", "a|b|c").setMatches()).containsExactly("a", "b", "c");
    assertThat(LabelMatcher.regex("job", "foo\\.bar").setMatches()).containsExactly("foo.bar");
    assertThat(LabelMatcher.regex("job", "a.*").setMatches()).isNull();
    assertThat(LabelMatcher.notRegex("job", "a|b").setMatches()).isNull();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = ';',
      nullValues = "null",
      value = {
        "app-1.*;app-1",
        "ns-[0-3];ns-",
        "ab*;a",
        "ab+c;a",
        "ab?;a",
        "a{2};null",
        "abc{2,3}.*;ab",
        "a|b.*;null",
        "app-(1|2).*;null",
        "(?i)abc.*;null",
        "foo\\.bar.*;foo.bar",
        "foo\\.*;foo",
        ".*foo;null",
        "\\d+;null",
        "abé.*;ab",
        "é.*;null",
      })
  void literalPrefixIsWhatEveryMatchStartsWith(String re, String prefix) {
    assertThat(LabelMatcher.regex("x", re).literalPrefix()).isEqualTo(prefix);
  }

  /** The prefix fast paths never change an answer: random patterns against RE2 itself. */
  @Test
  void prefixFastPathsAgreeWithTheRegex() {
    java.util.SplittableRandom r = new java.util.SplittableRandom(20261203L);
    String[] pieces = {
      "a", "b", "-", "1", "\\.", ".", ".*", ".+", "[0-3]", "*", "+", "?", "{1,2}", "(a|b)", "é", "|"
    };
    String[] alphabet = {"a", "b", "-", "1", "2", ".", "\n", "é", "ab", ""};
    int checked = 0;
    for (int round = 0; round < 3000; round++) {
      StringBuilder re = new StringBuilder();
      for (int k = r.nextInt(1, 6); k > 0; k--) {
        re.append(pieces[r.nextInt(pieces.length)]);
      }
      com.google.re2j.Pattern p;
      try {
        p = com.google.re2j.Pattern.compile("^(?s:" + re + ")$");
      } catch (com.google.re2j.PatternSyntaxException e) {
        continue;
      }
      LabelMatcher m = LabelMatcher.regex("x", re.toString());
      for (int i = 0; i < 20; i++) {
        StringBuilder v = new StringBuilder();
        for (int k = r.nextInt(0, 6); k > 0; k--) {
          v.append(alphabet[r.nextInt(alphabet.length)]);
        }
        String s = v.toString();
        assertThat(m.matches(s)).as("%s on %s", re, s).isEqualTo(p.matcher(s).matches());
        if (m.matches(s) && m.literalPrefix() != null) {
          assertThat(s).startsWith(m.literalPrefix());
        }
        checked++;
      }
    }
    assertThat(checked).isGreaterThan(20_000);
  }

  @Test
  void badRegexNamesThePattern() {
    assertThatThrownBy(() -> LabelMatcher.regex("job", "a(b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid regular expression \"a(b\"");
  }

  @Test
  void catastrophicPatternRunsInLinearTime() {
    // (a+)+$ backtracks exponentially in java.util.regex; RE2 does not.
    LabelMatcher m = LabelMatcher.regex("x", "(a+)+b");
    assertThat(m.matches("a".repeat(50_000))).isFalse();
  }

  @Test
  void printsAsPromql() {
    assertThat(LabelMatcher.notRegex("job", "a\"b").toString()).isEqualTo("job!~\"a\\\"b\"");
  }
}
