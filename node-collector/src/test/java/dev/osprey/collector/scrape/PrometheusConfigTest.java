package dev.osprey.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PrometheusConfigTest {
  static final String FULL =
      """
      global:
        scrape_interval: 15s
        scrape_timeout: 5s
        evaluation_interval: 30s
        external_labels:
          cluster: prod-eu
        body_size_limit: 10MB
      rule_files: [rules.yml]
      alerting:
        alertmanagers: [{static_configs: [{targets: ['am:9093']}]}]
      scrape_configs:
        - job_name: node
          static_configs:
            - targets: ['127.0.0.1:9100', '10.0.0.2:9100']
              labels: {rack: r1}
          relabel_configs:
            - source_labels: [__address__]
              regex: '10\\..*'
              action: drop
          metric_relabel_configs:
            - source_labels: [__name__]
              regex: go_.*
              action: drop
        - job_name: app
          scrape_interval: 30s
          metrics_path: /prom
          scheme: https
          honor_labels: true
          honor_timestamps: false
          sample_limit: 1000
          params:
            module: [http_2xx]
          static_configs:
            - targets: ['app:8443']
      """;

  @Test
  void readsGlobalAndScrapeConfigs() {
    PrometheusConfig c = PrometheusConfig.parse(FULL);
    assertThat(c.scrapeInterval()).isEqualTo(Duration.ofSeconds(15));
    assertThat(c.externalLabels().get("cluster")).isEqualTo("prod-eu");
    assertThat(c.scrapeConfigs()).hasSize(2);
    ScrapeConfig node = c.scrapeConfigs().get(0);
    assertThat(node.scrapeInterval()).isEqualTo(Duration.ofSeconds(15));
    assertThat(node.scrapeTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(node.bodySizeLimit()).isEqualTo(10L << 20);
    assertThat(node.metricsPath()).isEqualTo("/metrics");
    assertThat(node.honorTimestamps()).isTrue();
    ScrapeConfig app = c.scrapeConfigs().get(1);
    assertThat(app.scrapeInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(app.honorLabels()).isTrue();
    assertThat(app.honorTimestamps()).isFalse();
    assertThat(app.sampleLimit()).isEqualTo(1000);

    // relabelling drops the 10.x target; instance defaults to the address
    assertThat(Target.fromStatic(node))
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.labels().toString())
                  .isEqualTo("{instance=\"127.0.0.1:9100\", job=\"node\", rack=\"r1\"}");
              assertThat(t.url().toString()).isEqualTo("http://127.0.0.1:9100/metrics");
            });
    assertThat(Target.fromStatic(app).get(0).url().toString())
        .isEqualTo("https://app:8443/prom?module=http_2xx");
  }

  @Test
  void relabellingCanRewriteAddressPathAndParams() {
    PrometheusConfig c =
        PrometheusConfig.parse(
            """
        scrape_configs:
          - job_name: blackbox
            metrics_path: /probe
            static_configs: [{targets: ['https://example.org']}]
            relabel_configs:
              - {source_labels: [__address__], target_label: __param_target}
              - {source_labels: [__param_target], target_label: instance}
              - {target_label: __address__, replacement: '127.0.0.1:9115'}
        """);
    Target t = Target.fromStatic(c.scrapeConfigs().get(0)).get(0);
    assertThat(t.url().toString())
        .isEqualTo("http://127.0.0.1:9115/probe?target=https%3A%2F%2Fexample.org");
    assertThat(t.labels().get("instance")).isEqualTo("https://example.org");
  }

  @Test
  void rejectsByName() {
    assertThatThrownBy(
            () ->
                PrometheusConfig.parse(
                    """
                    scrape_configs:
                      - job_name: k8s
                        kubernetes_sd_configs: [{role: pod, api_server: 'https://k8s'}]
                    """))
        .hasMessageContaining("unsupported field \"api_server\"")
        .hasMessageContaining("job \"k8s\"");
    assertThatThrownBy(
            () ->
                PrometheusConfig.parse(
                    """
                    scrape_configs:
                      - job_name: k8s
                        kubernetes_sd_configs: [{role: endpoints}]
                    """))
        .hasMessageContaining("unsupported role \"endpoints\"");
    assertThatThrownBy(
            () ->
                PrometheusConfig.parse(
                    """
                    scrape_configs:
                      - job_name: files
                        file_sd_configs: [{files: [a.json]}]
                    """))
        .hasMessageContaining("unsupported field \"file_sd_configs\"");
    assertThatThrownBy(
            () ->
                PrometheusConfig.parse(
                    """
        scrape_configs:
          - job_name: x
            basic_auth: {username: a}
        """))
        .hasMessageContaining("unsupported field \"basic_auth\"");
    assertThatThrownBy(
            () ->
                PrometheusConfig.parse(
                    """
        scrape_configs:
          - job_name: x
            scrape_intervall: 5s
        """))
        .hasMessageContaining("unknown field \"scrape_intervall\" in scrape_configs[0]");
    assertThatThrownBy(() -> PrometheusConfig.parse("global: {scrape_timout: 1s}"))
        .hasMessageContaining("unknown field \"scrape_timout\" in global");
    assertThatThrownBy(() -> PrometheusConfig.parse("scrape_config_files: [a.yml]"))
        .hasMessageContaining("unsupported field \"scrape_config_files\"");
    assertThatThrownBy(
            () ->
                PrometheusConfig.parse(
                    """
        scrape_configs:
          - job_name: x
            relabel_configs: [{source_labels: [a], regexp: b}]
        """))
        .hasMessageContaining(
            "unknown field \"regexp\" in scrape_configs[0] (job \"x\")" + ".relabel_configs[0]");
  }

  @Test
  void validatesAsPrometheus() {
    assertThatThrownBy(
            () ->
                PrometheusConfig.parse(
                    """
        scrape_configs:
          - {job_name: a, scrape_interval: 5s, scrape_timeout: 10s}
        """))
        .hasMessageContaining("scrape timeout greater than scrape interval");
    assertThatThrownBy(
            () ->
                PrometheusConfig.parse(
                    """
        scrape_configs:
          - {job_name: a}
          - {job_name: a}
        """))
        .hasMessageContaining("multiple scrape configs with job name \"a\"");
    assertThatThrownBy(
            () ->
                PrometheusConfig.parse(
                    """
        scrape_configs:
          - {job_name: a, scrape_interval: 5x}
        """))
        .hasMessageContaining("invalid scrape_interval");
    // a short interval lowers the default timeout to it
    assertThat(
            PrometheusConfig.parse("scrape_configs: [{job_name: a, scrape_interval: 2s}]")
                .scrapeConfigs()
                .get(0)
                .scrapeTimeout())
        .isEqualTo(Duration.ofSeconds(2));
  }
}
