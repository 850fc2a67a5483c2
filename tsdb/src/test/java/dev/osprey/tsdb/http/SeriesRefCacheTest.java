package dev.osprey.tsdb.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SeriesRefCacheTest {
  /** The entry put for key {@code k}: ref k + 1, labels hash k * 31 (never 0). */
  private static long entryOf(int k) {
    return (long) (k + 1) << 32 | ((k * 31L) & 0xFFFF_FFFFL);
  }

  private static long hash(int k) {
    return k * 0x9E3779B97F4A7C15L + 12345;
  }

  private static long hash2(int k) {
    return ~k * 0xC2B2AE3D27D4EB4FL;
  }

  @Test
  void findsWhatWasPutAndNothingElse() {
    SeriesRefCache c = new SeriesRefCache();
    for (int k = 0; k < 5000; k++) {
      c.put(hash(k), hash2(k), k + 1, k * 31L, 10_000);
    }
    assertThat(c.size()).isEqualTo(5000);
    for (int k = 0; k < 5000; k++) {
      assertThat(c.get(hash(k), hash2(k))).isEqualTo(entryOf(k));
      // the same first half with another second half is a miss
      assertThat(c.get(hash(k), hash2(k) + 1)).isZero();
    }
    assertThat(c.get(hash(6000), hash2(6000))).isZero();
  }

  @Test
  void lockFreeReadersNeverSeeAnotherKeysEntryWhileTheTableGrows() throws Exception {
    SeriesRefCache c = new SeriesRefCache();
    int keys = 40_000;
    AtomicBoolean done = new AtomicBoolean();
    AtomicLong wrong = new AtomicLong();
    Thread[] readers = new Thread[2];
    for (int r = 0; r < readers.length; r++) {
      long seed = r;
      readers[r] =
          Thread.ofPlatform()
              .start(
                  () -> {
                    SplittableRandom rnd = new SplittableRandom(seed);
                    for (int i = 0; i < 5_000_000 && !done.get(); i++) {
                      int k = rnd.nextInt(keys);
                      long e = c.get(hash(k), hash2(k));
                      if (e != 0 && e != entryOf(k)) {
                        wrong.incrementAndGet();
                      }
                    }
                  });
    }
    for (int k = 0; k < keys; k++) {
      c.put(hash(k), hash2(k), k + 1, k * 31L, keys);
    }
    done.set(true);
    for (Thread t : readers) {
      t.join(60_000);
    }
    assertThat(wrong.get()).isZero();
    for (int k = 0; k < keys; k++) {
      assertThat(c.get(hash(k), hash2(k))).isEqualTo(entryOf(k));
    }
  }
}
