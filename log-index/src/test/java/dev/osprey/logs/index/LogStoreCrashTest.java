package dev.osprey.logs.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.LogIndexConfig;
import dev.osprey.core.labels.Labels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real kill -9 of a process writing to the store: nothing acknowledged is lost. */
class LogStoreCrashTest {
  static final long NOW = System.currentTimeMillis() * 1_000_000L;
  @TempDir Path dir;

  /** The child process: appends batches, acknowledging each on stdout, never commits. */
  public static void main(String[] args) throws Exception {
    LogStore s =
        LogStore.open(
            Path.of(args[0]),
            new LogIndexConfig(null, null, Duration.ofHours(1), null),
            new SimpleMeterRegistry(),
            false);
    long base = Long.parseLong(args[1]);
    for (int b = 0; b < 1000; b++) {
      List<LogEntry> es = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        es.add(new LogEntry(base + b * 10L + i, "batch " + b + " line " + i));
      }
      s.append(List.of(new LogStream(Labels.of("app", "crash"), es)));
      System.out.println("acked " + b);
      System.out.flush();
      Thread.sleep(2);
    }
    Thread.sleep(60_000); // wait to be killed
  }

  @Test
  void acknowledgedLinesSurviveKill9() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                LogStoreCrashTest.class.getName(),
                dir.toString(),
                Long.toString(NOW))
            .redirectErrorStream(true)
            .start();
    int acked = -1;
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      String line;
      while (System.nanoTime() < deadline && (line = r.readLine()) != null) {
        if (line.startsWith("acked ")) {
          acked = Integer.parseInt(line.substring(6));
          if (acked >= 50) {
            break;
          }
        }
      }
      p.destroyForcibly(); // SIGKILL
      p.waitFor(30, TimeUnit.SECONDS);
    }
    assertThat(acked).isGreaterThanOrEqualTo(50);
    try (LogStore s =
        LogStore.open(dir, LogIndexConfig.DEFAULTS, new SimpleMeterRegistry(), false)) {
      long[] n = {0};
      s.search(
          new LogSearchRequest(
              List.of(), NOW, NOW + 100_000, null, LogSearchRequest.Direction.FORWARD, 0, true),
          (st, ts, line, md, b) -> {
            n[0]++;
            return true;
          });
      // every acknowledged batch is back (and maybe batches written but not yet acknowledged)
      assertThat(n[0]).isGreaterThanOrEqualTo((acked + 1) * 10L);
      assertThat(n[0] % 10).isZero();
    }
  }
}
