package dev.osprey.core.config;

import java.time.Duration;
import java.util.List;

/**
 * Rules and notifications.
 *
 * @param ruleFiles globs of Prometheus rule files
 * @param alertmanagerConfig an Alertmanager YAML file (route, receivers, inhibit_rules, ...)
 * @param evaluationInterval default group interval
 * @param alertmanagers external Alertmanagers every alert is also sent to, spelled as {@code
 *     prometheus.yml}'s {@code alerting.alertmanagers}
 */
public record AlertingConfig(
    List<String> ruleFiles,
    String alertmanagerConfig,
    Duration evaluationInterval,
    List<Alertmanager> alertmanagers) {
  public AlertingConfig {
    ruleFiles = ruleFiles != null ? List.copyOf(ruleFiles) : List.of();
    evaluationInterval = evaluationInterval != null ? evaluationInterval : Duration.ofMinutes(1);
    alertmanagers = alertmanagers != null ? List.copyOf(alertmanagers) : List.of();
  }

  /** Without external Alertmanagers. */
  public AlertingConfig(
      List<String> ruleFiles, String alertmanagerConfig, Duration evaluationInterval) {
    this(ruleFiles, alertmanagerConfig, evaluationInterval, null);
  }

  public static final AlertingConfig DEFAULTS = new AlertingConfig(null, null, null, null);

  /**
   * One set of external Alertmanagers, as one entry of Prometheus's {@code alerting.alertmanagers}:
   * alerts are POSTed to {@code <scheme>://<target><path_prefix>/api/v2/alerts} for every target.
   *
   * @param scheme {@code http} or {@code https}
   * @param pathPrefix prefix of the API path, when the Alertmanager is served under one
   * @param timeout per request
   * @param apiVersion {@code v2}, the only one Alertmanager 0.27+ serves
   * @param staticConfigs the targets, {@code host:port}
   */
  public record Alertmanager(
      String scheme,
      String pathPrefix,
      Duration timeout,
      String apiVersion,
      List<StaticConfig> staticConfigs) {
    public Alertmanager {
      scheme = scheme != null ? scheme : "http";
      pathPrefix = pathPrefix != null ? pathPrefix : "/";
      timeout = timeout != null ? timeout : Duration.ofSeconds(10);
      apiVersion = apiVersion != null ? apiVersion : "v2";
      staticConfigs = staticConfigs != null ? List.copyOf(staticConfigs) : List.of();
      if (!scheme.equals("http") && !scheme.equals("https")) {
        throw new IllegalArgumentException(
            "alertmanagers: scheme must be http or https, not \"" + scheme + "\"");
      }
      if (!pathPrefix.startsWith("/")) {
        throw new IllegalArgumentException(
            "alertmanagers: path_prefix must start with /, not \"" + pathPrefix + "\"");
      }
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("alertmanagers: timeout must be positive");
      }
      if (!apiVersion.equals("v2")) {
        throw new IllegalArgumentException(
            "alertmanagers: api_version \""
                + apiVersion
                + "\" is not supported; Osprey sends Alertmanager's API v2 only");
      }
      if (staticConfigs.isEmpty()) {
        throw new IllegalArgumentException(
            "alertmanagers: static_configs with at least one target is required"
                + " (service discovery is not supported)");
      }
    }

    /** The base URL of every target: {@code scheme://host:port/prefix} without a trailing /. */
    public List<String> urls() {
      String prefix = pathPrefix.replaceAll("/+$", "");
      return staticConfigs.stream()
          .flatMap(s -> s.targets().stream())
          .map(t -> scheme + "://" + t + prefix)
          .toList();
    }
  }

  /**
   * Fixed targets.
   *
   * @param targets {@code host:port} of each Alertmanager
   */
  public record StaticConfig(List<String> targets) {
    public StaticConfig {
      targets = targets != null ? List.copyOf(targets) : List.of();
      if (targets.isEmpty()) {
        throw new IllegalArgumentException("static_configs: targets must not be empty");
      }
      for (String t : targets) {
        if (t == null || !t.matches("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+):[0-9]{1,5}")) {
          throw new IllegalArgumentException(
              "static_configs: target \""
                  + t
                  + "\" must be host:port (scheme and path go in scheme and path_prefix)");
        }
        int port = Integer.parseInt(t.substring(t.lastIndexOf(':') + 1));
        if (port < 1 || port > 65535) {
          throw new IllegalArgumentException(
              "static_configs: target \"" + t + "\" has port " + port + " outside 1-65535");
        }
      }
    }
  }
}
