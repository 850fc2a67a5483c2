package dev.osprey.logs.shipper;

import dev.osprey.core.labels.Labels;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Stream labels from a kubelet log path {@code .../<namespace>_<pod>_<uid>/<container>/<n>.log}
 * (namespace and pod names cannot contain {@code _}), and the include/exclude filters. Other paths
 * get a {@code filename} label.
 */
final class PodLabels {
  private final String cluster;
  private final List<Pattern> inNs;
  private final List<Pattern> exNs;
  private final List<Pattern> inPod;
  private final List<Pattern> exPod;
  private final List<Pattern> inContainer;
  private final List<Pattern> exContainer;

  PodLabels(ShipperConfig c) {
    this.cluster = c.cluster();
    this.inNs = compile(c.includeNamespaces());
    this.exNs = compile(c.excludeNamespaces());
    this.inPod = compile(c.includePods());
    this.exPod = compile(c.excludePods());
    this.inContainer = compile(c.includeContainers());
    this.exContainer = compile(c.excludeContainers());
  }

  private static List<Pattern> compile(List<String> l) {
    return l.stream().map(Pattern::compile).toList();
  }

  /** The base labels of a file (without {@code stream}), or null when filtered out. */
  Labels labelsFor(Path file) {
    Labels.Builder b = Labels.builder();
    if (cluster != null && !cluster.isEmpty()) {
      b.set("cluster", cluster);
    }
    Path containerDir = file.getParent();
    Path podDir = containerDir != null ? containerDir.getParent() : null;
    String[] parts =
        podDir != null && podDir.getFileName() != null
            ? podDir.getFileName().toString().split("_", -1)
            : new String[0];
    if (parts.length == 3 && !parts[0].isEmpty() && !parts[1].isEmpty()) {
      String ns = parts[0];
      String pod = parts[1];
      String container = containerDir.getFileName().toString();
      if (!allowed(ns, inNs, exNs)
          || !allowed(pod, inPod, exPod)
          || !allowed(container, inContainer, exContainer)) {
        return null;
      }
      b.set("namespace", ns).set("pod", pod).set("pod_uid", parts[2]).set("container", container);
    } else {
      if (!inNs.isEmpty() || !inPod.isEmpty() || !inContainer.isEmpty()) {
        return null; // an include filter asks for pods; this file is not one
      }
      b.set("filename", file.toString());
    }
    return b.build();
  }

  private static boolean allowed(String v, List<Pattern> in, List<Pattern> ex) {
    if (!in.isEmpty() && in.stream().noneMatch(p -> p.matcher(v).matches())) {
      return false;
    }
    return ex.stream().noneMatch(p -> p.matcher(v).matches());
  }
}
