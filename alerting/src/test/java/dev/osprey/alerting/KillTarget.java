package dev.osprey.alerting;

import dev.osprey.alerting.internal.GoTime;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.memory.MemStorage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A separate JVM for the kill -9 test: brings an alert to firing with its group waiting, says
 * READY, then waits to be killed.
 */
public final class KillTarget {
  private KillTarget() {}

  public static void main(String[] args) throws Exception {
    Path data = Path.of(args[0]);
    String rules = args[1];
    Path am = Path.of(args[2]);
    MutableClock clock = new MutableClock(Instant.parse(args[3]));
    TestQuery q = new TestQuery().set("up == 0", Labels.of("instance", "n1"), 0);
    AlertingService s =
        new AlertingService(
            AlertingService.Options.of(
                    List.of(rules),
                    am,
                    data,
                    q,
                    new MemStorage(),
                    "http://osprey",
                    new SimpleMeterRegistry())
                .withClock(clock)
                .withSleeper(d -> {}));
    s.rules().evalAll(GoTime.toNanos(clock.instant()));
    clock.advance(Duration.ofMinutes(1));
    s.rules().evalAll(GoTime.toNanos(clock.instant()));
    s.dispatcher().tick();
    System.out.println("READY");
    System.out.flush();
    Thread.sleep(60_000); // killed long before
  }
}
