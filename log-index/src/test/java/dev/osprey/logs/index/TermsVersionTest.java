package dev.osprey.logs.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.labels.Labels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The term version of a partition (log-partition.md, "Terms"): an old partition (written with
 * {@link LogTokens.Terms#V1}, no version in its commit) keeps V1 after a reopen, a new one gets and
 * records the current version, and the dashboard's query strings with a {@code /} find the lines of
 * both.
 */
class TermsVersionTest {
  static final long HOUR = LogStoreTest.HOUR;
  static final long P0 = (LogStoreTest.NOW / HOUR - 3) * HOUR;

  @TempDir Path dir;

  static LogStore open(Path d) {
    return LogStore.open(d, LogStoreTest.CONFIG, new SimpleMeterRegistry(), false);
  }

  static void add(LogStore s, long ts, String line) {
    s.append(List.of(new LogStream(Labels.of("app", "web"), List.of(new LogEntry(ts, line)))));
  }

  @Test
  void oldPartitionsKeepV1AndQueryStringsFindBoth() throws IOException {
    LogTokens.Terms was = LogStore.termsForNewPartitionsForTest(LogTokens.Terms.V1);
    try (LogStore s = open(dir)) {
      add(s, P0 + 1, "GET /api/v1/users/12675 HTTP/1.1 old");
      s.commit();
    } finally {
      LogStore.termsForNewPartitionsForTest(was);
    }
    // the version is recorded in every commit of the partition
    try (FSDirectory d = FSDirectory.open(dir.resolve("index").resolve(LogPartition.dirName(P0)))) {
      assertThat(SegmentInfos.readLatestCommit(d).getUserData())
          .containsEntry(LogPartition.TERMS_KEY, "V1");
    }
    try (LogStore s = open(dir)) {
      add(s, P0 + 2, "GET /api/v1/users/12675 HTTP/1.1 old too");
      add(s, P0 + HOUR + 1, "GET /api/v1/users/12675 HTTP/1.1 new");
      s.refresh();
      s.commit();
      for (LogPartition p : s.partitionsForTest()) {
        assertThat(p.terms)
            .isEqualTo(p.start == P0 ? LogTokens.Terms.V1 : LogTokens.Terms.V2)
            .isEqualTo(p.start == P0 ? LogTokens.Terms.V1 : LogTokens.CURRENT);
      }
      for (String q :
          List.of(
              "\"/api/v1/users/12675 HTTP/1.1\"",
              "\"GET /api/v1/users/12675\"",
              "api\\/v1\\/users\\/12675")) {
        assertThat(s.queryString(q, P0, P0 + 2 * HOUR, 10)).as(q).hasSize(3);
      }
    }
    try (FSDirectory d =
        FSDirectory.open(dir.resolve("index").resolve(LogPartition.dirName(P0 + HOUR)))) {
      assertThat(SegmentInfos.readLatestCommit(d).getUserData())
          .containsEntry(LogPartition.TERMS_KEY, "V2");
    }
  }

  @Test
  void aCommitWithoutATermsVersionIsV1() throws IOException {
    LogTokens.Terms was = LogStore.termsForNewPartitionsForTest(LogTokens.Terms.V1);
    try (LogStore s = open(dir)) {
      add(s, P0 + 1, "a /b/c");
      LogPartition p = s.partitionsForTest().iterator().next();
      p.writer.setLiveCommitData(java.util.Map.<String, String>of().entrySet()); // as before
      s.commit();
    } finally {
      LogStore.termsForNewPartitionsForTest(was);
    }
    try (LogStore s = open(dir)) {
      add(s, P0 + 2, "a /b/d");
      assertThat(s.partitionsForTest().iterator().next().terms).isEqualTo(LogTokens.Terms.V1);
      s.refresh();
      assertThat(s.queryString("\"/b/\"", P0, P0 + HOUR, 10)).hasSize(2);
    }
  }
}
