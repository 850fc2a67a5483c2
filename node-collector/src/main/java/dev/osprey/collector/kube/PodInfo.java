package dev.osprey.collector.kube;

import java.util.List;

/**
 * What the collector needs to know about one pod, from the kubelet's pod list or the API server.
 *
 * @param phase Pending, Running, Succeeded, Failed or Unknown
 * @param startTimeSeconds status.startTime as Unix seconds, NaN when unset
 */
public record PodInfo(
    String uid,
    String name,
    String namespace,
    String phase,
    double startTimeSeconds,
    List<ContainerInfo> containers) {

  /**
   * One container of the pod (init and ephemeral containers included).
   *
   * @param id the runtime's container ID without the {@code containerd://} scheme, "" when none yet
   * @param startedAtSeconds state.running.startedAt, NaN when not running
   * @param lastTerminatedAtSeconds lastState.terminated.finishedAt, NaN when never terminated
   */
  public record ContainerInfo(
      String name,
      String id,
      String image,
      int restartCount,
      double startedAtSeconds,
      double lastTerminatedAtSeconds) {}
}
