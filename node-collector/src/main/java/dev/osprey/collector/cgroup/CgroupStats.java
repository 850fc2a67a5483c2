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
    long pid) {

  /** Block I/O of one device: bytes and operations read and written. */
  public record DeviceIo(
      int major, int minor, double readBytes, double writeBytes, double reads, double writes) {}
}
