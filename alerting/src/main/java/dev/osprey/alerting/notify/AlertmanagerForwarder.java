package dev.osprey.alerting.notify;

import dev.osprey.alerting.internal.GoTime;
import dev.osprey.alerting.internal.LabelMaps;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends alerts to external Alertmanagers as Prometheus does: {@code POST <url>/api/v2/alerts} with
 * labels, annotations, startsAt, endsAt and generatorURL, retried with backoff.
 */
public final class AlertmanagerForwarder {
  private static final Logger log = LoggerFactory.getLogger(AlertmanagerForwarder.class);
  private final List<Target> targets;
  private final List<java.util.function.Supplier<java.net.http.HttpClient>> clients;
  private final Dispatcher.Sleeper sleeper;

  /**
   * One external Alertmanager.
   *
   * @param baseUrl {@code scheme://host:port[/prefix]}; alerts go to {@code
   *     <baseUrl>/api/v2/alerts}
   * @param timeout per request
   * @param http authorization and TLS, as Prometheus's alertmanager config has them
   */
  public record Target(String baseUrl, Duration timeout, HttpConfig http) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    public Target {
      baseUrl = baseUrl.replaceAll("/+$", "");
      timeout = timeout != null ? timeout : DEFAULT_TIMEOUT;
      http = http != null ? http : HttpConfig.DEFAULT;
    }

    public Target(String baseUrl, Duration timeout) {
      this(baseUrl, timeout, HttpConfig.DEFAULT);
    }

    public static List<Target> of(List<String> baseUrls) {
      return baseUrls.stream().map(u -> new Target(u, DEFAULT_TIMEOUT)).toList();
    }
  }

  /** Alertmanagers at these base URLs, each with the default 10 s timeout. */
  public static AlertmanagerForwarder forUrls(List<String> baseUrls, Dispatcher.Sleeper sleeper) {
    return new AlertmanagerForwarder(Target.of(baseUrls), sleeper);
  }

  public AlertmanagerForwarder(List<Target> targets, Dispatcher.Sleeper sleeper) {
    this.targets = List.copyOf(targets);
    this.clients = this.targets.stream().map(t -> HttpIntegrations.client(t.http())).toList();
    this.sleeper = sleeper;
  }

  public boolean isEmpty() {
    return targets.isEmpty();
  }

  public int size() {
    return targets.size();
  }

  public List<Target> targets() {
    return targets;
  }

  /** The API v2 postable alerts. */
  public static List<Map<String, Object>> payload(List<Alert> alerts) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Alert a : alerts) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("labels", LabelMaps.toMap(a.labels()));
      m.put("annotations", a.annotations());
      // Prometheus's notifier posts API v2 models: strfmt.DateTime, milliseconds
      m.put("startsAt", GoTime.formatMillis(a.startsAt()));
      m.put("endsAt", GoTime.formatMillis(a.endsAt()));
      m.put("generatorURL", a.generatorURL());
      out.add(m);
    }
    return out;
  }

  /** Sends to every Alertmanager; returns how many accepted. */
  public int send(List<Alert> alerts) {
    if (alerts.isEmpty()) {
      return 0;
    }
    List<Map<String, Object>> body = payload(alerts);
    int ok = 0;
    for (int i = 0; i < targets.size(); i++) {
      Target target = targets.get(i);
      String url = target.baseUrl() + "/api/v2/alerts";
      Duration backoff = Duration.ofMillis(200);
      for (int attempt = 1; attempt <= 3; attempt++) {
        try {
          HttpIntegrations.post(clients.get(i).get(), target.http(), url, body, target.timeout());
          ok++;
          break;
        } catch (Integration.RetryableException e) {
          log.warn(
              "alertmanager send failed url={} attempt={} err={}", url, attempt, e.getMessage());
          try {
            sleeper.sleep(backoff);
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return ok;
          }
          backoff = backoff.multipliedBy(2);
        } catch (Exception e) {
          log.warn("alertmanager rejected alerts url={} err={}", url, e.getMessage());
          break;
        }
      }
    }
    return ok;
  }
}
