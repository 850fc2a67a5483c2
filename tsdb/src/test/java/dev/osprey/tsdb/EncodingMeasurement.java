package dev.osprey.tsdb;

import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.tsdb.block.BlockReader;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Not a test: measures bytes per sample of blocks written from a node_exporter-like workload
 * (counters growing by random amounts, gauges with 3-4 significant digits, a 15 s interval with
 * optional scrape jitter), and the in-process append rate. Run by hand:
 *
 * <pre>
 * java -cp "tsdb/target/test-classes:bench/target/osprey-bench.jar" \
 *   dev.osprey.tsdb.EncodingMeasurement 10000 6 0
 * </pre>
 *
 * Arguments: series, hours, jitter in ms (0 = exact 15 s).
 */
public final class EncodingMeasurement {
  private EncodingMeasurement() {}

  public static void main(String[] args) throws Exception {
    int series = Integer.parseInt(args[0]);
    int hours = Integer.parseInt(args[1]);
    int jitter = Integer.parseInt(args[2]);
    Path dir = Files.createTempDirectory("osprey-measure");
    Random r = new Random(1);
    Labels[] labels = new Labels[series];
    double[] value = new double[series];
    int[] kind = new int[series];
    for (int i = 0; i < series; i++) {
      kind[i] = i % 4;
      String name =
          switch (kind[i]) {
            case 0 -> "node_cpu_seconds_total"; // float counter, 2 decimals
            case 1 -> "node_network_receive_bytes_total"; // integer counter
            case 2 -> "node_memory_usage_ratio"; // gauge, 3-4 significant digits
            default -> "node_filesystem_avail_bytes"; // gauge, large, 4 significant digits
          };
      labels[i] =
          Labels.of(
              "__name__",
              name,
              "instance",
              "node-" + (i / 40) + ":9100",
              "job",
              "node",
              "cpu",
              Integer.toString(i % 40));
      value[i] = kind[i] < 2 ? r.nextInt(1_000_000) : 0;
    }
    long samples = (long) series * hours * 240;
    Tsdb db =
        Tsdb.open(
            dir,
            new TsdbConfig(null, null, null, "never"),
            new SimpleMeterRegistry(),
            2 * 3600_000L);
    long start = System.nanoTime();
    long t0 = 1_700_000_000_000L;
    long[] refs = new long[series];
    for (int step = 0; step < hours * 240; step++) {
      Appender app = db.appender();
      for (int i = 0; i < series; i++) {
        long t = t0 + step * 15_000L + (jitter > 0 ? r.nextInt(2 * jitter + 1) - jitter : 0);
        double v =
            switch (kind[i]) {
              case 0 -> (value[i] += r.nextInt(1500)) / 100.0; // hundredths from /proc
              case 1 -> value[i] += r.nextInt(200_000);
              case 2 -> Math.round((0.3 + 0.2 * r.nextDouble()) * 10_000) / 10_000.0;
              default -> Math.round(20 + r.nextDouble() * 10) * 1e9 / 10;
            };
        refs[i] = app.append(refs[i], labels[i], t, v);
      }
      app.commit();
    }
    double secs = (System.nanoTime() - start) / 1e9;
    System.gc();
    long heap = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
    db.flush();
    long chunkBytes = 0;
    long indexBytes = 0;
    for (BlockReader b : db.blocks()) {
      try (var s = Files.list(b.dir().resolve("chunks"))) {
        for (Path p : (Iterable<Path>) s::iterator) {
          chunkBytes += Files.size(p);
        }
      }
      indexBytes += Files.size(b.dir().resolve("index"));
    }
    System.out.printf(
        "series=%d hours=%d jitter_ms=%d samples=%d%n"
            + "append: %.0f samples/s (in-process, one thread, WAL fsync never)%n"
            + "heap after ingest (incl. JVM baseline): %.1f MiB, %.0f bytes/series%n"
            + "blocks=%d chunks=%.3f bytes/sample index=%.3f bytes/sample total=%.3f bytes/sample%n",
        series,
        hours,
        jitter,
        samples,
        samples / secs,
        heap / 1048576.0,
        (double) heap / series,
        db.blocks().size(),
        (double) chunkBytes / samples,
        (double) indexBytes / samples,
        (double) (chunkBytes + indexBytes) / samples);
    db.close();
  }
}
