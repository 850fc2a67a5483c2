package dev.osprey.tsdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.DuplicateSampleException;
import dev.osprey.core.storage.OutOfBoundsException;
import dev.osprey.core.storage.OutOfOrderSampleException;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import dev.osprey.core.storage.StaleNaN;
import dev.osprey.core.storage.Storage;
import dev.osprey.core.storage.StorageContractTest;
import dev.osprey.tsdb.wal.Wal;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TsdbTest extends StorageContractTest {
  record S(long t, double v) {}

  private MeterRegistry registry = new SimpleMeterRegistry();
  private TsdbConfig config = new TsdbConfig(null, null, null, "always");

  @Override
  protected Storage open(Path dir) {
    return Tsdb.open(dir, config, registry);
  }

  private void reopen() {
    storage.close();
    registry = new SimpleMeterRegistry();
    storage = open(dir);
  }

  private List<S> all(Labels series) {
    try (Querier q = storage.querier()) {
      LabelMatcher[] ms = new LabelMatcher[series.size()];
      for (int i = 0; i < series.size(); i++) {
        ms[i] = LabelMatcher.equal(series.name(i), series.value(i));
      }
      SeriesSet set = q.select(Long.MIN_VALUE, Long.MAX_VALUE, SelectHints.of(0, 0), ms);
      if (!set.next()) {
        return List.of();
      }
      assertThat(set.labels()).isEqualTo(series);
      List<S> out = new ArrayList<>();
      for (Sample x : samplesOf(set.iterator(null))) {
        out.add(new S(x.t(), x.v()));
      }
      return out;
    }
  }

  private double rejected(String reason) {
    return registry
        .get("osprey_tsdb_samples_rejected_total")
        .tag("reason", reason)
        .counter()
        .count();
  }

  @Test
  void manyChunksRoundTripAndSeek() {
    Appender app = storage.appender();
    long ref = 0;
    for (int i = 0; i < 1000; i++) {
      ref = app.append(ref, A1, 1_000_000L + i * 15_000L, i * 1.5);
    }
    app.commit();
    List<S> got = all(A1);
    assertThat(got).hasSize(1000);
    for (int i = 0; i < 1000; i++) {
      assertThat(got.get(i)).isEqualTo(new S(1_000_000L + i * 15_000L, i * 1.5));
    }
    try (Querier q = storage.querier()) {
      SeriesSet set =
          q.select(
              1_000_000L + 500 * 15_000L,
              1_000_000L + 700 * 15_000L,
              SelectHints.of(0, 0),
              LabelMatcher.equal("job", "a"));
      assertThat(set.next()).isTrue();
      SampleIterator it = set.iterator(null);
      assertThat(it.seek(1_000_000L + 650 * 15_000L - 1)).isTrue();
      assertThat(it.v()).isEqualTo(650 * 1.5);
      int n = 1;
      while (it.next()) {
        n++;
      }
      assertThat(n).isEqualTo(51);
    }
    assertThat(registry.get("osprey_tsdb_samples_appended_total").counter().count())
        .isEqualTo(1000);
    assertThat(registry.get("osprey_tsdb_head_series").gauge().value()).isEqualTo(1);
  }

  @Test
  void walReplayRestoresEverythingAfterReopen() {
    load();
    Appender app = storage.appender();
    app.append(0, A1, 200_000, StaleNaN.VALUE);
    app.commit();
    List<S> before = all(A1);
    reopen();
    List<S> after = all(A1);
    assertThat(after).hasSize(11);
    assertThat(after.subList(0, 10)).isEqualTo(before.subList(0, 10));
    assertThat(StaleNaN.is(after.get(10).v())).isTrue();
    assertThat(all(C)).hasSize(10);
    // new series after reopen get fresh ids and survive another reopen
    Labels d = Labels.of("__name__", "new");
    app = storage.appender();
    app.append(0, d, 300_000, 7);
    app.append(0, A1, 300_000, 8);
    app.commit();
    reopen();
    assertThat(all(d)).containsExactly(new S(300_000, 7));
    assertThat(all(A1)).hasSize(12);
    assertThat(all(A2)).hasSize(10);
  }

  private Path lastSegment() throws IOException {
    Path wal = dir.resolve("wal");
    List<Integer> segs = Wal.segments(wal);
    // the newest non-empty segment (reopen starts an empty one)
    for (int i = segs.size() - 1; i >= 0; i--) {
      Path p = Wal.segmentPath(wal, segs.get(i));
      if (Files.size(p) > Wal.HEADER_SIZE) {
        return p;
      }
    }
    throw new AssertionError("no WAL segment with records");
  }

  @Test
  void tornTailIsTruncated() throws IOException {
    load();
    storage.close();
    Path seg = lastSegment();
    long size = Files.size(seg);
    try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
      f.seek(size);
      f.writeInt(1000); // a record header promising 1000 bytes ...
      f.writeInt(12345);
      f.write(new byte[] {2, 1, 2, 3}); // ... of which only 4 made it
    }
    storage = open(dir);
    assertThat(all(A1)).hasSize(10);
    assertThat(Files.size(seg)).isEqualTo(size);
    assertThat(registry.get("osprey_tsdb_wal_corruptions_total").counter().count()).isEqualTo(1);
    Appender app = storage.appender();
    app.append(0, A1, 150_000, 10);
    app.commit();
    reopen();
    assertThat(all(A1)).hasSize(11);
  }

  @Test
  void corruptLastRecordIsDroppedEarlierOnesKept() throws IOException {
    load();
    Appender app = storage.appender();
    app.append(0, A1, 150_000, 10);
    app.commit();
    storage.close();
    Path seg = lastSegment();
    long size = Files.size(seg);
    try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
      f.seek(size - 3);
      int b = f.read();
      f.seek(size - 3);
      f.write(b ^ 0x40);
    }
    storage = open(dir);
    assertThat(all(A1)).hasSize(10);
    assertThat(all(B1)).hasSize(10);
  }

  @Test
  void tooOldIsOutOfBounds() {
    Appender app = storage.appender();
    app.append(0, A1, 10 * 3600_000L, 1);
    app.commit();
    Appender app2 = storage.appender();
    assertThatThrownBy(() -> app2.append(0, B1, 10 * 3600_000L - 3600_001L, 1))
        .isInstanceOf(OutOfBoundsException.class)
        .hasMessageContaining("out of bounds");
    app2.append(0, B1, 10 * 3600_000L - 3600_000L, 1); // exactly at the bound: fine
    app2.commit();
    assertThat(rejected(OutOfBoundsException.REASON)).isEqualTo(1);
  }

  @Test
  void rejectionsAreCountedByReason() {
    load();
    Appender app = storage.appender();
    assertThatThrownBy(() -> app.append(0, A1, 0, 5)).isInstanceOf(OutOfOrderSampleException.class);
    assertThatThrownBy(() -> app.append(0, A1, 135_000, 5))
        .isInstanceOf(DuplicateSampleException.class);
    app.append(0, A1, 200_000, 1);
    assertThatThrownBy(() -> app.append(0, A1, 190_000, 5))
        .isInstanceOf(OutOfOrderSampleException.class); // in-batch order counts too
    assertThatThrownBy(() -> app.append(0, A1, 200_000, 2))
        .isInstanceOf(DuplicateSampleException.class);
    app.append(0, A1, 200_000, 1);
    app.commit();
    assertThat(rejected(OutOfOrderSampleException.REASON)).isEqualTo(2);
    assertThat(rejected(DuplicateSampleException.REASON)).isEqualTo(2);
    assertThat(all(A1)).hasSize(11);
  }

  @Test
  void outOfOrderWindowAcceptsLateSamplesAndMergesThem() {
    storage.close();
    config = new TsdbConfig(null, null, Duration.ofMinutes(10), "never");
    storage = open(dir);
    Appender app = storage.appender();
    List<S> inOrderOnly = new ArrayList<>();
    for (int i = 0; i < 100; i += 2) {
      app.append(0, A1, 1_000_000L + i * 1000L, i);
      app.append(0, A2, 1_000_000L + i * 1000L, -i); // a series that never gets late samples
      inOrderOnly.add(new S(1_000_000L + i * 1000L, -i));
    }
    app.commit();
    app = storage.appender();
    for (int i = 1; i < 100; i += 2) {
      app.append(0, A1, 1_000_000L + i * 1000L, i); // all out of order, inside the window
    }
    Appender late = app;
    assertThatThrownBy(() -> late.append(0, A1, 1_000_000L + 98_000L - 600_001L, 0))
        .isInstanceOf(OutOfOrderSampleException.class);
    app.commit();
    Appender again = storage.appender();
    assertThatThrownBy(() -> again.append(0, A1, 1_000_000L + 3_000L, 99))
        .isInstanceOf(DuplicateSampleException.class);
    again.append(0, A1, 1_000_000L + 3_000L, 3); // the same out-of-order sample again: fine
    again.commit();
    List<S> expected = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      expected.add(new S(1_000_000L + i * 1000L, i));
    }
    assertThat(all(A1)).isEqualTo(expected);
    // the late samples are A1's alone (series without any share one empty out-of-order state)
    assertThat(all(A2)).isEqualTo(inOrderOnly);
    reopen();
    assertThat(all(A1)).isEqualTo(expected);
    assertThat(all(A2)).isEqualTo(inOrderOnly);
  }

  @Test
  void secondOpenOfTheSameDirectoryFails() {
    assertThatThrownBy(() -> Tsdb.open(dir, config, new SimpleMeterRegistry()))
        .hasMessageContaining("cannot open tsdb");
  }

  @Test
  void intervalPolicyFsyncsInTheBackground() throws InterruptedException {
    storage.close();
    config = new TsdbConfig(null, null, null, "interval");
    registry = new SimpleMeterRegistry();
    storage = open(dir);
    load();
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (registry.get("osprey_tsdb_wal_fsync_seconds").timer().count() == 0
        && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(registry.get("osprey_tsdb_wal_fsync_seconds").timer().count()).isPositive();
  }

  @Test
  void walBytesAreCounted() {
    load();
    assertThat(registry.get("osprey_tsdb_wal_bytes_total").counter().count()).isGreaterThan(100);
  }
}
