package dev.osprey.logs.shipper;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When the receiver is down and the spool fills up, reading pauses; nothing is lost. */
class BackpressureTest {
  @TempDir Path tmp;

  @Test
  void fullSpoolPausesReadingAndResumesWhenItDrains() throws Exception {
    Path pods = tmp.resolve("pods");
    Files.createDirectories(pods);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ShipperConfig cfg;
    try (LokiSink sink = new LokiSink()) {
      sink.down = true;
      cfg =
          LogShipperTest.testConfig(pods, tmp.resolve("spool"), sink.base())
              .withLimits(0, 6L << 20)
              .withSpoolRollCycle("TEST_SECONDLY");
      LogWriter w =
          new LogWriter(
              LogShipperTest.podLog(pods, "default", "bp", "app"),
              "bp",
              60_000,
              20_000,
              LogWriter.Rotation.KUBELET);
      try (LogShipper shipper = new LogShipper(cfg, registry)) {
        shipper.start();
        Thread.sleep(300);
        w.run();
        assertThat(w.failure).isNull();
        Delivery.await(shipper::isPaused, Duration.ofSeconds(30), "reading paused");
        assertThat(registry.counter("osprey_log_shipper_backpressure_pauses").count()).isPositive();
        assertThat(sink.accepted()).isZero();
        sink.down = false;
        Delivery.awaitAll(sink, List.of(w), Duration.ofSeconds(90));
        Delivery.await(() -> !shipper.isPaused(), Duration.ofSeconds(20), "reading resumed");
      }
    }
  }
}
