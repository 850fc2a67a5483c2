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
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a writer process with SIGKILL in the middle of a stream of commits and checks that every
 * commit it reported survives. The writer runs with {@code walFsync: never}: a process crash must
 * not lose acknowledged samples even without fsync (the kernel keeps what was written).
 */
class CrashTest {
  static final int SERIES = 20;
  static final int PER_BATCH = 5;

  /** The writer: commits batch after batch and prints each batch number after its commit. */
  public static void main(String[] args) {
    Tsdb db =
        Tsdb.open(
            Path.of(args[0]), new TsdbConfig(null, null, null, "never"), new SimpleMeterRegistry());
    for (int batch = 0; batch < 1_000_000; batch++) {
      Appender app = db.appender();
      for (int s = 0; s < SERIES; s++) {
        for (int k = 0; k < PER_BATCH; k++) {
          long t = (batch * PER_BATCH + k) * 1000L;
          app.append(0, labels(s), t, batch * 10.0 + k);
        }
      }
      app.commit();
      System.out.println(batch);
      System.out.flush();
    }
  }

  static Labels labels(int s) {
    return Labels.of("__name__", "crash_test", "series", Integer.toString(s));
  }

  @Test
  void everyAcknowledgedCommitSurvivesKill9(@TempDir Path dir) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                CrashTest.class.getName(),
                dir.toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    int lastAcked = -1;
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      String line;
      while ((line = r.readLine()) != null && System.nanoTime() < deadline) {
        lastAcked = Integer.parseInt(line.trim());
        if (lastAcked >= 300) {
          break;
        }
      }
      p.destroyForcibly(); // SIGKILL
      p.waitFor(30, TimeUnit.SECONDS);
    } finally {
      p.destroyForcibly();
    }
    assertThat(lastAcked).as("writer progress; see %s", new File(java)).isGreaterThanOrEqualTo(300);
    try (Tsdb db =
            Tsdb.open(dir, new TsdbConfig(null, null, null, "never"), new SimpleMeterRegistry());
        Querier q = db.querier()) {
      for (int s = 0; s < SERIES; s++) {
        SeriesSet set =
            q.select(
                0,
                Long.MAX_VALUE,
                SelectHints.of(0, Long.MAX_VALUE),
                LabelMatcher.equal("series", Integer.toString(s)));
        assertThat(set.next()).isTrue();
        SampleIterator it = set.iterator(null);
        int n = 0;
        while (it.next()) {
          long i = it.t() / 1000;
          assertThat(it.v()).isEqualTo((i / PER_BATCH) * 10.0 + i % PER_BATCH);
          assertThat(it.t()).isEqualTo(n * 1000L);
          n++;
        }
        // every acknowledged batch is there; a batch committed but not yet reported may be too
        assertThat(n).isGreaterThanOrEqualTo((lastAcked + 1) * PER_BATCH);
        assertThat(n % PER_BATCH).isZero();
      }
    }
  }
}
