package dev.osprey.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code global.external_labels} and {@code alerting.alertmanagers}, as prometheus.yml has them.
 */
class AlertingConfigTest {
  @Test
  void readsExternalLabelsAndAlertmanagersInPrometheusSpelling() {
    OspreyConfig c =
        ConfigLoader.parse(
            "osprey.yaml",
            """
            global:
              external_labels:
                cluster: eu-1
                replica: 1
            alerting:
              alertmanagers:
                - static_configs:
                    - targets: ['127.0.0.1:9093', 'am-1.example:9093']
                - scheme: https
                  path_prefix: /am/
                  timeout: 3s
                  api_version: v2
                  static_configs:
                    - targets: ['[::1]:9443']
                  basic_auth: {username: u, password_file: /etc/am.pw}
                  tls_config: {ca_file: /etc/ca.pem, insecure_skip_verify: false}
                - authorization: {credentials: t0k}
                  static_configs: [{targets: ['b:1']}]
            """);
    assertThat(c.global().externalLabels()).isEqualTo(Map.of("cluster", "eu-1", "replica", "1"));
    List<AlertingConfig.Alertmanager> ams = c.alerting().alertmanagers();
    assertThat(ams).hasSize(3);
    assertThat(ams.get(1).basicAuth())
        .isEqualTo(new AlertingConfig.BasicAuth("u", null, "/etc/am.pw"));
    assertThat(ams.get(1).tlsConfig())
        .isEqualTo(new AlertingConfig.TlsConfig("/etc/ca.pem", false));
    assertThat(ams.get(2).authorization())
        .isEqualTo(new AlertingConfig.Authorization("Bearer", "t0k", null));
    assertThat(ams.get(0).urls())
        .containsExactly("http://127.0.0.1:9093", "http://am-1.example:9093");
    assertThat(ams.get(0).timeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(ams.get(1).urls()).containsExactly("https://[::1]:9443/am");
    assertThat(ams.get(1).timeout()).isEqualTo(Duration.ofSeconds(3));
    // the effective config prints and reads back the same, secrets as <secret> (as Prometheus)
    OspreyConfig again = ConfigLoader.parse("again.yaml", ConfigLoader.toYaml(c));
    assertThat(again.global()).isEqualTo(c.global());
    assertThat(again.alerting().alertmanagers().subList(0, 2)).isEqualTo(ams.subList(0, 2));
    assertThat(again.alerting().alertmanagers().get(2).authorization())
        .isEqualTo(new AlertingConfig.Authorization("Bearer", "<secret>", null));
    assertThat(ConfigLoader.toYaml(again)).isEqualTo(ConfigLoader.toYaml(c));
  }

  @Test
  void defaultsAreNoExternalLabelsAndNoAlertmanagers() {
    OspreyConfig c = ConfigLoader.parse("osprey.yaml", "alerting:\n  rule_files: [a.yml]\n");
    assertThat(c.global().externalLabels()).isEmpty();
    assertThat(c.alerting().alertmanagers()).isEmpty();
  }

  record Bad(String yaml, String message) {}

  @Test
  void badValuesAreRejectedNamingTheField() {
    List<Bad> cases =
        List.of(
            new Bad(
                "global:\n  external_labels:\n    0bad: x\n",
                "global: external_labels: \"0bad\" is not a valid label name"),
            new Bad(
                "global:\n  external_labels:\n    __name__: x\n",
                "global: external_labels: \"__name__\" is reserved"),
            new Bad(
                "global:\n  external_labels:\n    cluster: \"\"\n",
                "global: external_labels: \"cluster\" has an empty value"),
            new Bad(
                "global:\n  external_labels:\n    cluster: {a: b}\n",
                "global.external_labels.cluster: expected a single value, got a mapping"),
            new Bad(
                "global:\n  external_labels: [a]\n", "global.external_labels: expected a mapping"),
            new Bad("global:\n  scrape_interval: 15s\n", "unknown key \"global.scrape_interval\""),
            new Bad(
                "alerting:\n  alertmanagers:\n    - scheme: ftp\n"
                    + "      static_configs: [{targets: ['a:1']}]\n",
                "scheme must be http or https, not \"ftp\""),
            new Bad(
                "alerting:\n  alertmanagers:\n    - api_version: v1\n"
                    + "      static_configs: [{targets: ['a:1']}]\n",
                "api_version \"v1\" is not supported"),
            new Bad(
                "alerting:\n  alertmanagers:\n    - path_prefix: am\n"
                    + "      static_configs: [{targets: ['a:1']}]\n",
                "path_prefix must start with /"),
            new Bad(
                "alerting:\n  alertmanagers:\n    - static_configs: [{targets: ['http://a:1']}]\n",
                "target \"http://a:1\" must be host:port"),
            new Bad(
                "alerting:\n  alertmanagers:\n    - static_configs: [{targets: ['a:99999']}]\n",
                "target \"a:99999\" has port 99999 outside 1-65535"),
            new Bad(
                "alerting:\n  alertmanagers:\n    - static_configs: [{targets: []}]\n",
                "static_configs: targets must not be empty"),
            new Bad(
                "alerting:\n  alertmanagers:\n    - timeout: 10s\n",
                "static_configs with at least one target is required"),
            new Bad(
                "alerting:\n  alertmanagers:\n    - timeout: soon\n"
                    + "      static_configs: [{targets: ['a:1']}]\n",
                "alerting.alertmanagers[0].timeout:"),
            new Bad(
                "alerting:\n  alertmanagers:\n    - proxy_url: http://p:3128\n"
                    + "      static_configs: [{targets: ['a:1']}]\n",
                "alertmanagers: proxy_url is not supported by Osprey"),
            new Bad(
                "alerting:\n  alertmanagers:\n    - oauth2: {client_id: x}\n",
                "unknown key \"alerting.alertmanagers[0].oauth2\""),
            new Bad(
                "alerting:\n  alertmanagers:\n    - basic_auth: {username: a}\n"
                    + "      authorization: {credentials: b}\n"
                    + "      static_configs: [{targets: ['a:1']}]\n",
                "at most one of basic_auth & authorization must be configured"),
            new Bad(
                "alerting:\n  alertmanagers:\n    - authorization: {type: basic, credentials: b}\n"
                    + "      static_configs: [{targets: ['a:1']}]\n",
                "authorization: type cannot be set to \"basic\""),
            new Bad(
                "alerting:\n  alertmanagers:\n    - basic_auth: {username: a, password: b,"
                    + " password_file: c}\n      static_configs: [{targets: ['a:1']}]\n",
                "basic_auth: at most one of password & password_file"),
            new Bad(
                "alerting:\n  alertmanagers:\n    - tls_config: {cert_file: x}\n"
                    + "      static_configs: [{targets: ['a:1']}]\n",
                "unknown key \"alerting.alertmanagers[0].tls_config.cert_file\""),
            new Bad(
                "alerting:\n  alertmanagers:\n    - kubernetes_sd_configs: []\n",
                "unknown key \"alerting.alertmanagers[0].kubernetes_sd_configs\""),
            new Bad(
                "alerting:\n  alertmanagers:\n    - static_configs:\n"
                    + "        - targets: ['a:1']\n          labels: {a: b}\n",
                "unknown key \"alerting.alertmanagers[0].static_configs[0].labels\""));
    for (Bad b : cases) {
      assertThatThrownBy(() -> ConfigLoader.parse("osprey.yaml", b.yaml()))
          .as(b.yaml())
          .isInstanceOf(ConfigLoader.ConfigException.class)
          .hasMessageStartingWith("osprey.yaml:")
          .hasMessageContaining(b.message());
    }
  }
}
