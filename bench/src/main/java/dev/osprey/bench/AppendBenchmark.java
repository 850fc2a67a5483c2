package dev.osprey.bench;

import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.tsdb.Tsdb;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The tsdb's append path as a scrape uses it: one sample for each of 2,000 series of the bench
 * workload, with series references from the previous scrape, then a commit (WAL written, fsync
 * off). The score is per sample. Run with {@code ./osprey bench jmh Append -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AppendBenchmark {
  static final int SERIES = 2000;

  private Path dir;
  private Tsdb tsdb;
  private Workload workload;
  private Labels[] labels;
  private final long[] refs = new long[SERIES];
  private final SplittableRandom values = new SplittableRandom(5);
  private long t = 1_700_000_000_000L;

  @Setup(Level.Trial)
  public void open() throws Exception {
    dir = Files.createTempDirectory("osprey-jmh-append-");
    tsdb = Tsdb.open(dir, new TsdbConfig(null, null, null, "never"), new SimpleMeterRegistry());
    workload = new Workload(SERIES, 7);
    labels = new Labels[SERIES];
    for (int i = 0; i < SERIES; i++) {
      labels[i] = workload.labels(i);
    }
  }

  @TearDown(Level.Trial)
  public void close() throws Exception {
    tsdb.close();
    try (var s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Benchmark
  @OperationsPerInvocation(SERIES)
  public void scrape() {
    t += Workload.INTERVAL_MS;
    Appender app = tsdb.appender();
    for (int i = 0; i < SERIES; i++) {
      refs[i] = app.append(refs[i], labels[i], t, workload.next(i, values));
    }
    app.commit();
  }
}
