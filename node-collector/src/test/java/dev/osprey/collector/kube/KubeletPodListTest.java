package dev.osprey.collector.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.collector.CapturingSink;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class KubeletPodListTest {
  static KubeletPodList load() throws URISyntaxException {
    Path p = Path.of(KubeletPodListTest.class.getResource("/fixtures/pods.json").toURI());
    KubeletPodList l = new KubeletPodList(p.toString(), Duration.ofMinutes(1));
    l.refresh();
    return l;
  }

  @Test
  void indexesPodsAndContainers() throws Exception {
    KubeletPodList l = load();
    PodInfo p = l.pod("6d3a6a6e-0f0b-4c1e-9a7e-1c2b3d4e5f60");
    assertThat(p.name()).isEqualTo("cart-7d9f8b6c5-x2x9q");
    assertThat(p.namespace()).isEqualTo("shop");
    PodInfo.ContainerInfo c =
        l.container("4f1ba0b2c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70");
    assertThat(c.name()).isEqualTo("cart");
    assertThat(c.image()).isEqualTo("ghcr.io/acme/cart:1.2");
    assertThat(c.restartCount()).isEqualTo(2);
    assertThat(
            l.container("1111111111111111111111111111111111111111111111111111111111111111").name())
        .isEqualTo("init-db");
    assertThat(l.pods()).hasSize(2);
  }

  @Test
  void podStateWithKubeStateMetricsNames() throws Exception {
    CapturingSink s = new CapturingSink();
    new PodStateCollector(load()).collect(1000, s);
    assertThat(
            s.one("kube_pod_status_phase", "pod", "cart-7d9f8b6c5-x2x9q", "phase", "Running").v())
        .isEqualTo(1);
    assertThat(
            s.one("kube_pod_status_phase", "pod", "cart-7d9f8b6c5-x2x9q", "phase", "Pending").v())
        .isEqualTo(0);
    assertThat(s.one("kube_pod_container_status_restarts_total", "container", "cart").v())
        .isEqualTo(2);
    assertThat(s.one("kube_pod_start_time", "pod", "cart-7d9f8b6c5-x2x9q").v())
        .isEqualTo(Instant.parse("2026-11-20T10:00:00Z").getEpochSecond());
    assertThat(s.one("kube_pod_container_state_started", "container", "cart").v())
        .isEqualTo(Instant.parse("2026-11-20T10:00:05Z").getEpochSecond());
    assertThat(
            s.one("kube_pod_container_status_last_terminated_timestamp", "container", "cart").v())
        .isEqualTo(Instant.parse("2026-11-20T10:00:04Z").getEpochSecond());
    assertThat(
            s.one("kube_pod_container_status_restarts_total", "container", "cart").labels().names())
        .containsExactly("__name__", "container", "namespace", "pod", "uid");
  }

  @Test
  void badJsonIsACleanError() {
    assertThatThrownBy(() -> KubeletPodList.parse("{\"items\": [".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("cannot parse pod list");
  }
}
