package dev.osprey.logs.shipper;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Multi-line joining under load: two containers write stack-trace-shaped records (a {@code rec}
 * line and 0 to 5 indented frames; some physical lines split into CRI partials) as fast as they
 * can, kubelet rotates their files every few hundred lines, wherever that falls, and the shipper
 * joins records by a start pattern while its batches (1,000 lines) and spool batches cut through
 * them. Every line arrives exactly once, in order, and every record whole, except one cut by a
 * rotation: the joiner works per file, so such a record arrives as two entries (its head from the
 * rotated file, the rest from the new one), each line still exactly once.
 *
 * <p>The default run is short (2 x 3,000 records); {@code -Dosprey.soak=true} writes 2 x 60,000.
 */
class MultilineSoakTest {
  private static final DateTimeFormatter ROTATED =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
  private static final boolean SOAK = Boolean.getBoolean("osprey.soak");

  @TempDir Path tmp;

  /** The lines (after CRI partials are joined) of record {@code k} of {@code pod}. */
  static List<String> record(String pod, int k) {
    List<String> lines = new ArrayList<>();
    lines.add("rec " + pod + " " + k + " failed: " + "e".repeat(k % 40));
    for (int j = 0; j < k % 6; j++) {
      lines.add("    at " + pod + ".Frame" + j + ".call(Frame.java:" + (k + j) + ")");
    }
    return lines;
  }

  /**
   * Writes records to a CRI file, rotating it (kubelet's rename) every {@code rotateEvery} lines.
   */
  static final class Writer implements Runnable {
    final Path file;
    final String pod;
    final int records;
    final int rotateEvery;
    int rotations;
    int cutRecords; // records whose lines span a rotation
    volatile Throwable failure;

    Writer(Path file, String pod, int records, int rotateEvery) {
      this.file = file;
      this.pod = pod;
      this.records = records;
      this.rotateEvery = rotateEvery;
    }

    @Override
    public void run() {
      try {
        Files.createDirectories(file.getParent());
        FileChannel ch = open();
        StringBuilder sb = new StringBuilder();
        int inFile = 0;
        int physical = 0;
        for (int k = 0; k < records; k++) {
          List<String> rec = record(pod, k);
          for (int j = 0; j < rec.size(); j++) {
            String ts = Instant.now().toString();
            String line = rec.get(j);
            if (++physical % 13 == 0) {
              int half = line.length() / 2;
              sb.append(ts).append(" stdout P ").append(line, 0, half).append('\n');
              sb.append(ts).append(" stdout F ").append(line, half, line.length()).append('\n');
            } else {
              sb.append(ts).append(" stdout F ").append(line).append('\n');
            }
            if (++inFile == rotateEvery) {
              write(ch, sb);
              ch.close();
              // Names sort in rotation order, as kubelet's timestamps do.
              Instant at = Instant.parse("2026-12-03T00:00:00Z").plusSeconds(++rotations);
              Files.move(file, file.resolveSibling(file.getFileName() + "." + ROTATED.format(at)));
              ch = open();
              inFile = 0;
              if (j < rec.size() - 1) {
                cutRecords++;
              }
            }
          }
          if (k % 8 == 7) {
            write(ch, sb); // whole records per write, as a logging library flushes them
          }
        }
        write(ch, sb);
        ch.close();
      } catch (Throwable t) {
        failure = t;
      }
    }

    private FileChannel open() throws IOException {
      return LogWriter.openAppend(file);
    }

    private static void write(FileChannel ch, StringBuilder sb) throws IOException {
      LogWriter.write(ch, sb);
      sb.setLength(0);
    }
  }

  @Test
  void recordsAreJoinedAcrossBatchesAndRotationsEveryLineOnceInOrder() throws Exception {
    int records = SOAK ? 60_000 : 3_000;
    Path pods = tmp.resolve("pods");
    Files.createDirectories(pods);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (LokiSink sink = new LokiSink();
        LogShipper shipper =
            new LogShipper(
                LogShipperTest.testConfig(pods, tmp.resolve("spool"), sink.base())
                    .withMultiline(List.of(MultilineConfig.start("^rec "))),
                registry)) {
      shipper.start();
      List<Writer> writers =
          List.of(
              new Writer(LogShipperTest.podLog(pods, "default", "a", "app"), "a", records, 700),
              new Writer(LogShipperTest.podLog(pods, "default", "b", "app"), "b", records, 450));
      List<Thread> threads = new ArrayList<>();
      for (Writer w : writers) {
        Thread t = new Thread(w, "multiline-writer-" + w.pod);
        t.start();
        threads.add(t);
      }
      for (Thread t : threads) {
        t.join(Duration.ofMinutes(SOAK ? 10 : 2).toMillis());
      }
      int expectedEntries = 0;
      for (Writer w : writers) {
        assertThat(w.failure).isNull();
        assertThat(w.rotations).isPositive();
        expectedEntries += records + w.cutRecords;
      }
      for (Writer w : writers) {
        System.out.printf(
            "MULTILINE pod=%s records=%d rotations=%d records cut by a rotation=%d%n",
            w.pod, records, w.rotations, w.cutRecords);
      }
      assertThat(writers.stream().mapToInt(w -> w.cutRecords).sum())
          .as("some records cut by a rotation")
          .isPositive();
      int want = expectedEntries;
      // The last records of each file are flushed by the joiner's timeout (1 s) or at the file's
      // end.
      Delivery.await(
          () -> sink.accepted() >= want,
          Duration.ofMinutes(SOAK ? 10 : 2),
          "all " + want + " records received (got " + sink.accepted() + ")");
      Thread.sleep(1500); // anything extra (a record flushed in pieces, a replay) would arrive now
      assertThat(sink.replays.get()).as("no crash, so no replay").isZero();
      Map<String, List<LokiSink.Entry>> streams = sink.streams();
      for (Writer w : writers) {
        List<LokiSink.Entry> got =
            streams.entrySet().stream()
                .filter(e -> e.getKey().contains("pod=\"" + w.pod + "\""))
                .flatMap(e -> e.getValue().stream())
                .toList();
        List<String> expectedLines = new ArrayList<>();
        for (int k = 0; k < records; k++) {
          expectedLines.addAll(record(w.pod, k));
        }
        List<String> gotLines =
            got.stream().flatMap(e -> Arrays.stream(e.line().split("\n", -1))).toList();
        assertThat(gotLines).as("lines of pod " + w.pod).containsExactlyElementsOf(expectedLines);
        assertThat(got).as("entries of pod " + w.pod).hasSize(records + w.cutRecords);
        // Whole records: every entry is a record's head with all its frames, or (after a cut)
        // the frames that followed the rotation.
        long heads = got.stream().filter(e -> e.line().startsWith("rec ")).count();
        assertThat(heads).isEqualTo(records);
        int k = -1;
        for (LokiSink.Entry e : got) {
          if (e.line().startsWith("rec ")) {
            k++;
            String joined = String.join("\n", record(w.pod, k));
            if (!e.line().equals(joined)) {
              assertThat(joined).as("a record cut by a rotation").startsWith(e.line() + "\n");
            }
          }
        }
      }
    }
  }
}
