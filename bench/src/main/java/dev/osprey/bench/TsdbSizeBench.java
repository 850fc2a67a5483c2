package dev.osprey.bench;

import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.tsdb.Tsdb;
import dev.osprey.tsdb.block.BlockReader;
import dev.osprey.tsdb.chunk.ChunkCodec;
import dev.osprey.tsdb.chunk.DecimalIterator;
import dev.osprey.tsdb.chunk.XorIterator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code osprey bench tsdb-size}: the samples {@code bench tsdb} sends (same workload, seeds and
 * jitter), appended in-process into a Tsdb, flushed and compacted, then the blocks' bytes broken
 * down by series kind: timestamps, values, per-chunk overhead and the index. No server and no
 * peers, so it can run after every encoding change.
 */
@Command(
    name = "tsdb-size",
    mixinStandardHelpOptions = true,
    description = "Where the bytes of Osprey's blocks go, by series kind (in-process).")
final class TsdbSizeBench implements Callable<Integer> {
  @Mixin BenchOptions opts;

  @Option(
      names = "--shards",
      description = "Generator shards as bench tsdb's replay (default ${DEFAULT-VALUE}).",
      defaultValue = "2")
  int shards;

  /** Per kind: samples, chunks, chunk-file bytes, timestamp bits, value bits, old-format bytes. */
  private static final class Acc {
    long samples;
    long chunks;
    long fileBytes;
    long tsBits;
    long vBits;
    long oldBytes;
    long oldChunks;
    long[] tsModes = new long[3];
    long[] vModes = new long[5];
  }

  @Override
  public Integer call() throws Exception {
    Workload w = opts.workload();
    int steps = opts.steps();
    long start = (System.currentTimeMillis() - steps * Workload.INTERVAL_MS - 60_000) / 1000 * 1000;
    Path dir = Files.createTempDirectory("osprey-tsdb-size-");
    Map<Labels, String> kinds = new HashMap<>();
    for (int i = 0; i < w.size(); i++) {
      kinds.put(w.labels(i), w.kind(i));
    }
    long samples = (long) w.size() * steps;
    System.err.printf(
        "osprey bench tsdb-size: %d series x %d scrapes = %s samples into %s%n",
        w.size(), steps, Progress.human(samples), dir);
    Map<String, Acc> acc = new TreeMap<>();
    long indexBytes = 0;
    long chunkFileBytes = 0;
    int blocks;
    try (Tsdb db =
        Tsdb.open(
            dir, new TsdbConfig(null, null, null, "never", null), new SimpleMeterRegistry())) {
      Workload g = w.copy();
      SplittableRandom[] values = new SplittableRandom[shards];
      SplittableRandom[] jitter = new SplittableRandom[shards];
      for (int s = 0; s < shards; s++) {
        values[s] = new SplittableRandom(42 + s);
        jitter[s] = new SplittableRandom(4242 + s);
      }
      long[] refs = new long[g.size()];
      for (int step = 0; step < steps; step++) {
        Appender app = db.appender();
        for (int s = 0; s < shards; s++) {
          for (int i = s; i < g.size(); i += shards) {
            double v = g.next(i, values[s]);
            long t = g.timestamp(start, i, step, jitter[s]);
            refs[i] = app.append(refs[i], g.labels(i), t, v);
          }
        }
        app.commit();
      }
      db.flush();
      db.compact();
      blocks = db.blocks().size();
      ChunkCodec codec = new ChunkCodec();
      XorIterator xorIt = new XorIterator();
      DecimalIterator decIt = new DecimalIterator();
      long[] ts = new long[1 << 12];
      long[] vs = new long[1 << 12];
      for (BlockReader b : db.blocks()) {
        indexBytes += Files.size(b.dir().resolve("index"));
        try (var s = Files.list(b.dir().resolve("chunks"))) {
          for (Path p : (Iterable<Path>) s::iterator) {
            chunkFileBytes += Files.size(p);
          }
        }
        for (int o = 0; o < b.numSeries(); o++) {
          BlockReader.Series s = b.series(o);
          Acc a = acc.computeIfAbsent(kinds.getOrDefault(s.labels(), "OTHER"), k -> new Acc());
          long[] c = s.chunks();
          for (int j = 0; j < c.length; j += 4) {
            byte[] bytes = b.chunk(c[j + 3]);
            int n = (int) c[j + 2];
            a.samples += n;
            a.chunks++;
            a.fileBytes += bytes.length + 4 + (bytes.length < 128 ? 1 : 2);
            SampleIterator it = ChunkCodec.iterator(bytes, 0, n, xorIt, decIt);
            if (ts.length < n) {
              ts = new long[n];
              vs = new long[n];
            }
            int k = 0;
            while (it.next()) {
              ts[k] = it.t();
              vs[k++] = Double.doubleToRawLongBits(it.v());
            }
            codec.encodePacked(ts, vs, n);
            int[] st = codec.packedStats();
            a.tsBits += st[0];
            a.vBits += st[1];
            a.tsModes[st[2]]++;
            a.vModes[st[3]]++;
            // The encoding before packed chunks: tags 1/2 in the head's 120-sample chunks.
            for (int from = 0; from < n; from += 120) {
              int m = Math.min(120, n - from);
              codec.encode(
                  java.util.Arrays.copyOfRange(ts, from, from + m),
                  java.util.Arrays.copyOfRange(vs, from, from + m),
                  m);
              a.oldBytes += codec.length() + 5;
              a.oldChunks++;
            }
          }
        }
      }
    } finally {
      try (var s = Files.walk(dir)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            "%n%d series x %d samples (%s), %d block(s), %d samples per block chunk%n",
            w.size(),
            steps,
            Progress.human(samples),
            blocks,
            dev.osprey.tsdb.block.BlockWriter.SAMPLES_PER_BLOCK_CHUNK));
    sb.append(
        "| kind | series share | samples/chunk | bytes/sample (chunk files) | timestamp bits/sample"
            + " | value bits/sample | chunk overhead bytes/sample | ts forms grid/dod/grid3"
            + " | value forms xor/dec/for/bits/incr | tags 1-2 at 120, bytes/sample |\n");
    sb.append("|---|---|---|---|---|---|---|---|---|---|\n");
    Acc total = new Acc();
    for (Map.Entry<String, Acc> e : acc.entrySet()) {
      Acc a = e.getValue();
      row(sb, e.getKey(), a, samples);
      total.samples += a.samples;
      total.chunks += a.chunks;
      total.fileBytes += a.fileBytes;
      total.tsBits += a.tsBits;
      total.vBits += a.vBits;
      total.oldBytes += a.oldBytes;
      total.oldChunks += a.oldChunks;
      for (int i = 0; i < 3; i++) {
        total.tsModes[i] += a.tsModes[i];
      }
      for (int i = 0; i < 5; i++) {
        total.vModes[i] += a.vModes[i];
      }
    }
    row(sb, "all", total, samples);
    sb.append(
        String.format(
            "%nchunk files %.3f bytes/sample, index %.3f bytes/sample, total %.3f bytes/sample"
                + " (%d samples stored)%n",
            (double) chunkFileBytes / total.samples,
            (double) indexBytes / total.samples,
            (double) (chunkFileBytes + indexBytes) / total.samples,
            total.samples));
    System.out.print(sb);
    return 0;
  }

  private static void row(StringBuilder sb, String kind, Acc a, long samples) {
    double n = a.samples;
    sb.append(
        String.format(
            "| %s | %.1f%% | %.0f | %.3f | %.2f | %.2f | %.3f | %d/%d/%d | %d/%d/%d/%d/%d | %.3f |%n",
            kind,
            100.0 * n / samples,
            n / a.chunks,
            a.fileBytes / n,
            a.tsBits / n,
            a.vBits / n,
            (a.fileBytes - (a.tsBits + a.vBits) / 8.0) / n,
            a.tsModes[0],
            a.tsModes[1],
            a.tsModes[2],
            a.vModes[0],
            a.vModes[1],
            a.vModes[2],
            a.vModes[3],
            a.vModes[4],
            a.oldBytes / n));
  }
}
