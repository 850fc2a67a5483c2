package dev.osprey.collector.scrape;

import dev.osprey.core.labels.Labels;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One {@code scrape_configs} entry, with the global defaults already applied.
 *
 * @param bodySizeLimit bytes of uncompressed body a scrape may read, 0 for no limit
 * @param sampleLimit samples (after metric relabelling) a scrape may produce, 0 for no limit
 * @param labelLimit labels per series, 0 for no limit
 * @param podDiscovery {@code kubernetes_sd_configs} with role pod, served from the kubelet's pod
 *     list (this node's pods only); empty when the config has none
 */
public record ScrapeConfig(
    String jobName,
    Duration scrapeInterval,
    Duration scrapeTimeout,
    String metricsPath,
    String scheme,
    Map<String, List<String>> params,
    boolean honorLabels,
    boolean honorTimestamps,
    List<StaticConfig> staticConfigs,
    List<RelabelConfig> relabelConfigs,
    List<RelabelConfig> metricRelabelConfigs,
    long bodySizeLimit,
    int sampleLimit,
    int labelLimit,
    int labelNameLengthLimit,
    int labelValueLengthLimit,
    List<PodDiscovery> podDiscovery) {

  /**
   * One {@code kubernetes_sd_configs} entry (role pod).
   *
   * @param namespaces namespaces to take pods from; empty for all
   */
  public record PodDiscovery(List<String> namespaces) {}

  /** A {@code static_configs} group: addresses and the labels they share. */
  public record StaticConfig(List<String> targets, Labels labels) {}
}
