package dev.osprey.collector.kube;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This node's pods from the API server: a fabric8 informer (list, then watch, cached, re-listed on
 * expiry) with a field selector on {@code spec.nodeName}, so the agent's load on the API server is
 * one watch per node. The cache is converted to {@link PodInfo} only when it changed.
 */
public final class ApiServerPods implements PodMetadata, AutoCloseable {
  private final SharedIndexInformer<Pod> informer;
  private final String nodeName;
  private KubernetesClient owned;
  private final AtomicLong changes = new AtomicLong(1);
  private long convertedAt;
  private volatile View view = new View(Map.of(), Map.of());

  private record View(Map<String, PodInfo> byUid, Map<String, PodInfo.ContainerInfo> byId) {}

  /**
   * Starts the informer without waiting: the initial list runs in the background and is retried
   * until it succeeds ({@link #hasSynced()} tells when it is done).
   *
   * @param nodeName this node (from the downward API's spec.nodeName), or null for every pod
   */
  public ApiServerPods(KubernetesClient client, String nodeName) {
    this(client, nodeName, true);
  }

  /**
   * @param serverSideSelector whether the API server filters by node (always, except against a test
   *     double that cannot evaluate field selectors); the cache is filtered again here
   */
  ApiServerPods(KubernetesClient client, String nodeName, boolean serverSideSelector) {
    this.nodeName = nodeName;
    var pods = client.pods().inAnyNamespace();
    var selected =
        nodeName == null || !serverSideSelector ? pods : pods.withField("spec.nodeName", nodeName);
    // runnableInformer + start(), not inform(): inform() blocks on the first list and fails for
    // good when the API server is down at start; this keeps retrying, and the agent's numbers
    // (and log lines) flow meanwhile without names
    this.informer = selected.runnableInformer(0);
    informer.exceptionHandler((started, t) -> true);
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
    informer.start();
  }

  /**
   * A client configured the fabric8 way (in a pod: the service account; else kubeconfig), owned and
   * closed by the returned object.
   *
   * @param nodeName this node, usually from the downward API (env NODE_NAME)
   */
  public static ApiServerPods inCluster(String nodeName) {
    KubernetesClient client = new io.fabric8.kubernetes.client.KubernetesClientBuilder().build();
    ApiServerPods p = new ApiServerPods(client, nodeName);
    p.owned = client;
    return p;
  }

  public boolean hasSynced() {
    return informer.hasSynced();
  }

  /** Rebuilds the view from the informer's cache when an event came since the last rebuild. */
  @Override
  public synchronized void refresh() {
    long c = changes.get();
    if (c == convertedAt) {
      return;
    }
    List<Pod> cached =
        informer.getStore().list().stream()
            .filter(
                p ->
                    nodeName == null
                        || (p.getSpec() != null && nodeName.equals(p.getSpec().getNodeName())))
            .toList();
    PodList list = new PodList();
    list.setItems(cached);
    // the same conversion as the kubelet's list: one code path for both sources
    List<PodInfo> infos =
        KubeletPodList.parse(Serialization.asJson(list).getBytes(StandardCharsets.UTF_8));
    Map<String, PodInfo> byUid = new HashMap<>();
    Map<String, PodInfo.ContainerInfo> byId = new HashMap<>();
    for (PodInfo p : infos) {
      byUid.put(p.uid(), p);
      for (PodInfo.ContainerInfo ci : p.containers()) {
        if (!ci.id().isEmpty()) {
          byId.put(ci.id(), ci);
        }
      }
    }
    view = new View(Map.copyOf(byUid), Map.copyOf(byId));
    convertedAt = c;
  }

  @Override
  public PodInfo pod(String uid) {
    return view.byUid().get(uid);
  }

  @Override
  public PodInfo.ContainerInfo container(String containerId) {
    return view.byId().get(containerId);
  }

  @Override
  public Collection<PodInfo> pods() {
    return view.byUid().values();
  }

  @Override
  public void close() {
    informer.close();
    if (owned != null) {
      owned.close();
    }
  }
}
