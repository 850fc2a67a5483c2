package dev.osprey.logs.shipper;

import dev.osprey.core.labels.Labels;
import dev.osprey.pipeline.LogEntry;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Adds what the Kubernetes API knows about a log file's pod to its stream labels: the pod labels
 * and annotations whose keys are on an allow-list (names sanitized to label names) and {@code
 * node_name}. Pods come from a fabric8 informer on this node's pods (list, then watch, cached;
 * field selector {@code spec.nodeName}), found by the {@code pod_uid} label the file's path gave.
 *
 * <p>It never blocks shipping: the informer starts without waiting and retries in the background;
 * until a pod is known its lines carry the path labels only, and a pod that appears later (a watch
 * event) labels the lines read after it. Labels from the path win over the API's on a clash.
 */
public final class KubernetesStreamLabels implements AutoCloseable {
  /** Loki's default max_label_value_length is 2048; annotations can be far longer. */
  static final int MAX_VALUE_CHARS = 1024;

  private static final int MAX_CACHED_STREAMS = 4096;

  private final SharedIndexInformer<Pod> informer;
  private final String nodeName;
  private final List<String> podLabelKeys;
  private final List<String> annotationKeys;
  private final AtomicLong changes = new AtomicLong(1);
  private volatile int knownPods;
  // guarded by this: rebuilt when an event came since the last look
  private long builtAt;
  private Map<String, Labels> extrasByUid = Map.of();
  private final Map<Labels, Labels> byStream = new IdentityHashMap<>();

  /**
   * Starts watching (without waiting for the first list).
   *
   * @param nodeName this node (env NODE_NAME); its pods are watched and it is the {@code node_name}
   *     label
   * @param podLabelKeys pod label keys to copy, e.g. {@code app.kubernetes.io/name}
   * @param annotationKeys pod annotation keys to copy
   */
  public KubernetesStreamLabels(
      KubernetesClient client,
      String nodeName,
      List<String> podLabelKeys,
      List<String> annotationKeys,
      MeterRegistry registry) {
    this(client, nodeName, podLabelKeys, annotationKeys, registry, true);
  }

  /**
   * @param serverSideSelector false only against fabric8's mock server, which cannot evaluate the
   *     {@code spec.nodeName} field selector; pods are filtered here either way
   */
  KubernetesStreamLabels(
      KubernetesClient client,
      String nodeName,
      List<String> podLabelKeys,
      List<String> annotationKeys,
      MeterRegistry registry,
      boolean serverSideSelector) {
    if (nodeName == null || nodeName.isEmpty()) {
      throw new IllegalArgumentException(
          "cannot watch this node's pods for log labels: the node name is empty");
    }
    this.nodeName = nodeName;
    this.podLabelKeys = List.copyOf(podLabelKeys);
    this.annotationKeys = List.copyOf(annotationKeys);
    var pods = client.pods().inAnyNamespace();
    this.informer =
        (serverSideSelector ? pods.withField("spec.nodeName", nodeName) : pods).runnableInformer(0);
    informer.exceptionHandler((started, t) -> true); // keep retrying: logs ship meanwhile
    informer.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Pod obj) {
            changes.incrementAndGet();
          }

          @Override
          public void onUpdate(Pod oldObj, Pod newObj) {
            changes.incrementAndGet();
          }

          @Override
          public void onDelete(Pod obj, boolean deletedFinalStateUnknown) {
            changes.incrementAndGet();
          }
        });
    Gauge.builder("osprey_log_shipper_kubernetes_pods", this, s -> s.knownPods)
        .description("Pods of this node known from the API server (for log stream labels)")
        .register(registry);
    informer.start();
  }

  /** The entry with its stream labels extended; the same entry when there is nothing to add. */
  public LogEntry enrich(LogEntry e) {
    Labels stream = labels(e.stream());
    if (stream == e.stream()) {
      return e;
    }
    return new LogEntry(
        stream,
        e.timestampNanos(),
        e.line(),
        e.metadata(),
        e.sourceId(),
        e.offset(),
        e.nextOffset());
  }

  /**
   * Stream labels plus the pod's. Tailers reuse one labels object per stream, so the result is
   * cached by identity until the next pod event.
   */
  synchronized Labels labels(Labels stream) {
    long c = changes.get();
    if (c != builtAt) {
      rebuild();
      byStream.clear();
      builtAt = c;
    }
    Labels out = byStream.get(stream);
    if (out == null) {
      if (byStream.size() >= MAX_CACHED_STREAMS) {
        byStream.clear();
      }
      out = extend(stream);
      byStream.put(stream, out);
    }
    return out;
  }

  private Labels extend(Labels stream) {
    Labels extras = extrasByUid.get(stream.get("pod_uid"));
    if (extras == null && stream.has("node_name")) {
      return stream;
    }
    Labels.Builder b = stream.toBuilder();
    if (!stream.has("node_name")) {
      b.set("node_name", nodeName);
    }
    if (extras != null) {
      extras.forEach(
          (k, v) -> {
            if (!stream.has(k)) {
              b.set(k, v);
            }
          });
    }
    return b.build();
  }

  private void rebuild() {
    Map<String, Labels> m = new HashMap<>();
    for (Pod p : informer.getStore().list()) {
      if (p.getMetadata() == null
          || p.getMetadata().getUid() == null
          || p.getSpec() == null
          || !nodeName.equals(p.getSpec().getNodeName())) {
        continue;
      }
      Labels.Builder b = Labels.builder();
      copy(p.getMetadata().getLabels(), podLabelKeys, b);
      copy(p.getMetadata().getAnnotations(), annotationKeys, b);
      m.put(p.getMetadata().getUid(), b.build());
    }
    extrasByUid = m;
    knownPods = m.size();
  }

  private static void copy(Map<String, String> from, List<String> keys, Labels.Builder to) {
    if (from == null) {
      return;
    }
    for (String k : keys) {
      String v = from.get(k);
      if (v != null && !v.isEmpty()) {
        to.set(labelName(k), v.length() > MAX_VALUE_CHARS ? v.substring(0, MAX_VALUE_CHARS) : v);
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

  /** Whether the first list has completed. */
  public boolean hasSynced() {
    return informer.hasSynced();
  }

  @Override
  public void close() {
    informer.close();
  }
}
