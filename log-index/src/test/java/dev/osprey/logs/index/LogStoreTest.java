package dev.osprey.logs.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.LogIndexConfig;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.TermQuery;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogStoreTest {
  static final long HOUR = 3_600_000_000_000L;
  static final long NOW = System.currentTimeMillis() * 1_000_000L;
  @TempDir Path dir;
  final List<LogStore> open = new ArrayList<>();

  static final LogIndexConfig CONFIG =
      new LogIndexConfig(Duration.ofDays(7), Duration.ofHours(1), Duration.ofSeconds(10), null);

  LogStore open(Path d) {
    LogStore s = LogStore.open(d, CONFIG, new SimpleMeterRegistry(), false);
    open.add(s);
    return s;
  }

  @AfterEach
  void closeAll() throws IOException {
    for (LogStore s : open) {
      s.close();
    }
  }

  static LogStream stream(String app, long ts, String... lines) {
    List<LogEntry> es = new ArrayList<>();
    for (int i = 0; i < lines.length; i++) {
      es.add(new LogEntry(ts + i, lines[i]));
    }
    return new LogStream(Labels.of("app", app, "env", "prod"), es);
  }

  record Hit(Labels stream, long ts, String line) {}

  static List<Hit> all(LogStore s, LogSearchRequest r) {
    List<Hit> out = new ArrayList<>();
    s.search(
        r,
        (st, ts, line, md, n) -> {
          out.add(new Hit(st, ts, line));
          return true;
        });
    return out;
  }

  static LogSearchRequest req(
      List<LabelMatcher> ms, org.apache.lucene.search.Query q, boolean fwd, int limit) {
    return new LogSearchRequest(
        ms,
        NOW - 10 * HOUR,
        NOW + 10 * HOUR,
        q,
        fwd ? LogSearchRequest.Direction.FORWARD : LogSearchRequest.Direction.BACKWARD,
        limit,
        true);
  }

  @Test
  void appendSearchBothDirectionsAcrossPartitions() {
    LogStore s = open(dir);
    s.append(List.of(stream("api", NOW - 2 * HOUR, "a0", "a1"), stream("web", NOW, "w0", "w1")));
    s.append(List.of(stream("api", NOW - HOUR, "a2")));
    s.refresh();
    assertThat(s.partitionStarts()).hasSizeGreaterThanOrEqualTo(3);
    assertThat(all(s, req(List.of(), null, true, 0)))
        .extracting(Hit::line)
        .containsExactly("a0", "a1", "a2", "w0", "w1");
    assertThat(all(s, req(List.of(), null, false, 0)))
        .extracting(Hit::line)
        .containsExactly("w1", "w0", "a2", "a1", "a0");
    assertThat(all(s, req(List.of(LabelMatcher.equal("app", "api")), null, false, 2)))
        .extracting(Hit::line)
        .containsExactly("a2", "a1");
    assertThat(all(s, req(List.of(LabelMatcher.regex("app", "w.*")), null, true, 1)))
        .extracting(Hit::line)
        .containsExactly("w0");
    assertThat(s.labelValues("app", List.of(), NOW - 10 * HOUR, NOW + HOUR))
        .containsExactly("api", "web");
    assertThat(s.labelNames(List.of(), NOW - 10 * HOUR, NOW + HOUR)).containsExactly("app", "env");
  }

  @Test
  void backwardDeliversSparseAndDenseMatchesNewestFirst() {
    // 4,000 lines in one segment: "rare" on 3 of them (kept in an array of hits), "even" on half
    // (more hits than maxDoc/32: switched to a bit set while collecting), read in chunks of 256
    LogStore s = open(dir);
    String[] lines = new String[4000];
    for (int i = 0; i < lines.length; i++) {
      lines[i] = "n" + i + (i % 2 == 0 ? " even" : " odd") + (i % 1500 == 7 ? " rare" : "");
    }
    s.append(List.of(stream("api", NOW, lines)));
    s.refresh();
    for (String word : List.of("rare", "even")) {
      TermQuery q = new TermQuery(new Term("line", LogTokens.part(word)));
      List<String> fwd =
          new ArrayList<>(all(s, req(List.of(), q, true, 0)).stream().map(Hit::line).toList());
      java.util.Collections.reverse(fwd);
      assertThat(fwd).hasSize(word.equals("rare") ? 3 : 2000);
      assertThat(all(s, req(List.of(), q, false, 0))).extracting(Hit::line).isEqualTo(fwd);
      assertThat(all(s, req(List.of(), q, false, 300)))
          .extracting(Hit::line)
          .isEqualTo(fwd.subList(0, Math.min(300, fwd.size())));
    }
    assertThat(
            all(
                s,
                req(List.of(), new TermQuery(new Term("line", LogTokens.part("rare"))), false, 0)))
        .extracting(Hit::line)
        .containsExactly("n3007 odd rare", "n1507 odd rare", "n7 odd rare");
  }

  @Test
  void lineQueryUsesTheIndex() {
    LogStore s = open(dir);
    s.append(
        List.of(
            stream(
                "api",
                NOW,
                "GET /x from 10.1.2.3",
                "trace 4bf92f3577b34da6a3ce929d0e0e4736 done",
                "other")));
    s.refresh();
    assertThat(all(s, req(List.of(), new TermQuery(new Term("line", "10.1.2.3")), true, 0)))
        .extracting(Hit::line)
        .containsExactly("GET /x from 10.1.2.3");
    assertThat(
            all(
                s,
                req(
                    List.of(),
                    new TermQuery(
                        new Term("line", LogTokens.part("4bf92f3577b34da6a3ce929d0e0e4736"))),
                    true,
                    0)))
        .hasSize(1);
  }

  @Test
  void subscribersSeeAcceptedLinesOnlyUntilTheyUnsubscribe() throws Exception {
    LogStore s = open(dir);
    List<String> seen = new ArrayList<>();
    AutoCloseable sub = s.subscribe((st, e) -> seen.add(st.get("app") + ":" + e.line()));
    List<LogStream> batch = List.of(stream("api", NOW, "x", "y"));
    s.append(batch);
    s.append(batch); // duplicates: not seen again
    s.append(List.of(stream("old", NOW - 30L * 24 * HOUR, "too old"))); // past retention
    sub.close();
    s.append(List.of(stream("api", NOW + 100, "after")));
    assertThat(seen).containsExactly("api:x", "api:y");
  }

  @Test
  void replayOfTheSameBatchAddsNothing() {
    LogStore s = open(dir);
    List<LogStream> batch = List.of(stream("api", NOW, "x", "y", "z"));
    assertThat(s.append(batch).appended()).isEqualTo(3);
    LogStore.AppendResult again = s.append(batch);
    assertThat(again.appended()).isZero();
    assertThat(again.duplicates()).isEqualTo(3);
    s.commit();
    s.refresh();
    assertThat(all(s, req(List.of(), null, true, 0))).hasSize(3);
  }

  @Test
  void dedupSurvivesRestart() throws IOException {
    LogStore s = open(dir);
    List<LogStream> batch = List.of(stream("api", NOW, "x", "y"));
    s.append(batch);
    s.close();
    open.remove(s);
    LogStore s2 = open(dir);
    assertThat(s2.append(batch).duplicates()).isEqualTo(2);
    s2.refresh();
    assertThat(all(s2, req(List.of(), null, true, 0))).hasSize(2);
  }

  @Test
  void dedupAfterRestartComparesLinesThatShareStreamAndTimestamp() throws IOException {
    LogStore s = open(dir);
    Labels api = Labels.of("app", "api");
    Labels web = Labels.of("app", "web");
    s.append(
        List.of(
            new LogStream(api, List.of(new LogEntry(NOW, "a"), new LogEntry(NOW, "b"))),
            new LogStream(web, List.of(new LogEntry(NOW, "a")))));
    s.close();
    open.remove(s);
    LogStore s2 = open(dir);
    // same stream and timestamp as lines on disk: only the ones with the same text are replays
    LogStore.AppendResult r =
        s2.append(
            List.of(
                new LogStream(
                    api,
                    List.of(
                        new LogEntry(NOW, "a"),
                        new LogEntry(NOW, "c"),
                        new LogEntry(NOW, "b"),
                        new LogEntry(NOW + 1, "a"))),
                new LogStream(web, List.of(new LogEntry(NOW, "b"), new LogEntry(NOW, "a")))));
    assertThat(r.appended()).isEqualTo(3);
    assertThat(r.duplicates()).isEqualTo(3);
    // and the lines just added are replays too, before any refresh
    assertThat(s2.append(List.of(new LogStream(api, List.of(new LogEntry(NOW, "c"))))).duplicates())
        .isEqualTo(1);
    s2.refresh();
    assertThat(all(s2, req(List.of(), null, true, 0)))
        .extracting(h -> h.stream().get("app") + ":" + h.line())
        .containsExactlyInAnyOrder("api:a", "api:b", "web:a", "api:c", "web:b", "api:a");
  }

  @Test
  void linesBecomeSearchableWithoutASearchOrAnExplicitRefresh() throws Exception {
    LogStore s = LogStore.open(dir, CONFIG, new SimpleMeterRegistry(), true);
    open.add(s);
    s.append(List.of(stream("api", NOW, "x", "y")));
    LogPartition p = s.partitionsForTest().iterator().next();
    long deadline = System.nanoTime() + 20_000_000_000L;
    int docs = 0;
    while (docs < 2 && System.nanoTime() < deadline) {
      Thread.sleep(20);
      org.apache.lucene.search.IndexSearcher is = p.searchers.acquire();
      try {
        docs = is.getIndexReader().numDocs();
      } finally {
        p.searchers.release(is);
      }
    }
    assertThat(docs).isEqualTo(2);
  }

  @Test
  void aSearchRefreshesFirstWhenTheLastRefreshIsOlderThanTwiceTheInterval() throws Exception {
    LogStore s = open(dir); // no background refresh: only the search's own can show the lines
    Thread.sleep(2 * LogStore.REFRESH_MS + 50);
    s.append(List.of(stream("api", NOW, "x", "y")));
    assertThat(all(s, req(List.of(), null, true, 0)))
        .extracting(Hit::line)
        .containsExactly("x", "y");
  }

  @Test
  void uncommittedLinesAreRecoveredFromTheWalAfterACrash() throws IOException {
    LogStore s = open(dir);
    s.append(List.of(stream("api", NOW, "committed")));
    s.commit();
    s.append(List.of(stream("api", NOW + 10, "only in wal 1", "only in wal 2")));
    // a kill -9 leaves the files as they are now: copy them while the store is still open
    Path crash = Files.createTempDirectory(dir.getParent(), "crash");
    try (Stream<Path> st = Files.walk(dir)) {
      for (Path p : st.toList()) {
        Path t = crash.resolve(dir.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    LogStore r = open(crash);
    assertThat(all(r, req(List.of(), null, true, 0)))
        .extracting(Hit::line)
        .containsExactly("committed", "only in wal 1", "only in wal 2");
  }

  @Test
  void retentionDropsWholePartitions() throws IOException {
    LogStore s = open(dir);
    s.append(List.of(stream("api", NOW - 3 * HOUR, "old"), stream("api", NOW, "new")));
    s.refresh();
    assertThat(s.partitionStarts()).hasSize(2);
    // pretend it is 7 days and 2 hours later: the older partition ends before the cutoff
    int dropped = s.applyRetention(NOW + Duration.ofDays(7).toNanos() - HOUR);
    assertThat(dropped).isEqualTo(1);
    assertThat(s.partitionStarts()).hasSize(1);
    assertThat(all(s, req(List.of(), null, true, 0))).extracting(Hit::line).containsExactly("new");
    try (Stream<Path> st = Files.list(dir.resolve("index"))) {
      assertThat(st.count()).isEqualTo(1);
    }
  }

  @Test
  void linesOlderThanRetentionAreRefused() {
    LogStore s = open(dir);
    LogStore.AppendResult r =
        s.append(List.of(stream("api", NOW - Duration.ofDays(8).toNanos(), "x")));
    assertThat(r.tooOld()).isEqualTo(1);
    assertThat(r.appended()).isZero();
  }

  @Test
  void structuredMetadataAndNeedLineFalse() {
    LogStore s = open(dir);
    s.append(
        List.of(
            new LogStream(
                Labels.of("app", "api"),
                List.of(new LogEntry(NOW, "héllo", Labels.of("trace_id", "abc"))))));
    s.refresh();
    List<Labels> md = new ArrayList<>();
    s.search(
        req(List.of(), null, true, 0),
        (st, ts, line, m, n) -> {
          md.add(m);
          return true;
        });
    assertThat(md).containsExactly(Labels.of("trace_id", "abc"));
    List<Integer> lens = new ArrayList<>();
    s.search(
        new LogSearchRequest(
            List.of(), NOW - 1, NOW + 1, null, LogSearchRequest.Direction.FORWARD, 0, false),
        (st, ts, line, m, n) -> {
          assertThat(line).isNull();
          lens.add(n);
          return true;
        });
    assertThat(lens).containsExactly(6);
  }

  @Test
  void queryStringWithHighlights() {
    LogStore s = open(dir);
    s.append(
        List.of(
            stream("api", NOW, "connection reset by peer 10.0.0.7", "all good"),
            stream("web", NOW + 5, "connection reset again")));
    s.refresh();
    List<LogStore.Highlighted> h =
        s.queryString("\"connection reset\" AND app:api", NOW - HOUR, NOW + HOUR, 10);
    assertThat(h).hasSize(1);
    assertThat(h.get(0).highlight()).isEqualTo("<b>connection</b> <b>reset</b> by peer 10.0.0.7");
    // a phrase is verified: the words in sequence
    assertThat(s.queryString("\"reset connection\"", NOW - HOUR, NOW + HOUR, 10)).isEmpty();
    assertThat(s.queryString("10.0.0.7", NOW - HOUR, NOW + HOUR, 10)).hasSize(1);
    assertThat(s.queryString("reset", NOW - HOUR, NOW + HOUR, 10))
        .extracting(LogStore.Highlighted::line)
        .containsExactly("connection reset again", "connection reset by peer 10.0.0.7");
    // prefix and wildcard terms reach the marked parts too
    assertThat(s.queryString("conn*", NOW - HOUR, NOW + HOUR, 10)).hasSize(2);
    assertThat(s.queryString("pe?r AND app:api", NOW - HOUR, NOW + HOUR, 10))
        .extracting(LogStore.Highlighted::highlight)
        .containsExactly("connection reset by <b>peer</b> 10.0.0.7");
    // labels select streams (through the stream ids, lines carry no label fields)
    assertThat(s.queryString("reset AND app:web", NOW - HOUR, NOW + HOUR, 10))
        .extracting(LogStore.Highlighted::line)
        .containsExactly("connection reset again");
    assertThat(s.queryString("reset AND env:prod", NOW - HOUR, NOW + HOUR, 10)).hasSize(2);
    assertThat(s.queryString("reset AND app:nope", NOW - HOUR, NOW + HOUR, 10)).isEmpty();
    assertThat(s.queryString("reset AND NOT app:api", NOW - HOUR, NOW + HOUR, 10))
        .extracting(LogStore.Highlighted::line)
        .containsExactly("connection reset again");
  }

  @Test
  void concurrentAppendsSearchesAndCommitsLoseNothing() throws Exception {
    LogStore s = open(dir);
    int threads = 3;
    int batches = 40;
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(threads + 1);
    try {
      List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        final int id = t;
        fs.add(
            pool.submit(
                () -> {
                  for (int b = 0; b < batches; b++) {
                    List<LogEntry> es = new ArrayList<>();
                    for (int i = 0; i < 25; i++) {
                      es.add(new LogEntry(NOW + b * 100L + i, "t" + id + " b" + b + " i" + i));
                    }
                    s.append(List.of(new LogStream(Labels.of("app", "w" + id), es)));
                    if (b % 10 == 0) {
                      s.commit();
                    }
                  }
                  return null;
                }));
      }
      fs.add(
          pool.submit(
              () -> {
                for (int i = 0; i < 50; i++) {
                  s.refresh();
                  all(s, req(List.of(), null, i % 2 == 0, 10));
                }
                return null;
              }));
      for (java.util.concurrent.Future<?> f : fs) {
        f.get(120, java.util.concurrent.TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    s.refresh();
    assertThat(all(s, req(List.of(), null, true, 0))).hasSize(threads * batches * 25);
    assertThat(all(s, req(List.of(LabelMatcher.equal("app", "w1")), null, false, 0)))
        .hasSize(batches * 25)
        .isSortedAccordingTo((a, b) -> Long.compare(b.ts(), a.ts()));
  }

  @Test
  void stopsWhenTheConsumerSaysSo() {
    LogStore s = open(dir);
    s.append(List.of(stream("api", NOW, "1", "2", "3", "4")));
    s.refresh();
    List<String> got = new ArrayList<>();
    s.search(
        req(List.of(), null, false, 0),
        (st, ts, line, m, n) -> {
          got.add(line);
          return got.size() < 2;
        });
    assertThat(got).containsExactly("4", "3");
  }
}
