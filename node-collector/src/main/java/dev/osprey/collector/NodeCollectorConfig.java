package dev.osprey.collector;

import dev.osprey.collector.kube.KubeletConfig;
import dev.osprey.collector.scrape.PrometheusConfig;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The node-collector's configuration.
 *
 * @param cgroupRoot where the cgroup hierarchy is mounted ({@code --cgroup-root}; v1 with one
 *     directory per controller, or v2 unified)
 * @param procRoot the host's {@code /proc}
 * @param sysRoot the host's {@code /sys}
 * @param rootFs where the host's root file system is visible (node_exporter's {@code
 *     --path.rootfs})
 * @param collectInterval how often cgroup and node metrics are read
 * @param kubelet where and how the kubelet's pod list is read; null when not running under
 *     Kubernetes
 * @param nodeMetrics whether node_exporter-style metrics are collected
 * @param scrape the Prometheus scrape configuration ({@code --prometheus-config}), or null
 */
public record NodeCollectorConfig(
    Path cgroupRoot,
    Path procRoot,
    Path sysRoot,
    Path rootFs,
    Duration collectInterval,
    KubeletConfig kubelet,
    boolean nodeMetrics,
    PrometheusConfig scrape) {
  public NodeCollectorConfig {
    cgroupRoot = cgroupRoot != null ? cgroupRoot : Path.of("/sys/fs/cgroup");
    procRoot = procRoot != null ? procRoot : Path.of("/proc");
    sysRoot = sysRoot != null ? sysRoot : Path.of("/sys");
    rootFs = rootFs != null ? rootFs : Path.of("/");
    collectInterval = collectInterval != null ? collectInterval : Duration.ofSeconds(15);
    if (collectInterval.isNegative() || collectInterval.isZero()) {
      throw new IllegalArgumentException("collect interval must be positive: " + collectInterval);
    }
  }

  /**
   * From the agent's config: its {@code cgroupRoot}, {@code collectInterval} and {@code
   * prometheusConfig} (loaded and validated here, so a bad file fails the agent's start, naming the
   * field). /proc, /sys and / are the host's as this process sees them.
   *
   * @param kubelet where the pod list comes from, or null outside Kubernetes
   */
  public static NodeCollectorConfig fromAgent(
      dev.osprey.core.config.AgentConfig agent, KubeletConfig kubelet) {
    PrometheusConfig prom =
        agent.prometheusConfig() == null || agent.prometheusConfig().isEmpty()
            ? null
            : PrometheusConfig.load(Path.of(agent.prometheusConfig()));
    return new NodeCollectorConfig(
        Path.of(agent.cgroupRoot()),
        null,
        null,
        null,
        agent.collectInterval(),
        kubelet,
        true,
        prom);
  }

  public static NodeCollectorConfig defaults() {
    return new NodeCollectorConfig(null, null, null, null, null, null, true, null);
  }
}
