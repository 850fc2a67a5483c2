package dev.osprey.collector;

import dev.osprey.collector.cgroup.CgroupFs;
import dev.osprey.collector.cgroup.ContainerCollector;
import dev.osprey.collector.kube.KubeletPodList;
import dev.osprey.collector.kube.PodMetadata;
import dev.osprey.collector.kube.PodStateCollector;
import dev.osprey.collector.node.NodeMetrics;
import dev.osprey.collector.scrape.ScrapeManager;
import dev.osprey.core.labels.Labels;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.file.Files;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's metrics side: every collect interval it reads the cgroup hierarchy (cAdvisor's
 * container metrics), the kubelet's pod list (names, images, pod state) and, when enabled, the
 * node's /proc and /sys (node_exporter's metrics), and puts every sample into the {@link
 * SampleSink}. Series that disappear get staleness markers. Scrape targets run alongside.
 */
public final class NodeCollector implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeCollector.class);
  static final int MAX_CGROUPS = 20_000;

  private final NodeCollectorConfig config;
  private final SampleSink sink;
  private final PodMetadata pods;
  private final ContainerCollector containers;
  private final PodStateCollector podState;
  private final NodeMetrics node;
  private final ScrapeManager scrapes;
  private final StalenessTracker staleness = new StalenessTracker();
  private final Counter collections;
  private final Counter errors;
  private final Timer duration;
  private final AtomicInteger cgroups = new AtomicInteger();
  private ScheduledExecutorService scheduler;

  public NodeCollector(NodeCollectorConfig config, SampleSink sink, MeterRegistry registry) {
    this(
        config,
        sink,
        registry,
        config.kubelet() == null
            ? PodMetadata.NONE
            : new KubeletPodList(config.kubelet(), config.collectInterval()));
  }

  /**
   * With a pod source of the caller's choosing, e.g. {@code ApiServerPods.inCluster(nodeName)}
   * (list+watch on the API server) instead of the kubelet's list; the caller closes it.
   */
  public NodeCollector(
      NodeCollectorConfig config, SampleSink sink, MeterRegistry registry, PodMetadata pods) {
    this.config = config;
    this.sink = sink;
    this.pods = pods;
    this.containers =
        Files.isDirectory(config.cgroupRoot())
            ? new ContainerCollector(
                CgroupFs.open(config.cgroupRoot(), config.procRoot()),
                config.procRoot(),
                config.sysRoot(),
                pods,
                MAX_CGROUPS)
            : null;
    if (containers == null) {
      LOG.warn("event=no_cgroups cgroup_root={} container metrics are off", config.cgroupRoot());
    }
    this.podState = new PodStateCollector(pods);
    this.node =
        config.nodeMetrics() ? new NodeMetrics(config.procRoot(), config.rootFs(), true) : null;
    this.scrapes =
        config.scrape() == null
            ? null
            : new ScrapeManager(config.scrape(), sink, registry, pods::pods);
    this.collections =
        Counter.builder("osprey_collector_collections_total")
            .description("cgroup and node collections run")
            .register(registry);
    this.errors =
        Counter.builder("osprey_collector_collection_errors_total")
            .description("collections (or parts of one) that failed")
            .register(registry);
    this.duration =
        Timer.builder("osprey_collector_collection_duration_seconds")
            .description("time to read cgroups, pods and node metrics once")
            .register(registry);
    registry.gauge("osprey_collector_cgroups", cgroups);
  }

  public synchronized void start() {
    if (scheduler != null) {
      throw new IllegalStateException("NodeCollector already started");
    }
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "osprey-node-collector");
              t.setDaemon(true);
              return t;
            });
    long period = config.collectInterval().toMillis();
    scheduler.scheduleAtFixedRate(this::collectSafely, 0, period, TimeUnit.MILLISECONDS);
    if (scrapes != null) {
      scrapes.start();
    }
  }

  private void collectSafely() {
    try {
      collectOnce(System.currentTimeMillis());
    } catch (RuntimeException e) {
      errors.increment();
      LOG.warn("event=collection_failed error=\"{}\"", e.toString());
    }
  }

  /** One collection at {@code nowMillis}; public so tests and a one-shot CLI can drive it. */
  public synchronized void collectOnce(long nowMillis) {
    long start = System.nanoTime();
    SampleSink tracked =
        new SampleSink() {
          @Override
          public void accept(Labels labels, long t, double v) {
            staleness.seen(labels);
            sink.accept(labels, t, v);
          }
        };
    try {
      pods.refresh();
    } catch (RuntimeException e) {
      // names and images from the last good list; the numbers still flow
      errors.increment();
      LOG.warn("event=pod_list_failed error=\"{}\"", e.getMessage());
    }
    // each part on its own: one failing (a vanished mount, a kernel without a file) must not
    // cost the others; like a failed scrape, what a failed part did not produce goes stale
    if (containers != null) {
      part("cgroups", () -> cgroups.set(containers.collect(nowMillis, tracked)));
    }
    part("pod_state", () -> podState.collect(nowMillis, tracked));
    if (scrapes != null && scrapes.isStarted()) {
      part("scrape_sync", scrapes::sync); // pods come and go: their scrape targets follow
    }
    if (node != null) {
      part("node", () -> node.collect(nowMillis, tracked));
    }
    staleness.endBatch(nowMillis, sink);
    sink.flush();
    collections.increment();
    duration.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
  }

  private void part(String name, Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      errors.increment();
      LOG.warn("event=collection_part_failed part={} error=\"{}\"", name, e.toString());
    }
  }

  /** The scrape side, or null when no Prometheus config was given. */
  public ScrapeManager scrapeManager() {
    return scrapes;
  }

  @Override
  public synchronized void close() {
    if (scrapes != null) {
      scrapes.close();
    }
    if (scheduler != null) {
      scheduler.shutdownNow();
      try {
        if (!scheduler.awaitTermination(10, TimeUnit.SECONDS)) {
          LOG.warn("event=collector_not_stopped");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      scheduler = null;
    }
  }
}
