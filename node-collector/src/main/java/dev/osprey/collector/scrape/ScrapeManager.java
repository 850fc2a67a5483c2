package dev.osprey.collector.scrape;

import dev.osprey.collector.SampleSink;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link ScrapeLoop} per target of a {@link PrometheusConfig}. Each target is scraped
 * every interval at its own offset within the interval (a hash of its labels and URL, as Prometheus
 * spreads targets), on a virtual thread; a scrape that is still running when its next tick comes
 * makes that tick be skipped, never doubled.
 */
public final class ScrapeManager implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ScrapeManager.class);

  private final PrometheusConfig config;
  private final SampleSink sink;
  private final HttpClient http;
  private final List<ScrapeLoop> loops = new ArrayList<>();
  private final long seed;
  private final Counter scrapes;
  private final Counter failures;
  private ScheduledExecutorService ticker;
  private ExecutorService workers;

  public ScrapeManager(PrometheusConfig config, SampleSink sink, MeterRegistry registry) {
    this.config = config;
    this.sink = sink;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
    long s;
    try {
      s = InetAddress.getLocalHost().getHostName().hashCode();
    } catch (UnknownHostException e) {
      s = 0;
    }
    this.seed = s * 0x9E3779B97F4A7C15L ^ config.externalLabels().hash();
    for (ScrapeConfig c : config.scrapeConfigs()) {
      for (Target t : Target.fromStatic(c)) {
        loops.add(new ScrapeLoop(t, http, sink, config.externalLabels()));
      }
    }
    this.scrapes =
        Counter.builder("osprey_collector_scrapes_total")
            .description("scrapes run")
            .register(registry);
    this.failures =
        Counter.builder("osprey_collector_scrape_failures_total")
            .description("scrapes that failed (up 0)")
            .register(registry);
  }

  public List<ScrapeLoop> loops() {
    return List.copyOf(loops);
  }

  /** Where in its interval a target is scraped, in milliseconds from an interval boundary. */
  long offsetMillis(Target t) {
    long interval = t.interval().toMillis();
    long h = t.labels().hash() ^ t.url().toString().hashCode() ^ seed;
    return Long.remainderUnsigned(h, interval);
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
    long now = System.currentTimeMillis();
    for (ScrapeLoop loop : loops) {
      long interval = loop.target().interval().toMillis();
      long initial = Math.floorMod(offsetMillis(loop.target()) - now, interval);
      AtomicBoolean running = new AtomicBoolean();
      ticker.scheduleAtFixedRate(
          () -> {
            if (!running.compareAndSet(false, true)) {
              return; // the previous scrape is still running
            }
            workers.execute(
                () -> {
                  try {
                    ScrapeLoop.Result r = loop.scrapeOnce(System.currentTimeMillis());
                    scrapes.increment();
                    if (!r.up()) {
                      failures.increment();
                      LOG.debug(
                          "event=scrape_failed target={} error=\"{}\"",
                          loop.target().url(),
                          r.error());
                    }
                  } catch (RuntimeException e) {
                    failures.increment();
                    LOG.warn(
                        "event=scrape_crashed target={} error=\"{}\"",
                        loop.target().url(),
                        e.toString());
                  } finally {
                    running.set(false);
                  }
                });
          },
          initial,
          interval,
          TimeUnit.MILLISECONDS);
    }
    LOG.info("event=scrape_started targets={}", loops.size());
  }

  @Override
  public synchronized void close() {
    if (ticker == null) {
      return;
    }
    ticker.shutdownNow();
    workers.shutdown();
    try {
      if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
        workers.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long now = System.currentTimeMillis();
    for (ScrapeLoop loop : loops) {
      loop.stop(now);
    }
    ticker = null;
  }

  public PrometheusConfig config() {
    return config;
  }
}
