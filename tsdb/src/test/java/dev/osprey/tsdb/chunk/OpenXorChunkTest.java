package dev.osprey.tsdb.chunk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OpenXorChunkTest {
  /** Many open chunks appended in turn, as the head's series are; the bytes are XorEncoder's. */
  @Test
  void writesXorEncodersBytesAfterEverySampleWhileOtherChunksGrowAndShrink() {
    Random r = new Random(11);
    try (SlotArena a = new SlotArena()) {
      int n = 300;
      OpenXorChunk[] open = new OpenXorChunk[n];
      XorEncoder[] want = new XorEncoder[n];
      long[] t = new long[n];
      long[] v = new long[n];
      int[] kind = new int[n];
      for (int i = 0; i < n; i++) {
        open[i] = new OpenXorChunk();
        want[i] = new XorEncoder(16);
        want[i].reset();
        t[i] = r.nextLong() >> (1 + r.nextInt(40)); // negative timestamps too
        kind[i] = r.nextInt(5);
      }
      for (int step = 0; step < 60_000; step++) {
        int i = r.nextInt(n);
        if (want[i].count() == 120 || r.nextInt(400) == 0) {
          open[i].resetOpen(a); // a cut: the slot goes back
          want[i].reset();
          assertThat(open[i].openByteLength()).isZero();
        }
        t[i] += nextDelta(r);
        v[i] = nextValue(r, kind[i], v[i]);
        open[i].appendOpen(a, t[i], v[i]);
        want[i].append(t[i], v[i]);
        assertThat(open[i].openCount()).isEqualTo(want[i].count());
        assertThat(open[i].lastT).isEqualTo(t[i]);
        assertThat(open[i].lastV).isEqualTo(v[i]);
        assertThat(open[i].openFirstT()).isEqualTo(want[i].firstT());
        if (step % 7 == 0 || want[i].count() == 120) {
          assertSameBytes(a, open[i], want[i]);
        }
      }
      for (int i = 0; i < n; i++) {
        assertSameBytes(a, open[i], want[i]);
        open[i].resetOpen(a);
      }
      assertThat(a.bytesUsed()).isZero();
      assertThat(a.bytesAllocated()).isZero(); // every page back, none kept
    }
  }

  @Test
  void aFullChunkOfTheLargestSamplesFitsTheLargestSlot() {
    try (SlotArena a = new SlotArena()) {
      OpenXorChunk o = new OpenXorChunk();
      XorEncoder e = new XorEncoder();
      e.reset();
      long ts = Long.MIN_VALUE / 4;
      for (int i = 0; i < 120; i++) {
        ts += (i % 2 == 0 ? 1L << 50 : 1); // a 64-bit delta of delta every time
        long v = (i % 2 == 0) ? 0x8000000000000001L : 0x7ffffffffffffffeL; // 64 significant bits
        o.appendOpen(a, ts, v);
        e.append(ts, v);
      }
      assertThat(o.openByteLength()).isLessThanOrEqualTo(SlotArena.MAX_SLOT);
      assertSameBytes(a, o, e);
    }
  }

  private static void assertSameBytes(SlotArena a, OpenXorChunk o, XorEncoder e) {
    assertThat(o.openByteLength()).isEqualTo(e.byteLength());
    byte[] got = new byte[o.openByteLength() + 3];
    Arrays.fill(got, (byte) 0x5a);
    o.copyOpen(a, got, 2);
    assertThat(Arrays.copyOfRange(got, 2, 2 + e.byteLength()))
        .isEqualTo(Arrays.copyOf(e.buffer(), e.byteLength()));
    assertThat(got[0]).isEqualTo((byte) 0x5a);
    assertThat(got[got.length - 1]).isEqualTo((byte) 0x5a);
  }

  private static long nextDelta(Random r) {
    return switch (r.nextInt(6)) {
      case 0, 1 -> 15_000;
      case 2 -> 15_000 + r.nextInt(100) - 50;
      case 3 -> 1 + r.nextInt(10_000);
      case 4 -> 1 + r.nextInt(1_000_000);
      default -> 1 + (r.nextLong() >>> (12 + r.nextInt(40)));
    };
  }

  private static long nextValue(Random r, int kind, long prev) {
    return switch (kind) {
      case 0 -> Double.doubleToRawLongBits(r.nextInt(5)); // repeats
      case 1 -> Double.doubleToRawLongBits(Double.longBitsToDouble(prev) + r.nextInt(100));
      case 2 ->
          r.nextInt(50) == 0 ? 0x7ff0000000000002L : Double.doubleToRawLongBits(r.nextDouble());
      case 3 -> r.nextLong(); // any bits, NaNs included
      default -> Double.doubleToRawLongBits((r.nextInt(100_000)) / 100.0);
    };
  }

  @Test
  void slotsGrowKeepTheirBytesAndEmptyPagesAreReused() {
    try (SlotArena a = new SlotArena()) {
      int n = 40_000; // 40,000 x 32 B: two pages of the smallest class
      long[] s = new long[n];
      for (int i = 0; i < n; i++) {
        s[i] = a.allocate(8);
        assertThat(SlotArena.capacity(s[i])).isEqualTo(32);
        a.putLong(s[i], 0, i * 31L);
        a.putLong(s[i], 24, ~i);
      }
      assertThat(a.bytesAllocated()).isEqualTo(2L * SlotArena.PAGE_SIZE);
      for (int i = 0; i < n; i++) {
        s[i] = a.grow(s[i], 32, 33); // every slot moves to the next class, in step
        assertThat(SlotArena.capacity(s[i])).isEqualTo(48);
      }
      // 40,000 x 48 B is two pages; the two left empty are pooled
      assertThat(a.pagesInUse()).isEqualTo(2);
      assertThat(a.pooledPages()).isEqualTo(2);
      assertThat(a.bytesUsed()).isEqualTo(48L * n);
      for (int i = 0; i < n; i++) {
        s[i] = a.grow(s[i], 40, 49); // and on to 64 B: three pages, all from the pool
      }
      assertThat(a.pagesInUse()).isEqualTo(3);
      assertThat(a.pagesCreated()).isEqualTo(4);
      assertThat(a.bytesAllocated()).isLessThanOrEqualTo(6L * SlotArena.PAGE_SIZE);
      byte[] b = new byte[32];
      for (int i = 0; i < n; i++) {
        a.get(s[i], 0, b, 0, 32);
        assertThat(java.nio.ByteBuffer.wrap(b).getLong(0)).isEqualTo(i * 31L);
        assertThat(java.nio.ByteBuffer.wrap(b).getLong(24)).isEqualTo(~i);
      }
      // a freed slot is the next one handed out in its class
      long freed = s[123];
      a.free(freed);
      assertThat(a.allocate(50)).isEqualTo(freed);
      assertThatThrownBy(() -> a.allocate(SlotArena.MAX_SLOT + 1))
          .isInstanceOf(IllegalStateException.class);
    }
  }
}
