package dev.osprey.server;

import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Keeps a process alive until SIGTERM/SIGINT, then closes its parts in order. */
final class Processes {
  private static final Logger log = LoggerFactory.getLogger(Processes.class);

  private Processes() {}

  /** Runs {@code action} on SIGHUP (where the platform has it). */
  @SuppressWarnings("restriction")
  static void onHangup(Runnable action) {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> action.run());
    } catch (IllegalArgumentException e) {
      log.warn("event=no_sighup error={}", e.getMessage());
    }
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
