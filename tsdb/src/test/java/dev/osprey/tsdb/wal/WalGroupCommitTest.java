package dev.osprey.tsdb.wal;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** wal_fsync: always: a commit waits for an fsync that covers it, one fsync serving many. */
class WalGroupCommitTest {
  @TempDir Path dir;

  private static long fsyncs(SimpleMeterRegistry r) {
    return r.get("osprey_tsdb_wal_fsync_seconds").timer().count();
  }

  @Test
  void aPositionAlreadyFsyncedNeedsNoFsync() throws Exception {
    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    try (Wal wal = Wal.open(dir, "always", 1 << 20, reg, (p, l) -> {})) {
      long before = fsyncs(reg);
      wal.log(new byte[] {WalRecords.SAMPLES, 0}, 2);
      long p1 = wal.write();
      wal.log(new byte[] {WalRecords.SAMPLES, 0}, 2);
      long p2 = wal.write();
      assertThat(p2).isGreaterThan(p1);
      wal.syncTo(p1); // covers p2 too: it was written before the fsync started
      assertThat(fsyncs(reg)).isEqualTo(before + 1);
      wal.syncTo(p2);
      wal.syncTo(p1);
      assertThat(fsyncs(reg)).isEqualTo(before + 1);
      wal.log(new byte[] {WalRecords.SAMPLES, 0}, 2);
      wal.syncTo(wal.write());
      assertThat(fsyncs(reg)).isEqualTo(before + 2);
    }
  }

  @Test
  void concurrentCommitsAreAllDurableAndShareFsyncs() throws Exception {
    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    int threads = 4;
    int perThread = 100;
    try (Wal wal = Wal.open(dir, "always", 1 << 20, reg, (p, l) -> {})) {
      long before = fsyncs(reg);
      List<Thread> ts = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        final byte tag = (byte) t;
        ts.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      for (int i = 0; i < perThread; i++) {
                        long pos;
                        synchronized (wal) { // as the head's commit lock
                          wal.log(new byte[] {WalRecords.SAMPLES, tag, (byte) i}, 3);
                          pos = wal.write();
                        }
                        wal.syncTo(pos);
                      }
                    }));
      }
      for (Thread t : ts) {
        t.join(60_000);
      }
      assertThat(fsyncs(reg) - before).isBetween(1L, (long) threads * perThread);
    }
    List<String> seen = new ArrayList<>();
    try (Wal wal =
        Wal.open(
            dir,
            "always",
            1 << 20,
            new SimpleMeterRegistry(),
            (p, l) -> seen.add(p[1] + ":" + p[2]))) {
      assertThat(seen).hasSize(threads * perThread).doesNotHaveDuplicates();
    }
  }
}
