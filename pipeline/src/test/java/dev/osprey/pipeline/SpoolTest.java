package dev.osprey.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.labels.Labels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolTest {
  @TempDir Path dir;
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private Spool open(SpoolConfig.Overflow overflow, long max, String cycle) {
    return Spool.open(
        new SpoolConfig(dir, "t", cycle, 64 << 10, max, overflow, java.time.Duration.ofHours(1)),
        registry);
  }

  @Test
  void recordsRoundTripThroughEveryType() {
    String big = "x".repeat(5000) + "é✓";
    List<SpoolRecord> written =
        List.of(
            new MetricSample(Labels.of("__name__", "up", "job", "a"), 1000, 1.5),
            new MetricSample(
                Labels.of("__name__", "stale"), 2000, Double.longBitsToDouble(0x7ff0000000000002L)),
            new LogEntry(
                Labels.of("pod", "p"), 123_456_789_000L, big, Labels.of("k", "v"), "1:2:3", 10, 20),
            new SourceCheckpoint(
                List.of(new SourceCheckpoint.Position("1:2:3", "/a/b.log", 20, false))));
    try (Spool s = open(SpoolConfig.Overflow.DROP_OLDEST, 1L << 30, "FAST_HOURLY");
        SpoolCursor c = s.cursor("d")) {
      written.forEach(s::append);
      List<SpoolRecord> read = new ArrayList<>();
      for (SpoolEntry e; (e = c.next()) != null; ) {
        read.add(e.record());
        assertThat(e.appendMillis()).isPositive();
      }
      assertThat(read).hasSize(4);
      assertThat(read.get(0)).isEqualTo(written.get(0));
      assertThat(Double.doubleToRawLongBits(((MetricSample) read.get(1)).v()))
          .isEqualTo(0x7ff0000000000002L);
      assertThat(read.get(2)).isEqualTo(written.get(2));
      assertThat(read.get(3)).isEqualTo(written.get(3));
      assertThat(registry.counter("osprey_pipeline_records_queued", "spool", "t").count())
          .isEqualTo(4);
    }
  }

  @Test
  void consecutiveRecordsWithEqualOrDifferentLabelsDecodeExactly() {
    Labels a = Labels.of("pod", "a", "stream", "stdout");
    Labels b = Labels.of("pod", "b", "stream", "stdout");
    Labels a2 = Labels.of("pod", "a", "stream", "stderr");
    List<Labels> order = List.of(a, a, b, a, a2, a2, b);
    try (Spool s = open(SpoolConfig.Overflow.DROP_OLDEST, 1L << 30, "FAST_HOURLY");
        SpoolCursor c = s.cursor("d")) {
      for (int i = 0; i < order.size(); i++) {
        s.append(new LogEntry(order.get(i), i, "l" + i, null, "src", i, i + 1));
      }
      for (int i = 0; i < order.size(); i++) {
        LogEntry e = (LogEntry) c.next().record();
        assertThat(e.stream()).isEqualTo(order.get(i));
        assertThat(e.line()).isEqualTo("l" + i);
      }
      assertThat(c.next()).isNull();
    }
  }

  @Test
  void cursorResumesAfterItsCommitAcrossReopen() {
    try (Spool s = open(SpoolConfig.Overflow.DROP_OLDEST, 1L << 30, "FAST_HOURLY")) {
      for (int i = 0; i < 10; i++) {
        s.append(new MetricSample(Labels.of("i", Integer.toString(i)), i, i));
      }
      try (SpoolCursor a = s.cursor("a")) {
        SpoolEntry last = null;
        for (int i = 0; i < 4; i++) {
          last = a.next();
        }
        a.commit(last.index());
        a.next(); // read ahead but not committed
      }
    }
    try (Spool s = open(SpoolConfig.Overflow.DROP_OLDEST, 1L << 30, "FAST_HOURLY");
        SpoolCursor a = s.cursor("a");
        SpoolCursor b = s.cursor("b")) {
      assertThat(((MetricSample) a.next().record()).t()).isEqualTo(4);
      assertThat(a.lag()).isEqualTo(6);
      assertThat(((MetricSample) b.next().record()).t()).isZero();
      assertThat(b.lag()).isEqualTo(10);
    }
  }

  @Test
  void scanBackwardsVisitsNewestFirst() {
    try (Spool s = open(SpoolConfig.Overflow.DROP_OLDEST, 1L << 30, "FAST_HOURLY")) {
      for (int i = 0; i < 5; i++) {
        s.append(new MetricSample(Labels.EMPTY, i, i));
      }
      List<Long> ts = new ArrayList<>();
      s.scanBackwards(e -> ts.add(((MetricSample) e.record()).t()) && ts.size() < 3);
      assertThat(ts).containsExactly(4L, 3L, 2L);
    }
  }

  @Test
  void housekeepingDeletesOnlyCyclesEveryCursorPassed() throws Exception {
    try (Spool s = open(SpoolConfig.Overflow.DROP_OLDEST, 1L << 30, "TEST_SECONDLY");
        SpoolCursor a = s.cursor("a");
        SpoolCursor b = s.cursor("b")) {
      long firstCycleIndex = s.append(new MetricSample(Labels.EMPTY, 1, 1));
      waitForNextSecond();
      s.append(new MetricSample(Labels.EMPTY, 2, 2));
      waitForNextSecond();
      s.append(new MetricSample(Labels.EMPTY, 3, 3));
      waitForNextSecond();
      assertThat(cycleFiles()).hasSize(3);
      SpoolEntry e1 = a.next();
      SpoolEntry e2 = a.next();
      a.commit(e2.index());
      s.housekeep();
      assertThat(cycleFiles()).as("b has read nothing").hasSize(3);
      assertThat(b.next().index()).isEqualTo(firstCycleIndex);
      b.commit(e1.index());
      b.commit(b.next().index());
      s.housekeep();
      assertThat(cycleFiles()).as("both passed the first cycle").hasSize(2);
      assertThat(registry.counter("osprey_pipeline_records_dropped", "spool", "t").count())
          .isZero();
      // Both still read on.
      assertThat(((MetricSample) a.next().record()).t()).isEqualTo(3);
      assertThat(((MetricSample) b.next().record()).t()).isEqualTo(3);
    }
  }

  @Test
  void overTheLimitTheOldestCycleIsDroppedAndCounted() throws Exception {
    try (Spool s = open(SpoolConfig.Overflow.DROP_OLDEST, 1, "TEST_SECONDLY");
        SpoolCursor a = s.cursor("a")) {
      for (int i = 0; i < 3; i++) {
        s.append(new MetricSample(Labels.EMPTY, 1, 1));
      }
      waitForNextSecond();
      s.append(new MetricSample(Labels.EMPTY, 2, 2));
      waitForNextSecond();
      s.housekeep();
      assertThat(cycleFiles()).hasSize(1);
      assertThat(registry.counter("osprey_pipeline_records_dropped", "spool", "t").count())
          .isEqualTo(3);
      assertThat(((MetricSample) a.next().record()).t()).isEqualTo(2);
    }
  }

  @Test
  void pauseWritersSpoolReportsFullInsteadOfDropping() throws Exception {
    try (Spool s = open(SpoolConfig.Overflow.PAUSE_WRITERS, 1, "TEST_SECONDLY");
        SpoolCursor a = s.cursor("a")) {
      s.append(new LogEntry(Labels.of("a", "b"), 1, "x", null, null, 0, 2));
      waitForNextSecond();
      s.append(new LogEntry(Labels.of("a", "b"), 2, "y", null, null, 2, 4));
      waitForNextSecond();
      s.housekeep();
      assertThat(s.isFull()).isTrue();
      assertThat(cycleFiles()).hasSize(2);
      a.commit(a.next().index());
      a.commit(a.next().index());
      s.housekeep();
      assertThat(cycleFiles()).hasSize(1);
    }
  }

  private List<Path> cycleFiles() throws IOException {
    try (Stream<Path> f = Files.list(dir)) {
      return f.filter(p -> p.toString().endsWith(".cq4")).toList();
    }
  }

  private static void waitForNextSecond() throws InterruptedException {
    long s = System.currentTimeMillis() / 1000;
    while (System.currentTimeMillis() / 1000 == s) {
      Thread.sleep(20);
    }
  }
}
