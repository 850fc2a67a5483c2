package dev.osprey.collector.scrape;

import dev.osprey.collector.SampleSink;
import dev.osprey.collector.kube.PodInfo;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link ScrapeLoop} per target of a {@link PrometheusConfig}: static targets, and pods of
 * this node for configs with {@code kubernetes_sd_configs} (role pod). Each target is scraped every
 * interval at its own offset within the interval (a hash of its labels and URL, as Prometheus
 * spreads targets), on a virtual thread; a scrape still running when its next tick comes makes that
 * tick be skipped, never doubled. {@link #sync()} re-reads discovery: new targets start, vanished
 * ones stop and their series get staleness markers.
 */
public final class ScrapeManager implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ScrapeManager.class);

  private final PrometheusConfig config;
  private final SampleSink sink;
  private final Supplier<Collection<PodInfo>> pods;
  private final HttpClient http;
  private final long seed;
  private final Counter scrapes;
  private final Counter failures;
  private final AtomicInteger targetCount = new AtomicInteger();
  private final Map<Target, Running> running = new LinkedHashMap<>();
  private ScheduledExecutorService ticker;
  private ExecutorService workers;

  private record Running(ScrapeLoop loop, ScheduledFuture<?> future) {}

  public ScrapeManager(PrometheusConfig config, SampleSink sink, MeterRegistry registry) {
    this(config, sink, registry, List::of);
  }

  /**
   * @param pods this node's pods (the kubelet's list) for {@code kubernetes_sd_configs}
   */
  public ScrapeManager(
      PrometheusConfig config,
      SampleSink sink,
      MeterRegistry registry,
      Supplier<Collection<PodInfo>> pods) {
    this.config = config;
    this.sink = sink;
    this.pods = pods;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .version(HttpClient.Version.HTTP_1_1) // as Prometheus for plain http; no h2c upgrade
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
    long s;
    try {
      s = InetAddress.getLocalHost().getHostName().hashCode();
    } catch (UnknownHostException e) {
      s = 0;
    }
    this.seed = s * 0x9E3779B97F4A7C15L ^ config.externalLabels().hash();
    this.scrapes =
        Counter.builder("osprey_collector_scrapes_total")
            .description("scrapes run")
            .register(registry);
    this.failures =
        Counter.builder("osprey_collector_scrape_failures_total")
            .description("scrapes that failed (up 0)")
            .register(registry);
    registry.gauge("osprey_collector_scrape_targets", targetCount);
  }

  /** The targets the configuration gives now (static plus discovered pods). */
  public List<Target> desiredTargets() {
    List<Target> out = new ArrayList<>();
    Collection<PodInfo> podList = null;
    for (ScrapeConfig c : config.scrapeConfigs()) {
      out.addAll(Target.fromStatic(c));
      if (!c.podDiscovery().isEmpty()) {
        if (podList == null) {
          podList = pods.get();
        }
        out.addAll(PodTargets.targets(c, podList));
      }
    }
    return out;
  }

  public synchronized List<ScrapeLoop> loops() {
    List<ScrapeLoop> out = new ArrayList<>();
    running.values().forEach(r -> out.add(r.loop()));
    return out;
  }

  /** Where in its interval a target is scraped, in milliseconds from an interval boundary. */
  long offsetMillis(Target t) {
    long interval = t.interval().toMillis();
    long h = t.labels().hash() ^ t.url().toString().hashCode() ^ seed;
    return Long.remainderUnsigned(h, interval);
  }

  public synchronized boolean isStarted() {
    return ticker != null;
  }

  public synchronized void start() {
    if (ticker != null) {
      throw new IllegalStateException("ScrapeManager already started");
    }
    ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "osprey-scrape-ticker");
              t.setDaemon(true);
              return t;
            });
    workers = Executors.newVirtualThreadPerTaskExecutor();
    sync();
    LOG.info("event=scrape_started targets={}", running.size());
  }

  /** Starts loops for new targets and stops (with stale markers) those no longer wanted. */
  public synchronized void sync() {
    if (ticker == null) {
      throw new IllegalStateException("ScrapeManager not started");
    }
    List<Target> desired = desiredTargets();
    long now = System.currentTimeMillis();
    for (Target gone : new ArrayList<>(running.keySet())) {
      if (!desired.contains(gone)) {
        Running r = running.remove(gone);
        r.future().cancel(false);
        workers.execute(() -> r.loop().stop(System.currentTimeMillis()));
        LOG.info("event=target_removed url={}", gone.url());
      }
    }
    for (Target t : desired) {
      if (running.containsKey(t)) {
        continue;
      }
      ScrapeLoop loop = new ScrapeLoop(t, http, sink, config.externalLabels());
      long interval = t.interval().toMillis();
      long initial = Math.floorMod(offsetMillis(t) - now, interval);
      AtomicBoolean busy = new AtomicBoolean();
      ScheduledFuture<?> f =
          ticker.scheduleAtFixedRate(
              () -> {
                if (busy.compareAndSet(false, true)) {
                  workers.execute(() -> runOnce(loop, busy));
                }
              },
              initial,
              interval,
              TimeUnit.MILLISECONDS);
      running.put(t, new Running(loop, f));
    }
    targetCount.set(running.size());
  }

  private void runOnce(ScrapeLoop loop, AtomicBoolean busy) {
    try {
      ScrapeLoop.Result r = loop.scrapeOnce(System.currentTimeMillis());
      scrapes.increment();
      if (!r.up()) {
        failures.increment();
        LOG.debug("event=scrape_failed target={} error=\"{}\"", loop.target().url(), r.error());
      }
    } catch (RuntimeException e) {
      failures.increment();
      LOG.warn("event=scrape_crashed target={} error=\"{}\"", loop.target().url(), e.toString());
    } finally {
      busy.set(false);
    }
  }

  @Override
  public synchronized void close() {
    if (ticker == null) {
      return;
    }
    ticker.shutdownNow();
    long now = System.currentTimeMillis();
    for (Running r : running.values()) {
      workers.execute(() -> r.loop().stop(now));
    }
    workers.shutdown();
    try {
      if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
        workers.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    running.clear();
    ticker = null;
  }

  public PrometheusConfig config() {
    return config;
  }
}
