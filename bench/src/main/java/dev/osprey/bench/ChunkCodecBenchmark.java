package dev.osprey.bench;

import dev.osprey.core.storage.SampleIterator;
import dev.osprey.tsdb.chunk.ChunkCodec;
import dev.osprey.tsdb.chunk.DecimalIterator;
import dev.osprey.tsdb.chunk.XorIterator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The tsdb's chunk codec on one 120-sample chunk of a realistic series from the bench workload: a
 * cAdvisor CPU counter (nanosecond precision) or a memory gauge (whole pages). Scores are per
 * chunk; divide by 120 for per sample. {@code encoding} picks the head's encodings (tags 1/2) or
 * the packed one of blocks (tag 3). Run with {@code ./osprey bench jmh ChunkCodec -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ChunkCodecBenchmark {
  static final int N = 120;

  @Param({"container_cpu_usage_seconds_total", "container_memory_working_set_bytes"})
  public String metric;

  /** {@code head}: tags 1/2 as the head closes chunks; {@code packed}: tag 3, as blocks hold. */
  @Param({"head", "packed"})
  public String encoding;

  private final long[] ts = new long[N];
  private final long[] vs = new long[N];
  private final ChunkCodec codec = new ChunkCodec();
  private byte[] encoded;
  private final XorIterator xorIt = new XorIterator();
  private final DecimalIterator decIt = new DecimalIterator();

  @Setup
  public void setup() {
    Workload w = new Workload(2000, 1);
    int series = -1;
    for (int i = 0; i < w.size(); i++) {
      if (w.labels(i).metricName().equals(metric)) {
        series = i;
        break;
      }
    }
    SplittableRandom values = new SplittableRandom(2);
    SplittableRandom jitter = new SplittableRandom(3);
    for (int k = 0; k < N; k++) {
      ts[k] = w.timestamp(1_700_000_000_000L, series, k, jitter);
      vs[k] = Double.doubleToRawLongBits(w.next(series, values));
    }
    encode();
    encoded = java.util.Arrays.copyOf(codec.bytes(), codec.length());
  }

  @Benchmark
  public int encode() {
    if (encoding.equals("packed")) {
      codec.encodePacked(ts, vs, N);
    } else {
      codec.encode(ts, vs, N);
    }
    return codec.length();
  }

  @Benchmark
  public double decode() {
    SampleIterator it = ChunkCodec.iterator(encoded, 0, N, xorIt, decIt);
    double sum = 0;
    while (it.next()) {
      sum += it.v();
    }
    return sum;
  }

  private final long[] outT = new long[N];
  private final double[] outV = new double[N];

  /** The query engine's path: the whole chunk into arrays with one {@code read} call. */
  @Benchmark
  public double decodeBulk() {
    SampleIterator it = ChunkCodec.iterator(encoded, 0, N, xorIt, decIt);
    int n = it.read(outT, outV, 0, N);
    return outV[n - 1];
  }
}
