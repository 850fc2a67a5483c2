package dev.osprey.collector.kube;

import dev.osprey.collector.SampleSink;
import dev.osprey.core.labels.Labels;

/**
 * Pod state with kube-state-metrics' names, from whatever the pod list says about this node's pods:
 * {@code kube_pod_status_phase}, {@code kube_pod_start_time}, {@code
 * kube_pod_container_status_restarts_total}, {@code kube_pod_container_state_started}, {@code
 * kube_pod_container_status_last_terminated_timestamp}. Labels: namespace, pod, uid (and
 * container).
 */
public final class PodStateCollector {
  private static final String[] PHASES = {"Pending", "Running", "Succeeded", "Failed", "Unknown"};

  private final PodMetadata pods;

  public PodStateCollector(PodMetadata pods) {
    this.pods = pods;
  }

  public void collect(long t, SampleSink sink) {
    for (PodInfo p : pods.pods()) {
      Labels base = Labels.of("namespace", p.namespace(), "pod", p.name(), "uid", p.uid());
      for (String phase : PHASES) {
        sink.accept(
            with(base, "kube_pod_status_phase").set("phase", phase).build(),
            t,
            phase.equals(p.phase()) ? 1 : 0);
      }
      if (!Double.isNaN(p.startTimeSeconds())) {
        sink.accept(with(base, "kube_pod_start_time").build(), t, p.startTimeSeconds());
      }
      for (PodInfo.ContainerInfo c : p.containers()) {
        Labels.Builder cb = base.toBuilder().set("container", c.name());
        sink.accept(
            cb.set(Labels.METRIC_NAME, "kube_pod_container_status_restarts_total").build(),
            t,
            c.restartCount());
        if (!Double.isNaN(c.startedAtSeconds())) {
          sink.accept(
              cb.set(Labels.METRIC_NAME, "kube_pod_container_state_started").build(),
              t,
              c.startedAtSeconds());
        }
        if (!Double.isNaN(c.lastTerminatedAtSeconds())) {
          sink.accept(
              cb.set(Labels.METRIC_NAME, "kube_pod_container_status_last_terminated_timestamp")
                  .build(),
              t,
              c.lastTerminatedAtSeconds());
        }
      }
    }
  }

  private static Labels.Builder with(Labels base, String name) {
    return base.toBuilder().set(Labels.METRIC_NAME, name);
  }
}
