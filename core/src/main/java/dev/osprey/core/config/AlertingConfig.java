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
   * @param basicAuth HTTP basic authentication, or null
   * @param authorization an Authorization header ({@code Bearer} unless another type), or null
   * @param tlsConfig which server certificates to trust, or null for the JDK's CAs
   * @param proxyUrl not supported: rejected when set
   */
  public record Alertmanager(
      String scheme,
      String pathPrefix,
      Duration timeout,
      String apiVersion,
      List<StaticConfig> staticConfigs,
      BasicAuth basicAuth,
      Authorization authorization,
      TlsConfig tlsConfig,
      String proxyUrl) {
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
      if (proxyUrl != null) {
        throw new IllegalArgumentException(
            "alertmanagers: proxy_url is not supported by Osprey; reach the Alertmanager directly");
      }
      if (basicAuth != null && authorization != null) {
        throw new IllegalArgumentException(
            "alertmanagers: at most one of basic_auth & authorization must be configured");
      }
    }

    /** Targets without authorization or TLS settings. */
    public Alertmanager(
        String scheme,
        String pathPrefix,
        Duration timeout,
        String apiVersion,
        List<StaticConfig> staticConfigs) {
      this(scheme, pathPrefix, timeout, apiVersion, staticConfigs, null, null, null, null);
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
   * HTTP basic authentication.
   *
   * @param username the user
   * @param password the password, or null
   * @param passwordFile a file holding the password (read on every request), or null
   */
  public record BasicAuth(String username, @Secret String password, String passwordFile) {
    @Override
    public String toString() {
      return "BasicAuth[username="
          + username
          + ", password="
          + Secret.Masking.mask(password)
          + ", passwordFile="
          + passwordFile
          + "]";
    }

    public BasicAuth {
      if (password != null && passwordFile != null) {
        throw new IllegalArgumentException(
            "basic_auth: at most one of password & password_file must be configured");
      }
    }
  }

  /**
   * An Authorization header: {@code <type> <credentials>}.
   *
   * @param type the scheme, {@code Bearer} when not set; {@code Basic} is rejected (use basic_auth)
   * @param credentials the credentials, or null
   * @param credentialsFile a file holding them (read on every request), or null
   */
  public record Authorization(String type, @Secret String credentials, String credentialsFile) {
    @Override
    public String toString() {
      return "Authorization[type="
          + type
          + ", credentials="
          + Secret.Masking.mask(credentials)
          + ", credentialsFile="
          + credentialsFile
          + "]";
    }

    public Authorization {
      type = type != null && !type.isBlank() ? type.strip() : "Bearer";
      if (type.equalsIgnoreCase("basic")) {
        throw new IllegalArgumentException(
            "authorization: type cannot be set to \"basic\", use \"basic_auth\" instead");
      }
      if (credentials != null && credentialsFile != null) {
        throw new IllegalArgumentException(
            "authorization: at most one of credentials & credentials_file must be configured");
      }
    }
  }

  /**
   * Which server certificates to trust.
   *
   * @param caFile PEM file of the CAs to trust instead of the JDK's, or null
   * @param insecureSkipVerify trust any certificate and host name
   */
  public record TlsConfig(String caFile, Boolean insecureSkipVerify) {
    public TlsConfig {
      insecureSkipVerify = insecureSkipVerify != null ? insecureSkipVerify : Boolean.FALSE;
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
