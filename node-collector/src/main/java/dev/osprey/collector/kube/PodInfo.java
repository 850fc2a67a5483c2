package dev.osprey.collector.kube;

import java.util.List;
import java.util.Map;

/**
 * What the collector needs to know about one pod, from the kubelet's pod list or the API server.
 *
 * @param phase Pending, Running, Succeeded, Failed or Unknown
 * @param startTimeSeconds status.startTime as Unix seconds, NaN when unset
 * @param ready the Ready condition: "true", "false" or "unknown"
 * @param controllerKind the kind of the controlling owner reference, or ""
 */
public record PodInfo(
    String uid,
    String name,
    String namespace,
    String phase,
    double startTimeSeconds,
    List<ContainerInfo> containers,
    String podIp,
    String hostIp,
    String nodeName,
    Map<String, String> labels,
    Map<String, String> annotations,
    String ready,
    String controllerKind,
    String controllerName) {

  /** A declared container port. */
  public record Port(String name, int number, String protocol) {}

  /**
   * One container of the pod (init and ephemeral containers included).
   *
   * @param id the runtime's container ID without the {@code containerd://} scheme, "" when none yet
   * @param startedAtSeconds state.running.startedAt, NaN when not running
   * @param lastTerminatedAtSeconds lastState.terminated.finishedAt, NaN when never terminated
   * @param ports the ports the spec declares
   * @param init whether it is an init container
   */
  public record ContainerInfo(
      String name,
      String id,
      String image,
      int restartCount,
      double startedAtSeconds,
      double lastTerminatedAtSeconds,
      List<Port> ports,
      boolean init) {}
}
