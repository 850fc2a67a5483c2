package dev.osprey.logs.shipper;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The log shipper's settings; defaults in one place.
 *
 * @param glob which files to tail (a {@code glob:} pattern on absolute paths)
 * @param spoolDir the logs spool's directory
 * @param server base URL of the receiver; entries are POSTed to {@code <server>/loki/api/v1/push}
 * @param cluster value of the {@code cluster} label, or null for none
 * @param includeNamespaces regexes; when non-empty a file's namespace must match one
 * @param excludeNamespaces regexes; a file whose namespace matches one is skipped
 * @param includePods as {@code includeNamespaces}, for pod names
 * @param excludePods as {@code excludeNamespaces}, for pod names
 * @param includeContainers as {@code includeNamespaces}, for container names
 * @param excludeContainers as {@code excludeNamespaces}, for container names
 * @param maxLineBytes longer lines (and joined partial lines) are split into pieces of this size
 * @param spoolMaxBytes the spool's size limit; above it reading pauses
 * @param pollInterval stat-poll period (discovery fallback, rotation and truncation checks)
 * @param spoolRollCycle Chronicle roll cycle of the spool
 * @param batchRecords most entries per push request (a push also stops at {@link
 *     LogShipper#PUSH_MAX_BYTES} of spool records)
 * @param batchAge how long a push batch waits to fill after its first line was spooled (less when
 *     the reader goes quiet: see the Forwarder)
 * @param multiline multi-line joining rules; the first that selects a file applies (none: off)
 */
public record ShipperConfig(
    String glob,
    Path spoolDir,
    URI server,
    String cluster,
    List<String> includeNamespaces,
    List<String> excludeNamespaces,
    List<String> includePods,
    List<String> excludePods,
    List<String> includeContainers,
    List<String> excludeContainers,
    int maxLineBytes,
    long spoolMaxBytes,
    Duration pollInterval,
    String spoolRollCycle,
    int batchRecords,
    Duration batchAge,
    List<MultilineConfig> multiline) {

  /**
   * Entries per push by default. 10,000 (so that {@link LogShipper#PUSH_MAX_BYTES} decides, about
   * 7,000 lines of 115 bytes) cost the forwarder, the HTTP client and the receiver 11-36% less CPU
   * per MiB, but shipped one file slower in wall time in every one of 7 alternating pairs on the
   * loaded machine, for a reason not found (bench/RESULTS.md, 2026-12-03 evening, helper shipper):
   * 2,000 stays until an idle machine decides.
   */
  static final int DEFAULT_BATCH_RECORDS = 2_000;

  public ShipperConfig {
    glob = glob != null ? glob : "/var/log/pods/*/*/*.log";
    Objects.requireNonNull(spoolDir, "spoolDir");
    Objects.requireNonNull(server, "server");
    includeNamespaces = copy(includeNamespaces);
    excludeNamespaces = copy(excludeNamespaces);
    includePods = copy(includePods);
    excludePods = copy(excludePods);
    includeContainers = copy(includeContainers);
    excludeContainers = copy(excludeContainers);
    maxLineBytes = maxLineBytes > 0 ? maxLineBytes : 256 << 10;
    spoolMaxBytes = spoolMaxBytes > 0 ? spoolMaxBytes : 1L << 30;
    pollInterval = pollInterval != null ? pollInterval : Duration.ofMillis(250);
    spoolRollCycle = spoolRollCycle != null ? spoolRollCycle : "FIVE_MINUTELY";
    batchRecords = batchRecords > 0 ? batchRecords : DEFAULT_BATCH_RECORDS;
    batchAge = batchAge != null ? batchAge : Duration.ofMillis(500);
    multiline = multiline != null ? List.copyOf(multiline) : List.of();
    if (maxLineBytes < 16) {
      throw new IllegalArgumentException("cannot configure log shipper: maxLineBytes below 16");
    }
    for (List<String> l :
        List.of(
            includeNamespaces,
            excludeNamespaces,
            includePods,
            excludePods,
            includeContainers,
            excludeContainers)) {
      l.forEach(Pattern::compile); // fail at load time on a bad pattern
    }
  }

  private static List<String> copy(List<String> l) {
    return l != null ? List.copyOf(l) : List.of();
  }

  /** Defaults for everything but the three required settings. */
  public static ShipperConfig of(String glob, Path spoolDir, URI server) {
    return new ShipperConfig(
        glob, spoolDir, server, null, null, null, null, null, null, null, 0, 0, null, null, 0, null,
        null);
  }

  public ShipperConfig withCluster(String c) {
    return new ShipperConfig(
        glob,
        spoolDir,
        server,
        c,
        includeNamespaces,
        excludeNamespaces,
        includePods,
        excludePods,
        includeContainers,
        excludeContainers,
        maxLineBytes,
        spoolMaxBytes,
        pollInterval,
        spoolRollCycle,
        batchRecords,
        batchAge,
        multiline);
  }

  public ShipperConfig withFilters(
      List<String> inNs,
      List<String> exNs,
      List<String> inPod,
      List<String> exPod,
      List<String> inContainer,
      List<String> exContainer) {
    return new ShipperConfig(
        glob,
        spoolDir,
        server,
        cluster,
        inNs,
        exNs,
        inPod,
        exPod,
        inContainer,
        exContainer,
        maxLineBytes,
        spoolMaxBytes,
        pollInterval,
        spoolRollCycle,
        batchRecords,
        batchAge,
        multiline);
  }

  public ShipperConfig withLimits(int maxLine, long spoolMax) {
    return new ShipperConfig(
        glob,
        spoolDir,
        server,
        cluster,
        includeNamespaces,
        excludeNamespaces,
        includePods,
        excludePods,
        includeContainers,
        excludeContainers,
        maxLine,
        spoolMax,
        pollInterval,
        spoolRollCycle,
        batchRecords,
        batchAge,
        multiline);
  }

  public ShipperConfig withSpoolRollCycle(String cycle) {
    return new ShipperConfig(
        glob,
        spoolDir,
        server,
        cluster,
        includeNamespaces,
        excludeNamespaces,
        includePods,
        excludePods,
        includeContainers,
        excludeContainers,
        maxLineBytes,
        spoolMaxBytes,
        pollInterval,
        cycle,
        batchRecords,
        batchAge,
        multiline);
  }

  public ShipperConfig withMultiline(List<MultilineConfig> rules) {
    return new ShipperConfig(
        glob,
        spoolDir,
        server,
        cluster,
        includeNamespaces,
        excludeNamespaces,
        includePods,
        excludePods,
        includeContainers,
        excludeContainers,
        maxLineBytes,
        spoolMaxBytes,
        pollInterval,
        spoolRollCycle,
        batchRecords,
        batchAge,
        rules);
  }

  /** The multi-line rule for a file with these base labels, or null. */
  MultilineConfig multilineFor(dev.osprey.core.labels.Labels base) {
    for (MultilineConfig m : multiline) {
      if (m.selects(base)) {
        return m;
      }
    }
    return null;
  }

  URI pushUri() {
    String base = server.toString();
    return URI.create(
        (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/loki/api/v1/push");
  }
}
