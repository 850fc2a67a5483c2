package dev.osprey.alerting.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.alerting.Sink;
import dev.osprey.core.labels.Labels;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** http_config as Alertmanager spells it: rejections by name, authorization, TLS trust. */
class HttpConfigTest {
  @TempDir static Path certs;
  static SSLContext serverTls;
  static Path caPem;

  /** A self-signed certificate for 127.0.0.1, made with the JDK's keytool. */
  @BeforeAll
  static void certificate() throws Exception {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Path p12 = certs.resolve("sink.p12");
    caPem = certs.resolve("ca.pem");
    run(
        keytool.toString(),
        "-genkeypair",
        "-alias",
        "sink",
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=127.0.0.1",
        "-ext",
        "san=ip:127.0.0.1",
        "-validity",
        "2",
        "-keystore",
        p12.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        "changeit");
    run(
        keytool.toString(),
        "-exportcert",
        "-rfc",
        "-alias",
        "sink",
        "-keystore",
        p12.toString(),
        "-storepass",
        "changeit",
        "-file",
        caPem.toString());
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(p12)) {
      ks.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "changeit".toCharArray());
    serverTls = SSLContext.getInstance("TLS");
    serverTls.init(kmf.getKeyManagers(), null, null);
  }

  private static void run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }

  private static Alert alert() {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    return new Alert(
        Labels.of("alertname", "X"),
        Map.of(),
        now.minusSeconds(10),
        now.plusSeconds(240),
        "http://osprey/graph",
        now,
        false);
  }

  private static int forward(String url, HttpConfig http) {
    return new AlertmanagerForwarder(
            List.of(new AlertmanagerForwarder.Target(url, Duration.ofSeconds(5), http)), d -> {})
        .send(List.of(alert()));
  }

  @Test
  void tlsTrustsTheCaFileOrSkipsVerificationOrRefuses() throws Exception {
    try (Sink sink = new Sink(serverTls)) {
      String url = sink.url("");
      assertThat(url).startsWith("https://127.0.0.1:");
      // the JDK's CAs do not know the self-signed certificate: nothing is delivered
      assertThat(forward(url, HttpConfig.DEFAULT)).isZero();
      assertThat(sink.received).isEmpty();
      // ca_file: trusted, and the host name is checked against the certificate (ip 127.0.0.1)
      HttpConfig ca = HttpConfig.of(null, null, null, null, null, null, caPem, false, true, true);
      assertThat(forward(url, ca)).isEqualTo(1);
      // insecure_skip_verify: any certificate
      HttpConfig insecure =
          HttpConfig.of(null, null, null, "Bearer", "t0k", null, null, true, true, true);
      assertThat(forward(url, insecure)).isEqualTo(1);
      assertThat(sink.at("/api/v2/alerts")).hasSize(2);
      assertThat(sink.at("/api/v2/alerts").get(0).authorization()).isNull();
      assertThat(sink.at("/api/v2/alerts").get(1).authorization()).isEqualTo("Bearer t0k");
    }
  }

  @Test
  void forwardingSendsBasicAuthWithThePasswordFileReadOnEveryRequest(@TempDir Path dir)
      throws Exception {
    Path pw = dir.resolve("pw");
    Files.writeString(pw, "first\n");
    try (Sink sink = new Sink()) {
      HttpConfig basic =
          HttpConfig.of("osprey", null, pw, null, null, null, null, false, true, true);
      assertThat(forward(sink.url("/am"), basic)).isEqualTo(1);
      Files.writeString(pw, "rotated");
      assertThat(forward(sink.url("/am"), basic)).isEqualTo(1);
      List<Sink.Received> got = sink.at("/am/api/v2/alerts");
      assertThat(got).hasSize(2);
      assertThat(got.get(0).authorization()).isEqualTo("Basic b3NwcmV5OmZpcnN0"); // osprey:first
      assertThat(got.get(1).authorization()).isEqualTo("Basic b3NwcmV5OnJvdGF0ZWQ="); // rotated
    }
  }

  record Bad(String httpConfig, String message) {}

  @Test
  void unsupportedAndConflictingSettingsAreRejectedByName() {
    List<Bad> cases =
        List.of(
            new Bad(
                "proxy_url: http://proxy:3128",
                "line 8: proxy_url is not supported by Osprey (in config.HTTPClientConfig)"),
            new Bad(
                "oauth2: {client_id: a}",
                "oauth2 is not supported by Osprey (in config.HTTPClientConfig)"),
            new Bad("no_such: 1", "field no_such not found in type config.HTTPClientConfig"),
            new Bad(
                "basic_auth: {username: a, password: b}\n          authorization: {credentials: c}",
                "at most one of basic_auth, oauth2 & authorization must be configured"),
            new Bad(
                "basic_auth: {username: a, password: b, password_file: /x}",
                "at most one of basic_auth password & password_file must be configured"),
            new Bad(
                "authorization: {type: Basic, credentials: c}",
                "authorization type cannot be set to \"basic\", use \"basic_auth\" instead"),
            new Bad(
                "authorization: {credentials: c, credentials_file: /x}",
                "at most one of authorization credentials & credentials_file must be configured"),
            new Bad(
                "bearer_token: a\n          authorization: {credentials: c}",
                "authorization is not compatible with bearer_token & bearer_token_file"),
            new Bad(
                "tls_config: {cert_file: /x}",
                "cert_file is not supported by Osprey (in config.TLSConfig)"),
            new Bad(
                "tls_config: {ca_file: /nonexistent/ca.pem}",
                "cannot read tls_config ca_file /nonexistent/ca.pem"));
    for (Bad b : cases) {
      String yaml =
          """
          route:
            receiver: r
          receivers:
            - name: r
              webhook_configs:
                - url: http://127.0.0.1:1/hook
                  http_config:
                    %s
          """
              .formatted(b.httpConfig());
      assertThatThrownBy(() -> AmConfig.parse(yaml, null))
          .as(b.httpConfig())
          .isInstanceOf(AmConfig.ConfigException.class)
          .hasMessageContaining(b.message());
    }
    // the same keys are rejected in global.http_config
    assertThatThrownBy(
            () ->
                AmConfig.parse(
                    "global:\n  http_config:\n    proxy_url: http://p:1\n"
                        + "route:\n  receiver: r\nreceivers:\n  - name: r\n",
                    null))
        .hasMessageContaining("line 3: proxy_url is not supported by Osprey");
  }

  @Test
  void integrationsInheritTheGlobalHttpConfigUnlessTheyHaveTheirOwn() throws Exception {
    AmConfig c =
        AmConfig.parse(
            """
            global:
              http_config: {bearer_token: g}
            route:
              receiver: r
            receivers:
              - name: r
                webhook_configs:
                  - url: http://127.0.0.1:1/a
                  - url: http://127.0.0.1:1/b
                    http_config: {tls_config: {insecure_skip_verify: true}}
            """,
            null);
    List<AmConfig.WebhookConfig> hooks = c.receivers().get("r").webhooks();
    assertThat(hooks.get(0).http().authorization()).isEqualTo("Bearer g");
    // Alertmanager replaces, not merges: the own http_config has no authorization
    assertThat(hooks.get(1).http().authorization()).isNull();
    assertThat(hooks.get(1).http().insecureSkipVerify()).isTrue();
  }
}
