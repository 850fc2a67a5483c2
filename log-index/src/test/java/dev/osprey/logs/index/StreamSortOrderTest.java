package dev.osprey.logs.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.TermQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Partitions sorted by (stream, time) and old ones sorted by time alone deliver lines in global
 * time order: lines of several streams interleaved in time over several segments, read forward and
 * backward, with and without limits, time ranges, stream selectors and line queries, equal a plain
 * scan of what was appended.
 */
class StreamSortOrderTest {
  static final long HOUR = 3_600_000_000_000L;
  static final long P0 = (System.currentTimeMillis() * 1_000_000L / HOUR - 2) * HOUR;
  static final String[] APPS = {"api", "db", "web", "worker", "cron"};
  static final String[] WORDS = {"alpha", "beta", "gamma"};

  @TempDir Path dir;

  record Line(Labels stream, long ts, String line) {}

  /**
   * {@code n} lines over the streams with distinct timestamps in [from, from + n * 1000), in random
   * stream order, and appended in {@code batches} batches, each flushed into its own segment.
   * Timestamps overlap across batches, so every segment holds every stream's times.
   */
  static List<Line> write(LogStore s, Random rnd, long from, int n, int batches, int salt) {
    List<Line> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long ts = from + i * 1000L + salt;
      Labels st = Labels.of("app", APPS[rnd.nextInt(APPS.length)], "env", "prod");
      String w = WORDS[rnd.nextInt(WORDS.length)];
      all.add(new Line(st, ts, "line " + salt + "-" + i + " " + w));
    }
    List<List<Line>> parts = new ArrayList<>();
    for (int b = 0; b < batches; b++) {
      parts.add(new ArrayList<>());
    }
    for (Line l : all) {
      parts.get(rnd.nextInt(batches)).add(l);
    }
    for (List<Line> part : parts) {
      List<LogStream> batch = new ArrayList<>();
      for (Line l : part) {
        batch.add(new LogStream(l.stream(), List.of(new LogEntry(l.ts(), l.line()))));
      }
      assertThat(s.append(batch).appended()).isEqualTo(part.size());
      s.refresh();
    }
    return all;
  }

  static List<Line> search(
      LogStore s, List<LabelMatcher> ms, long from, long to, Query q, boolean fwd, int limit) {
    List<Line> out = new ArrayList<>();
    s.search(
        new LogSearchRequest(
            ms,
            from,
            to,
            q,
            fwd ? LogSearchRequest.Direction.FORWARD : LogSearchRequest.Direction.BACKWARD,
            limit,
            true),
        (st, ts, line, md, bytes) -> {
          out.add(new Line(st, ts, line));
          return true;
        });
    return out;
  }

  static List<Line> scan(
      List<Line> all, String app, long from, long to, String word, boolean fwd, int limit) {
    Comparator<Line> byTime = Comparator.comparingLong(Line::ts);
    return all.stream()
        .filter(l -> app == null || l.stream().get("app").equals(app))
        .filter(l -> l.ts() >= from && l.ts() < to)
        .filter(l -> word == null || l.line().endsWith(" " + word))
        .sorted(fwd ? byTime : byTime.reversed())
        .limit(limit > 0 ? limit : Long.MAX_VALUE)
        .toList();
  }

  /** Every combination of direction, limit, time range, selector and line query. */
  static void assertReadsInTimeOrder(LogStore s, List<Line> all, long from, long to) {
    long span = to - from;
    long[][] ranges = {
      {from, to}, {from + span / 3, from + span / 3 + span / 50}, {from + span / 2, to + HOUR}
    };
    int checked = 0;
    for (boolean fwd : new boolean[] {true, false}) {
      for (int limit : new int[] {0, 1, 37, 600}) {
        for (long[] r : ranges) {
          for (String app : new String[] {null, "db"}) {
            for (String word : new String[] {null, "beta"}) {
              List<LabelMatcher> ms =
                  app == null ? List.of() : List.of(LabelMatcher.equal("app", app));
              Query q =
                  word == null
                      ? null
                      : new TermQuery(new Term(LogStore.LINE_FIELD, LogTokens.part(word)));
              List<Line> want = scan(all, app, r[0], r[1], word, fwd, limit);
              List<Line> got = search(s, ms, r[0], r[1], q, fwd, limit);
              assertThat(got)
                  .as(
                      "fwd=%s limit=%d range=%d..%d app=%s word=%s",
                      fwd, limit, r[0], r[1], app, word)
                  .containsExactlyElementsOf(want);
              checked += want.isEmpty() ? 0 : 1;
            }
          }
        }
      }
    }
    assertThat(checked).isGreaterThan(60);
  }

  static LogStore open(Path d) {
    return LogStore.open(d, LogStoreTest.CONFIG, new SimpleMeterRegistry(), false);
  }

  static List<Sort> segmentSorts(LogPartition p) throws IOException {
    List<Sort> out = new ArrayList<>();
    IndexSearcher s = p.searchers.acquire();
    try {
      for (LeafReaderContext ctx : s.getIndexReader().leaves()) {
        out.add(ctx.reader().getMetaData().sort());
      }
    } finally {
      p.searchers.release(s);
    }
    return out;
  }

  @Test
  void streamSortedSegmentsReadInGlobalTimeOrder() throws IOException {
    try (LogStore s = open(dir)) {
      List<Line> all = write(s, new Random(7), P0 + 1000, 3000, 4, 0);
      LogPartition p = s.partitionsForTest().iterator().next();
      assertThat(p.sort).isEqualTo(SegmentOrder.STREAM_TIME);
      assertThat(segmentSorts(p)).hasSizeGreaterThan(1).containsOnly(SegmentOrder.STREAM_TIME);
      // within a segment, docs are grouped by stream: reading doc order would not be time order
      assertReadsInTimeOrder(s, all, P0, P0 + 3_001_000);
      p.writer.forceMerge(1);
      s.refresh();
      assertThat(segmentSorts(p)).hasSize(1);
      assertReadsInTimeOrder(s, all, P0, P0 + 3_001_000);
      // a replay adds nothing
      List<LogStream> replay = new ArrayList<>();
      for (Line l : all.subList(0, 200)) {
        replay.add(new LogStream(l.stream(), List.of(new LogEntry(l.ts(), l.line()))));
      }
      assertThat(s.append(replay).appended()).isZero();
    }
  }

  @Test
  void timeSortedPartitionOpensTakesAppendsMergesAndReadsInOrder() throws IOException {
    List<Line> all = new ArrayList<>();
    Random rnd = new Random(11);
    LogPartition.sortForNewPartitions = SegmentOrder.TIME; // the sort of the code before
    try (LogStore s = open(dir)) {
      all.addAll(write(s, rnd, P0 + 1000, 1500, 3, 0));
      assertThat(s.partitionsForTest().iterator().next().sort).isEqualTo(SegmentOrder.TIME);
    } finally {
      LogPartition.sortForNewPartitions = SegmentOrder.STREAM_TIME;
    }
    try (LogStore s = open(dir)) {
      LogPartition old = s.partitionsForTest().iterator().next();
      assertThat(old.sort).isEqualTo(SegmentOrder.TIME);
      // appends interleave in time with the lines already there
      all.addAll(write(s, rnd, P0 + 1000, 1500, 3, 500));
      assertThat(segmentSorts(old)).hasSizeGreaterThan(1).containsOnly(SegmentOrder.TIME);
      assertReadsInTimeOrder(s, all, P0, P0 + 1_502_000);
      // a new partition in the same store gets the new sort; reads span both kinds
      all.addAll(write(s, rnd, P0 + HOUR, 1000, 2, 0));
      assertThat(s.partitionsForTest()).hasSize(2);
      for (LogPartition p : s.partitionsForTest()) {
        assertThat(p.sort).isEqualTo(p == old ? SegmentOrder.TIME : SegmentOrder.STREAM_TIME);
      }
      assertReadsInTimeOrder(s, all, P0, P0 + HOUR + 1_001_000);
      old.writer.forceMerge(1);
      s.refresh();
      assertThat(segmentSorts(old)).containsExactly(SegmentOrder.TIME);
      assertReadsInTimeOrder(s, all, P0, P0 + HOUR + 1_001_000);
      List<LogStream> replay = new ArrayList<>();
      for (Line l : all.subList(0, 300)) {
        replay.add(new LogStream(l.stream(), List.of(new LogEntry(l.ts(), l.line()))));
      }
      assertThat(s.append(replay).appended()).isZero();
    }
    try (LogStore s = open(dir)) {
      assertReadsInTimeOrder(s, all, P0, P0 + HOUR + 1_001_000);
    }
  }
}
