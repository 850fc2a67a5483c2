package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.config.ConfigLoader;
import dev.osprey.core.config.KubernetesConfig;
import dev.osprey.core.config.OspreyConfig;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The agent's Kubernetes flags override agent.kubernetes, key by key; the rest stays. */
class AgentOptionsTest {
  static KubernetesConfig apply(OspreyConfig base, String... args) {
    AgentOptions o = new AgentOptions();
    new CommandLine(o).parseArgs(args);
    return o.apply(base).agent().kubernetes();
  }

  @Test
  void flagsOverrideTheConfigFileKeyByKey() {
    OspreyConfig file =
        ConfigLoader.parse(
            "osprey.yaml",
            """
            agent:
              kubernetes:
                pod_metadata: api_server
                node_name: from-file
                api_server: https://10.0.0.1:6443
                log_pod_labels: [team]
            """);
    KubernetesConfig k =
        apply(
            file,
            "--pod-metadata=kubelet",
            "--kubelet-url=https://10.0.0.5:10250/pods",
            "--kubelet-token-file=/t",
            "--kubelet-insecure-skip-verify");
    assertThat(k.podMetadata()).isEqualTo("kubelet");
    assertThat(k.kubeletUrl()).isEqualTo("https://10.0.0.5:10250/pods");
    assertThat(k.kubeletTokenFile()).isEqualTo("/t");
    assertThat(k.kubeletInsecureSkipVerify()).isTrue();
    // not given as flags: the file's values
    assertThat(k.nodeName()).isEqualTo("from-file");
    assertThat(k.apiServer()).isEqualTo("https://10.0.0.1:6443");
    assertThat(k.logPodLabels()).isEqualTo(List.of("team"));

    KubernetesConfig api =
        apply(
            OspreyConfig.DEFAULTS,
            "--kube-api-server=https://api:6443",
            "--kube-api-token-file=/tok",
            "--kube-api-ca-file=/ca",
            "--node-name=n1");
    assertThat(api.apiServer()).isEqualTo("https://api:6443");
    assertThat(api.apiTokenFile()).isEqualTo("/tok");
    assertThat(api.apiCaFile()).isEqualTo("/ca");
    assertThat(api.nodeName()).isEqualTo("n1");
    assertThat(api.podMetadata()).isEqualTo("auto");
  }

  @Test
  void badModeIsAUserErrorAndABadKeyIsNamed() {
    assertThatThrownBy(() -> apply(OspreyConfig.DEFAULTS, "--pod-metadata=kubeletz"))
        .isInstanceOf(UserError.class)
        .hasMessageContaining("pod_metadata must be one of");
    assertThatThrownBy(
            () ->
                ConfigLoader.parse(
                    "osprey.yaml", "agent:\n  kubernetes:\n    kubelet_ur1: http://x\n"))
        .hasMessageContaining("unknown key \"agent.kubernetes.kubelet_ur1\"");
    assertThatThrownBy(
            () ->
                ConfigLoader.parse(
                    "osprey.yaml", "agent:\n  kubernetes:\n    pod_metadata: sometimes\n"))
        .hasMessageContaining("pod_metadata must be one of");
  }
}
