package dev.osprey.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RetentionRulesConfigTest {
  @Test
  void readsRulesInOrderWithDefaultsFilledIn() {
    OspreyConfig c =
        ConfigLoader.parse(
            "osprey.yaml",
            """
            tsdb:
              retention: 30d
              retention_rules:
                - match: '{__name__=~"container_.*"}'
                  raw: 15d
                  downsample:
                    - {resolution: 5m, retention: 90d}
                    - {resolution: 1h, retention: 1y}
                - match: 'debug_info{job="x"}'
                  raw: 2h
                - match: 'node_load1'
                  downsample: [{resolution: 5m, retention: 60d}]
            """);
    var rules = c.tsdb().retentionRules();
    assertThat(rules).hasSize(3);
    assertThat(rules.get(0).raw()).isEqualTo(Duration.ofDays(15));
    assertThat(rules.get(0).downsample())
        .extracting(TsdbConfig.Downsample::resolution)
        .containsExactly(Duration.ofMinutes(5), Duration.ofHours(1));
    assertThat(rules.get(0).longestRetention()).isEqualTo(Duration.ofDays(365));
    assertThat(rules.get(0).parsedMatchers()[0].matches("container_cpu")).isTrue();
    assertThat(rules.get(1).downsample()).isEmpty();
    assertThat(rules.get(1).longestRetention()).isEqualTo(Duration.ofHours(2));
    // raw defaults to tsdb.retention
    assertThat(rules.get(2).raw()).isEqualTo(Duration.ofDays(30));
    // the effective config round-trips
    OspreyConfig again = ConfigLoader.parse("effective", ConfigLoader.toYaml(c));
    assertThat(again.tsdb()).isEqualTo(c.tsdb());
  }

  @Test
  void noRulesByDefault() {
    assertThat(TsdbConfig.DEFAULTS.retentionRules()).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          bad selector        | '- {match: ''{__name__=~"a"'', raw: 1h}'                  | retention_rules[1] | match: cannot parse
          missing match       | '- {raw: 1h}'                                             | retention_rules[1] | match: a series selector is required
          empty matcher only  | '- {match: ''{job=""}''}'                                 | retention_rules[1] | match: cannot parse
          zero raw            | '- {match: up, raw: 0s}'                                  | retention_rules[1] | raw: must be positive
          bad duration        | '- {match: up, raw: 3x}'                                  | retention_rules[1].raw |
          unknown key         | '- {match: up, rwa: 1h}'                                  | retention_rules[1].rwa |
          resolutions order   | '- {match: up, raw: 1h, downsample: [{resolution: 1h, retention: 2d}, {resolution: 5m, retention: 3d}]}' | retention_rules[1] | downsample[1].resolution: must be coarser than 1h
          retention order     | '- {match: up, raw: 1d, downsample: [{resolution: 5m, retention: 12h}]}' | retention_rules[1] | downsample[0].retention: must be longer than the finer data's 1d
          default raw too long| '- {match: up, downsample: [{resolution: 5m, retention: 2d}]}' | retention_rules[1] | downsample[0].retention: must be longer than the finer data's 4w2d
          no resolution       | '- {match: up, downsample: [{retention: 40d}]}'           | retention_rules[1].downsample[0] | resolution: must be positive
          sub-second          | '- {match: up, downsample: [{resolution: 1500ms, retention: 40d}]}' | retention_rules[1].downsample[0] | resolution: must be whole seconds
          """)
  void badRuleNamesIndexAndField(String name, String rule, String where, String why) {
    String yaml =
        "tsdb:\n  retention: 30d\n  retention_rules:\n    - {match: ok_metric, raw: 1h}\n    "
            + rule
            + "\n";
    assertThatThrownBy(() -> ConfigLoader.parse("osprey.yaml", yaml))
        .isInstanceOf(ConfigLoader.ConfigException.class)
        .hasMessageContaining("osprey.yaml:")
        .hasMessageContaining(where)
        .hasMessageContaining(why == null ? "" : why);
  }
}
