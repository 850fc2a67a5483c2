package dev.osprey.tsdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.OutOfOrderSampleException;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The self metrics as /metrics will show them, through Micrometer's Prometheus registry. */
class SelfMetricsTest {
  @TempDir Path dir;

  @Test
  void namesAsPrometheusSeesThem() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (Tsdb db = Tsdb.open(dir, new TsdbConfig(null, null, null, "always"), registry)) {
      Appender app = db.appender();
      Labels l = Labels.of("__name__", "x");
      app.append(0, l, 2000, 1);
      try {
        app.append(0, l, 1000, 1);
      } catch (OutOfOrderSampleException expected) {
        // counted
      }
      app.commit();
      db.flush();
      String text = registry.scrape();
      assertThat(text)
          .contains("osprey_tsdb_head_series 0.0")
          .contains("osprey_tsdb_samples_appended_total 1.0")
          .contains("osprey_tsdb_samples_rejected_total{reason=\"out_of_order\"} 1.0")
          .contains("osprey_tsdb_samples_rejected_total{reason=\"too_old\"} 0.0")
          .contains(
              "osprey_tsdb_samples_rejected_total{reason=\"duplicate_sample_for_timestamp\"} 0.0")
          .contains("osprey_tsdb_wal_bytes_total ")
          .contains("osprey_tsdb_wal_fsync_seconds_count ")
          .contains("osprey_tsdb_compaction_seconds_count 1")
          .contains("osprey_tsdb_blocks 1.0")
          .contains("osprey_tsdb_blocks_bytes ")
          .contains("osprey_tsdb_blocks_bytes_per_sample ");
    }
  }
}
