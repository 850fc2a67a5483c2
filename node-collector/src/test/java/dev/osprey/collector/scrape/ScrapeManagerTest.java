package dev.osprey.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.collector.CapturingSink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScrapeManagerTest {
  @Test
  void offsetsAreStableWithinTheIntervalAndSpread() {
    StringBuilder targets = new StringBuilder();
    for (int i = 0; i < 50; i++) {
      targets.append(i == 0 ? "" : ", ").append("'10.0.0.").append(i).append(":9100'");
    }
    PrometheusConfig c =
        PrometheusConfig.parse(
            """
        global: {scrape_interval: 15s}
        scrape_configs:
          - job_name: node
            static_configs: [{targets: [%s]}]
        """
                .formatted(targets));
    ScrapeManager m = new ScrapeManager(c, new CapturingSink(), new SimpleMeterRegistry());
    ScrapeManager again = new ScrapeManager(c, new CapturingSink(), new SimpleMeterRegistry());
    Set<Long> seconds = new HashSet<>();
    for (Target t : m.desiredTargets()) {
      long off = m.offsetMillis(t);
      assertThat(off).isBetween(0L, 14_999L);
      assertThat(again.offsetMillis(t)).as("same host, same offset").isEqualTo(off);
      seconds.add(off / 1000);
    }
    // 50 targets over 15 one-second slots: a constant offset would fill one
    assertThat(seconds.size()).isGreaterThan(8);
  }
}
