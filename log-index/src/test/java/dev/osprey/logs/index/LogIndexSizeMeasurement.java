package dev.osprey.logs.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.LogIndexConfig;
import dev.osprey.core.labels.Labels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * In-process measurement of the log index's bytes per part and ingest CPU, on the raw files of an
 * `osprey bench logs --work-dir DIR` run (DIR/raw/app/pod.log), pushed in the bench's order (line i
 * belongs to stream (i % 3) * 8 + i / 3 % 8) in batches of 5,000 from one thread, without HTTP.
 * Run: {@code -Dosprey.bench.raw=DIR/raw -Dtest=LogIndexSizeMeasurement}, or its main with the test
 * classpath. {@code -Dosprey.bench.maxLinesPerStream=N} reads only the first N lines of each file;
 * {@code -Dosprey.bench.refreshEvery=N} refreshes after every N lines instead of on the background
 * thread's clock, so that segment sizes do not depend on how loaded the host is.
 */
@EnabledIfSystemProperty(named = "osprey.bench.raw", matches = ".+")
class LogIndexSizeMeasurement {
  static final String[] APPS = {"nginx", "checkout", "orders"};

  public static void main(String[] args) throws IOException {
    Path tmp = Files.createTempDirectory("osprey-logs-measure-");
    new LogIndexSizeMeasurement().measure(tmp);
  }

  @Test
  void measure(@TempDir Path tmp) throws IOException {
    Path raw = Path.of(System.getProperty("osprey.bench.raw"));
    List<List<String>> files = new ArrayList<>();
    List<Labels> labels = new ArrayList<>();
    long rawBytes = 0;
    long total = 0;
    for (int s = 0; s < 24; s++) {
      String app = APPS[s / 8];
      String pod = app + "-7d9f8b" + (s % 8) + "-x" + (char) ('a' + s % 8) + "q2z";
      List<String> ls = new ArrayList<>();
      try (BufferedReader r = Files.newBufferedReader(raw.resolve(app).resolve(pod + ".log"))) {
        int max = Integer.getInteger("osprey.bench.maxLinesPerStream", Integer.MAX_VALUE);
        for (String l = r.readLine(); l != null && ls.size() < max; l = r.readLine()) {
          ls.add(l);
          rawBytes += l.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 1;
        }
      }
      total += ls.size();
      files.add(ls);
      labels.add(
          Labels.builder()
              .set("app", app)
              .set("namespace", "shop")
              .set("pod", pod)
              .set("container", app)
              .build());
    }
    long sec = 1_000_000_000L;
    long now = System.currentTimeMillis() * 1_000_000L;
    long start = now - 3590 * sec;
    long step = Math.max(1, 3580 * sec / total);
    int[] next = new int[24];
    LogIndexConfig cfg = new LogIndexConfig(null, null, Duration.ofSeconds(10), null);
    var bean =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = bean.getProcessCpuTime();
    long t0 = System.nanoTime();
    // -Dosprey.bench.out=DIR keeps the index in DIR (for LogQLSpeedMeasurement) instead of tmp.
    String out = System.getProperty("osprey.bench.out");
    Path dir = out != null ? Path.of(out) : tmp.resolve("logs");
    // With the background refresh (every 200 ms while lines arrive), as in the server: each
    // refresh flushes a segment, and the merges of those segments are a large part of the CPU.
    // With osprey.bench.refreshEvery=N, a refresh every N lines instead (no background thread):
    // segments of the same size whatever the load of the host, for A/B comparisons of CPU.
    int refreshEvery = Integer.getInteger("osprey.bench.refreshEvery", 0);
    boolean background = refreshEvery == 0 && !Boolean.getBoolean("osprey.bench.noRefresh");
    try (LogStore store = LogStore.open(dir, cfg, new SimpleMeterRegistry(), background)) {
      int batch = Integer.getInteger("osprey.bench.batch", 5000);
      for (long b = 0; b < total; b += batch) {
        List<List<LogEntry>> per = new ArrayList<>();
        for (int s = 0; s < 24; s++) {
          per.add(new ArrayList<>());
        }
        for (long i = b; i < Math.min(total, b + batch); i++) {
          int s = (int) (i % 3) * 8 + (int) (i / 3 % 8);
          per.get(s).add(new LogEntry(start + i * step, files.get(s).get(next[s]++), Labels.EMPTY));
        }
        List<LogStream> req = new ArrayList<>();
        for (int s = 0; s < 24; s++) {
          if (!per.get(s).isEmpty()) {
            req.add(new LogStream(labels.get(s), per.get(s)));
          }
        }
        store.append(req);
        if (refreshEvery > 0 && (b + batch) / refreshEvery != b / refreshEvery) {
          store.refresh();
        }
      }
      store.refresh();
      long ingestNs = System.nanoTime() - t0;
      long ingestCpu = bean.getProcessCpuTime() - cpu0;
      store.commit();
      for (LogPartition p : store.partitionsForTest()) { // let the merges running now finish
        ((org.apache.lucene.index.ConcurrentMergeScheduler)
                p.writer.getConfig().getMergeScheduler())
            .sync();
      }
      long settledCpu = bean.getProcessCpuTime() - cpu0;
      System.out.printf(
          "with the merges running at the end finished: %.1f CPU s = %,.0f lines per CPU-second%n",
          settledCpu / 1e9, total / (settledCpu / 1e9));
      System.out.printf(
          "ingest in process: %,d lines in %.1f s = %,.0f lines/s; %.1f CPU s = %,.0f lines per"
              + " CPU-second%n",
          total,
          ingestNs / 1e9,
          total / (ingestNs / 1e9),
          ingestCpu / 1e9,
          total / (ingestCpu / 1e9));
    }
    Map<String, Long> byExt = new TreeMap<>();
    long disk = 0;
    try (Stream<Path> st = Files.walk(dir.resolve("index"))) {
      for (Path p : st.filter(Files::isRegularFile).toList()) {
        String n = p.getFileName().toString();
        String ext = n.contains(".") ? n.substring(n.lastIndexOf('.') + 1) : n;
        long sz = Files.size(p);
        byExt.merge(ext, sz, Long::sum);
        disk += sz;
      }
    }
    System.out.printf(
        "disk: %,d bytes for %,d raw bytes = %.3f of raw%n",
        disk, rawBytes, (double) disk / rawBytes);
    for (var e : byExt.entrySet()) {
      System.out.printf(
          "  .%-6s %,13d  %.3f of raw%n",
          e.getKey(), e.getValue(), (double) e.getValue() / rawBytes);
    }
    assertThat(disk).isPositive();
  }
}
