package dev.osprey.collector.cgroup;

import java.util.List;

/**
 * One cgroup's figures, already in cAdvisor's units (seconds, bytes, counts). NaN means "not
 * available for this cgroup" and is not exported.
 *
 * @param cpuQuotaMicros CFS quota in microseconds, 0 when unlimited (cAdvisor's convention)
 * @param memoryLimit bytes; +Inf or a huge number when unlimited
 * @param io per block device, in major:minor order
 * @param startTimeSeconds when the cgroup was created (the oldest mtime of its directories, as
 *     cAdvisor computes it)
 * @param pid one process in the cgroup (for its network namespace), or 0
 * @param cpuPressure PSI of {@code cpu.pressure}
 * @param memoryPressure PSI of {@code memory.pressure}
 * @param ioPressure PSI of {@code io.pressure}
 * @param processes processes in this cgroup itself ({@code cgroup.procs} lines, as cAdvisor counts)
 * @param threads tasks charged to the pids controller ({@code pids.current}, descendants included)
 * @param threadsMax {@code pids.max}, 0 when unlimited (cAdvisor's convention)
 */
public record CgroupStats(
    double cpuUsageSeconds,
    double cpuUserSeconds,
    double cpuSystemSeconds,
    double cfsPeriods,
    double cfsThrottledPeriods,
    double cfsThrottledSeconds,
    double cpuShares,
    double cpuQuotaMicros,
    double cpuPeriodMicros,
    double memoryUsage,
    double memoryMaxUsage,
    double memoryWorkingSet,
    double memoryRss,
    double memoryCache,
    double memoryMappedFile,
    double memorySwap,
    double memoryFailcnt,
    double oomEvents,
    double memoryLimit,
    double memoryReservation,
    double memorySwapLimit,
    List<DeviceIo> io,
    double startTimeSeconds,
    long pid,
    Pressure cpuPressure,
    Pressure memoryPressure,
    Pressure ioPressure,
    double processes,
    double threads,
    double threadsMax) {

  /** Block I/O of one device: bytes and operations read and written. */
  public record DeviceIo(
      int major, int minor, double readBytes, double writeBytes, double reads, double writes) {}

  /**
   * Pressure stall totals of one resource, in seconds: {@code some} (at least one task waited, what
   * cAdvisor calls "waiting") and {@code full} (all non-idle tasks stalled at once, "stalled"). NaN
   * when the file or its line is absent.
   */
  public record Pressure(double waitingSeconds, double stalledSeconds) {
    public static final Pressure ABSENT = new Pressure(Double.NaN, Double.NaN);
  }
}
