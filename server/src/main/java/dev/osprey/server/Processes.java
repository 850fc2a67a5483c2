package dev.osprey.server;

import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Keeps a process alive until SIGTERM/SIGINT, then closes its parts in order. */
final class Processes {
  private static final Logger log = LoggerFactory.getLogger(Processes.class);

  private Processes() {}

  /**
   * Runs {@code action} on SIGHUP (where the platform has it). A process started with SIGHUP
   * ignored (under nohup, say) keeps it ignored: the JVM will not take it over, so that is said
   * once at start instead of a later SIGHUP doing nothing without a word.
   */
  @SuppressWarnings("restriction")
  static void onHangup(Runnable action) {
    if (sighupIgnored()) {
      log.warn(
          "event=sighup_ignored reason=\"started with SIGHUP ignored (nohup?): a SIGHUP will not"
              + " reload; POST /-/reload does\"");
      return;
    }
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> action.run());
    } catch (IllegalArgumentException e) {
      log.warn("event=no_sighup error={}", e.getMessage());
    }
  }

  /** Whether this process was started with SIGHUP ignored (Linux: bit 0 of SigIgn). */
  static boolean sighupIgnored() {
    try {
      for (String line :
          java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
        if (line.startsWith("SigIgn:")) {
          return (Long.parseLong(line.substring(7).trim(), 16) & 1) != 0;
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      // no /proc: nothing to say
    }
    return false;
  }

  static void runUntilSignalled(AutoCloseable... parts) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("event=shutting_down");
                  for (AutoCloseable p : parts) {
                    try {
                      p.close();
                    } catch (Exception e) {
                      log.error("event=close_failed part={} error={}", p, e.toString(), e);
                    }
                  }
                  stopped.countDown();
                },
                "osprey-shutdown"));
    stopped.await();
  }
}
