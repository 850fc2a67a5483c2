package dev.osprey.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.config.AgentConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeCollectorConfigTest {
  @Test
  void fromAgentLoadsThePrometheusConfig(@TempDir Path tmp) throws Exception {
    Path prom = tmp.resolve("prometheus.yml");
    Files.writeString(prom, "scrape_configs: [{job_name: a, static_configs: [{targets: [x:1]}]}]");
    AgentConfig agent =
        new AgentConfig(
            null, null, null, null, "/sys/fs/cgroup", prom.toString(), Duration.ofSeconds(10));
    NodeCollectorConfig c = NodeCollectorConfig.fromAgent(agent, null);
    assertThat(c.cgroupRoot()).isEqualTo(Path.of("/sys/fs/cgroup"));
    assertThat(c.collectInterval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.scrape().scrapeConfigs()).hasSize(1);
    assertThat(NodeCollectorConfig.fromAgent(AgentConfig.DEFAULTS, null).scrape()).isNull();

    Files.writeString(prom, "scrape_configs: [{job_name: a, oauth2: {}}]");
    assertThatThrownBy(() -> NodeCollectorConfig.fromAgent(agent, null))
        .hasMessageContaining("unsupported field \"oauth2\"");
  }
}
