package dev.osprey.logs.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.logs.index.StreamSortOrderTest.Line;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LogStore#searchUnordered} delivers the same lines as an ordered search (as a multiset),
 * over several segments and two partitions, with selectors, line queries, line filters and time
 * ranges; the consumer is never called by two threads at once; it stops when the consumer says so;
 * a failure on a reading thread reaches the caller.
 */
class UnorderedSearchTest {
  static final long HOUR = StreamSortOrderTest.HOUR;

  @TempDir Path dir;

  static List<Line> unordered(
      LogStore s,
      List<LabelMatcher> ms,
      long from,
      long to,
      Query q,
      Predicate<String> filter,
      AtomicInteger maxInside) {
    List<Line> out = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger inside = new AtomicInteger();
    long n =
        s.searchUnordered(
            new LogSearchRequest(
                ms, from, to, q, LogSearchRequest.Direction.FORWARD, 0, true, filter),
            (st, ts, line, md, bytes) -> {
              maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
              out.add(new Line(st, ts, line));
              Thread.yield(); // widen the window in which a second caller would overlap
              inside.decrementAndGet();
              return true;
            });
    assertThat(n).isEqualTo(out.size());
    return out;
  }

  static final Comparator<Line> ORDER =
      Comparator.comparingLong(Line::ts).thenComparing(Line::line);

  @Test
  void sameLinesAsAnOrderedSearch() throws Exception {
    Random rnd = new Random(11);
    try (LogStore s = StreamSortOrderTest.open(dir)) {
      long p0 = StreamSortOrderTest.P0;
      List<Line> all = new ArrayList<>(StreamSortOrderTest.write(s, rnd, p0, 3000, 5, 0));
      // a second partition, an hour later at least
      all.addAll(StreamSortOrderTest.write(s, rnd, p0 + 2 * HOUR + 5, 1000, 2, 1));
      AtomicInteger maxInside = new AtomicInteger();
      int checked = 0;
      long[][] ranges = {{p0, p0 + 4 * HOUR}, {p0 + 500_000, p0 + 1_700_000}};
      for (long[] r : ranges) {
        for (String app : new String[] {null, "db"}) {
          for (String word : new String[] {null, "beta"}) {
            for (boolean filtered : new boolean[] {false, true}) {
              List<LabelMatcher> ms =
                  app == null ? List.of() : List.of(LabelMatcher.equal("app", app));
              Query q =
                  word == null
                      ? null
                      : new TermQuery(new Term(LogStore.LINE_FIELD, LogTokens.part(word)));
              Predicate<String> f = filtered ? l -> l.contains("7 ") : null;
              List<Line> want =
                  new ArrayList<>(
                      StreamSortOrderTest.scan(all, app, r[0], r[1], word, true, 0).stream()
                          .filter(l -> f == null || f.test(l.line()))
                          .toList());
              List<Line> got = new ArrayList<>(unordered(s, ms, r[0], r[1], q, f, maxInside));
              want.sort(ORDER);
              got.sort(ORDER);
              assertThat(got)
                  .as("range=%d..%d app=%s word=%s filtered=%s", r[0], r[1], app, word, filtered)
                  .containsExactlyElementsOf(want);
              checked += want.isEmpty() ? 0 : 1;
            }
          }
        }
      }
      assertThat(checked).isGreaterThan(12);
      assertThat(maxInside.get()).isEqualTo(1);
    }
  }

  @Test
  void stopsWhenTheConsumerSaysSoAndReportsFailures() throws Exception {
    Random rnd = new Random(12);
    try (LogStore s = StreamSortOrderTest.open(dir)) {
      long p0 = StreamSortOrderTest.P0;
      StreamSortOrderTest.write(s, rnd, p0, 2000, 4, 0);
      AtomicInteger calls = new AtomicInteger();
      long n =
          s.searchUnordered(
              new LogSearchRequest(
                  List.of(), p0, p0 + HOUR, null, LogSearchRequest.Direction.FORWARD, 0, true),
              (st, ts, line, md, bytes) -> calls.incrementAndGet() < 10);
      assertThat(n).isEqualTo(9);
      assertThat(calls.get()).isEqualTo(10);
      assertThatThrownBy(
              () ->
                  s.searchUnordered(
                      new LogSearchRequest(
                          List.of(),
                          p0,
                          p0 + HOUR,
                          null,
                          LogSearchRequest.Direction.FORWARD,
                          0,
                          false,
                          l -> {
                            if (l.endsWith("1999 gamma") || l.contains("-1999 ")) {
                              throw new IllegalStateException("filter failed");
                            }
                            return true;
                          }),
                      (st, ts, line, md, bytes) -> true))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("filter failed");
      assertThatThrownBy(
              () ->
                  s.searchUnordered(
                      new LogSearchRequest(
                          List.of(),
                          p0,
                          p0 + HOUR,
                          null,
                          LogSearchRequest.Direction.FORWARD,
                          5,
                          true),
                      (st, ts, line, md, bytes) -> true))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
