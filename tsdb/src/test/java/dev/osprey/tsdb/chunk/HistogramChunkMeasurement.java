package dev.osprey.tsdb.chunk;

import dev.osprey.core.histogram.FloatHistogram;
import java.util.SplittableRandom;

/**
 * Not a test: bytes per sample of {@link HistogramChunk} for counter histograms (schema 3, a fixed
 * layout of N buckets, 0-9 new observations per bucket and scrape, a float sum, 15 s scrapes with
 * ±3 ms jitter, 100 series x 480 samples in 120-sample chunks). Run by hand:
 *
 * <pre>
 * java -cp "$(cat cp.txt):tsdb/target/classes:tsdb/target/test-classes" \
 *   dev.osprey.tsdb.chunk.HistogramChunkMeasurement 20
 * </pre>
 */
public final class HistogramChunkMeasurement {
  private HistogramChunkMeasurement() {}

  public static void main(String[] args) {
    int buckets = Integer.parseInt(args[0]);
    SplittableRandom r = new SplittableRandom(1);
    long bytes = 0;
    int samples = 0;
    for (int series = 0; series < 100; series++) {
      double[] cnt = new double[buckets];
      int[] idx = new int[buckets];
      for (int i = 0; i < buckets; i++) {
        idx[i] = i - buckets / 2;
      }
      double sum = 0;
      HistogramChunk c = new HistogramChunk();
      for (int s = 0; s < 480; s++) {
        if (c.count() == 120) {
          bytes += c.length();
          samples += c.count();
          c.reset();
        }
        double count = 0;
        for (int i = 0; i < buckets; i++) {
          cnt[i] += r.nextInt(10);
          count += cnt[i];
        }
        sum += r.nextDouble() * 100;
        c.append(
            s * 15_000L + r.nextInt(-3, 4),
            FloatHistogram.ofSparse(
                3, 0, 0, count, sum, idx, cnt, new int[0], new double[0], null, null));
      }
      bytes += c.length();
      samples += c.count();
    }
    System.out.printf(
        "buckets=%d samples=%d bytes/sample=%.2f%n", buckets, samples, (double) bytes / samples);
  }
}
