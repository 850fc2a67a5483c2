package dev.osprey.server;

import dev.osprey.alerting.AlertingService;
import dev.osprey.alerting.notify.AlertmanagerForwarder;
import dev.osprey.alerting.notify.HttpConfig;
import dev.osprey.core.config.AlertingConfig;
import dev.osprey.core.config.ConfigLoader;
import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.config.ServerConfig;
import dev.osprey.core.http.Auth;
import dev.osprey.core.http.HttpServer;
import dev.osprey.core.http.RouteProvider;
import dev.osprey.core.http.Router;
import dev.osprey.logs.index.LogStore;
import dev.osprey.logs.index.http.LokiPushRoutes;
import dev.osprey.logs.index.http.PushLimits;
import dev.osprey.query.api.PrometheusApi;
import dev.osprey.query.api.QueryWarmup;
import dev.osprey.query.logql.LokiApi;
import dev.osprey.query.promql.Engine;
import dev.osprey.tsdb.Tsdb;
import dev.osprey.tsdb.http.AdminRoutes;
import dev.osprey.tsdb.http.IngestRoutes;
import dev.osprey.tsdb.http.StatusRoutes;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server process: opens storage under the data directory, assembles every module's routes and
 * serves them. Ready (for /-/ready) only once storage has opened.
 */
public final class OspreyServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OspreyServer.class);

  private final OspreyConfig config;
  private final PrometheusMeterRegistry registry;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private volatile boolean ready;
  private Path configFile;
  private AlertingService alerting;
  private HttpServer http;

  public OspreyServer(OspreyConfig config, PrometheusMeterRegistry registry) {
    this.config = config;
    this.registry = registry;
  }

  /**
   * The osprey.yaml a reload (SIGHUP, POST /-/reload) re-reads {@code global.external_labels} and
   * {@code alerting.alertmanagers} from, as Prometheus re-reads its config file; null: none.
   */
  public OspreyServer reloadConfigFrom(Path file) {
    this.configFile = file;
    return this;
  }

  public OspreyServer start() {
    ServerConfig sc = config.server();
    Listen listen = Listen.parse(sc.listen(), "--listen");
    Path dataDir = DataDir.open(sc.dataDir(), "data directory");
    Router router = new Router();
    List<RouteProvider> providers = new ArrayList<>();
    providers.add(new SelfRoutes(registry, () -> ready));
    // the log index opens beside the tsdb (each replays its own WAL): a restart takes the longer
    // of the two, not their sum
    java.util.concurrent.FutureTask<LogStore> logsOpening =
        new java.util.concurrent.FutureTask<>(
            () -> LogStore.open(dataDir.resolve("logs"), config.logs(), registry));
    Thread.ofPlatform().name("osprey-open-log-index").start(logsOpening);
    Tsdb tsdb;
    try {
      tsdb = open("tsdb", () -> Tsdb.open(dataDir.resolve("tsdb"), config.tsdb(), registry));
    } catch (RuntimeException e) {
      try {
        logsOpening.get().close();
      } catch (Exception ignored) {
        // it failed to open as well, or closing it failed: the tsdb's error is the one to report
      }
      throw e;
    }
    providers.add(new IngestRoutes(tsdb, registry));
    providers.add(new AdminRoutes(tsdb));
    providers.add(new StatusRoutes(tsdb));
    providers.add(new PrometheusApi(tsdb, config.query(), registry));
    LogStore logs =
        open(
            "log index",
            () -> {
              try {
                return logsOpening.get();
              } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof Exception x ? x : e;
              }
            });
    providers.add(
        new LokiPushRoutes(
            logs,
            new PushLimits(
                config.logs().maxStreamsPerTenant(),
                config.logs().ingestionRate().bytes(),
                config.logs().ingestionBurst().bytes(),
                config.logs().maxLineSize().bytes()),
            registry));
    providers.add(new LokiApi(logs, config.query(), registry));
    providers.add(new DashboardRoutes());
    alerting =
        open(
            "alerting state",
            () ->
                new AlertingService(
                    AlertingService.Options.of(
                            config.alerting().ruleFiles(),
                            config.alerting().alertmanagerConfig() == null
                                ? null
                                : Path.of(config.alerting().alertmanagerConfig()),
                            dataDir,
                            PromqlRules.queryFunction(new Engine(tsdb, config.query())),
                            tsdb,
                            externalUrl(listen),
                            registry)
                        .withValidator(PromqlRules.VALIDATOR)
                        .withEvaluationInterval(config.alerting().evaluationInterval())
                        .withExternalLabels(config.global().externalLabels())
                        .withForwardTargets(forwardTargets(config.alerting()))
                        .withReloadSource(reloadSource(configFile))));
    providers.add(alerting.api());
    for (RouteProvider p : providers) {
      p.register(router);
    }
    Auth auth =
        sc.auth() == null
            ? Auth.NONE
            : new Auth(sc.auth().bearerToken(), sc.auth().username(), sc.auth().password());
    HttpServer.Options opts =
        new HttpServer.Options(
            listen.host(),
            listen.port(),
            sc.maxRequestBody().bytes(),
            sc.workerThreads(),
            sc.maxQueuedRequests(),
            sc.accessLog(),
            sc.tls() == null ? null : sc.tls().certFile(),
            sc.tls() == null ? null : sc.tls().keyFile(),
            auth);
    try {
      http = new HttpServer(opts, router, registry).start();
    } catch (HttpServer.HttpServerException e) {
      close();
      throw new UserError(e.getMessage());
    }
    alerting.start();
    ready = true;
    log.info("event=started url={} data_dir={}", http.baseUrl(), dataDir);
    // after ready, on its own thread: start (and a restart after a crash) is not held up by it
    Thread warmup = new Thread(this::warmUpQueries, "osprey-query-warmup");
    warmup.setDaemon(true);
    warmup.setPriority(Thread.MIN_PRIORITY);
    warmup.start();
    return this;
  }

  /**
   * Runs the common PromQL shapes over a scratch tsdb in a temporary directory (its head: the
   * recent data most queries read) so that the JIT has compiled the query path before the first
   * user query; see {@link QueryWarmup}. Bounded: 0.9 s of wall time (half of it at most for
   * writing the data, the query timeout for a query still running at the end), then the directory
   * is deleted. A failure here loses no data and does not stop the server: it is logged and start
   * goes on.
   */
  private void warmUpQueries() {
    long t0 = System.nanoTime();
    Path dir = null;
    try {
      dir = java.nio.file.Files.createTempDirectory("osprey-query-warmup-");
      // scratch data: no fsync, no retention rules, nothing shared with the real tsdb
      var scratchConfig = new dev.osprey.core.config.TsdbConfig(null, null, null, "never", null);
      try (Tsdb scratch =
          Tsdb.open(
              dir, scratchConfig, new io.micrometer.core.instrument.simple.SimpleMeterRegistry())) {
        long end = System.currentTimeMillis() / 60_000 * 60_000;
        // head only: cutting a block (flush) cost more than the whole budget
        int scrapes =
            QueryWarmup.load(
                scratch, end, 2, 0, QueryWarmup.SCRAPES, t0 + WARMUP_BUDGET_MS * 1_000_000 / 2);
        long loadMs = (System.nanoTime() - t0) / 1_000_000;
        long left = scrapes == 0 ? 0 : WARMUP_BUDGET_MS - loadMs;
        // cut short, the data ends before `end`: query up to its last scrape
        long queryEnd = end - (QueryWarmup.SCRAPES - scrapes) * QueryWarmup.STEP_MS;
        QueryWarmup.Report r =
            QueryWarmup.run(
                scratch,
                config.query(),
                queryEnd,
                200,
                java.time.Duration.ofMillis(Math.max(0, left)));
        log.info(
            "event=query_warmup scrapes={} load_ms={} rounds={} queries={} cached={} query_ms={}"
                + " total_ms={}",
            scrapes,
            loadMs,
            r.rounds(),
            r.queries(),
            r.cached(),
            r.millis(),
            (System.nanoTime() - t0) / 1_000_000);
      }
    } catch (Exception e) {
      log.warn("event=query_warmup_failed cause=\"{}\"", e.toString());
    } finally {
      if (dir != null) {
        deleteTree(dir);
      }
    }
  }

  private static final long WARMUP_BUDGET_MS = 900;

  private static void deleteTree(Path dir) {
    try (var s = java.nio.file.Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  java.nio.file.Files.deleteIfExists(p);
                } catch (java.io.IOException e) {
                  log.warn("event=query_warmup_cleanup_failed path={} cause=\"{}\"", p, e);
                }
              });
    } catch (java.io.IOException e) {
      log.warn("event=query_warmup_cleanup_failed path={} cause=\"{}\"", dir, e.toString());
    }
  }

  /** Opens a store and registers it for closing; a failure closes what was opened before. */
  private <T extends AutoCloseable> T open(String what, java.util.concurrent.Callable<T> opener) {
    try {
      T t = opener.call();
      closeables.add(t);
      return t;
    } catch (Exception e) {
      close();
      throw new UserError(
          "cannot open the "
              + what
              + " under "
              + config.server().dataDir()
              + ": "
              + e.getMessage());
    }
  }

  /**
   * Re-reads rule files, the Alertmanager config and the config file's external labels and external
   * Alertmanagers (SIGHUP, as Prometheus does). A failure changes nothing; the alerting service
   * logs it as {@code event=reload_failed}.
   */
  public void reload() {
    try {
      alerting.reload();
    } catch (Exception e) {
      // logged by AlertingService.reload
    }
  }

  /** Reads the reloadable settings from osprey.yaml, or null without a file. */
  static AlertingService.ReloadSource reloadSource(Path configFile) {
    if (configFile == null) {
      return null;
    }
    return () -> {
      OspreyConfig c = ConfigLoader.load(configFile);
      return new AlertingService.Reloadable(
          c.global().externalLabels(), forwardTargets(c.alerting()));
    };
  }

  /** Every target of {@code alerting.alertmanagers}, with its set's timeout, auth and TLS. */
  static List<AlertmanagerForwarder.Target> forwardTargets(AlertingConfig a) {
    List<AlertmanagerForwarder.Target> out = new ArrayList<>();
    for (AlertingConfig.Alertmanager am : a.alertmanagers()) {
      HttpConfig http = httpConfig(am);
      for (String url : am.urls()) {
        out.add(new AlertmanagerForwarder.Target(url, am.timeout(), http));
      }
    }
    return out;
  }

  private static HttpConfig httpConfig(AlertingConfig.Alertmanager am) {
    AlertingConfig.BasicAuth b = am.basicAuth();
    AlertingConfig.Authorization z = am.authorization();
    AlertingConfig.TlsConfig t = am.tlsConfig();
    return HttpConfig.of(
        b == null ? null : b.username(),
        b == null ? null : b.password(),
        b == null || b.passwordFile() == null ? null : Path.of(b.passwordFile()),
        z == null ? null : z.type(),
        z == null ? null : z.credentials(),
        z == null || z.credentialsFile() == null ? null : Path.of(z.credentialsFile()),
        t == null || t.caFile() == null ? null : Path.of(t.caFile()),
        t != null && t.insecureSkipVerify(),
        true,
        true);
  }

  private static String externalUrl(Listen listen) {
    String host =
        listen.host().equals("0.0.0.0")
            ? java.util.Objects.requireNonNullElse(System.getenv("HOSTNAME"), "localhost")
            : listen.host();
    return "http://" + host + ":" + listen.port();
  }

  public String baseUrl() {
    return http.baseUrl();
  }

  public boolean ready() {
    return ready;
  }

  @Override
  public void close() {
    ready = false;
    if (http != null) {
      http.close();
    }
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        log.error("event=close_failed component={} error={}", closeables.get(i), e.toString(), e);
      }
    }
  }
}
