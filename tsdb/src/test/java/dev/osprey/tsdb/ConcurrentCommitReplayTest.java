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
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writers racing on the same series: which of two samples at one timestamp (or of an older and a
 * newer one) is kept depends on the order their commits are applied in. The head applies commits in
 * parallel by stripes of series; each series must still see them in WAL order, so the head rebuilt
 * from the WAL holds exactly the samples the live head held.
 */
class ConcurrentCommitReplayTest {
  @TempDir Path dir;

  @Test
  void aHeadReplayedFromTheWalEqualsTheLiveOneAfterRacingCommits() throws Exception {
    TsdbConfig config = new TsdbConfig(null, null, null, "never");
    Tsdb db = Tsdb.open(dir, config, new SimpleMeterRegistry());
    int writers = 3;
    int series = 40; // in every stripe of the apply, more than one series in each
    int steps = 400;
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int writer = w;
      threads.add(
          new Thread(
              () -> {
                SplittableRandom rnd = new SplittableRandom(writer);
                try {
                  for (int step = 0; step < steps; step++) {
                    Appender app = db.appender();
                    for (int s = 0; s < series; s++) {
                      // the writers' timestamps collide (duplicates with other values) or
                      // interleave (out of order), so the kept sample depends on commit order
                      long t = step * 1000L + 250L * rnd.nextInt(3);
                      try {
                        app.append(0, labels(s), t, writer * 1_000_000 + step);
                      } catch (RuntimeException rejected) {
                        // refused at append against what is committed: fine, not the question
                      }
                    }
                    app.commit();
                  }
                } catch (Throwable t) {
                  errors.add(t);
                }
              }));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join(TimeUnit.SECONDS.toMillis(120));
    }
    assertThat(errors).isEmpty();
    TreeMap<String, List<String>> live = dump(db);
    assertThat(live).hasSize(series);
    int total = live.values().stream().mapToInt(List::size).sum();
    assertThat(total).isGreaterThan(series * steps / 2);
    // the writers' values are mixed in the series: the race did happen
    assertThat(live.values().stream().flatMap(List::stream).map(v -> v.split("=")[1].length()))
        .contains(7);
    db.close();
    Tsdb reopened = Tsdb.open(dir, config, new SimpleMeterRegistry());
    assertThat(dump(reopened)).isEqualTo(live);
    reopened.close();
  }

  private static Labels labels(int s) {
    return Labels.of("__name__", "race", "s", Integer.toString(s));
  }

  /** Every series' samples as "t=v" strings, by series. */
  private static TreeMap<String, List<String>> dump(Tsdb db) {
    TreeMap<String, List<String>> out = new TreeMap<>();
    try (Querier q = db.querier()) {
      SeriesSet set =
          q.select(0, Long.MAX_VALUE, SelectHints.of(0, 0), LabelMatcher.equal("__name__", "race"));
      while (set.next()) {
        List<String> samples = new ArrayList<>();
        SampleIterator it = set.iterator(null);
        while (it.next()) {
          samples.add(it.t() + "=" + (long) it.v());
        }
        out.put(set.labels().toString(), samples);
      }
    }
    return out;
  }
}
