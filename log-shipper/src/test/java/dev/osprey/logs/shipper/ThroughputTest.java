package dev.osprey.logs.shipper;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tail → spool → Loki push to a local receiver, for 1 file and for 50 files of CRI lines written
 * beforehand, with the shipper's default batch sizes. Prints MiB/s and lines/s; asserts nothing
 * about speed (figures belong in bench/), only that every line arrived once: the receiver counts
 * entries and sums their lines' CRC32C without building objects (it shares the machine's cores with
 * the shipper, and decoding every push into messages cost as much as shipping it).
 *
 * <p>Each test runs a warm-up round of a fifth of the lines first (printed as {@code warm-up}) so
 * JIT compilation stays out of the measured round. {@code -Dosprey.throughput.scale=N} multiplies
 * the measured round's lines (default 1: about 93 MB). Run: {@code ./mvnw -B -o -pl log-shipper -am
 * test -Dtest=ThroughputTest -Dosprey.soak=true -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@EnabledIfSystemProperty(named = "osprey.soak", matches = "true")
class ThroughputTest {
  @TempDir Path tmp;

  /** {@code -Dosprey.throughput.batch=N}: entries per push request (default: the shipper's). */
  private static final int BATCH_RECORDS = Integer.getInteger("osprey.throughput.batch", 0);

  /**
   * {@code -Dosprey.throughput.warmup=F}: lines of the warm-up round, as a fraction of the default
   * measured round (default 0.2). The per-thread CPU line shows whether the JIT compilers were
   * still busy in the measured round.
   */
  private static final double WARMUP =
      Double.parseDouble(System.getProperty("osprey.throughput.warmup", "0.2"));

  private static final double SCALE =
      Double.parseDouble(System.getProperty("osprey.throughput.scale", "1"));

  @Test
  void oneFile() throws Exception {
    measure("warm-up", 1, (int) (600_000 * WARMUP));
    measure("measured", 1, (int) (600_000 * SCALE));
  }

  @Test
  void fiftyFiles() throws Exception {
    measure("warm-up", 50, (int) (12_000 * WARMUP));
    measure("measured", 50, (int) (12_000 * SCALE));
  }

  private void measure(String round, int files, int linesPerFile) throws Exception {
    Path dir = tmp.resolve(round);
    Path pods = dir.resolve("pods");
    long bytes = 0;
    long checksum = 0;
    CRC32C crc = new CRC32C();
    String ts = Instant.now().toString();
    for (int f = 0; f < files; f++) {
      Path p = LogShipperTest.podLog(pods, "bench", "pod-" + f, "app");
      Files.createDirectories(p.getParent());
      try (BufferedWriter w = Files.newBufferedWriter(p, StandardCharsets.UTF_8)) {
        for (int i = 0; i < linesPerFile; i++) {
          String msg = LogWriter.expected("pod-" + f, i) + " level=info msg=\"request served\"";
          String line = ts + " stdout F " + msg + "\n";
          w.write(line);
          bytes += line.length();
          crc.reset();
          crc.update(msg.getBytes(StandardCharsets.UTF_8));
          checksum += crc.getValue();
        }
      }
    }
    long lines = (long) files * linesPerFile;
    long tStart = 0;
    long tFirst = 0;
    try (LokiSink sink = new LokiSink()) {
      sink.countOnly = true;
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      com.sun.management.OperatingSystemMXBean os =
          (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      long cpu0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      long spooledAt = 0;
      long acceptedAtSpooled = 0;
      long readerCpuNanos = 0;
      java.util.Map<String, Long> threadCpu0 = threadCpuNow();
      java.util.Map<String, Long> threadCpu;
      try (LogShipper shipper =
          new LogShipper(
              new ShipperConfig(
                  pods + "/*/*/*.log",
                  dir.resolve("spool"),
                  sink.base(),
                  "test",
                  null,
                  null,
                  null,
                  null,
                  null,
                  null,
                  0,
                  4L << 30,
                  Duration.ofMillis(100),
                  null,
                  BATCH_RECORDS,
                  null,
                  null),
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
            acceptedAtSpooled = sink.accepted();
            // CPU time of the reader thread: on a shared machine a steadier figure than wall time.
            readerCpuNanos =
                ManagementFactory.getThreadMXBean().getThreadCpuTime(reader.threadId());
          }
          Thread.sleep(5);
        }
        threadCpu = threadCpuSince(threadCpu0);
      }
      double s = (System.nanoTime() - t0) / 1e9;
      // Whole-process CPU (reader, forwarder, receiver, GC): steadier than wall time when other
      // builds share the cores.
      double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
      assertThat(sink.accepted()).as("lines received").isEqualTo(lines);
      assertThat(sink.lineChecksum()).as("sum of the lines' CRC32C").isEqualTo(checksum);
      double spooled = spooledAt == 0 ? s : (spooledAt - t0) / 1e9;
      System.out.printf(
          "THROUGHPUT %s files=%d lines=%d bytes=%d tail+spool: %.2f s %.1f MiB/s %.0f lines/s;"
              + " end to end: %.2f s %.1f MiB/s %.0f lines/s%n",
          round,
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
          "THROUGHPUT %s files=%d start %.2f s, first line spooled after %.2f s;"
              + " tail+spool after start-up: %.1f MiB/s%n",
          round,
          files,
          (tStart - t0) / 1e9,
          (tFirst - t0) / 1e9,
          (double) bytes
              / ((spooledAt == 0 ? System.nanoTime() : spooledAt) - tStart)
              * 1e9
              / (1 << 20));
      System.out.printf(
          "THROUGHPUT %s files=%d when every line was spooled %.1f%% had been received%n",
          round, files, 100.0 * acceptedAtSpooled / lines);
      System.out.printf(
          "THROUGHPUT %s files=%d reader thread CPU %.2f s: %.1f MiB per CPU-second%n",
          round, files, readerCpuNanos / 1e9, bytes / (readerCpuNanos / 1e9) / (1 << 20));
      System.out.printf(
          "THROUGHPUT %s files=%d process CPU %.2f s (shipper and receiver): %.1f MiB per"
              + " CPU-second%n",
          round, files, cpu, bytes / cpu / (1 << 20));
      StringBuilder top = new StringBuilder();
      threadCpu.entrySet().stream()
          .filter(e -> !e.getKey().endsWith(WAIT))
          .sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed())
          .filter(e -> e.getValue() >= 10_000_000L)
          .limit(12)
          .forEach(
              e ->
                  top.append(
                      String.format(
                          " %s=%.2fs(runq %.2fs)",
                          e.getKey(),
                          e.getValue() / 1e9,
                          threadCpu.getOrDefault(e.getKey() + WAIT, 0L) / 1e9)));
      long gcMillis = 0;
      for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        gcMillis += gc.getCollectionTime();
      }
      System.out.printf(
          "THROUGHPUT %s files=%d CPU by thread (live at the end):%s; GC time since JVM start"
              + " %.2f s%n",
          round, files, top, gcMillis / 1e3);
    }
  }

  /** Suffix of the key under which {@link #threadCpuNow} keeps a thread's run-queue wait. */
  private static final String WAIT = " runq";

  /**
   * CPU nanoseconds of each live thread of this process, JVM threads (GC, JIT compiler) included,
   * from /proc/self/task/N/schedstat (on-CPU and run-queue wait, both in ns; the wait, "ready but
   * another thread had the core", under the name plus {@link #WAIT}); threads of the same name up
   * to a trailing number are summed.
   */
  private static java.util.Map<String, Long> threadCpuNow() {
    java.util.Map<String, Long> m = new java.util.HashMap<>();
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path t : tasks.toList()) {
        try {
          String stat = Files.readString(t.resolve("stat"));
          int open = stat.indexOf('(');
          int close = stat.lastIndexOf(')');
          String name = stat.substring(open + 1, close).replaceAll("[-#]?\\d+$", "#N");
          String[] f = Files.readString(t.resolve("schedstat")).trim().split(" ");
          m.merge(name, Long.parseLong(f[0]), Long::sum);
          m.merge(name + WAIT, Long.parseLong(f[1]), Long::sum);
        } catch (java.io.IOException | RuntimeException gone) {
          // the thread ended while listed
        }
      }
    } catch (java.io.IOException e) {
      // not Linux: no per-thread figures
    }
    return m;
  }

  private static java.util.Map<String, Long> threadCpuSince(java.util.Map<String, Long> before) {
    java.util.Map<String, Long> now = threadCpuNow();
    now.replaceAll((k, v) -> v - before.getOrDefault(k, 0L));
    return now;
  }
}
