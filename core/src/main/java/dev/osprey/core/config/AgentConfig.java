package dev.osprey.core.config;

import dev.osprey.core.util.ByteSize;
import java.time.Duration;
import java.util.List;

/**
 * The node agent.
 *
 * @param server base URL of an Osprey server (metrics to /api/v1/write, logs to /loki/api/v1/push)
 * @param spoolDir directory of the Chronicle Queue spool (a hostPath in Kubernetes)
 * @param spoolMaxSize the most disk the spool may use
 * @param logFiles glob of container log files
 * @param cgroupRoot where the cgroup hierarchy is mounted
 * @param prometheusConfig a prometheus.yml whose global and scrape_configs sections are used
 * @param collectInterval how often cgroup and node metrics are read
 * @param kubernetes where pod metadata comes from ({@code agent.kubernetes})
 * @param multiline which container logs are joined into multi-line records, first match wins
 */
public record AgentConfig(
    String server,
    String spoolDir,
    ByteSize spoolMaxSize,
    String logFiles,
    String cgroupRoot,
    String prometheusConfig,
    Duration collectInterval,
    KubernetesConfig kubernetes,
    List<MultilineRule> multiline) {
  public AgentConfig {
    server = server != null ? server : "http://127.0.0.1:9400";
    spoolDir = spoolDir != null ? spoolDir : "./spool";
    spoolMaxSize = spoolMaxSize != null ? spoolMaxSize : new ByteSize(1L << 30);
    logFiles = logFiles != null ? logFiles : "/var/log/pods/*/*/*.log";
    cgroupRoot = cgroupRoot != null ? cgroupRoot : "/sys/fs/cgroup";
    collectInterval = collectInterval != null ? collectInterval : Duration.ofSeconds(15);
    kubernetes = kubernetes != null ? kubernetes : KubernetesConfig.DEFAULTS;
    multiline = multiline != null ? List.copyOf(multiline) : List.of();
  }

  /** Without multi-line rules. */
  public AgentConfig(
      String server,
      String spoolDir,
      ByteSize spoolMaxSize,
      String logFiles,
      String cgroupRoot,
      String prometheusConfig,
      Duration collectInterval,
      KubernetesConfig kubernetes) {
    this(
        server,
        spoolDir,
        spoolMaxSize,
        logFiles,
        cgroupRoot,
        prometheusConfig,
        collectInterval,
        kubernetes,
        null);
  }

  /** Without Kubernetes settings (their defaults). */
  public AgentConfig(
      String server,
      String spoolDir,
      ByteSize spoolMaxSize,
      String logFiles,
      String cgroupRoot,
      String prometheusConfig,
      Duration collectInterval) {
    this(
        server,
        spoolDir,
        spoolMaxSize,
        logFiles,
        cgroupRoot,
        prometheusConfig,
        collectInterval,
        null,
        null);
  }

  public static final AgentConfig DEFAULTS =
      new AgentConfig(null, null, null, null, null, null, null, null, null);
}
