package dev.osprey.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
  @Test
  void emptyFileGivesDefaults() {
    OspreyConfig c = ConfigLoader.parse("osprey.yaml", "");
    assertThat(c).isEqualTo(OspreyConfig.DEFAULTS);
    assertThat(c.server().listen()).isEqualTo("0.0.0.0:9400");
    assertThat(c.tsdb().retention()).isEqualTo(Duration.ofDays(15));
  }

  @Test
  void readsSnakeCaseKeysDurationsAndSizes() {
    OspreyConfig c =
        ConfigLoader.parse(
            "osprey.yaml",
            """
            server:
              listen: 127.0.0.1:9999
              data_dir: /var/lib/osprey
              max_request_body: 8MiB
            tsdb:
              retention: 30d
              out_of_order_window: 10m
              wal_fsync: always
            alerting:
              rule_files: [rules/*.yml, more/*.yaml]
            """);
    assertThat(c.server().listen()).isEqualTo("127.0.0.1:9999");
    assertThat(c.server().dataDir()).isEqualTo("/var/lib/osprey");
    assertThat(c.server().maxRequestBody().bytes()).isEqualTo(8L << 20);
    assertThat(c.tsdb().retention()).isEqualTo(Duration.ofDays(30));
    assertThat(c.tsdb().outOfOrderWindow()).isEqualTo(Duration.ofMinutes(10));
    assertThat(c.tsdb().walFsync()).isEqualTo("always");
    assertThat(c.alerting().ruleFiles()).containsExactly("rules/*.yml", "more/*.yaml");
    // untouched sections and keys keep their defaults
    assertThat(c.query().lookbackDelta()).isEqualTo(Duration.ofMinutes(5));
    assertThat(c.server().workerThreads()).isPositive();
  }

  @Test
  void misspelledKeyIsNamedWithLineAndSuggestion() {
    assertThatThrownBy(
            () ->
                ConfigLoader.parse(
                    "osprey.yaml",
                    """
                    tsdb:
                      retention: 30d
                      retenton_size: 10GB
                    """))
        .isInstanceOf(ConfigLoader.ConfigException.class)
        .hasMessage(
            "osprey.yaml:3:3: unknown key \"tsdb.retenton_size\" (did you mean \"retention_size\"?)");
  }

  @Test
  void everyErrorIsReportedNotJustTheFirst() {
    ConfigLoader.ConfigException e =
        (ConfigLoader.ConfigException)
            catchThrowable(
                """
                server:
                  worker_threads: many
                  access_log: yes please
                tsdb:
                  retention: 15 days
                  wal_fsync: [always]
                bogus: 1
                """);
    assertThat(e.errors())
        .containsExactly(
            "osprey.yaml:2:19: server.worker_threads: expected a whole number, got the string \"many\"",
            "osprey.yaml:3:15: server.access_log: expected true or false, got the string \"yes please\"",
            "osprey.yaml:5:14: tsdb.retention: not a valid duration string: \"15 days\"",
            "osprey.yaml:6:14: tsdb.wal_fsync: expected a single value, got a list",
            "osprey.yaml:7:1: unknown key \"bogus\"");
  }

  @Test
  void aValueASectionRejectsIsReportedWithItsPath() {
    assertThatThrownBy(() -> ConfigLoader.parse("osprey.yaml", "tsdb:\n  wal_fsync: sometimes\n"))
        .hasMessageContaining("osprey.yaml:")
        .hasMessageContaining(
            "tsdb: wal_fsync must be always, interval or never, not \"sometimes\"");
  }

  @Test
  void multilineRulesAreReadAndBadOnesNamedWithTheirLine() {
    OspreyConfig c =
        ConfigLoader.parse(
            "osprey.yaml",
            """
            agent:
              multiline:
                - containers: [api, worker]
                  preset: java
                - namespaces: [batch]
                  start: '^\\d{4}-'
                  max_lines: 50
                  flush_timeout: 500ms
            """);
    assertThat(c.agent().multiline()).hasSize(2);
    assertThat(c.agent().multiline().get(0).containers()).containsExactly("api", "worker");
    assertThat(c.agent().multiline().get(0).maxLines()).isEqualTo(500);
    assertThat(c.agent().multiline().get(1).start()).isEqualTo("^\\d{4}-");
    assertThat(c.agent().multiline().get(1).flushTimeout()).isEqualTo(Duration.ofMillis(500));

    assertThatThrownBy(
            () ->
                ConfigLoader.parse(
                    "osprey.yaml", "agent:\n  multiline:\n    - preset: java\n    - start: '(a'\n"))
        .hasMessageStartingWith("osprey.yaml:")
        .hasMessageContaining("agent.multiline[1]: start: invalid regex \"(a\"");
    assertThatThrownBy(
            () -> ConfigLoader.parse("osprey.yaml", "agent:\n  multiline:\n    - preset: ruby\n"))
        .hasMessageContaining("unknown preset \"ruby\"");
    assertThatThrownBy(
            () -> ConfigLoader.parse("osprey.yaml", "agent:\n  multiline:\n    - pods: [x]\n"))
        .hasMessageContaining("give exactly one of preset and start");
  }

  @Test
  void malformedYamlIsOneLine() {
    assertThatThrownBy(() -> ConfigLoader.parse("osprey.yaml", "server:\n  listen: \"127.0.0.1\n"))
        .hasMessageStartingWith("osprey.yaml: cannot parse YAML:")
        .satisfies(t -> assertThat(t.getMessage()).doesNotContain("\n"));
  }

  @Test
  void querySeriesLimitIsReadAndANegativeOneRejected() {
    assertThat(OspreyConfig.DEFAULTS.query().maxSeries()).isEqualTo(500_000L);
    assertThat(
            ConfigLoader.parse("osprey.yaml", "query:\n  max_series: 1000\n").query().maxSeries())
        .isEqualTo(1000L);
    assertThatThrownBy(() -> ConfigLoader.parse("osprey.yaml", "query:\n  max_series: -1\n"))
        .hasMessageContaining("osprey.yaml:")
        .hasMessageContaining("query: max_series must be 0 (no limit) or positive, not -1");
  }

  @Test
  void logPushLimitsAreReadAndBadOnesRejectedWithTheirKey() {
    LogIndexConfig d = OspreyConfig.DEFAULTS.logs();
    assertThat(d.maxStreamsPerTenant()).isEqualTo(100_000);
    assertThat(d.ingestionRate().bytes()).isEqualTo(64L << 20);
    assertThat(d.ingestionBurst().bytes()).isEqualTo(128L << 20);
    LogIndexConfig c =
        ConfigLoader.parse(
                "osprey.yaml",
                "logs:\n  max_streams_per_tenant: 5000\n  ingestion_rate: 4MiB\n"
                    + "  ingestion_burst: 6MiB\n")
            .logs();
    assertThat(c.maxStreamsPerTenant()).isEqualTo(5000);
    assertThat(d.authEnabled()).isFalse();
    assertThat(c.authEnabled()).isFalse();
    assertThat(
            ConfigLoader.parse("osprey.yaml", "logs:\n  auth_enabled: true\n").logs().authEnabled())
        .isTrue();
    assertThat(c.ingestionRate().bytes()).isEqualTo(4L << 20);
    assertThat(c.ingestionBurst().bytes()).isEqualTo(6L << 20);
    assertThatThrownBy(
            () -> ConfigLoader.parse("osprey.yaml", "logs:\n  max_streams_per_tenant: 0\n"))
        .hasMessageContaining("osprey.yaml:")
        .hasMessageContaining("logs: max_streams_per_tenant must be at least 1, not 0");
    assertThatThrownBy(() -> ConfigLoader.parse("osprey.yaml", "logs:\n  ingestion_rate: 0\n"))
        .hasMessageContaining("logs: ingestion_rate must be positive");
    assertThatThrownBy(
            () ->
                ConfigLoader.parse(
                    "osprey.yaml", "logs:\n  max_line_size: 1MiB\n  ingestion_burst: 512KiB\n"))
        .hasMessageContaining(
            "logs: ingestion_burst (512KiB) must be at least max_line_size (1MiB)");
    assertThatThrownBy(() -> ConfigLoader.parse("osprey.yaml", "logs:\n  ingestion_rate: fast\n"))
        .hasMessageContaining("osprey.yaml:2:")
        .hasMessageContaining("logs.ingestion_rate: not a valid size");
  }

  @Test
  void effectiveConfigRoundTrips() {
    OspreyConfig c = ConfigLoader.parse("a.yaml", "tsdb:\n  retention: 1h30m\n");
    String yaml = ConfigLoader.toYaml(c);
    assertThat(yaml).contains("retention: 1h30m").contains("data_dir: ./data");
    assertThat(ConfigLoader.parse("b.yaml", yaml)).isEqualTo(c);
  }

  private static Throwable catchThrowable(String yaml) {
    try {
      ConfigLoader.parse("osprey.yaml", yaml);
    } catch (RuntimeException e) {
      return e;
    }
    throw new AssertionError("expected an error");
  }
}
