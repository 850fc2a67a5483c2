package dev.osprey.alerting;

import dev.osprey.alerting.api.AlertingApi;
import dev.osprey.alerting.internal.GoTime;
import dev.osprey.alerting.notify.Alert;
import dev.osprey.alerting.notify.AlertmanagerForwarder;
import dev.osprey.alerting.notify.AmConfig;
import dev.osprey.alerting.notify.Dispatcher;
import dev.osprey.alerting.notify.NotificationLog;
import dev.osprey.alerting.notify.Renderer;
import dev.osprey.alerting.notify.Silences;
import dev.osprey.alerting.rules.EvalContext;
import dev.osprey.alerting.rules.RuleAlert;
import dev.osprey.alerting.rules.RuleFileException;
import dev.osprey.alerting.rules.RuleManager;
import dev.osprey.alerting.template.PromTemplates;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Storage;
import dev.osprey.core.template.TemplateException;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rules and notifications in one process: a {@link RuleManager} evaluating Prometheus rule files
 * and a {@link Dispatcher} with Alertmanager's model, sharing one data directory for their state.
 * The server builds one, registers {@link #api()} and calls {@link #reload()} on SIGHUP.
 */
public final class AlertingService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AlertingService.class);

  /** Everything a service needs; optional parts have defaults in {@link #of}. */
  public record Options(
      List<String> ruleGlobs,
      Path alertmanagerConfig,
      Path dataDir,
      QueryFunction query,
      Storage storage,
      String externalURL,
      MeterRegistry registry,
      Clock clock,
      Duration evaluationInterval,
      Duration resendDelay,
      Map<String, String> externalLabels,
      List<AlertmanagerForwarder.Target> forwardTo,
      ExpressionValidator validator,
      Dispatcher.Sleeper sleeper,
      ReloadSource reloadSource) {
    public static Options of(
        List<String> ruleGlobs,
        Path alertmanagerConfig,
        Path dataDir,
        QueryFunction query,
        Storage storage,
        String externalURL,
        MeterRegistry registry) {
      return new Options(
          ruleGlobs,
          alertmanagerConfig,
          dataDir,
          query,
          storage,
          externalURL,
          registry,
          Clock.systemUTC(),
          Duration.ofMinutes(1),
          Duration.ofMinutes(1),
          Map.of(),
          List.of(),
          ExpressionValidator.NONE,
          d -> Thread.sleep(d.toMillis()),
          null);
    }

    public Options withClock(Clock c) {
      return new Options(
          ruleGlobs,
          alertmanagerConfig,
          dataDir,
          query,
          storage,
          externalURL,
          registry,
          c,
          evaluationInterval,
          resendDelay,
          externalLabels,
          forwardTo,
          validator,
          sleeper,
          reloadSource);
    }

    /** External Alertmanagers by base URL, each with the default timeout. */
    public Options withForwardTo(List<String> urls) {
      return withForwardTargets(AlertmanagerForwarder.Target.of(urls));
    }

    public Options withForwardTargets(List<AlertmanagerForwarder.Target> urls) {
      return new Options(
          ruleGlobs,
          alertmanagerConfig,
          dataDir,
          query,
          storage,
          externalURL,
          registry,
          clock,
          evaluationInterval,
          resendDelay,
          externalLabels,
          urls,
          validator,
          sleeper,
          reloadSource);
    }

    public Options withSleeper(Dispatcher.Sleeper s) {
      return new Options(
          ruleGlobs,
          alertmanagerConfig,
          dataDir,
          query,
          storage,
          externalURL,
          registry,
          clock,
          evaluationInterval,
          resendDelay,
          externalLabels,
          forwardTo,
          validator,
          s,
          reloadSource);
    }

    public Options withValidator(ExpressionValidator v) {
      return new Options(
          ruleGlobs,
          alertmanagerConfig,
          dataDir,
          query,
          storage,
          externalURL,
          registry,
          clock,
          evaluationInterval,
          resendDelay,
          externalLabels,
          forwardTo,
          v,
          sleeper,
          reloadSource);
    }

    public Options withExternalLabels(Map<String, String> l) {
      return new Options(
          ruleGlobs,
          alertmanagerConfig,
          dataDir,
          query,
          storage,
          externalURL,
          registry,
          clock,
          evaluationInterval,
          resendDelay,
          Map.copyOf(l),
          forwardTo,
          validator,
          sleeper,
          reloadSource);
    }

    public Options withEvaluationInterval(Duration d) {
      return new Options(
          ruleGlobs,
          alertmanagerConfig,
          dataDir,
          query,
          storage,
          externalURL,
          registry,
          clock,
          d,
          resendDelay,
          externalLabels,
          forwardTo,
          validator,
          sleeper,
          reloadSource);
    }

    /** Where {@link #reload()} re-reads external labels and external Alertmanagers; null: never. */
    public Options withReloadSource(ReloadSource r) {
      return new Options(
          ruleGlobs,
          alertmanagerConfig,
          dataDir,
          query,
          storage,
          externalURL,
          registry,
          clock,
          evaluationInterval,
          resendDelay,
          externalLabels,
          forwardTo,
          validator,
          sleeper,
          r);
    }
  }

  /**
   * The settings a reload re-reads besides rule files and the Alertmanager config: in the server,
   * {@code global.external_labels} and {@code alerting.alertmanagers} of osprey.yaml.
   */
  public record Reloadable(
      Map<String, String> externalLabels, List<AlertmanagerForwarder.Target> forwardTo) {
    public Reloadable {
      externalLabels = Map.copyOf(externalLabels);
      forwardTo = List.copyOf(forwardTo);
    }
  }

  /** Reads {@link Reloadable} settings; throws (changing nothing) when they are invalid. */
  @FunctionalInterface
  public interface ReloadSource {
    Reloadable read() throws Exception;
  }

  private final Options opts;
  private final RuleManager rules;
  private final Dispatcher dispatcher;

  /** Replaced by {@link #reload()} with a {@link ReloadSource}. */
  private volatile AlertmanagerForwarder forwarder;

  private volatile Map<String, String> externalLabels;
  private final Instant started;
  private ScheduledExecutorService scheduler;
  private ExecutorService forwardExecutor;
  private ExecutorService flushExecutor;

  /** The entry point with the defaults (system clock, 1m evaluation interval and resend delay). */
  public AlertingService(
      List<String> ruleGlobs,
      Path alertmanagerConfig,
      Path dataDir,
      QueryFunction query,
      Storage storage,
      String externalURL,
      MeterRegistry registry)
      throws IOException, RuleFileException, AmConfig.ConfigException, TemplateException {
    this(Options.of(ruleGlobs, alertmanagerConfig, dataDir, query, storage, externalURL, registry));
  }

  public AlertingService(Options o)
      throws IOException, RuleFileException, AmConfig.ConfigException, TemplateException {
    this.opts = o;
    this.started = o.clock().instant();
    Path dir = o.dataDir().resolve("alerting");
    Files.createDirectories(dir);
    AmConfig cfg =
        o.alertmanagerConfig() == null
            ? AmConfig.defaultConfig()
            : AmConfig.load(o.alertmanagerConfig());
    Renderer renderer = Renderer.load(cfg.templates());
    this.dispatcher =
        new Dispatcher(
            cfg,
            renderer,
            o.clock(),
            new Silences(o.clock(), dir.resolve("silences")),
            new NotificationLog(dir.resolve("nflog")),
            dir.resolve("alerts"),
            o.externalURL(),
            o.sleeper(),
            o.registry());
    this.forwarder = new AlertmanagerForwarder(o.forwardTo(), o.sleeper());
    this.externalLabels = Map.copyOf(o.externalLabels());
    this.rules =
        new RuleManager(
            o.storage(),
            new EvalContext(o.query(), o.externalLabels(), o.externalURL()),
            this::onAlerts,
            o.clock(),
            o.evaluationInterval().toNanos(),
            o.resendDelay().toNanos(),
            o.validator(),
            dir.resolve("rules-state"),
            o.registry());
    rules.load(o.ruleGlobs());
  }

  /** Prometheus's sendAlerts: rule alerts become notifier alerts (external labels added). */
  private void onAlerts(String expr, List<RuleAlert.View> views) {
    if (views.isEmpty()) {
      return;
    }
    Instant now = opts.clock().instant();
    Map<String, String> ext = externalLabels;
    AlertmanagerForwarder fwd = forwarder;
    List<Alert> out = new ArrayList<>();
    for (RuleAlert.View v : views) {
      Labels.Builder b = v.labels().toBuilder();
      ext.forEach(
          (k, val) -> {
            if (v.labels().get(k).isEmpty()) {
              b.set(k, val);
            }
          });
      Instant ends = GoTime.ofNanos(v.resolvedAt() != 0 ? v.resolvedAt() : v.validUntil());
      out.add(
          new Alert(
              b.build(),
              v.annotations(),
              GoTime.ofNanos(v.firedAt()),
              ends,
              opts.externalURL() + PromTemplates.tableLink(expr),
              now,
              false));
    }
    dispatcher.put(out);
    if (!fwd.isEmpty()) {
      if (forwardExecutor != null) {
        forwardExecutor.execute(() -> fwd.send(out));
      } else {
        fwd.send(out);
      }
    }
  }

  /** Starts rule evaluation and the notifier's clock. */
  public synchronized void start() {
    if (scheduler != null) {
      return;
    }
    scheduler =
        Executors.newScheduledThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "osprey-alerting");
              t.setDaemon(true);
              return t;
            });
    forwardExecutor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "osprey-alerting-forward");
              t.setDaemon(true);
              return t;
            });
    flushExecutor = Executors.newVirtualThreadPerTaskExecutor();
    rules.start(scheduler);
    scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            dispatcher.tick();
          } catch (RuntimeException e) {
            log.error("notifier tick failed err={}", e.toString(), e);
          }
        },
        1,
        1,
        TimeUnit.SECONDS);
  }

  /**
   * Reloads rule files, the Alertmanager config and, with a {@link ReloadSource}, external labels
   * and external Alertmanagers. Everything is read and checked before anything changes: on an error
   * nothing changes, {@code event=reload_failed} is logged and the error is thrown (POST /-/reload
   * answers 500 with it).
   */
  public synchronized void reload() throws Exception {
    try {
      Reloadable settings = opts.reloadSource() == null ? null : opts.reloadSource().read();
      AlertmanagerForwarder fwd =
          settings == null ? null : new AlertmanagerForwarder(settings.forwardTo(), opts.sleeper());
      AmConfig cfg =
          opts.alertmanagerConfig() == null
              ? AmConfig.defaultConfig()
              : AmConfig.load(opts.alertmanagerConfig());
      Renderer renderer = Renderer.load(cfg.templates());
      rules.load(opts.ruleGlobs());
      // nothing below throws: the reload is all or nothing
      if (settings != null) {
        externalLabels = settings.externalLabels();
        forwarder = fwd;
        rules.setExternalLabels(settings.externalLabels());
      }
      dispatcher.apply(cfg, renderer);
      log.info(
          "event=reloaded groups={} receivers={} alertmanagers={} external_labels={}",
          rules.groups().size(),
          cfg.receivers().size(),
          forwarder.size(),
          externalLabels.size());
    } catch (Exception e) {
      log.error("event=reload_failed error={}", e.getMessage());
      throw e;
    }
  }

  /** The external labels in use (after the last successful reload). */
  public Map<String, String> externalLabels() {
    return externalLabels;
  }

  /** The external Alertmanagers alerts are sent to (after the last successful reload). */
  public List<AlertmanagerForwarder.Target> forwardTargets() {
    return forwarder.targets();
  }

  public RuleManager rules() {
    return rules;
  }

  public Dispatcher dispatcher() {
    return dispatcher;
  }

  public Instant startedAt() {
    return started;
  }

  /** The HTTP routes: Prometheus's rules and alerts, Alertmanager's API v2, /-/reload. */
  public AlertingApi api() {
    return new AlertingApi(this, opts.clock(), opts.resendDelay());
  }

  public Duration resolveTimeout() {
    return dispatcher.config().global().resolveTimeout();
  }

  @Override
  public synchronized void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
      forwardExecutor.shutdownNow();
      flushExecutor.shutdownNow();
      try {
        scheduler.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      scheduler = null;
    }
    rules.close();
  }
}
