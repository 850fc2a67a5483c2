package dev.osprey.logs.shipper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.pipeline.LogBatch;
import dev.osprey.pipeline.LogEntry;
import dev.osprey.pipeline.SpoolCursor;
import dev.osprey.pipeline.SpoolEntry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotation and copytruncate around restarts, step by step: the shipper runs one round at a time
 * ({@link LogShipper#step()}), files are rotated between exact rounds, and a "crash" is a close
 * between two rounds followed by a new shipper on the same spool (a kill -9 there leaves the same
 * spool: Chronicle's appends are in the page cache). The spool must then hold every line exactly
 * once, in order: not even a replay, since nothing was in flight.
 */
class RotationRecoveryTest {
  @TempDir Path tmp;
  private long seq;
  private int written;
  private int copies;

  private Path pods() {
    return tmp.resolve("pods");
  }

  private Path log() {
    return LogShipperTest.podLog(pods(), "default", "p", "app");
  }

  private LogShipper shipper() {
    return shipper(null);
  }

  private LogShipper shipper(List<MultilineConfig> multiline) {
    ShipperConfig c =
        new ShipperConfig(
            pods() + "/*/*/*.log",
            tmp.resolve("spool"),
            URI.create("http://127.0.0.1:1"),
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            0,
            0,
            Duration.ofMillis(1),
            null,
            0,
            null,
            multiline);
    LogShipper s = new LogShipper(c, new SimpleMeterRegistry());
    s.startStepped();
    return s;
  }

  /** Rounds until nothing is read and no rotated file or copy is left to finish (bounded). */
  private static void settle(LogShipper s) throws Exception {
    for (int i = 0; i < 500; i++) {
      boolean did = s.step();
      if (!did && s.drainingCount() == 0 && i > 2) {
        return;
      }
      Thread.sleep(2);
    }
    throw new AssertionError("shipper did not settle");
  }

  /** Appends {@code n} CRI lines ({@code "line <k>"}, k counting over the whole test). */
  private void write(int n) throws IOException {
    Files.createDirectories(log().getParent());
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      long ns = ++seq;
      sb.append(
              String.format("2026-12-03T08:00:%02d.%09dZ stdout F ", ns / 1_000_000_000L % 60, ns))
          .append("line ")
          .append(written++)
          .append(" ")
          .append("x".repeat((int) (ns % 50)))
          .append('\n');
    }
    Files.writeString(
        log(), sb, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  /** logrotate's copytruncate: copy to {@code 0.log.<n>}, then truncate in place. */
  private void copytruncate() throws IOException {
    Path copy = log().resolveSibling("0.log." + (++copies));
    Files.copy(log(), copy);
    // Copies are made seconds apart in practice; make their order visible at any mtime resolution.
    Files.setLastModifiedTime(copy, FileTime.fromMillis(1_700_000_000_000L + copies * 1000L));
    try (FileChannel ch = FileChannel.open(log(), StandardOpenOption.WRITE)) {
      ch.truncate(0);
    }
  }

  /** Kubelet: rename to {@code 0.log.<timestamp>}; the runtime then writes a new file. */
  private void kubeletRotate() throws IOException {
    Files.move(log(), log().resolveSibling(String.format("0.log.20261203-0800%02d", ++copies)));
  }

  /** Every LogEntry in the spool, in order. */
  private static List<LogEntry> spooled(LogShipper s) {
    List<LogEntry> out = new ArrayList<>();
    try (SpoolCursor c = s.spool().cursor("check")) {
      for (SpoolEntry e; (e = c.next()) != null; ) {
        if (e.record() instanceof LogEntry l) {
          out.add(l);
        } else if (e.record() instanceof LogBatch b) {
          out.addAll(b.entries());
        }
      }
    }
    return out;
  }

  /** Exactly lines 0..written-1, once each, in order. */
  private void assertExactlyOnce(LogShipper s) {
    List<LogEntry> got = spooled(s);
    List<String> lines = got.stream().map(e -> e.line().replaceAll(" x*$", "")).toList();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < written; i++) {
      expected.add("line " + i);
    }
    assertThat(lines).containsExactlyElementsOf(expected);
    Set<String> ranges = new HashSet<>();
    for (LogEntry e : got) {
      assertThat(ranges.add(e.sourceId() + "@" + e.offset())).as("read twice: " + e).isTrue();
    }
  }

  private static double lost(LogShipper s) {
    return s.spool().registry().counter("osprey_log_shipper_sources_lost").count();
  }

  @Test
  void copytruncateSeveralTimesWhileDownIsReadFromTheCopiesAtTheCheckpointedOffset()
      throws Exception {
    write(50);
    try (LogShipper a = shipper()) {
      settle(a);
    }
    write(30); // unread when the shipper "crashes"
    copytruncate();
    write(20);
    copytruncate();
    write(10);
    copytruncate();
    write(5);
    try (LogShipper b = shipper()) {
      settle(b);
      assertExactlyOnce(b);
      assertThat(lost(b)).isZero();
    }
  }

  @Test
  void copytruncateLeavingAnEmptyFileIsFollowedAcrossRestarts() throws Exception {
    write(40);
    try (LogShipper a = shipper()) {
      settle(a);
    }
    write(10);
    copytruncate(); // the file is empty when the next shipper starts
    try (LogShipper b = shipper()) {
      settle(b);
    }
    write(20);
    copytruncate(); // a whole generation written and copied while we were down
    write(7);
    try (LogShipper c = shipper()) {
      settle(c);
      write(3);
      settle(c);
      assertExactlyOnce(c);
      assertThat(lost(c)).isZero();
    }
  }

  @Test
  void copytruncateSeveralTimesBetweenTwoRoundsWhileRunning() throws Exception {
    write(25);
    try (LogShipper a = shipper()) {
      settle(a);
      write(10);
      copytruncate();
      write(10);
      copytruncate();
      settle(a); // the file is empty now: the newest generation read is parked
      write(10);
      copytruncate();
      write(4);
      settle(a);
      assertExactlyOnce(a);
      assertThat(lost(a)).isZero();
    }
  }

  @Test
  void aCheckpointedFileRotatedJustAfterRestartIsReadToItsEnd() throws Exception {
    write(30);
    try (LogShipper a = shipper()) {
      settle(a);
    }
    write(20);
    try (LogShipper b = shipper()) {
      // Between resuming the checkpointed file and the first scan, kubelet rotates it.
      b.afterResumeHook =
          () -> {
            try {
              kubeletRotate();
              write(15);
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          };
      settle(b);
      assertExactlyOnce(b);
      assertThat(lost(b)).isZero();
    }
  }

  /**
   * Runs {@code rotation} once, the first time the shipper has stat-ed the log's path and is about
   * to open it: the moment a rotation turns the stat-ed file and the opened one into two files.
   */
  private void rotateBetweenStatAndOpen(LogShipper s, IoAction rotation) {
    boolean[] done = {false};
    s.betweenStatAndOpen =
        path -> {
          if (done[0] || !path.equals(log())) {
            return;
          }
          done[0] = true;
          try {
            rotation.run();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        };
  }

  interface IoAction {
    void run() throws IOException;
  }

  @Test
  void aCheckpointedFileRotatedBetweenStatAndOpenOnResumeIsReadToItsEnd() throws Exception {
    write(30);
    try (LogShipper a = shipper()) {
      settle(a);
    }
    write(20); // unread at the restart
    try (LogShipper b = shipper()) {
      rotateBetweenStatAndOpen(
          b,
          () -> {
            kubeletRotate();
            write(10);
          });
      settle(b);
      write(5);
      settle(b);
      assertExactlyOnce(b);
      assertThat(lost(b)).isZero();
    }
  }

  @Test
  void aFileTruncatedThenRotatedBetweenStatAndOpenLosesNothing() throws Exception {
    write(30);
    try (LogShipper a = shipper()) {
      settle(a);
      copytruncate();
      write(10); // into the truncated file, which kubelet-style rotation then renames away
      rotateBetweenStatAndOpen(
          a,
          () -> {
            kubeletRotate();
            write(5);
          });
      settle(a);
      write(3);
      settle(a);
      assertExactlyOnce(a);
      assertThat(lost(a)).isZero();
    }
  }

  @Test
  void tenAndMoreNumberedCopiesOfAFileSeenLateAreReadInNumberOrder() throws Exception {
    try (LogShipper a = shipper()) {
      // The path is first looked at after twelve copies exist (a slow start): 0.log.10 must come
      // after 0.log.9, not after 0.log.1.
      long now = System.currentTimeMillis();
      for (int i = 0; i < 12; i++) {
        write(10);
        Path copy = log().resolveSibling("0.log." + (++copies));
        Files.copy(log(), copy);
        Files.setLastModifiedTime(copy, FileTime.fromMillis(now + 1000L * (i + 1)));
        try (FileChannel ch = FileChannel.open(log(), StandardOpenOption.WRITE)) {
          ch.truncate(0);
        }
      }
      write(5);
      settle(a);
      assertExactlyOnce(a);
      assertThat(lost(a)).isZero();
    }
  }

  @Test
  void kubeletRotationsWhileDownAndWhileDrainingAreReadInOrder() throws Exception {
    write(60);
    try (LogShipper a = shipper()) {
      settle(a);
      write(10);
      kubeletRotate();
      write(20);
      a.step(); // sees the rotation: the old file is being drained when we "crash"
    }
    write(5);
    kubeletRotate();
    write(30);
    kubeletRotate();
    write(12);
    try (LogShipper b = shipper()) {
      settle(b);
      assertExactlyOnce(b);
      assertThat(lost(b)).isZero();
    }
  }

  @Test
  void aMultiLineRecordOpenAtACrashIsShippedWholeOnceAfterTheRestart() throws Exception {
    List<String> trace = MultilineTest.sample("java-stacktrace.txt").subList(1, 17);
    List<MultilineConfig> java = List.of(MultilineConfig.preset("java"));
    Files.createDirectories(log().getParent());
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      sb.append(String.format("2026-12-03T08:00:00.%09dZ stderr F %s%n", ++seq, trace.get(i)));
    }
    Files.writeString(log(), sb);
    try (LogShipper a = shipper(java)) {
      settle(a); // the trace is open: its end is not written yet
    }
    sb.setLength(0);
    for (int i = 6; i < trace.size(); i++) {
      sb.append(String.format("2026-12-03T08:00:00.%09dZ stderr F %s%n", ++seq, trace.get(i)));
    }
    Files.writeString(log(), sb, StandardOpenOption.APPEND);
    try (LogShipper b = shipper(java)) {
      settle(b);
      Thread.sleep(1100); // the last line's record is open until the flush timeout (1 s)
      b.step();
      List<String> got = spooled(b).stream().map(LogEntry::line).toList();
      assertThat(got)
          .containsExactly(trace.get(0), String.join("\n", trace.subList(1, 15)), trace.get(15));
    }
  }

  @Test
  void whenTheCheckpointedFileIsGoneTheRotatedFilesAfterTheCheckpointAreStillRead()
      throws Exception {
    write(30);
    try (LogShipper a = shipper()) {
      settle(a);
    }
    write(10); // lost with the file: kubelet compressed and deleted it while we were down
    kubeletRotate();
    Files.delete(log().resolveSibling(String.format("0.log.20261203-0800%02d", copies)));
    int lostFrom = written - 10;
    write(20);
    kubeletRotate();
    write(5);
    try (LogShipper b = shipper()) {
      settle(b);
      List<String> got = spooled(b).stream().map(e -> e.line().replaceAll(" x*$", "")).toList();
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < written; i++) {
        if (i < lostFrom || i >= lostFrom + 10) {
          expected.add("line " + i);
        }
      }
      assertThat(got).containsExactlyElementsOf(expected);
      assertThat(lost(b)).isEqualTo(1);
    }
  }
}
