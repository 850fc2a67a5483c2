package dev.osprey.alerting.rules;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.alerting.ExpressionValidator;
import dev.osprey.alerting.internal.GoTime;
import dev.osprey.alerting.internal.LabelMaps;
import dev.osprey.alerting.internal.StateFile;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Storage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads rule files into groups, evaluates each group on its schedule, and keeps the alert state of
 * every rule in a snapshot file so that a restart neither forgets a firing alert nor restarts a
 * {@code for} countdown.
 */
public final class RuleManager implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RuleManager.class);
  private static final byte[] MAGIC = {'O', 'A', 'R', 'S'};
  private static final int VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Storage storage;
  private volatile EvalContext ctx;
  private final NotifyFunction notify;
  private final Clock clock;
  private final long defaultIntervalNanos;
  private final long resendDelayNanos;
  private final ExpressionValidator validator;
  private final Path stateFile;
  private final Counter evaluations;
  private final Counter failures;
  private final Counter rejected;
  private final Object lock = new Object();
  private List<RuleGroup> groups = List.of();
  private final Map<RuleGroup, ScheduledFuture<?>> scheduled = new HashMap<>();
  private ScheduledExecutorService executor;

  /** A rule's alerts as stored in the snapshot. */
  record PersistedAlert(
      String state,
      Map<String, String> labels,
      Map<String, String> annotations,
      String value,
      long activeAt,
      long firedAt,
      long resolvedAt,
      long lastSentAt,
      long validUntil,
      long keepFiringSince) {}

  record PersistedRule(
      String file,
      String group,
      String kind,
      String name,
      Map<String, String> labels,
      List<PersistedAlert> alerts) {}

  public RuleManager(
      Storage storage,
      EvalContext ctx,
      NotifyFunction notify,
      Clock clock,
      long defaultIntervalNanos,
      long resendDelayNanos,
      ExpressionValidator validator,
      Path stateFile,
      MeterRegistry registry) {
    this.storage = storage;
    this.ctx = ctx;
    this.notify = notify;
    this.clock = clock;
    this.defaultIntervalNanos = defaultIntervalNanos;
    this.resendDelayNanos = resendDelayNanos;
    this.validator = validator;
    this.stateFile = stateFile;
    this.evaluations = registry.counter("osprey_alerting_rule_group_evaluations_total");
    this.failures = registry.counter("osprey_alerting_rule_evaluation_failures_total");
    this.rejected = registry.counter("osprey_alerting_rule_samples_rejected_total");
    registry.gauge("osprey_alerting_rule_groups", this, m -> m.groups().size());
  }

  /**
   * Replaces the external labels templates see as {@code $externalLabels} from the next evaluation
   * on (a reload of osprey.yaml).
   */
  public void setExternalLabels(Map<String, String> externalLabels) {
    EvalContext c = ctx;
    ctx = new EvalContext(c.query(), externalLabels, c.externalURL());
  }

  /** Builds groups from specs. */
  List<RuleGroup> build(List<GroupSpec> specs) {
    List<RuleGroup> out = new ArrayList<>();
    for (GroupSpec g : specs) {
      List<Rule> rules = new ArrayList<>();
      for (RuleSpec r : g.rules()) {
        Map<String, String> lbl = new LinkedHashMap<>(g.labels());
        lbl.putAll(r.labels());
        Labels labels = Labels.fromMap(lbl);
        String query = validator.format(r.expr());
        if (r.isAlerting()) {
          rules.add(
              new AlertingRule(
                  r.alert(),
                  r.expr(),
                  query,
                  r.forMillis() * 1_000_000L,
                  r.keepFiringForMillis() * 1_000_000L,
                  labels,
                  r.annotations()));
        } else {
          rules.add(new RecordingRule(r.record(), r.expr(), query, labels));
        }
      }
      long interval =
          g.intervalMillis() > 0 ? g.intervalMillis() * 1_000_000L : defaultIntervalNanos;
      out.add(
          new RuleGroup(
              g.name(), g.file(), interval, g.queryOffsetMillis() * 1_000_000L, g.limit(), rules));
    }
    return out;
  }

  /**
   * Loads the rule files matching {@code globs} and replaces the groups, carrying over the state of
   * unchanged rules. On any error the old groups stay and the error is thrown.
   */
  public void load(List<String> globs) throws IOException, RuleFileException {
    List<GroupSpec> specs = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    for (Path p : RuleFiles.expand(globs)) {
      try {
        specs.addAll(RuleFiles.load(p, validator));
      } catch (RuleFileException e) {
        errors.addAll(e.errors());
      }
    }
    if (!errors.isEmpty()) {
      throw new RuleFileException(errors);
    }
    replace(build(specs));
  }

  /** Replaces the groups with new ones (state copied from same-named groups) and reschedules. */
  public void replace(List<RuleGroup> fresh) {
    synchronized (lock) {
      Map<String, RuleGroup> old = new HashMap<>();
      for (RuleGroup g : groups) {
        old.put(key(g), g);
      }
      if (groups.isEmpty()) {
        restore(fresh);
      }
      for (RuleGroup g : fresh) {
        RuleGroup o = old.remove(key(g));
        if (o != null) {
          g.copyState(o);
        }
      }
      for (RuleGroup gone : old.values()) {
        gone.markStale(storage, nowNanos());
      }
      for (ScheduledFuture<?> f : scheduled.values()) {
        f.cancel(false);
      }
      scheduled.clear();
      groups = List.copyOf(fresh);
      if (executor != null) {
        for (RuleGroup g : groups) {
          schedule(g, g.evalTimestamp(nowNanos()) + g.intervalNanos());
        }
      }
    }
    persist();
  }

  private static String key(RuleGroup g) {
    return g.file() + "\u0000" + g.name();
  }

  public List<RuleGroup> groups() {
    synchronized (lock) {
      return groups;
    }
  }

  /** Starts evaluating every group on its schedule. */
  public void start(ScheduledExecutorService executor) {
    synchronized (lock) {
      this.executor = executor;
      for (RuleGroup g : groups) {
        schedule(g, g.evalTimestamp(nowNanos()) + g.intervalNanos());
      }
    }
  }

  private void schedule(RuleGroup g, long at) {
    long delay = Math.max(0, at - nowNanos());
    // the scheduler only starts evaluations; each runs on its own virtual thread, so a slow
    // query delays its own group only (Prometheus runs one goroutine per group)
    scheduled.put(
        g,
        executor.schedule(
            () -> Thread.ofVirtual().name("osprey-rules-" + g.name()).start(() -> tick(g, at)),
            delay,
            TimeUnit.NANOSECONDS));
  }

  private void tick(RuleGroup g, long at) {
    try {
      evalGroup(g, at);
    } catch (RuntimeException e) {
      log.error("rule group evaluation crashed group={} err={}", g.name(), e.toString(), e);
    }
    synchronized (lock) {
      if (!groups.contains(g) || executor == null) {
        return;
      }
      long next = at + g.intervalNanos();
      long now = nowNanos();
      if (now > next) {
        long missed = (now - next) / g.intervalNanos();
        next += missed * g.intervalNanos();
        log.warn("rule group evaluations missed group={} missed={}", g.name(), missed);
      }
      schedule(g, next);
    }
  }

  /** Evaluates one group at {@code ts} and persists the alert state. Tests call this directly. */
  public void evalGroup(RuleGroup g, long ts) {
    g.eval(ts, ctx, storage, notify, resendDelayNanos, rejected::increment, this::nowNanos);
    evaluations.increment();
    for (Rule r : g.rules()) {
      if ("err".equals(r.health())) {
        failures.increment();
      }
    }
    persist();
  }

  /** The group's schedule slot of its last evaluation (its timestamp is on the schedule). */
  public long evalTimestampOf(RuleGroup g) {
    return g.evalTimestamp(g.lastEvalTimestampNanos());
  }

  /** Evaluates every group at {@code ts}. */
  public void evalAll(long ts) {
    for (RuleGroup g : groups()) {
      evalGroup(g, ts);
    }
  }

  private long nowNanos() {
    return GoTime.toNanos(clock.instant());
  }

  // ---------------------------------------------------------------- persistence

  /** Writes every alerting rule's alerts to the snapshot file. */
  public void persist() {
    if (stateFile == null) {
      return;
    }
    synchronized (lock) {
      List<byte[]> records = new ArrayList<>();
      for (RuleGroup g : groups) {
        synchronized (g) {
          for (Rule r : g.rules()) {
            if (!(r instanceof AlertingRule ar)) {
              continue;
            }
            List<PersistedAlert> alerts = new ArrayList<>();
            for (RuleAlert.View v : ar.allAlerts()) {
              alerts.add(
                  new PersistedAlert(
                      v.state().name(),
                      LabelMaps.toMap(v.labels()),
                      v.annotations(),
                      Double.toString(v.value()),
                      v.activeAt(),
                      v.firedAt(),
                      v.resolvedAt(),
                      v.lastSentAt(),
                      v.validUntil(),
                      v.keepFiringSince()));
            }
            if (alerts.isEmpty()) {
              continue;
            }
            PersistedRule pr =
                new PersistedRule(
                    g.file(), g.name(), "alert", r.name(), LabelMaps.toMap(r.labels()), alerts);
            try {
              records.add(JSON.writeValueAsBytes(pr));
            } catch (IOException e) {
              throw new IllegalStateException("BUG: cannot encode rule state: " + e, e);
            }
          }
        }
      }
      try {
        StateFile.write(stateFile, MAGIC, VERSION, records);
      } catch (IOException e) {
        log.error("cannot write rule state path={} err={}", stateFile, e.toString());
      }
    }
  }

  private void restore(List<RuleGroup> fresh) {
    if (stateFile == null) {
      return;
    }
    List<byte[]> records;
    try {
      records = StateFile.read(stateFile, MAGIC, VERSION);
    } catch (IOException e) {
      log.error(
          "cannot read rule state, starting without it path={} err={}", stateFile, e.getMessage());
      return;
    }
    Map<String, List<PersistedRule>> byGroup = new HashMap<>();
    for (byte[] rec : records) {
      try {
        PersistedRule pr = JSON.readValue(rec, PersistedRule.class);
        byGroup.computeIfAbsent(pr.file() + "\u0000" + pr.group(), k -> new ArrayList<>()).add(pr);
      } catch (IOException e) {
        log.error("cannot decode rule state record path={} err={}", stateFile, e.getMessage());
      }
    }
    int restored = 0;
    for (RuleGroup g : fresh) {
      List<PersistedRule> prs = byGroup.getOrDefault(key(g), List.of());
      List<PersistedRule> left = new ArrayList<>(prs);
      for (Rule r : g.rules()) {
        if (!(r instanceof AlertingRule ar)) {
          continue;
        }
        for (PersistedRule pr : left) {
          if (pr.name().equals(r.name()) && Labels.fromMap(pr.labels()).equals(r.labels())) {
            List<RuleAlert.View> views = new ArrayList<>();
            for (PersistedAlert pa : pr.alerts()) {
              views.add(
                  new RuleAlert.View(
                      AlertState.valueOf(pa.state()),
                      Labels.fromMap(pa.labels()),
                      pa.annotations(),
                      Double.parseDouble(pa.value()),
                      pa.activeAt(),
                      pa.firedAt(),
                      pa.resolvedAt(),
                      pa.lastSentAt(),
                      pa.validUntil(),
                      pa.keepFiringSince()));
            }
            ar.restore(views);
            restored += views.size();
            left.remove(pr);
            break;
          }
        }
      }
    }
    log.info("rule state restored path={} alerts={}", stateFile, restored);
  }

  @Override
  public void close() {
    synchronized (lock) {
      for (ScheduledFuture<?> f : scheduled.values()) {
        f.cancel(false);
      }
      scheduled.clear();
      executor = null;
    }
    persist();
  }

  static String bytes(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
