package dev.osprey.alerting.notify;

import dev.osprey.alerting.internal.Yaml;
import dev.osprey.core.http.ClientTls;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The part of Prometheus's common {@code HTTPClientConfig} Osprey implements, as Alertmanager's
 * receivers ({@code http_config}) and Prometheus's {@code alerting.alertmanagers} spell it: {@code
 * basic_auth}, {@code authorization}, the legacy {@code bearer_token}, {@code tls_config} ({@code
 * ca_file}, {@code insecure_skip_verify}), {@code follow_redirects}, {@code enable_http2}. Secrets
 * given as files are read on every request, as Alertmanager does, so rotated files take effect.
 *
 * @param username basic-auth user, or null
 * @param password basic-auth password, or null
 * @param passwordFile file holding the basic-auth password, or null
 * @param authType the Authorization scheme ({@code Bearer} unless set), or null without one
 * @param credentials the Authorization credentials, or null
 * @param credentialsFile file holding the credentials, or null
 * @param caFile PEM file of the CAs to trust instead of the JDK's, or null
 * @param insecureSkipVerify trust any server certificate and name
 * @param followRedirects follow 3xx answers (Prometheus's default: true)
 * @param enableHttp2 offer HTTP/2 (Prometheus's default: true)
 */
public record HttpConfig(
    String username,
    String password,
    Path passwordFile,
    String authType,
    String credentials,
    Path credentialsFile,
    Path caFile,
    boolean insecureSkipVerify,
    boolean followRedirects,
    boolean enableHttp2) {

  /** Without the password and credentials: {@code <secret>} for each that is set. */
  @Override
  public String toString() {
    return "HttpConfig[username="
        + username
        + ", password="
        + ConfigSecrets.mask(password, true)
        + ", passwordFile="
        + passwordFile
        + ", authType="
        + authType
        + ", credentials="
        + ConfigSecrets.mask(credentials, true)
        + ", credentialsFile="
        + credentialsFile
        + ", caFile="
        + caFile
        + ", insecureSkipVerify="
        + insecureSkipVerify
        + ", followRedirects="
        + followRedirects
        + ", enableHttp2="
        + enableHttp2
        + "]";
  }

  public static final HttpConfig DEFAULT =
      new HttpConfig(null, null, null, null, null, null, null, false, true, true);

  /** Keys of {@code http_config} this parser knows. */
  static final Set<String> KEYS =
      Set.of(
          "basic_auth",
          "authorization",
          "bearer_token",
          "bearer_token_file",
          "tls_config",
          "follow_redirects",
          "enable_http2");

  /** Keys of Prometheus's {@code http_config} that Osprey does not implement: rejected by name. */
  static final Set<String> UNSUPPORTED =
      Set.of(
          "oauth2",
          "proxy_url",
          "no_proxy",
          "proxy_from_environment",
          "proxy_connect_header",
          "http_headers");

  private static final Set<String> BASIC = Set.of("username", "password", "password_file");
  private static final Set<String> BASIC_UNSUPPORTED = Set.of("username_file", "username_ref");
  private static final Set<String> AUTHZ = Set.of("type", "credentials", "credentials_file");
  private static final Set<String> TLS = Set.of("ca_file", "insecure_skip_verify");
  private static final Set<String> TLS_UNSUPPORTED =
      Set.of(
          "ca",
          "cert",
          "cert_file",
          "key",
          "key_file",
          "server_name",
          "min_version",
          "max_version");

  /**
   * Builds and validates, with Prometheus's rules and messages for mutually exclusive settings.
   *
   * @throws IllegalArgumentException naming the conflicting fields
   */
  public static HttpConfig of(
      String username,
      String password,
      Path passwordFile,
      String authType,
      String credentials,
      Path credentialsFile,
      Path caFile,
      boolean insecureSkipVerify,
      boolean followRedirects,
      boolean enableHttp2) {
    boolean basic = username != null || password != null || passwordFile != null;
    boolean authz = authType != null || credentials != null || credentialsFile != null;
    if (basic && authz) {
      throw new IllegalArgumentException(
          "at most one of basic_auth, oauth2 & authorization must be configured");
    }
    if (password != null && passwordFile != null) {
      throw new IllegalArgumentException(
          "at most one of basic_auth password & password_file must be configured");
    }
    if (credentials != null && credentialsFile != null) {
      throw new IllegalArgumentException(
          "at most one of authorization credentials & credentials_file must be configured");
    }
    if (authz) {
      authType = authType == null || authType.isBlank() ? "Bearer" : authType.strip();
      if (authType.toLowerCase(Locale.ROOT).equals("basic")) {
        throw new IllegalArgumentException(
            "authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
      }
    }
    if (caFile != null) {
      ClientTls.trustStore(
          caFile, "tls_config ca_file"); // fail at load time, not at the first page
    }
    return new HttpConfig(
        username,
        password,
        passwordFile,
        authType,
        credentials,
        credentialsFile,
        caFile,
        insecureSkipVerify,
        followRedirects,
        enableHttp2);
  }

  /** Parses an Alertmanager {@code http_config} mapping; relative files resolve against baseDir. */
  static HttpConfig parse(Yaml at, Path baseDir) {
    Map<String, Yaml> m = sub(at, "config.HTTPClientConfig", KEYS, UNSUPPORTED);
    String user = null;
    String pass = null;
    Path passFile = null;
    if (m.get("basic_auth") != null) {
      Map<String, Yaml> b = sub(m.get("basic_auth"), "config.BasicAuth", BASIC, BASIC_UNSUPPORTED);
      user = b.get("username") == null ? null : b.get("username").scalar("string");
      pass = b.get("password") == null ? null : b.get("password").scalar("string");
      passFile =
          b.get("password_file") == null
              ? null
              : resolve(baseDir, b.get("password_file").scalar("string"));
    }
    String type = null;
    String cred = null;
    Path credFile = null;
    if (m.get("authorization") != null) {
      Map<String, Yaml> a = sub(m.get("authorization"), "config.Authorization", AUTHZ, Set.of());
      type = a.get("type") == null ? "" : a.get("type").scalar("string");
      cred = a.get("credentials") == null ? null : a.get("credentials").scalar("string");
      credFile =
          a.get("credentials_file") == null
              ? null
              : resolve(baseDir, a.get("credentials_file").scalar("string"));
    }
    if (m.get("bearer_token") != null || m.get("bearer_token_file") != null) {
      if (m.get("bearer_token") != null && m.get("bearer_token_file") != null) {
        throw m.get("bearer_token")
            .error("at most one of bearer_token & bearer_token_file must be configured");
      }
      if (type != null) {
        throw m.get("authorization")
            .error("authorization is not compatible with bearer_token & bearer_token_file");
      }
      type = "Bearer";
      cred = m.get("bearer_token") == null ? null : m.get("bearer_token").scalar("string");
      credFile =
          m.get("bearer_token_file") == null
              ? null
              : resolve(baseDir, m.get("bearer_token_file").scalar("string"));
    }
    Path ca = null;
    boolean insecure = false;
    if (m.get("tls_config") != null) {
      Map<String, Yaml> t = sub(m.get("tls_config"), "config.TLSConfig", TLS, TLS_UNSUPPORTED);
      ca = t.get("ca_file") == null ? null : resolve(baseDir, t.get("ca_file").scalar("string"));
      insecure =
          t.get("insecure_skip_verify") != null
              && t.get("insecure_skip_verify").bool("insecure_skip_verify");
    }
    boolean follow =
        m.get("follow_redirects") == null || m.get("follow_redirects").bool("follow_redirects");
    boolean h2 = m.get("enable_http2") == null || m.get("enable_http2").bool("enable_http2");
    try {
      return of(user, pass, passFile, type, cred, credFile, ca, insecure, follow, h2);
    } catch (IllegalArgumentException e) {
      throw at.error(e.getMessage());
    }
  }

  private static Map<String, Yaml> sub(
      Yaml y, String type, Set<String> known, Set<String> unsupported) {
    Map<String, Yaml> m = y.map(type, null);
    for (var e : m.entrySet()) {
      if (unsupported.contains(e.getKey())) {
        throw e.getValue().error(e.getKey() + " is not supported by Osprey (in " + type + ")");
      }
      if (!known.contains(e.getKey())) {
        throw e.getValue().error("field " + e.getKey() + " not found in type " + type);
      }
    }
    return m;
  }

  private static Path resolve(Path baseDir, String p) {
    Path path = Path.of(p);
    return baseDir == null || path.isAbsolute() ? path : baseDir.resolve(path);
  }

  /** The Authorization header value, or null; secrets in files are read now. */
  public String authorization() throws IOException {
    if (username != null || password != null || passwordFile != null) {
      String pw = passwordFile != null ? read(passwordFile) : password == null ? "" : password;
      String u = username == null ? "" : username;
      return "Basic "
          + Base64.getEncoder().encodeToString((u + ":" + pw).getBytes(StandardCharsets.UTF_8));
    }
    if (authType != null) {
      String c = credentialsFile != null ? read(credentialsFile) : credentials;
      return c == null || c.isEmpty() ? null : authType + " " + c;
    }
    return null;
  }

  /** Adds the Authorization header, when configured. */
  void apply(HttpRequest.Builder b) throws IOException {
    String a = authorization();
    if (a != null) {
      b.header("Authorization", a);
    }
  }

  private static String read(Path p) throws IOException {
    return Files.readString(p, StandardCharsets.UTF_8).strip();
  }

  /** A client with these TLS, redirect and protocol settings. */
  HttpClient client() {
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(
                followRedirects ? HttpClient.Redirect.NORMAL : HttpClient.Redirect.NEVER)
            .version(enableHttp2 ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1);
    if (insecureSkipVerify || caFile != null) {
      b.sslContext(ClientTls.context(caFile, insecureSkipVerify, "tls_config ca_file"));
    }
    return b.build();
  }
}
