package dev.osprey.tsdb.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.StaleNaN;
import dev.osprey.tsdb.chunk.ChunkCodec;
import dev.osprey.tsdb.chunk.DecimalIterator;
import dev.osprey.tsdb.chunk.XorIterator;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Raw blocks re-chunk a series' samples into packed chunks of up to {@link
 * BlockWriter#SAMPLES_PER_BLOCK_CHUNK} samples, bit-exact; chunk files of version 1 (tags 1 and 2
 * only) still open, an unknown version is refused by name.
 */
class BlockRechunkTest {
  @TempDir Path dir;

  private final XorIterator xorIt = new XorIterator();
  private final DecimalIterator decIt = new DecimalIterator();

  @Test
  void headSizedChunksBecomeFewerPackedChunksWithTheSameSamples() throws IOException {
    int n = 1000; // 9 head chunks of up to 120 -> 3 block chunks of 333-334
    long[] ts = new long[n];
    long[] vs = new long[n];
    SplittableRandom r = new SplittableRandom(3);
    double v = 100;
    for (int i = 0; i < n; i++) {
      ts[i] = 1_764_000_000_000L + 15_000L * i + r.nextInt(-2, 3);
      vs[i] =
          i % 97 == 5
              ? StaleNaN.BITS
              : Double.doubleToRawLongBits(v += Math.round(r.nextDouble(0, 50) * 100) / 100.0);
    }
    Path block = writeInHeadChunks(ts, vs);
    {
      BlockReader b = BlockReader.open(block);
      long[] c = b.series(0).chunks();
      assertThat(c.length / 4).isEqualTo(3);
      int k = 0;
      for (int j = 0; j < c.length; j += 4) {
        byte[] bytes = b.chunk(c[j + 3]);
        assertThat(bytes[0]).isEqualTo(ChunkCodec.PACKED);
        assertThat(c[j + 2]).isBetween(333L, 334L);
        SampleIterator it = ChunkCodec.iterator(bytes, 0, (int) c[j + 2], xorIt, decIt);
        assertThat(c[j]).isEqualTo(ts[k]);
        while (it.next()) {
          assertThat(it.t()).isEqualTo(ts[k]);
          assertThat(Double.doubleToRawLongBits(it.v())).isEqualTo(vs[k]);
          k++;
        }
        assertThat(c[j + 1]).isEqualTo(ts[k - 1]);
      }
      assertThat(k).isEqualTo(n);
    }
  }

  @Test
  void fullPackedChunksAreCopiedAndSmallOnesMerged() throws IOException {
    int n = 1000;
    long[] ts = new long[n];
    long[] vs = new long[n];
    for (int i = 0; i < n; i++) {
      ts[i] = 15_000L * i;
      vs[i] = Double.doubleToRawLongBits(i * 0.5);
    }
    BlockReader first = BlockReader.open(writeInHeadChunks(ts, vs)); // 3 packed chunks of ~333
    long[] c = first.series(0).chunks();
    ChunkCodec codec = new ChunkCodec();
    long[] tail = {15_000L * n, 15_000L * (n + 1)}; // a small head chunk after them
    long[] tailV = {Double.doubleToRawLongBits(1.0), Double.doubleToRawLongBits(2.0)};
    Path again;
    try (BlockWriter w = new BlockWriter(dir, 2)) {
      for (int j = 0; j < c.length; j += 4) {
        byte[] bytes = first.chunk(c[j + 3]);
        w.addChunk(bytes, 0, bytes.length, c[j], c[j + 1], (int) c[j + 2]);
      }
      codec.encode(tail, tailV, 2);
      w.addChunk(codec.bytes(), 0, codec.length(), tail[0], tail[1], 2);
      w.finishSeries(Labels.of("__name__", "x"));
      again = w.finish(Long.MIN_VALUE, Long.MIN_VALUE, 2, List.of());
    }
    BlockReader second = BlockReader.open(again);
    long[] c2 = second.series(0).chunks();
    assertThat(c2.length / 4).isEqualTo(4); // three copied, the small one on its own
    for (int j = 0; j < c.length; j += 4) {
      assertThat(second.chunk(c2[j + 3])).isEqualTo(first.chunk(c[j + 3]));
    }
    assertThat(c2[4 * 3 + 2]).isEqualTo(2);
    assertThat(second.chunk(c2[4 * 3 + 3])[0]).isEqualTo(ChunkCodec.PACKED);
  }

  @Test
  void chunkFileVersionOneStillOpensAndUnknownVersionIsRefused() throws IOException {
    long[] ts = {1000, 2000, 3000};
    long[] vs = {Double.doubleToRawLongBits(1.5), Double.doubleToRawLongBits(2.5), StaleNaN.BITS};
    Path block = writeInHeadChunks(ts, vs);
    Path chunks = block.resolve("chunks").resolve("000001");
    setVersion(chunks, 1);
    BlockReader b = BlockReader.open(block);
    long[] c = b.series(0).chunks();
    SampleIterator it = ChunkCodec.iterator(b.chunk(c[3]), 0, (int) c[2], xorIt, decIt);
    assertThat(it.next()).isTrue();
    assertThat(it.v()).isEqualTo(1.5);
    setVersion(chunks, 9);
    assertThatThrownBy(() -> BlockReader.open(block))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("unknown version 9");
  }

  private Path writeInHeadChunks(long[] ts, long[] vs) throws IOException {
    ChunkCodec codec = new ChunkCodec();
    try (BlockWriter w = new BlockWriter(dir, 1)) {
      for (int from = 0; from < ts.length; from += 120) {
        int m = Math.min(120, ts.length - from);
        codec.encode(
            java.util.Arrays.copyOfRange(ts, from, from + m),
            java.util.Arrays.copyOfRange(vs, from, from + m),
            m);
        w.addChunk(codec.bytes(), 0, codec.length(), ts[from], ts[from + m - 1], m);
      }
      w.finishSeries(Labels.of("__name__", "x"));
      return w.finish(Long.MIN_VALUE, Long.MIN_VALUE, 1, List.of());
    }
  }

  private static void setVersion(Path file, int version) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(4);
      f.write(version);
    }
  }
}
