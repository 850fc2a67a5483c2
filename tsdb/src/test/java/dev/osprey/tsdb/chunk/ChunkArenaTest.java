package dev.osprey.tsdb.chunk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChunkArenaTest {
  @Test
  void chunksReadBackExactlyAcrossPages() {
    Random r = new Random(7);
    try (ChunkArena a = new ChunkArena()) {
      int n = 3000; // about 3 MiB of chunks: several pages
      byte[][] want = new byte[n][];
      long[] refs = new long[n];
      for (int i = 0; i < n; i++) {
        byte[] b = new byte[1 + r.nextInt(2000)];
        r.nextBytes(b);
        want[i] = b;
        // a longer source array: only len bytes are put
        refs[i] = a.put(Arrays.copyOf(b, b.length + 5), b.length, i);
      }
      assertThat(a.bytesAllocated()).isGreaterThanOrEqualTo(3L * ChunkArena.PAGE_SIZE);
      long used = 0;
      for (int i = 0; i < n; i++) {
        assertThat(refs[i]).isPositive();
        assertThat(ChunkArena.length(refs[i])).isEqualTo(want[i].length);
        byte[] got = a.read(refs[i]);
        assertThat(got).hasSize(want[i].length + 8);
        assertThat(Arrays.copyOf(got, want[i].length)).isEqualTo(want[i]);
        used += want[i].length;
      }
      assertThat(a.bytesUsed()).isEqualTo(used);
      // copy() appends chunk after chunk
      byte[] dst = new byte[want[0].length + want[1].length];
      int at = a.copy(refs[1], dst, a.copy(refs[0], dst, 0));
      assertThat(at).isEqualTo(dst.length);
      assertThat(Arrays.copyOfRange(dst, want[0].length, dst.length)).isEqualTo(want[1]);
    }
  }

  @Test
  void chunksWithHeadersReadBackTheirTimesCountsAndBytesAcrossPages() {
    Random r = new Random(9);
    try (ChunkArena a = new ChunkArena()) {
      int n = 2000; // about 2 MiB: chunks and headers land on several pages
      byte[][] want = new byte[n][];
      long[][] head = new long[n][];
      long[] refs = new long[n];
      for (int i = 0; i < n; i++) {
        byte[] b = new byte[1 + r.nextInt(2000)];
        r.nextBytes(b);
        want[i] = b;
        long mint = r.nextLong();
        long maxt = i % 3 == 0 ? Long.MAX_VALUE : mint + r.nextInt(1 << 30);
        int count = i % 2 == 0 ? 255 : 1 + r.nextInt(120);
        head[i] = new long[] {mint, maxt, count};
        refs[i] = a.putChunk(mint, maxt, count, Arrays.copyOf(b, b.length + 3), b.length);
        assertThat(ChunkArena.length(refs[i])).isEqualTo(b.length + ChunkArena.HEADER);
      }
      assertThat(a.bytesUsed())
          .isEqualTo(
              Arrays.stream(want).mapToLong(b -> b.length).sum() + (long) n * ChunkArena.HEADER);
      long[] h = new long[3];
      for (int i = 0; i < n; i++) {
        a.readHeader(refs[i], h);
        assertThat(h).containsExactly(head[i]);
        byte[] got = new byte[want[i].length + 2];
        assertThat(a.copyChunk(refs[i], got, 1)).isEqualTo(want[i].length + 1);
        assertThat(Arrays.copyOfRange(got, 1, want[i].length + 1)).isEqualTo(want[i]);
      }
      assertThatThrownBy(() -> a.putChunk(0, 1, 256, new byte[1], 1))
          .isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> a.putChunk(0, 1, 0, new byte[1], 1))
          .isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void releaseFreesOnlyFullPagesOfOlderChunks() {
    try (ChunkArena a = new ChunkArena()) {
      byte[] b = new byte[100_000];
      long[] refs = new long[40];
      for (int i = 0; i < refs.length; i++) {
        b[0] = (byte) i;
        refs[i] = a.put(b, b.length, 1000L * i);
      }
      long before = a.bytesAllocated();
      // 10 chunks per page: pages 0 and 1 end before t=20000, page 2 holds t=20000..29000
      long released = a.releaseBefore(20_000);
      assertThat(released).isEqualTo(2L * ChunkArena.PAGE_SIZE);
      assertThat(a.pooledPages()).isEqualTo(2);
      assertThat(a.bytesAllocated()).isEqualTo(before - released);
      assertThatThrownBy(() -> a.read(refs[0]))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("released");
      assertThat(a.read(refs[20])[0]).isEqualTo((byte) 20);
      assertThat(a.read(refs[39])[0]).isEqualTo((byte) 39);
      // the page being filled is never freed, however old
      assertThat(a.releaseBefore(Long.MAX_VALUE)).isEqualTo(ChunkArena.PAGE_SIZE);
      assertThat(a.read(refs[39])[0]).isEqualTo((byte) 39);
      assertThat(a.pooledPages()).isEqualTo(1); // no more than the one page in use
      // pooled pages are filled again: the new chunks read back, not the old bytes
      long[] again = new long[20];
      for (int i = 0; i < again.length; i++) {
        byte[] c = new byte[100_000];
        Arrays.fill(c, (byte) (100 + i));
        again[i] = a.put(c, c.length, 50_000L + i);
      }
      assertThat(a.pooledPages()).isZero();
      for (int i = 0; i < again.length; i++) {
        byte[] got = a.read(again[i]);
        assertThat(got[0]).isEqualTo((byte) (100 + i));
        assertThat(got[99_999]).isEqualTo((byte) (100 + i));
      }
    }
  }

  @Test
  void closeFreesEverything() {
    ChunkArena a = new ChunkArena();
    long ref = a.put(new byte[] {1, 2, 3}, 3, 1);
    a.close();
    assertThat(a.bytesAllocated()).isZero();
    assertThatThrownBy(() -> a.read(ref)).isInstanceOf(IllegalStateException.class);
  }
}
