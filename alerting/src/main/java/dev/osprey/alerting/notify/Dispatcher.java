package dev.osprey.alerting.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.alerting.internal.GoTime;
import dev.osprey.alerting.internal.LabelMaps;
import dev.osprey.alerting.internal.StateFile;
import dev.osprey.core.labels.Labels;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Alertmanager's core in one place: the alert store, the routing tree, aggregation groups with
 * group_wait / group_interval / repeat_interval, inhibition, silences, time intervals, the
 * notification log's dedup, and delivery with retries. Time comes from a {@link Clock}; {@link
 * #tick()} does everything that is due, so tests drive it without sleeping.
 */
public final class Dispatcher {
  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
  private static final byte[] MAGIC = {'O', 'A', 'A', 'L'};
  private static final int VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int ATTEMPTS = 4;

  /** Sleeps between retries; tests pass a no-op. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  private final Clock clock;
  private final Silences silences;
  private final NotificationLog nflog;
  private final Path alertsFile;
  private final String externalURL;
  private final Sleeper sleeper;
  private final MeterRegistry registry;
  private volatile AmConfig config;
  private volatile Map<String, List<Integration>> integrations;
  private final Map<Long, Alert> alerts = new LinkedHashMap<>();
  private final Map<String, AggrGroup> groups = new LinkedHashMap<>();

  /** An aggregation group: the alerts of one route with the same group labels. */
  static final class AggrGroup {
    final AmConfig.Route route;
    final Labels groupLabels;
    final String groupKey;
    final Map<Long, Alert> alerts = new LinkedHashMap<>();
    Instant next;
    boolean hasFlushed;
    boolean flushing;

    AggrGroup(AmConfig.Route route, Labels groupLabels, Instant now) {
      this.route = route;
      this.groupLabels = groupLabels;
      this.groupKey = route.key() + ":" + groupLabelsString(groupLabels);
      this.next = now.plus(route.groupWait());
    }

    String mapKey() {
      return route.id() + "/" + groupKey;
    }
  }

  record PersistedAlert(
      Map<String, String> labels,
      Map<String, String> annotations,
      String startsAt,
      String endsAt,
      String generatorURL,
      String updatedAt,
      boolean timeout) {}

  public Dispatcher(
      AmConfig config,
      Renderer renderer,
      Clock clock,
      Silences silences,
      NotificationLog nflog,
      Path alertsFile,
      String externalURL,
      Sleeper sleeper,
      MeterRegistry registry) {
    this.clock = clock;
    this.silences = silences;
    this.nflog = nflog;
    this.alertsFile = alertsFile;
    this.externalURL = externalURL;
    this.sleeper = sleeper;
    this.registry = registry;
    apply(config, renderer);
    load();
  }

  /** Switches to a new configuration; groups are rebuilt from the stored alerts. */
  public synchronized void apply(AmConfig config, Renderer renderer) {
    Map<String, List<Integration>> ints = new HashMap<>();
    for (AmConfig.Receiver r : config.receivers().values()) {
      ints.put(r.name(), HttpIntegrations.of(r, renderer));
    }
    this.config = config;
    this.integrations = ints;
    Map<String, AggrGroup> old = new HashMap<>(groups);
    groups.clear();
    Instant now = clock.instant();
    for (Alert a : alerts.values()) {
      route(a, now);
    }
    // keep the flush schedule of groups that still exist
    for (AggrGroup g : groups.values()) {
      AggrGroup o = old.get(g.mapKey());
      if (o != null) {
        g.next = o.next;
        g.hasFlushed = o.hasFlushed;
      }
    }
  }

  public AmConfig config() {
    return config;
  }

  public Silences silences() {
    return silences;
  }

  /** Accepts alerts (merged with stored ones as Alertmanager merges them) and routes them. */
  public synchronized void put(List<Alert> in) {
    Instant now = clock.instant();
    for (Alert a : in) {
      long fp = a.fingerprint();
      Alert old = alerts.get(fp);
      if (old != null
          && ((a.endsAt().isAfter(old.startsAt()) && a.endsAt().isBefore(old.endsAt()))
              || (a.startsAt().isAfter(old.startsAt()) && a.startsAt().isBefore(old.endsAt())))) {
        a = old.merge(a, now);
      }
      alerts.put(fp, a);
      route(a, now);
    }
    persist();
  }

  private void route(Alert a, Instant now) {
    for (AmConfig.Route r : match(config.route(), a.labels())) {
      Labels gl = groupLabels(a.labels(), r);
      // groups belong to a route node: two nodes may share a group key (as in Alertmanager)
      String key = r.id() + "/" + r.key() + ":" + groupLabelsString(gl);
      AggrGroup g = groups.computeIfAbsent(key, k -> new AggrGroup(r, gl, now));
      g.alerts.put(a.fingerprint(), a);
      if (!g.hasFlushed && a.startsAt().plus(r.groupWait()).isBefore(now)) {
        g.next = now;
      }
    }
  }

  /** Alertmanager's Route.Match: depth first, children before the parent, honouring continue. */
  public static List<AmConfig.Route> match(AmConfig.Route r, Labels l) {
    if (!Matchers.matches(r.matchers(), l)) {
      return List.of();
    }
    List<AmConfig.Route> all = new ArrayList<>();
    for (AmConfig.Route c : r.routes()) {
      List<AmConfig.Route> m = match(c, l);
      all.addAll(m);
      if (!m.isEmpty() && !c.cont()) {
        break;
      }
    }
    if (all.isEmpty()) {
      all.add(r);
    }
    return all;
  }

  private static Labels groupLabels(Labels l, AmConfig.Route r) {
    if (r.groupByAll()) {
      return l;
    }
    Labels.Builder b = Labels.builder();
    for (String n : r.groupBy()) {
      String v = l.get(n);
      if (!v.isEmpty()) {
        b.set(n, v);
      }
    }
    return b.build();
  }

  /** model.LabelSet.String(): {@code {a="1", b="2"}}. */
  static String groupLabelsString(Labels l) {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < l.size(); i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(l.name(i)).append('=').append(Labels.quote(l.value(i)));
    }
    return sb.append('}').toString();
  }

  /** Flushes every group that is due. Returns how many notifications were sent. */
  public int tick() {
    Instant now = clock.instant();
    int sent = 0;
    for (AggrGroup g : due(now)) {
      try {
        sent += flush(g, now);
      } finally {
        done(g);
      }
    }
    synchronized (this) {
      gc(now);
    }
    return sent;
  }

  /**
   * As {@link #tick()}, but each due group is flushed on {@code executor}, so that a slow or
   * retrying receiver holds up only its own group (Alertmanager runs one goroutine per group).
   */
  public void tick(java.util.concurrent.Executor executor) {
    Instant now = clock.instant();
    for (AggrGroup g : due(now)) {
      executor.execute(
          () -> {
            try {
              flush(g, now);
            } catch (RuntimeException e) {
              log.error("flush failed group={} err={}", g.groupKey, e.toString(), e);
            } finally {
              done(g);
            }
          });
    }
    synchronized (this) {
      gc(now);
    }
  }

  private synchronized List<AggrGroup> due(Instant now) {
    List<AggrGroup> due = new ArrayList<>();
    for (AggrGroup g : groups.values()) {
      if (!g.flushing && !g.next.isAfter(now)) {
        g.next = now.plus(g.route.groupInterval());
        g.hasFlushed = true;
        g.flushing = true;
        due.add(g);
      }
    }
    return due;
  }

  private synchronized void done(AggrGroup g) {
    g.flushing = false;
  }

  private int flush(AggrGroup g, Instant now) {
    List<Alert> all;
    synchronized (this) {
      all = new ArrayList<>(g.alerts.values());
    }
    all.sort(Comparator.comparing(Alert::labels));
    List<Alert> shown = new ArrayList<>();
    for (Alert a : all) {
      if (inhibitedBy(a.labels(), now) == null && silences.mutedBy(a.labels()).isEmpty()) {
        shown.add(a);
      }
    }
    if (timeMuted(g.route, now)) {
      shown.clear();
    }
    boolean ok = true;
    int sent = 0;
    if (!shown.isEmpty()) {
      String receiver = g.route.receiver();
      List<Integration> ints = integrations.getOrDefault(receiver, List.of());
      Set<Long> firing = new HashSet<>();
      Set<Long> resolved = new HashSet<>();
      for (Alert a : shown) {
        (a.resolvedAt(now) ? resolved : firing).add(a.fingerprint());
      }
      for (int i = 0; i < ints.size(); i++) {
        Integration in = ints.get(i);
        String key = NotificationLog.key(g.groupKey, receiver, in.name(), i);
        if (!needsUpdate(
            nflog.get(key), firing, resolved, in.sendResolved(), g.route.repeatInterval(), now)) {
          continue;
        }
        List<Alert> toSend = shown;
        if (!in.sendResolved()) {
          toSend = shown.stream().filter(a -> !a.resolvedAt(now)).toList();
        }
        if (toSend.isEmpty()) {
          nflog.log(key, now, firing, resolved);
          continue;
        }
        NotifyData data =
            new NotifyData(receiver, g.groupKey, g.groupLabels, toSend, externalURL, now);
        if (deliver(in, data, receiver)) {
          nflog.log(key, now, firing, resolved);
          sent++;
        } else {
          ok = false;
        }
      }
    }
    if (ok) {
      synchronized (this) {
        for (Alert a : all) {
          if (a.resolvedAt(now) && g.alerts.get(a.fingerprint()) == a) {
            g.alerts.remove(a.fingerprint());
          }
        }
        if (g.alerts.isEmpty()) {
          groups.remove(g.mapKey());
        }
      }
    }
    return sent;
  }

  /** Alertmanager's DedupStage.needsUpdate. */
  static boolean needsUpdate(
      NotificationLog.Entry e,
      Set<Long> firing,
      Set<Long> resolved,
      boolean sendResolved,
      Duration repeat,
      Instant now) {
    if (e == null) {
      return !firing.isEmpty();
    }
    if (!firing.containsAll(e.firing())) {
      return true; // something that fired is no longer firing
    }
    if (!e.firing().containsAll(firing)) {
      return true; // something new fires
    }
    if (firing.isEmpty()) {
      return !e.firing().isEmpty();
    }
    if (sendResolved && !e.resolved().containsAll(resolved)) {
      return true;
    }
    return e.timestampMillis() < now.minus(repeat).toEpochMilli();
  }

  private boolean deliver(Integration in, NotifyData data, String receiver) {
    Duration backoff = Duration.ofMillis(200);
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        in.send(data);
        registry
            .counter("osprey_alerting_notifications_total", "integration", in.name())
            .increment();
        return true;
      } catch (Integration.RetryableException e) {
        log.warn(
            "notify failed, retrying receiver={} integration={} attempt={} err={}",
            receiver,
            in.name(),
            attempt,
            e.getMessage());
        if (attempt < ATTEMPTS) {
          try {
            sleeper.sleep(backoff);
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            break;
          }
          backoff = backoff.multipliedBy(2);
        }
      } catch (Exception e) {
        log.warn(
            "notify failed permanently receiver={} integration={} err={}",
            receiver,
            in.name(),
            e.getMessage());
        break;
      }
    }
    registry
        .counter("osprey_alerting_notifications_failed_total", "integration", in.name())
        .increment();
    return false;
  }

  private boolean timeMuted(AmConfig.Route r, Instant now) {
    if (!r.activeTimeIntervals().isEmpty()) {
      boolean active = false;
      for (String n : r.activeTimeIntervals()) {
        for (TimeInterval t : config.timeIntervals().getOrDefault(n, List.of())) {
          active |= t.contains(now);
        }
      }
      if (!active) {
        return true;
      }
    }
    for (String n : r.muteTimeIntervals()) {
      for (TimeInterval t : config.timeIntervals().getOrDefault(n, List.of())) {
        if (t.contains(now)) {
          return true;
        }
      }
    }
    return false;
  }

  /** The fingerprint (hex) of a firing alert that inhibits {@code target}, or null. */
  public synchronized String inhibitedBy(Labels target, Instant now) {
    for (AmConfig.InhibitRule r : config.inhibitRules()) {
      if (!Matchers.matches(r.target(), target)) {
        continue;
      }
      boolean targetIsSource = Matchers.matches(r.source(), target);
      for (Alert s : alerts.values()) {
        if (s.resolvedAt(now) || !Matchers.matches(r.source(), s.labels())) {
          continue;
        }
        boolean eq = true;
        for (String n : r.equal()) {
          if (!s.labels().get(n).equals(target.get(n))) {
            eq = false;
            break;
          }
        }
        if (!eq || (targetIsSource && Matchers.matches(r.target(), s.labels()))) {
          continue;
        }
        return s.fingerprintHex();
      }
    }
    return null;
  }

  /** The stored alerts, for the API. */
  public synchronized List<Alert> alerts() {
    return List.copyOf(alerts.values());
  }

  /** The receivers an alert routes to. */
  public List<String> receiversOf(Labels l) {
    List<String> out = new ArrayList<>();
    for (AmConfig.Route r : match(config.route(), l)) {
      if (!out.contains(r.receiver())) {
        out.add(r.receiver());
      }
    }
    return out;
  }

  public synchronized int groupCount() {
    return groups.size();
  }

  /** Drops resolved alerts that no group holds any more. */
  private void gc(Instant now) {
    Set<Long> held = new HashSet<>();
    for (AggrGroup g : groups.values()) {
      held.addAll(g.alerts.keySet());
    }
    boolean changed =
        alerts.entrySet().removeIf(e -> e.getValue().resolvedAt(now) && !held.contains(e.getKey()));
    if (changed) {
      persist();
    }
  }

  private void persist() {
    if (alertsFile == null) {
      return;
    }
    try {
      List<byte[]> recs = new ArrayList<>();
      for (Alert a : alerts.values()) {
        recs.add(
            JSON.writeValueAsBytes(
                new PersistedAlert(
                    LabelMaps.toMap(a.labels()),
                    a.annotations(),
                    GoTime.format(a.startsAt()),
                    GoTime.format(a.endsAt()),
                    a.generatorURL(),
                    GoTime.format(a.updatedAt()),
                    a.timeout())));
      }
      StateFile.write(alertsFile, MAGIC, VERSION, recs);
    } catch (IOException e) {
      log.error("cannot write alerts path={} err={}", alertsFile, e.toString());
    }
  }

  private synchronized void load() {
    if (alertsFile == null) {
      return;
    }
    try {
      List<Alert> in = new ArrayList<>();
      for (byte[] r : StateFile.read(alertsFile, MAGIC, VERSION)) {
        PersistedAlert p = JSON.readValue(r, PersistedAlert.class);
        in.add(
            new Alert(
                Labels.fromMap(p.labels()),
                p.annotations(),
                GoTime.parse(p.startsAt()),
                GoTime.parse(p.endsAt()),
                p.generatorURL(),
                GoTime.parse(p.updatedAt()),
                p.timeout()));
      }
      Instant now = clock.instant();
      for (Alert a : in) {
        alerts.put(a.fingerprint(), a);
        route(a, now);
      }
      log.info("alerts restored path={} count={}", alertsFile, in.size());
    } catch (IOException e) {
      log.error(
          "cannot read alerts, starting without them path={} err={}", alertsFile, e.getMessage());
    }
  }
}
