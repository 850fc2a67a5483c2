package dev.osprey.logs.shipper;

import dev.osprey.core.labels.Labels;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Adds what Kubernetes knows about a log file's pod to its stream labels: the pod labels and
 * annotations whose keys are on an allow-list (names sanitized to label names) and {@code
 * node_name}. Pods come from the agent's pod-metadata source ({@link PodLookup}: the kubelet's list
 * or an API server watch, shared with the metrics collector), found by the {@code pod_uid} label
 * the file's path gave.
 *
 * <p>It never blocks shipping on Kubernetes: until a pod is known its lines carry the path labels
 * only; an unknown pod makes the source look again in the background (at most once a second, and as
 * often as the source itself allows) and a stream re-checks its pod at most once a second, so a pod
 * that appears later labels the lines read after it. Labels from the path win over Kubernetes's on
 * a clash.
 */
public final class KubernetesStreamLabels {
  /** Loki's default max_label_value_length is 2048; annotations can be far longer. */
  static final int MAX_VALUE_CHARS = 1024;

  private static final int MAX_CACHED_STREAMS = 4096;
  private static final long RECHECK_NANOS = 1_000_000_000L;

  private final PodLookup pods;
  private final String nodeName;
  private final List<String> podLabelKeys;
  private final List<String> annotationKeys;
  private final Counter misses;
  // guarded by this; keyed by identity: tailers reuse one labels object per stream
  private final Map<Labels, Cached> byStream = new IdentityHashMap<>();

  private long refreshedAt = System.nanoTime() - RECHECK_NANOS;
  private final AtomicBoolean refreshing = new AtomicBoolean();

  private record Cached(Labels labels, long checkedAt) {}

  /**
   * @param pods this node's pods
   * @param nodeName this node (env NODE_NAME), the {@code node_name} label; null or empty when
   *     unknown (no label then)
   * @param podLabelKeys pod label keys to copy, e.g. {@code app.kubernetes.io/name}
   * @param annotationKeys pod annotation keys to copy
   */
  public KubernetesStreamLabels(
      PodLookup pods,
      String nodeName,
      List<String> podLabelKeys,
      List<String> annotationKeys,
      MeterRegistry registry) {
    this.pods = pods;
    this.nodeName = nodeName == null ? "" : nodeName;
    this.podLabelKeys = List.copyOf(podLabelKeys);
    this.annotationKeys = List.copyOf(annotationKeys);
    this.misses =
        Counter.builder("osprey_log_shipper_pod_lookup_misses_total")
            .description(
                "Looks for a log file's pod that the pod-metadata source did not know (its lines"
                    + " ship with path labels until it does)")
            .register(registry);
  }

  /**
   * Stream labels plus the pod's. The result is cached per stream (by identity) and its pod looked
   * at again at most once a second; an unchanged result keeps its identity.
   */
  synchronized Labels labels(Labels stream) {
    long now = System.nanoTime();
    Cached c = byStream.get(stream);
    if (c != null && now - c.checkedAt() < RECHECK_NANOS) {
      return c.labels();
    }
    String uid = stream.get("pod_uid");
    PodLookup.Pod pod = null;
    if (!uid.isEmpty()) {
      pod = pods.pod(uid);
      if (pod == null) {
        misses.increment();
        // at most once a second however many streams miss, and never on the reading thread: a
        // kubelet that hangs must not stop the tailing
        if (now - refreshedAt >= RECHECK_NANOS && refreshing.compareAndSet(false, true)) {
          refreshedAt = now;
          Thread.ofVirtual()
              .name("osprey-pod-refresh")
              .start(
                  () -> {
                    try {
                      pods.refresh();
                    } catch (RuntimeException e) {
                      // the source keeps its last good view; lines ship with what is known
                    } finally {
                      refreshing.set(false);
                    }
                  });
        }
      }
    }
    Labels out = extend(stream, pod);
    if (c != null && c.labels().equals(out)) {
      out = c.labels();
    }
    if (byStream.size() >= MAX_CACHED_STREAMS && c == null) {
      byStream.clear();
    }
    byStream.put(stream, new Cached(out, now));
    return out;
  }

  private Labels extend(Labels stream, PodLookup.Pod pod) {
    boolean addNode = !nodeName.isEmpty() && !stream.has("node_name");
    if (pod == null && !addNode) {
      return stream;
    }
    Labels.Builder b = stream.toBuilder();
    if (addNode) {
      b.set("node_name", nodeName);
    }
    if (pod != null) {
      copy(pod.labels(), podLabelKeys, stream, b);
      copy(pod.annotations(), annotationKeys, stream, b);
    }
    return b.build();
  }

  private static void copy(
      Map<String, String> from, List<String> keys, Labels stream, Labels.Builder to) {
    if (from == null) {
      return;
    }
    for (String k : keys) {
      String v = from.get(k);
      String name = labelName(k);
      if (v != null && !v.isEmpty() && !stream.has(name)) {
        to.set(name, v.length() > MAX_VALUE_CHARS ? v.substring(0, MAX_VALUE_CHARS) : v);
      }
    }
  }

  /**
   * A Kubernetes label or annotation key as a Loki label name ({@code [a-zA-Z_][a-zA-Z0-9_]*}):
   * every other character becomes {@code _}, a leading digit gets a {@code _} before it ({@code
   * app.kubernetes.io/name} becomes {@code app_kubernetes_io_name}, as Prometheus's labelmap of
   * {@code __meta_kubernetes_pod_label_*} names it).
   */
  static String labelName(String key) {
    StringBuilder sb = new StringBuilder(key.length() + 1);
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9');
      sb.append(ok ? c : '_');
    }
    if (sb.isEmpty() || Character.isDigit(sb.charAt(0))) {
      sb.insert(0, '_');
    }
    return sb.toString();
  }
}
