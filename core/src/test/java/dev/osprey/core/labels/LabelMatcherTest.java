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
