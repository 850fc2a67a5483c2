package dev.osprey.core.config;

import dev.osprey.core.util.ByteSize;
import java.time.Duration;

/**
 * The log index and the limits of its push API.
 *
 * @param retention how long log lines are kept (whole partitions are dropped)
 * @param partition the time span of one index partition
 * @param commitInterval how often the index is committed to disk
 * @param maxLineSize longest accepted line
 * @param maxStreamsPerTenant active streams one tenant may have (a stream idle for an hour no
 *     longer counts); Loki's {@code max_global_streams_per_user}
 * @param ingestionRate sustained bytes of log lines per second one tenant may push; Loki's {@code
 *     ingestion_rate_mb}
 * @param ingestionBurst how many bytes one tenant may push at once above the rate; Loki's {@code
 *     ingestion_burst_size_mb}
 * @param authEnabled whether pushes and queries name their tenant in {@code X-Scope-OrgID} (each
 *     tenant sees only its own streams; a request without the header is answered 401), as Loki's
 *     {@code auth_enabled}; when false (the default) every request is tenant {@code fake}
 */
public record LogIndexConfig(
    Duration retention,
    Duration partition,
    Duration commitInterval,
    ByteSize maxLineSize,
    Integer maxStreamsPerTenant,
    ByteSize ingestionRate,
    ByteSize ingestionBurst,
    Boolean authEnabled) {
  public LogIndexConfig {
    authEnabled = authEnabled != null && authEnabled;
    retention = retention != null ? retention : Duration.ofDays(7);
    partition = partition != null ? partition : Duration.ofHours(2);
    commitInterval = commitInterval != null ? commitInterval : Duration.ofSeconds(10);
    maxLineSize = maxLineSize != null ? maxLineSize : new ByteSize(256 << 10);
    maxStreamsPerTenant = maxStreamsPerTenant != null ? maxStreamsPerTenant : 100_000;
    ingestionRate = ingestionRate != null ? ingestionRate : new ByteSize(64L << 20);
    ingestionBurst = ingestionBurst != null ? ingestionBurst : new ByteSize(128L << 20);
    if (maxStreamsPerTenant < 1) {
      throw new IllegalArgumentException(
          "logs: max_streams_per_tenant must be at least 1, not " + maxStreamsPerTenant);
    }
    if (ingestionRate.bytes() < 1) {
      throw new IllegalArgumentException("logs: ingestion_rate must be positive");
    }
    if (ingestionBurst.bytes() < maxLineSize.bytes()) {
      throw new IllegalArgumentException(
          "logs: ingestion_burst ("
              + ingestionBurst
              + ") must be at least max_line_size ("
              + maxLineSize
              + "), or no line of the longest size could ever be accepted");
    }
  }

  /** The log index without push limits of its own (the defaults apply). */
  public LogIndexConfig(
      Duration retention, Duration partition, Duration commitInterval, ByteSize maxLineSize) {
    this(retention, partition, commitInterval, maxLineSize, null, null, null, null);
  }

  /** This configuration with {@code authEnabled} as given. */
  public LogIndexConfig withAuthEnabled(boolean enabled) {
    return new LogIndexConfig(
        retention,
        partition,
        commitInterval,
        maxLineSize,
        maxStreamsPerTenant,
        ingestionRate,
        ingestionBurst,
        enabled);
  }

  public static final LogIndexConfig DEFAULTS = new LogIndexConfig(null, null, null, null);
}
