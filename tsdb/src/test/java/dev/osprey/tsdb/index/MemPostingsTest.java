package dev.osprey.tsdb.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.roaringbitmap.RoaringBitmap;

class MemPostingsTest {
  // ids 1..5
  private static final List<Labels> SERIES =
      List.of(
          Labels.of("__name__", "up", "job", "api", "env", "prod"),
          Labels.of("__name__", "up", "job", "api", "env", "dev"),
          Labels.of("__name__", "up", "job", "db"),
          Labels.of("__name__", "cpu", "job", "db", "env", "prod"),
          Labels.of("__name__", "cpu", "mode", "idle"));

  private static MemPostings postings() {
    MemPostings p = new MemPostings();
    for (int i = 0; i < SERIES.size(); i++) {
      p.add(i + 1, SERIES.get(i));
    }
    return p;
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(List.of(LabelMatcher.equal("job", "api")), new int[] {1, 2}),
        Arguments.of(List.of(LabelMatcher.equal("job", "nope")), new int[] {}),
        Arguments.of(List.of(LabelMatcher.equal("env", "")), new int[] {3, 5}),
        Arguments.of(List.of(LabelMatcher.notEqual("env", "prod")), new int[] {2, 3, 5}),
        Arguments.of(List.of(LabelMatcher.notEqual("env", "")), new int[] {1, 2, 4}),
        Arguments.of(List.of(LabelMatcher.regex("env", "prod|")), new int[] {1, 3, 4, 5}),
        Arguments.of(List.of(LabelMatcher.regex("env", ".*")), new int[] {1, 2, 3, 4, 5}),
        Arguments.of(List.of(LabelMatcher.regex("env", ".+")), new int[] {1, 2, 4}),
        Arguments.of(List.of(LabelMatcher.regex("env", "p.*")), new int[] {1, 4}),
        Arguments.of(List.of(LabelMatcher.regex("env", "p.*|")), new int[] {1, 3, 4, 5}),
        Arguments.of(List.of(LabelMatcher.regex("job", "api|db")), new int[] {1, 2, 3, 4}),
        Arguments.of(List.of(LabelMatcher.notRegex("job", "api|db")), new int[] {5}),
        Arguments.of(List.of(LabelMatcher.notRegex("env", ".*")), new int[] {}),
        Arguments.of(List.of(LabelMatcher.notRegex("env", ".+")), new int[] {3, 5}),
        Arguments.of(List.of(LabelMatcher.notRegex("env", "d.v")), new int[] {1, 3, 4, 5}),
        Arguments.of(List.of(LabelMatcher.notRegex("env", "")), new int[] {1, 2, 4}),
        Arguments.of(
            List.of(LabelMatcher.equal("__name__", "up"), LabelMatcher.notEqual("env", "dev")),
            new int[] {1, 3}),
        Arguments.of(
            List.of(LabelMatcher.regex("__name__", "cpu|up"), LabelMatcher.equal("job", "db")),
            new int[] {3, 4}),
        Arguments.of(
            List.of(LabelMatcher.equal("env", ""), LabelMatcher.equal("mode", "")), new int[] {3}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void selectAsPrometheus(List<LabelMatcher> matchers, int[] expected) {
    MemPostings p = postings();
    assertThat(p.select(matchers.toArray(LabelMatcher[]::new)).toArray()).containsExactly(expected);
    // the reference: every matcher against every series
    int[] brute =
        java.util.stream.IntStream.rangeClosed(1, SERIES.size())
            .filter(
                id -> matchers.stream().allMatch(m -> m.matches(SERIES.get(id - 1).get(m.name()))))
            .toArray();
    assertThat(brute).containsExactly(expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void removedSeriesDisappear(List<LabelMatcher> matchers, int[] expected) {
    MemPostings p = postings();
    org.roaringbitmap.RoaringBitmap gone = org.roaringbitmap.RoaringBitmap.bitmapOf(1);
    p.remove(gone, List.of(SERIES.get(0)));
    int[] without = java.util.Arrays.stream(expected).filter(id -> id != 1).toArray();
    assertThat(p.select(matchers.toArray(LabelMatcher[]::new)).toArray()).containsExactly(without);
  }

  /** Regexes with literal prefixes (values found by a range of the tree) against brute force. */
  @Test
  void prefixRegexesMatchBruteForce() {
    String[] pods = {"app-1", "app-10", "app-1é", "app-2", "app-", "ap", "apq", "db-1", "app-1x"};
    MemPostings p = new MemPostings();
    for (int i = 0; i < pods.length; i++) {
      p.add(i + 1, Labels.of("__name__", "m", "pod", pods[i]));
    }
    for (String re : new String[] {"app-1.*", "app-1.+", "app-.*", "app-1", "ap.*", "app-1é.*"}) {
      RoaringBitmap want = new RoaringBitmap();
      for (int i = 0; i < pods.length; i++) {
        if (LabelMatcher.regex("pod", re).matches(pods[i])) {
          want.add(i + 1);
        }
      }
      assertThat(p.select(LabelMatcher.regex("pod", re))).as(re).isEqualTo(want);
    }
  }
}
