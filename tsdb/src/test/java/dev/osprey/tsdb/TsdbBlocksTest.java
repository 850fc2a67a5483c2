package dev.osprey.tsdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.OutOfBoundsException;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import dev.osprey.core.util.ByteSize;
import dev.osprey.tsdb.block.BlockReader;
import dev.osprey.tsdb.wal.Wal;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The head cut into blocks, compaction, retention, flush and reopen, with a 1-minute block range.
 */
class TsdbBlocksTest {
  static final long RANGE = 60_000;
  static final int SERIES = 30;

  @TempDir Path dir;

  private SimpleMeterRegistry registry;

  private Tsdb open(TsdbConfig config) {
    registry = new SimpleMeterRegistry();
    return Tsdb.open(dir, config, registry, RANGE);
  }

  private static Labels series(int i) {
    return Labels.of(
        "__name__", "m", "i", Integer.toString(i), "parity", i % 2 == 0 ? "even" : "odd");
  }

  private static double value(int i, long t) {
    return i * 1000 + t / 1000.0;
  }

  /** Appends samples every second for series 0..SERIES-1, from {@code from} to {@code to} (ms). */
  private static void fill(Tsdb db, long from, long to) {
    for (long t = from; t < to; t += 10_000) {
      Appender app = db.appender();
      for (long u = t; u < Math.min(to, t + 10_000); u += 1000) {
        for (int i = 0; i < SERIES; i++) {
          app.append(0, series(i), u, value(i, u));
        }
      }
      app.commit();
    }
  }

  /** Every sample is there exactly once and has the right value. */
  private static void check(Tsdb db, long from, long to) {
    try (Querier q = db.querier()) {
      SeriesSet set =
          q.select(from, to - 1, SelectHints.of(from, to), LabelMatcher.equal("__name__", "m"));
      int n = 0;
      while (set.next()) {
        Labels l = set.labels();
        int i = Integer.parseInt(l.get("i"));
        SampleIterator it = set.iterator(null);
        long expect = from;
        while (it.next()) {
          assertThat(it.t()).as("series %s", l).isEqualTo(expect);
          assertThat(it.v()).isEqualTo(value(i, expect));
          expect += 1000;
        }
        assertThat(expect).as("end of series %s", l).isEqualTo(to);
        n++;
      }
      assertThat(n).isEqualTo(SERIES);
      assertThat(q.labelValues(from, to - 1, "parity")).containsExactly("even", "odd");
    }
  }

  @Test
  void headIsCutIntoBlocksCompactedAndReopened() throws IOException {
    TsdbConfig config = new TsdbConfig(null, null, null, "never");
    Tsdb db = open(config);
    long end = 20 * RANGE;
    fill(db, 0, end);
    db.compact();
    List<BlockReader> blocks = db.blocks();
    assertThat(blocks).isNotEmpty();
    assertThat(db.head().minTime()).isGreaterThanOrEqualTo(end - 2 * RANGE);
    // compacted blocks: windows of 3 and 9 ranges that the head has left behind
    assertThat(blocks.stream().mapToInt(b -> b.meta().compaction().level()).max().getAsInt())
        .isGreaterThanOrEqualTo(2);
    for (int i = 1; i < blocks.size(); i++) {
      assertThat(blocks.get(i).meta().minTime())
          .isGreaterThanOrEqualTo(blocks.get(i - 1).meta().maxTime());
    }
    check(db, 0, end);
    double bytesPerSample = registry.get("osprey_tsdb_blocks_bytes_per_sample").gauge().value();
    assertThat(bytesPerSample).isBetween(0.1, 16.0);
    // the WAL was checkpointed: old segments are gone
    Path wal = dir.resolve("wal");
    int checkpoint = Wal.latestCheckpoint(wal);
    assertThat(checkpoint).isGreaterThanOrEqualTo(1);
    assertThat(Wal.segments(wal)).allMatch(s -> s > checkpoint);
    // samples older than the blocks' end are refused
    Appender late = db.appender();
    assertThatThrownBy(() -> late.append(0, series(0), 1000, 1))
        .isInstanceOf(OutOfBoundsException.class);
    late.rollback();
    fill(db, end, end + 30_000);
    db.close();

    db = open(config);
    assertThat(db.blocks()).hasSameSizeAs(blocks);
    check(db, 0, end + 30_000);
    db.close();
  }

  @Test
  void flushCutsTheWholeHead() throws IOException {
    TsdbConfig config = new TsdbConfig(null, null, null, "never");
    Tsdb db = open(config);
    fill(db, 0, 90_000);
    db.flush();
    assertThat(db.head().numSeries()).isZero();
    assertThat(db.head().minTime()).isEqualTo(Long.MAX_VALUE);
    check(db, 0, 90_000);
    Appender app = db.appender();
    assertThatThrownBy(() -> app.append(0, series(0), 89_000, 1))
        .isInstanceOf(OutOfBoundsException.class);
    app.rollback();
    fill(db, 90_000, 100_000);
    check(db, 0, 100_000);
    db.close();
    db = open(config);
    check(db, 0, 100_000);
    db.close();
  }

  @Test
  void timeRetentionDeletesOldBlocks() {
    Tsdb db = open(new TsdbConfig(Duration.ofMinutes(5), null, null, "never"));
    fill(db, 0, 30 * RANGE);
    db.compact();
    assertThat(db.blocks()).isNotEmpty();
    long newest = db.head().maxTime();
    for (BlockReader b : db.blocks()) {
      assertThat(b.meta().maxTime()).isGreaterThan(newest - 5 * 60_000);
    }
    assertThat(db.minTime()).isGreaterThan(0);
    long from = db.blocks().get(0).meta().minTime();
    check(db, from, 30 * RANGE);
    db.close();
  }

  @Test
  void sizeRetentionKeepsBlocksUnderTheLimit() {
    Tsdb db = open(new TsdbConfig(null, null, null, "never"));
    fill(db, 0, 30 * RANGE);
    db.compact();
    long total = db.blocks().stream().mapToLong(BlockReader::sizeBytes).sum();
    int before = db.blocks().size();
    db.close();
    long limit = total / 2;
    db = open(new TsdbConfig(null, new ByteSize(limit), null, "never"));
    db.compact();
    assertThat(db.blocks().size()).isLessThan(before);
    assertThat(db.blocks().stream().mapToLong(BlockReader::sizeBytes).sum())
        .isLessThanOrEqualTo(limit);
    db.close();
  }

  @Test
  void corruptIndexIsRefusedOnOpen() throws IOException {
    TsdbConfig config = new TsdbConfig(null, null, null, "never");
    Tsdb db = open(config);
    fill(db, 0, 60_000);
    db.flush();
    Path block = db.blocks().get(0).dir();
    db.close();
    Path index = block.resolve("index");
    try (RandomAccessFile f = new RandomAccessFile(index.toFile(), "rw")) {
      f.seek(20);
      int b = f.read();
      f.seek(20);
      f.write(b ^ 1);
    }
    assertThatThrownBy(() -> open(config)).hasMessageContaining("checksum mismatch");
    assertThat(Files.exists(block)).isTrue(); // never deleted on our own
  }

  @Test
  void corruptChunkIsReportedWhenRead() throws IOException {
    TsdbConfig config = new TsdbConfig(null, null, null, "never");
    Tsdb db = open(config);
    fill(db, 0, 60_000);
    db.flush();
    Path chunks = db.blocks().get(0).dir().resolve("chunks").resolve("000001");
    db.close();
    try (RandomAccessFile f = new RandomAccessFile(chunks.toFile(), "rw")) {
      f.seek(12);
      int b = f.read();
      f.seek(12);
      f.write(b ^ 1);
    }
    Tsdb reopened = open(config);
    assertThatThrownBy(() -> check(reopened, 0, 60_000)).hasMessageContaining("checksum mismatch");
    reopened.close();
  }

  @Test
  void seriesThatStopAreRemovedFromTheHeadAndCanComeBack() {
    TsdbConfig config = new TsdbConfig(null, null, null, "never");
    Tsdb db = open(config);
    Labels gone = Labels.of("__name__", "churn", "pod", "old");
    Labels stays = Labels.of("__name__", "churn", "pod", "new");
    Appender app = db.appender();
    for (long t = 0; t < 30_000; t += 1000) {
      app.append(0, gone, t, 1);
    }
    app.commit();
    for (long t = 0; t < 4 * RANGE; t += 1000) {
      Appender a = db.appender();
      a.append(0, stays, t, 2);
      a.commit();
    }
    assertThat(db.head().numSeries()).isEqualTo(2);
    db.compact();
    assertThat(db.head().numSeries()).isEqualTo(1);
    try (Querier q = db.querier()) {
      assertThat(q.labelValues(0, Long.MAX_VALUE, "pod")).containsExactly("new", "old");
    }
    // the old series returns: a new head series, merged with its block data on read
    Appender again = db.appender();
    again.append(0, gone, 4 * RANGE, 3);
    again.commit();
    assertThat(db.head().numSeries()).isEqualTo(2);
    try (Querier q = db.querier()) {
      SeriesSet set =
          q.select(0, Long.MAX_VALUE, SelectHints.of(0, 0), LabelMatcher.equal("pod", "old"));
      assertThat(set.next()).isTrue();
      SampleIterator it = set.iterator(null);
      int n = 0;
      long last = -1;
      while (it.next()) {
        n++;
        last = it.t();
      }
      assertThat(n).isEqualTo(31);
      assertThat(last).isEqualTo(4 * RANGE);
      assertThat(set.next()).isFalse();
    }
    db.close();
  }
}
