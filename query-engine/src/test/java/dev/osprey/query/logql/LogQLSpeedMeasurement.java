package dev.osprey.query.logql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.LogIndexConfig;
import dev.osprey.core.config.QueryConfig;
import dev.osprey.logs.index.LogSearchRequest.Direction;
import dev.osprey.logs.index.LogStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * In-process timing of the bench's LogQL queries on the log store of an {@code osprey bench logs
 * --work-dir DIR} run (a copy of DIR/osprey-data/logs, opened without background tasks). Run:
 * {@code -Dosprey.bench.logs=COPY -Dtest=LogQLSpeedMeasurement}; optional {@code
 * -Dosprey.bench.runs=N} and {@code -Dosprey.bench.at=EPOCH_MILLIS} (the time of the metric query
 * and the end of the log queries; default now).
 */
@EnabledIfSystemProperty(named = "osprey.bench.logs", matches = ".+")
class LogQLSpeedMeasurement {
  static final List<String> NEEDLES =
      List.of(
          "|= \"quantum flux capacitor overload\"",
          "|= \"4bf92f3577b34da6a3ce929d0e0e4736\"",
          "|= \"kaleidoscope\"",
          "{app=\"nginx\"} |= \"10.42.17.\"");
  static final String METRIC = "sum(count_over_time({app=\"nginx\"} |= \" 502 \" [1h]))";

  @Test
  void measure() throws Exception {
    Path dir = Path.of(System.getProperty("osprey.bench.logs"));
    int runs = Integer.getInteger("osprey.bench.runs", 30);
    try (LogStore store =
        LogStore.open(dir, LogIndexConfig.DEFAULTS, new SimpleMeterRegistry(), false)) {
      LogQLEngine engine = new LogQLEngine(store, QueryConfig.DEFAULTS);
      long now = Long.getLong("osprey.bench.at", System.currentTimeMillis()) * 1_000_000L;
      long from = now - 7200 * 1_000_000_000L;
      Ast.MetricExpr m = (Ast.MetricExpr) LogQLParser.parse(METRIC);
      double[] value = new double[1];
      // each call on a range 1 us later than the one before: no call is answered from Lucene's
      // query cache, as for a server whose "now" moves (the lines all lie well inside the range)
      long[] shift = {0};
      time(
          METRIC,
          runs,
          () -> {
            long t = now + (shift[0] += 1000);
            value[0] = engine.metric(m, t, t, 0).series().get(0).values()[0];
          });
      System.out.printf("  value %.0f%n", value[0]);
      assertThat(value[0]).isPositive();
      for (String q : NEEDLES) {
        Ast.LogExpr e = (Ast.LogExpr) LogQLParser.parse(q);
        long[] hits = new long[1];
        time(
            q,
            runs * 10,
            () -> {
              long d = shift[0] += 1000;
              hits[0] = engine.logs(e, from + d, now + d, Direction.BACKWARD, 100).matched();
            });
        System.out.printf("  hits %d%n", hits[0]);
      }
    }
  }

  /**
   * Wall and CPU time of the calling thread (the query runs on it): CPU time is what a loaded host
   * blurs least.
   */
  static void time(String name, int runs, Runnable r) {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    for (int i = 0; i < Math.max(3, runs / 3); i++) {
      r.run();
    }
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    long[] t = new long[runs];
    long[] cpu = new long[runs];
    long[] proc = new long[runs];
    for (int i = 0; i < runs; i++) {
      long c = mx.getCurrentThreadCpuTime();
      long p = os.getProcessCpuTime();
      long s = System.nanoTime();
      r.run();
      t[i] = System.nanoTime() - s;
      cpu[i] = mx.getCurrentThreadCpuTime() - c;
      proc[i] = os.getProcessCpuTime() - p;
    }
    Arrays.sort(t);
    Arrays.sort(cpu);
    Arrays.sort(proc);
    // process CPU counts the store's reading helpers too (and the JIT and GC meanwhile)
    System.out.printf(
        "%s: wall median %.3f ms, min %.3f ms; thread CPU median %.3f ms, min %.3f ms;"
            + " process CPU median %.3f ms (%d runs)%n",
        name,
        t[runs / 2] / 1e6,
        t[0] / 1e6,
        cpu[runs / 2] / 1e6,
        cpu[0] / 1e6,
        proc[runs / 2] / 1e6,
        runs);
  }
}
