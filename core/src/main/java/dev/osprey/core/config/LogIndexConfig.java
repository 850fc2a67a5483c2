package dev.osprey.core.config;

import dev.osprey.core.util.ByteSize;
import java.time.Duration;

/**
 * The log index.
 *
 * @param retention how long log lines are kept (whole partitions are dropped)
 * @param partition the time span of one index partition
 * @param commitInterval how often the index is committed to disk
 * @param maxLineSize longest accepted line
 */
public record LogIndexConfig(
    Duration retention, Duration partition, Duration commitInterval, ByteSize maxLineSize) {
  public LogIndexConfig {
    retention = retention != null ? retention : Duration.ofDays(7);
    partition = partition != null ? partition : Duration.ofHours(2);
    commitInterval = commitInterval != null ? commitInterval : Duration.ofSeconds(10);
    maxLineSize = maxLineSize != null ? maxLineSize : new ByteSize(256 << 10);
  }

  public static final LogIndexConfig DEFAULTS = new LogIndexConfig(null, null, null, null);
}
