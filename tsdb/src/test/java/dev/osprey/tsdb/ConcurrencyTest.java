package dev.osprey.tsdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writers, a reader and the compactor at once, with a 10 s block range so that the head is cut,
 * truncated and checkpointed many times while appends run; afterwards every sample is there once.
 */
class ConcurrencyTest {
  @TempDir Path dir;

  @Test
  void appendsQueriesAndCompactionTogether() throws Exception {
    Tsdb db =
        Tsdb.open(
            dir, new TsdbConfig(null, null, null, "never"), new SimpleMeterRegistry(), 10_000);
    int writers = 2;
    int series = 50;
    int steps = 300; // 300 s of data at 1 s
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    AtomicBoolean done = new AtomicBoolean();
    List<Thread> threads = new ArrayList<>();
    // lockstep, so that no writer falls behind the head's lower bound (half a block range)
    java.util.concurrent.Phaser phaser = new java.util.concurrent.Phaser(writers);
    for (int w = 0; w < writers; w++) {
      int writer = w;
      threads.add(
          new Thread(
              () -> {
                try {
                  long[] refs = new long[series];
                  for (int step = 0; step < steps; step++) {
                    Appender app = db.appender();
                    for (int s = 0; s < series; s++) {
                      refs[s] = app.append(refs[s], labels(writer, s), step * 1000L, step);
                    }
                    app.commit();
                    phaser.awaitAdvanceInterruptibly(phaser.arrive(), 30, TimeUnit.SECONDS);
                  }
                } catch (Throwable t) {
                  errors.add(t);
                }
              }));
    }
    Thread compactor =
        new Thread(
            () -> {
              try {
                while (!done.get()) {
                  db.compact();
                  Thread.sleep(5);
                }
              } catch (Throwable t) {
                errors.add(t);
              }
            });
    Thread reader =
        new Thread(
            () -> {
              try {
                while (!done.get()) {
                  try (Querier q = db.querier()) {
                    SeriesSet set =
                        q.select(
                            0, Long.MAX_VALUE, SelectHints.of(0, 0), LabelMatcher.equal("w", "0"));
                    while (set.next()) {
                      SampleIterator it = set.iterator(null);
                      long prev = -1;
                      while (it.next()) {
                        if (it.t() <= prev) {
                          throw new AssertionError("samples out of order in " + set.labels());
                        }
                        prev = it.t();
                      }
                    }
                  }
                }
              } catch (Throwable t) {
                errors.add(t);
              }
            });
    threads.forEach(Thread::start);
    compactor.start();
    reader.start();
    for (Thread t : threads) {
      t.join(TimeUnit.SECONDS.toMillis(120));
    }
    done.set(true);
    compactor.join(TimeUnit.SECONDS.toMillis(30));
    reader.join(TimeUnit.SECONDS.toMillis(30));
    assertThat(errors).isEmpty();
    assertThat(db.blocks()).isNotEmpty();
    verify(db, writers, series, steps);
    db.close();
    Tsdb reopened =
        Tsdb.open(
            dir, new TsdbConfig(null, null, null, "never"), new SimpleMeterRegistry(), 10_000);
    verify(reopened, writers, series, steps);
    reopened.close();
  }

  private static Labels labels(int writer, int s) {
    return Labels.of("__name__", "c", "w", Integer.toString(writer), "s", Integer.toString(s));
  }

  private static void verify(Tsdb db, int writers, int series, int steps) {
    try (Querier q = db.querier()) {
      SeriesSet set =
          q.select(0, Long.MAX_VALUE, SelectHints.of(0, 0), LabelMatcher.equal("__name__", "c"));
      int n = 0;
      while (set.next()) {
        SampleIterator it = set.iterator(null);
        int k = 0;
        while (it.next()) {
          assertThat(it.t()).as("%s", set.labels()).isEqualTo(k * 1000L);
          assertThat(it.v()).isEqualTo(k);
          k++;
        }
        assertThat(k).as("samples of %s", set.labels()).isEqualTo(steps);
        n++;
      }
      assertThat(n).isEqualTo(writers * series);
    }
  }
}
