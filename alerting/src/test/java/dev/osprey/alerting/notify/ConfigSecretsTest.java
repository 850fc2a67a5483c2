package dev.osprey.alerting.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Alertmanager config as shown by /api/v2/status never carries a secret. */
class ConfigSecretsTest {
  static final String AM =
      """
      # comment: dropped
      global:
        slack_api_url: https://hooks.slack.example/services/S1-SECRET
        http_config:
          authorization: {credentials: global-SECRET}
      route:
        receiver: hook
      receivers:
        - name: hook
          webhook_configs:
            - url: http://127.0.0.1:1/hook?token=w-SECRET
              http_config:
                basic_auth: {username: bob, password: pw-SECRET}
        - name: chat
          slack_configs:
            - api_url: https://hooks.slack.example/services/S2-SECRET
              channel: '#ops'
        - name: pager
          pagerduty_configs:
            - routing_key: rk-SECRET
              url: https://events.pagerduty.example/v2/enqueue
              http_config:
                bearer_token: bt-SECRET
        - name: files
          webhook_configs:
            - url_file: hook-url
      """;

  @TempDir Path dir;

  @Test
  void everySecretIsMaskedAndTheRestKept() throws Exception {
    Files.writeString(dir.resolve("hook-url"), "http://127.0.0.1:1/from-file-SECRET");
    AmConfig c = AmConfig.parse(AM, dir);
    // the live config keeps the values
    assertThat(c.receivers().get("pager").pagerduties().get(0).routingKey()).isEqualTo("rk-SECRET");
    // nor does the config's toString, should it ever be logged
    assertThat(c.toString()).doesNotContain("SECRET").contains("<secret>").contains("bob");
    String shown = c.original();
    assertThat(shown).doesNotContain("SECRET").doesNotContain("comment");
    assertThat(shown.split("<secret>", -1)).hasSize(8); // seven secrets
    assertThat(shown)
        .contains("slack_api_url: <secret>")
        .contains("url: <secret>")
        .contains("api_url: <secret>")
        .contains("routing_key: <secret>")
        .contains("bearer_token: <secret>")
        .contains("password: <secret>")
        .contains("credentials: <secret>")
        // not secrets in Alertmanager: user names, file paths, the PagerDuty endpoint
        .contains("username: bob")
        .contains("url_file: hook-url")
        .contains("url: https://events.pagerduty.example/v2/enqueue")
        .contains("channel: '#ops'");
    // still YAML with the same tree (it no longer loads as a config: <secret> is no URL)
    Map<String, Object> tree = new org.yaml.snakeyaml.Yaml().load(shown);
    assertThat(tree).containsOnlyKeys("global", "route", "receivers");
    assertThat((List<?>) tree.get("receivers")).hasSize(4);
    assertThat(tree.get("route")).isEqualTo(Map.of("receiver", "hook"));
  }

  @Test
  void defaultConfigShowsNoSecret() {
    assertThat(AmConfig.defaultConfig().original())
        .contains("receiver: default")
        .doesNotContain("<secret>");
  }
}
