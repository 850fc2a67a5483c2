package dev.osprey.bench;

import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.config.TsdbConfig.Downsample;
import dev.osprey.core.config.TsdbConfig.RetentionRule;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.tsdb.Tsdb;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code osprey bench downsample}: block bytes on disk of the bench workload kept raw, then after
 * retention rules downsample part of it (Osprey only; no peer has this to compare with).
 */
@Command(
    name = "downsample",
    description = "Disk bytes before and after retention rules downsample the tsdb workload.")
final class DownsampleBench implements Callable<Integer> {
  @Option(
      names = "--series",
      description = "Active series (default ${DEFAULT-VALUE}).",
      defaultValue = "10000")
  int series;

  @Option(
      names = "--hours",
      description = "Hours of 15 s samples (default ${DEFAULT-VALUE}).",
      defaultValue = "24")
  double hours;

  @Override
  public Integer call() throws Exception {
    Workload w = new Workload(series, 20261122L);
    int steps = (int) Math.round(hours * 3600_000 / Workload.INTERVAL_MS);
    Path dir = Files.createTempDirectory("osprey-bench-downsample");
    long start = 1_700_000_000_000L / 7_200_000 * 7_200_000;
    TsdbConfig raw = new TsdbConfig(Duration.ofDays(30), null, null, "never");
    long samples = 0;
    long rawBytes;
    try (Tsdb db = Tsdb.open(dir, raw, new SimpleMeterRegistry())) {
      Labels[] labels = new Labels[w.size()];
      long[] refs = new long[w.size()];
      for (int i = 0; i < labels.length; i++) {
        labels[i] = w.labels(i);
      }
      SplittableRandom values = new SplittableRandom(42);
      SplittableRandom jitter = new SplittableRandom(4242);
      Progress progress = new Progress("ingest", (long) steps * labels.length);
      for (int step = 0; step < steps; step++) {
        Appender a = db.appender();
        for (int i = 0; i < labels.length; i++) {
          refs[i] =
              a.append(refs[i], labels[i], w.timestamp(start, i, step, jitter), w.next(i, values));
        }
        a.commit();
        samples += labels.length;
        if (step % 240 == 239) {
          db.compact();
        }
        progress.update((long) (step + 1) * labels.length);
      }
      progress.done();
      db.flush();
      db.compact();
      rawBytes = db.blocksBytes();
    }
    System.out.printf(
        "%d series x %.1f h = %d samples; raw blocks: %d bytes (%.3f bytes/sample)%n",
        series, hours, samples, rawBytes, (double) rawBytes / samples);
    List<RetentionRule> containers =
        List.of(
            new RetentionRule(
                "{__name__=~\"container_.*\"}",
                Duration.ofHours(2),
                List.of(new Downsample(Duration.ofMinutes(5), Duration.ofDays(90)))));
    List<RetentionRule> everything =
        List.of(
            new RetentionRule(
                "{__name__=~\".+\"}",
                Duration.ofHours(2),
                List.of(new Downsample(Duration.ofMinutes(5), Duration.ofDays(90)))));
    System.out.printf(
        "%-48s %13s %13s %13s %8s%n",
        "rules (applied in turn to the data above)",
        "all blocks",
        "raw blocks",
        "downsampled",
        "vs raw");
    for (var rules : List.of(containers, everything)) {
      TsdbConfig c = new TsdbConfig(Duration.ofDays(30), null, null, "never", rules);
      try (Tsdb db = Tsdb.open(dir, c, new SimpleMeterRegistry())) {
        db.compact();
        long bytes = db.blocksBytes();
        long ds = 0;
        for (var b : db.downsampledBlocks()) {
          ds += b.sizeBytes();
        }
        System.out.printf(
            "%-48s %13d %13d %13d %7.3fx%n",
            rules.get(0).match() + " raw 2h, 5m 90d",
            bytes,
            bytes - ds,
            ds,
            (double) bytes / rawBytes);
      }
    }
    deleteTree(dir);
    return 0;
  }

  private static void deleteTree(Path p) throws java.io.IOException {
    if (Files.isDirectory(p)) {
      try (var s = Files.list(p)) {
        for (Path c : (Iterable<Path>) s::iterator) {
          deleteTree(c);
        }
      }
    }
    Files.deleteIfExists(p);
  }
}
