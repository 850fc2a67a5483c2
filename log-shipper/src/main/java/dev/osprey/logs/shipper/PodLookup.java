package dev.osprey.logs.shipper;

import java.util.Map;

/**
 * This node's pods by UID, as the agent's pod-metadata source (the kubelet's pod list or an API
 * server watch) knows them: what {@link KubernetesStreamLabels} adds to log streams. The agent
 * hands the shipper the same source the metrics collector reads, so a node has one watch or one
 * kubelet poll, not one per consumer.
 */
public interface PodLookup {
  /** The pod with this UID, or null when the source does not know it (yet). Cheap; cached. */
  Pod pod(String uid);

  /**
   * Asks the source to look again because a log file names a pod it does not know; the source
   * limits how often it really does.
   */
  default void refresh() {}

  /** A pod's labels and annotations. */
  record Pod(Map<String, String> labels, Map<String, String> annotations) {}
}
