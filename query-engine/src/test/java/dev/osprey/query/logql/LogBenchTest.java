package dev.osprey.query.logql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.LogIndexConfig;
import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.labels.Labels;
import dev.osprey.logs.index.LogEntry;
import dev.osprey.logs.index.LogSearchRequest.Direction;
import dev.osprey.logs.index.LogStore;
import dev.osprey.logs.index.LogStream;
import dev.osprey.query.logql.Ast.LogExpr;
import dev.osprey.query.logql.Ast.MetricExpr;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * A quick measurement (not a test of speed): ingest rate, bytes on disk per raw byte, and needle
 * query latency against grep -F and ripgrep over the same raw file. Figures go to stdout and
 * target/bench-logs.txt. Run with -Dosprey.soak=true [-Dosprey.bench.lines=1000000].
 */
@EnabledIfSystemProperty(named = "osprey.soak", matches = "true")
class LogBenchTest {
  static final long SEC = 1_000_000_000L;
  static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String PHRASE = "quantum flux capacitor overload";

  @TempDir Path dir;

  static String hex(Random r, int n) {
    StringBuilder b = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      b.append(Character.forDigit(r.nextInt(16), 16));
    }
    return b.toString();
  }

  /** Realistic lines: nginx access logs, JSON app logs, Java stack traces. */
  static String line(Random r, String app, int i) {
    String[] paths = {"/api/v1/users/", "/api/v1/orders/", "/static/app.js", "/healthz", "/login"};
    String[] msgs = {
      "request completed",
      "cache miss for key",
      "user authenticated",
      "retrying upstream call",
      "slow query detected",
      "connection pool exhausted"
    };
    return switch (app) {
      case "nginx" ->
          "10."
              + r.nextInt(256)
              + "."
              + r.nextInt(256)
              + "."
              + r.nextInt(256)
              + " - - [22/Nov/2026:04:"
              + (10 + r.nextInt(50))
              + ":"
              + (10 + r.nextInt(50))
              + " +0000] \"GET "
              + paths[r.nextInt(paths.length)]
              + r.nextInt(100000)
              + " HTTP/1.1\" "
              + (r.nextInt(20) == 0 ? 502 : 200)
              + " "
              + r.nextInt(50000)
              + " \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\" rt="
              + r.nextInt(2000) / 1000.0;
      case "checkout" ->
          "{\"ts\":\"2026-11-22T04:"
              + (10 + r.nextInt(50))
              + ":00Z\",\"level\":\""
              + (r.nextInt(10) == 0 ? "error" : "info")
              + "\",\"msg\":\""
              + msgs[r.nextInt(msgs.length)]
              + "\",\"trace_id\":\""
              + hex(r, 32)
              + "\",\"user_id\":"
              + r.nextInt(1_000_000)
              + ",\"duration_ms\":"
              + r.nextInt(3000)
              + "}";
      default ->
          i % 8 == 0
              ? "ERROR [main] c.e.OrderService - failed to process order " + r.nextInt(1_000_000)
              : "\tat com.example.service.OrderService.process(OrderService.java:"
                  + (10 + r.nextInt(400))
                  + ")";
    };
  }

  static long run(String... cmd) throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return System.nanoTime() - t0;
  }

  static double median(long[] v) {
    long[] c = v.clone();
    Arrays.sort(c);
    return c[c.length / 2] / 1e6;
  }

  @Test
  void measure() throws Exception {
    int n = Integer.getInteger("osprey.bench.lines", 1_000_000);
    Random r = new Random(7);
    String[] apps = {"nginx", "checkout", "orders"};
    long start = (System.currentTimeMillis() / 1000 - 3600) * SEC; // the last hour
    long stepNs = 3600 * SEC / n;
    Path rawFile = dir.resolve("raw.log");
    LogStore store =
        LogStore.open(
            dir.resolve("store"),
            new LogIndexConfig(
                Duration.ofDays(7), Duration.ofHours(2), Duration.ofSeconds(10), null),
            new SimpleMeterRegistry(),
            true);
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    java.lang.management.ThreadMXBean threads =
        java.lang.management.ManagementFactory.getThreadMXBean();
    long cpu0 = os.getProcessCpuTime();
    long genNs = 0;
    long rawBytes = 0;
    long ingestNs = 0;
    int batch = 10_000;
    try (BufferedWriter w = Files.newBufferedWriter(rawFile, StandardCharsets.UTF_8)) {
      for (int b = 0; b < n; b += batch) {
        Map<Labels, List<LogEntry>> streams = new LinkedHashMap<>();
        for (int i = b; i < Math.min(n, b + batch); i++) {
          String app = apps[i % apps.length];
          String pod = app + "-" + (i / 3 % 8);
          String l = line(r, app, i);
          if (i == n / 2) {
            l = "payment declined trace_id=" + TRACE + " amount=42";
          }
          if (i == n / 3 || i == 2 * n / 3) {
            l = "WARN reactor " + PHRASE + " detected in sector " + i;
          }
          w.write(l);
          w.write('\n');
          rawBytes += l.getBytes(StandardCharsets.UTF_8).length + 1;
          streams
              .computeIfAbsent(
                  Labels.of("app", app, "pod", pod, "namespace", "shop"), k -> new ArrayList<>())
              .add(new LogEntry(start + i * stepNs, l));
        }
        List<LogStream> ls = new ArrayList<>();
        streams.forEach((k, v) -> ls.add(new LogStream(k, v)));
        long t0 = System.nanoTime();
        long g0 = threads.getCurrentThreadCpuTime();
        store.append(ls);
        ingestNs += System.nanoTime() - t0;
        genNs -= threads.getCurrentThreadCpuTime() - g0; // appends, subtracted below
      }
    }
    long t0 = System.nanoTime();
    store.commit();
    store.refresh();
    long commitNs = System.nanoTime() - t0;
    // process CPU of ingest: everything since start minus the generator's share on this thread
    long genCpu = threads.getCurrentThreadCpuTime() + genNs; // this thread's non-append CPU
    long ingestCpu = os.getProcessCpuTime() - cpu0 - genCpu;
    long disk = store.sizeOnDisk();
    Map<String, Long> byExt = new java.util.TreeMap<>();
    try (var st = Files.walk(dir.resolve("store").resolve("index"))) {
      for (Path p : st.filter(Files::isRegularFile).toList()) {
        String f = p.getFileName().toString();
        String ext = f.contains(".") ? f.substring(f.lastIndexOf('.') + 1) : f;
        byExt.merge(ext, Files.size(p), Long::sum);
      }
    }
    LogQLEngine engine = new LogQLEngine(store, QueryConfig.DEFAULTS);
    long from = start - SEC;
    long to = start + 3601 * SEC;
    String[] queries = {
      "|= \"" + TRACE + "\"",
      "|= \"" + PHRASE + "\"",
      "{app=\"nginx\"} |= \"502 \"",
      "{app=\"nginx\"} |= \"10.42.17.\""
    };
    StringBuilder report = new StringBuilder();
    double ingestSec = (ingestNs + commitNs) / 1e9;
    report.append(
        String.format(
            "lines=%d raw_bytes=%d ingest wall=%.1fs (%.0f lines/s) ingest cpu=%.1fs (%.0f lines per"
                + " cpu-second) disk_bytes=%d disk/raw=%.3f load_avg=%.1f%n",
            n,
            rawBytes,
            ingestSec,
            n / ingestSec,
            ingestCpu / 1e9,
            n / (ingestCpu / 1e9),
            disk,
            (double) disk / rawBytes,
            os.getSystemLoadAverage()));
    report.append("disk by file type: ").append(byExt).append('\n');
    for (String q : queries) {
      LogExpr e = (LogExpr) LogQLParser.parse(q);
      long[] t = new long[7];
      long[] tc = new long[7];
      long found = 0;
      for (int i = 0; i < t.length; i++) {
        long s = System.nanoTime();
        long c = threads.getCurrentThreadCpuTime();
        found = engine.logs(e, from, to, Direction.BACKWARD, 100).matched();
        t[i] = System.nanoTime() - s;
        tc[i] = threads.getCurrentThreadCpuTime() - c;
      }
      String needle = q.substring(q.indexOf('"') + 1, q.lastIndexOf('"'));
      long[] g = new long[3];
      long[] rg = new long[3];
      for (int i = 0; i < 3; i++) {
        g[i] = run("grep", "-F", "-c", needle, rawFile.toString());
        rg[i] =
            Files.isExecutable(Path.of("/usr/bin/rg"))
                ? run("/usr/bin/rg", "-F", "-c", needle, rawFile.toString())
                : -1;
      }
      report.append(
          String.format(
              "query %-48s hits=%d osprey wall=%.2fms cpu=%.2fms | grep -F %.1fms | rg -F %.1fms%n",
              q, found, median(t), median(tc), median(g), median(rg)));
    }
    long[] t = new long[5];
    MetricExpr m = (MetricExpr) LogQLParser.parse("sum(count_over_time({app=\"nginx\"}[1h]))");
    double v = 0;
    for (int i = 0; i < t.length; i++) {
      long s = System.nanoTime();
      v = engine.metric(m, start + 3600 * SEC, start + 3600 * SEC, 0).series().get(0).values()[0];
      t[i] = System.nanoTime() - s;
    }
    report.append(
        String.format(
            "sum(count_over_time({app=\"nginx\"}[1h])) = %.0f median=%.1fms%n", v, median(t)));
    MetricExpr m2 =
        (MetricExpr) LogQLParser.parse("sum(count_over_time({app=\"nginx\"} |= \" 502 \" [1h]))");
    for (int i = 0; i < t.length; i++) {
      long s = System.nanoTime();
      v = engine.metric(m2, start + 3600 * SEC, start + 3600 * SEC, 0).series().get(0).values()[0];
      t[i] = System.nanoTime() - s;
    }
    report.append(
        String.format(
            "sum(count_over_time({app=\"nginx\"} |= \" 502 \" [1h])) = %.0f median=%.1fms%n",
            v, median(t)));
    store.close();
    System.out.print(report);
    Path out = Path.of("target", "bench-logs.txt");
    Files.createDirectories(out.getParent());
    Files.writeString(out, report.toString());
    assertThat(disk).isPositive();
  }
}
