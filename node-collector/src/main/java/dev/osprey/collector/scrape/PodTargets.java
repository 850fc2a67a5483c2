package dev.osprey.collector.scrape;

import dev.osprey.collector.kube.PodInfo;
import dev.osprey.core.labels.Labels;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Prometheus's Kubernetes pod role, fed by the kubelet's pod list instead of the API server: one
 * target per declared container port ({@code podIP:port}), one per container without ports ({@code
 * podIP}), with the same {@code __meta_kubernetes_*} labels, so the usual "kubernetes-pods" job
 * with its {@code prometheus.io/scrape}, {@code /port}, {@code /path} relabel rules works
 * unchanged.
 */
public final class PodTargets {
  private PodTargets() {}

  /** The relabelled targets of {@code config}'s pod discovery over {@code pods}. */
  public static List<Target> targets(ScrapeConfig config, Collection<PodInfo> pods) {
    List<Target> out = new ArrayList<>();
    for (ScrapeConfig.PodDiscovery d : config.podDiscovery()) {
      for (Labels l : discovered(pods, d)) {
        Target t = Target.populate(l, config);
        if (t != null && !out.contains(t)) {
          out.add(t);
        }
      }
    }
    return out;
  }

  /** The discovered label sets (before relabelling). */
  public static List<Labels> discovered(Collection<PodInfo> pods, ScrapeConfig.PodDiscovery d) {
    List<Labels> out = new ArrayList<>();
    for (PodInfo p : pods) {
      if (p.podIp().isEmpty()
          || (!d.namespaces().isEmpty() && !d.namespaces().contains(p.namespace()))) {
        continue;
      }
      Labels.Builder pod = Labels.builder();
      pod.set("__meta_kubernetes_namespace", p.namespace())
          .set("__meta_kubernetes_pod_name", p.name())
          .set("__meta_kubernetes_pod_ip", p.podIp())
          .set("__meta_kubernetes_pod_ready", p.ready())
          .set("__meta_kubernetes_pod_phase", p.phase())
          .set("__meta_kubernetes_pod_node_name", p.nodeName())
          .set("__meta_kubernetes_pod_host_ip", p.hostIp())
          .set("__meta_kubernetes_pod_uid", p.uid())
          .set("__meta_kubernetes_pod_controller_kind", p.controllerKind())
          .set("__meta_kubernetes_pod_controller_name", p.controllerName());
      meta(pod, "__meta_kubernetes_pod_label_", "__meta_kubernetes_pod_labelpresent_", p.labels());
      meta(
          pod,
          "__meta_kubernetes_pod_annotation_",
          "__meta_kubernetes_pod_annotationpresent_",
          p.annotations());
      Labels base = pod.build();
      for (PodInfo.ContainerInfo c : p.containers()) {
        Labels.Builder cb =
            base.toBuilder()
                .set("__meta_kubernetes_pod_container_name", c.name())
                .set("__meta_kubernetes_pod_container_image", c.image())
                .set("__meta_kubernetes_pod_container_init", Boolean.toString(c.init()));
        if (!c.id().isEmpty()) {
          cb.set("__meta_kubernetes_pod_container_id", c.id());
        }
        if (c.ports().isEmpty()) {
          out.add(cb.set("__address__", p.podIp()).build());
          continue;
        }
        for (PodInfo.Port port : c.ports()) {
          out.add(
              cb.build().toBuilder()
                  .set("__address__", hostPort(p.podIp(), port.number()))
                  .set("__meta_kubernetes_pod_container_port_name", port.name())
                  .set(
                      "__meta_kubernetes_pod_container_port_number",
                      Integer.toString(port.number()))
                  .set("__meta_kubernetes_pod_container_port_protocol", port.protocol())
                  .build());
        }
      }
    }
    return out;
  }

  private static String hostPort(String ip, int port) {
    return (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + port;
  }

  private static void meta(
      Labels.Builder b, String prefix, String presentPrefix, Map<String, String> m) {
    m.forEach(
        (k, v) -> {
          String n = sanitize(k);
          b.set(prefix + n, v);
          b.set(presentPrefix + n, "true");
        });
  }

  /** Prometheus's strutil.SanitizeLabelName: every character outside [a-zA-Z0-9_] becomes _. */
  static String sanitize(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      sb.append(ok ? c : '_');
    }
    return sb.toString();
  }
}
