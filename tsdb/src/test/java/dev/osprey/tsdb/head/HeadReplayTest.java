package dev.osprey.tsdb.head;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import dev.osprey.tsdb.wal.Buf;
import dev.osprey.tsdb.wal.Wal;
import dev.osprey.tsdb.wal.WalRecords;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HeadReplayTest {
  @TempDir Path dir;

  @Test
  void aSeriesLoggedUnderTwoIdsReplaysAsOne() throws Exception {
    // what the WAL holds when a series was truncated away, came back under a new id, and the
    // process died before the checkpoint
    Labels a = Labels.of("__name__", "a");
    try (Wal wal =
        Wal.open(dir, "never", Wal.DEFAULT_SEGMENT_SIZE, new SimpleMeterRegistry(), (p, l) -> {})) {
      Buf b = new Buf(64);
      WalRecords.encodeSeries(b, 1, a);
      wal.log(b.array(), b.length());
      b.reset();
      WalRecords.encodeSamples(
          b, new int[] {1}, new long[] {1000}, new long[] {Double.doubleToRawLongBits(1)}, 1);
      wal.log(b.array(), b.length());
      b.reset();
      WalRecords.encodeSeries(b, 7, a);
      wal.log(b.array(), b.length());
      b.reset();
      WalRecords.encodeSamples(
          b, new int[] {7}, new long[] {2000}, new long[] {Double.doubleToRawLongBits(2)}, 1);
      wal.log(b.array(), b.length());
    }
    Head head = new Head(Head.DEFAULT_BLOCK_RANGE, 0, new SimpleMeterRegistry());
    try (Wal wal =
        Wal.open(dir, "never", Wal.DEFAULT_SEGMENT_SIZE, new SimpleMeterRegistry(), head::replay)) {
      head.setWal(wal);
      assertThat(head.numSeries()).isEqualTo(1);
      try (Querier q = head.querier()) {
        SeriesSet set =
            q.select(0, 10_000, SelectHints.of(0, 10_000), LabelMatcher.equal("__name__", "a"));
        assertThat(set.next()).isTrue();
        SampleIterator it = set.iterator(null);
        assertThat(it.next()).isTrue();
        assertThat(it.t()).isEqualTo(1000);
        assertThat(it.next()).isTrue();
        assertThat(it.t()).isEqualTo(2000);
        assertThat(it.next()).isFalse();
      }
      // new series get ids after the highest replayed one
      var app = head.appender();
      long ref = app.append(0, Labels.of("__name__", "b"), 3000, 3);
      app.commit();
      assertThat(ref).isEqualTo(8);
    }
  }
}
