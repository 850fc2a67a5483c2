package dev.osprey.core.config;

import dev.osprey.core.util.ByteSize;
import java.time.Duration;

/**
 * The time-series database.
 *
 * @param retention how long raw samples are kept
 * @param retentionSize the most disk the blocks may use; the oldest go first (0 = no limit)
 * @param outOfOrderWindow how far behind a series' newest sample a sample may arrive (0 = none)
 * @param walFsync when the WAL is fsynced: {@code always}, {@code interval} or {@code never}
 */
public record TsdbConfig(
    Duration retention, ByteSize retentionSize, Duration outOfOrderWindow, String walFsync) {
  public TsdbConfig {
    retention = retention != null ? retention : Duration.ofDays(15);
    retentionSize = retentionSize != null ? retentionSize : new ByteSize(0);
    outOfOrderWindow = outOfOrderWindow != null ? outOfOrderWindow : Duration.ZERO;
    walFsync = walFsync != null ? walFsync : "interval";
    if (!walFsync.equals("always") && !walFsync.equals("interval") && !walFsync.equals("never")) {
      throw new IllegalArgumentException(
          "wal_fsync must be always, interval or never, not \"" + walFsync + "\"");
    }
  }

  public static final TsdbConfig DEFAULTS = new TsdbConfig(null, null, null, null);
}
