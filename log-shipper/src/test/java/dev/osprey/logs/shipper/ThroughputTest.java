package dev.osprey.logs.shipper;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tail → spool → Loki push to a local receiver, for 1 file and for 50 files of CRI lines written
 * beforehand. Prints MiB/s and lines/s; asserts nothing about speed (figures belong in bench/).
 * Run: {@code ./mvnw -B -pl log-shipper -am test -Dtest=ThroughputTest -Dosprey.soak=true}.
 */
@EnabledIfSystemProperty(named = "osprey.soak", matches = "true")
class ThroughputTest {
  @TempDir Path tmp;

  @Test
  void oneFile() throws Exception {
    measure(1, 600_000);
  }

  @Test
  void fiftyFiles() throws Exception {
    measure(50, 12_000);
  }

  private void measure(int files, int linesPerFile) throws Exception {
    Path pods = tmp.resolve("pods");
    long bytes = 0;
    String ts = Instant.now().toString();
    for (int f = 0; f < files; f++) {
      Path p = LogShipperTest.podLog(pods, "bench", "pod-" + f, "app");
      Files.createDirectories(p.getParent());
      try (BufferedWriter w = Files.newBufferedWriter(p, StandardCharsets.UTF_8)) {
        for (int i = 0; i < linesPerFile; i++) {
          String line =
              ts
                  + " stdout F "
                  + LogWriter.expected("pod-" + f, i)
                  + " level=info msg=\"request served\"\n";
          w.write(line);
          bytes += line.length();
        }
      }
    }
    long lines = (long) files * linesPerFile;
    long tStart = 0;
    long tFirst = 0;
    try (LokiSink sink = new LokiSink()) {
      sink.countOnly = true;
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      long t0 = System.nanoTime();
      long spooledAt = 0;
      long readerCpuNanos = 0;
      try (LogShipper shipper =
          new LogShipper(
              LogShipperTest.testConfig(pods, tmp.resolve("spool"), sink.base())
                  .withLimits(0, 4L << 30),
              registry)) {
        shipper.start();
        tStart = System.nanoTime();
        Thread reader =
            Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("osprey-log-shipper"))
                .findFirst()
                .orElseThrow();
        long end = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (sink.accepted() < lines && System.nanoTime() < end) {
          if (tFirst == 0 && registry.counter("osprey_log_shipper_lines").count() > 0) {
            tFirst = System.nanoTime();
          }
          if (spooledAt == 0 && registry.counter("osprey_log_shipper_lines").count() >= lines) {
            spooledAt = System.nanoTime();
            // CPU time of the reader thread: on a shared machine a steadier figure than wall time.
            readerCpuNanos =
                ManagementFactory.getThreadMXBean().getThreadCpuTime(reader.threadId());
          }
          Thread.sleep(5);
        }
      }
      double s = (System.nanoTime() - t0) / 1e9;
      double spooled = spooledAt == 0 ? s : (spooledAt - t0) / 1e9;
      System.out.printf(
          "THROUGHPUT files=%d lines=%d bytes=%d tail+spool: %.2f s %.1f MiB/s %.0f lines/s;"
              + " end to end: %.2f s %.1f MiB/s %.0f lines/s%n",
          files,
          lines,
          bytes,
          spooled,
          bytes / spooled / (1 << 20),
          lines / spooled,
          s,
          bytes / s / (1 << 20),
          lines / s);
      System.out.printf(
          "THROUGHPUT files=%d start %.2f s, first line spooled after %.2f s;"
              + " tail+spool after start-up: %.1f MiB/s%n",
          files,
          (tStart - t0) / 1e9,
          (tFirst - t0) / 1e9,
          bytes / ((spooledAt == 0 ? System.nanoTime() : spooledAt) - tStart) * 1e9 / (1 << 20));
      System.out.printf(
          "THROUGHPUT files=%d reader thread CPU %.2f s: %.1f MiB per CPU-second%n",
          files, readerCpuNanos / 1e9, bytes / (readerCpuNanos / 1e9) / (1 << 20));
    }
  }
}
