package dev.osprey.pipeline;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * One spool (one signal's Chronicle Queue).
 *
 * @param dir the queue's directory
 * @param name the signal ("metrics", "logs"); the {@code spool} tag of every metric
 * @param rollCycle a Chronicle roll cycle name ({@code FIVE_MINUTELY}, {@code FAST_HOURLY}, or a
 *     test cycle such as {@code TEST_SECONDLY}); one file per cycle
 * @param blockSize Chronicle's block size: files grow in steps of this many bytes
 * @param maxDiskBytes the most disk the spool should use
 * @param overflow what happens above {@code maxDiskBytes}
 * @param housekeepInterval how often passed cycles are deleted and the size checked
 */
public record SpoolConfig(
    Path dir,
    String name,
    String rollCycle,
    long blockSize,
    long maxDiskBytes,
    Overflow overflow,
    Duration housekeepInterval) {

  /** What the spool does over its size limit. */
  public enum Overflow {
    /** Delete the oldest cycle even though not every destination has read it; count the loss. */
    DROP_OLDEST,
    /**
     * Keep everything; {@link Spool#isFull()} tells writers to pause (the source is the buffer).
     */
    PAUSE_WRITERS
  }

  public SpoolConfig {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(name, "name");
    rollCycle = rollCycle != null ? rollCycle : "FIVE_MINUTELY";
    blockSize = blockSize > 0 ? blockSize : 4L << 20;
    maxDiskBytes = maxDiskBytes > 0 ? maxDiskBytes : 1L << 30;
    overflow = overflow != null ? overflow : Overflow.DROP_OLDEST;
    housekeepInterval = housekeepInterval != null ? housekeepInterval : Duration.ofSeconds(1);
    if (blockSize < (64 << 10)) {
      throw new IllegalArgumentException("cannot configure spool: blockSize below 64 KiB");
    }
  }

  public static SpoolConfig metrics(Path dir, long maxDiskBytes) {
    return new SpoolConfig(dir, "metrics", null, 0, maxDiskBytes, Overflow.DROP_OLDEST, null);
  }

  public static SpoolConfig logs(Path dir, long maxDiskBytes) {
    return new SpoolConfig(dir, "logs", null, 0, maxDiskBytes, Overflow.PAUSE_WRITERS, null);
  }

  public SpoolConfig withRollCycle(String cycle) {
    return new SpoolConfig(dir, name, cycle, blockSize, maxDiskBytes, overflow, housekeepInterval);
  }

  public SpoolConfig withBlockSize(long bytes) {
    return new SpoolConfig(dir, name, rollCycle, bytes, maxDiskBytes, overflow, housekeepInterval);
  }
}
