package dev.osprey.collector.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** List+watch against fabric8's mock API server (CRUD mode: real list and watch semantics). */
@EnableKubernetesMockClient(crud = true)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ApiServerPodsTest {
  static KubernetesClient client;

  static Pod pod(String ns, String name, String uid, String node, String cid) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace(ns)
        .withName(name)
        .withUid(uid)
        .addToAnnotations("prometheus.io/scrape", "true")
        .endMetadata()
        .withNewSpec()
        .withNodeName(node)
        .addNewContainer()
        .withName("app")
        .withImage("ghcr.io/acme/app:1")
        .addNewPort()
        .withContainerPort(8080)
        .endPort()
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .withPodIP("10.1.0.5")
        .addToContainerStatuses(
            new ContainerStatusBuilder()
                .withName("app")
                .withContainerID("containerd://" + cid)
                .withImage("ghcr.io/acme/app:1")
                .withRestartCount(1)
                .build())
        .endStatus()
        .build();
  }

  static void await(BooleanSupplier cond, ApiServerPods p) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      p.refresh();
      if (cond.getAsBoolean()) {
        return;
      }
      Thread.sleep(50);
    }
    p.refresh();
  }

  /** The mock API server assigns its own UIDs: look pods up by name, and check UID lookup. */
  static PodInfo byName(ApiServerPods p, String name) {
    PodInfo found = p.pods().stream().filter(x -> x.name().equals(name)).findFirst().orElse(null);
    if (found != null && p.pod(found.uid()) != found) {
      throw new AssertionError("pod " + name + " not found by its uid");
    }
    return found;
  }

  @Test
  void listsThenWatchesThisNodesPods() throws Exception {
    String cid = "c".repeat(64);
    client.pods().inNamespace("shop").resource(pod("shop", "web-1", "u-1", "node-a", cid)).create();
    client
        .pods()
        .inNamespace("shop")
        .resource(pod("shop", "other", "u-2", "node-b", "d".repeat(64)))
        .create();
    // the mock cannot evaluate a spec.nodeName field selector: filter on our side only
    try (ApiServerPods p = new ApiServerPods(client, "node-a", false)) {
      await(() -> byName(p, "web-1") != null, p);
      assertThat(byName(p, "web-1").name()).isEqualTo("web-1");
      assertThat(byName(p, "web-1").namespace()).isEqualTo("shop");
      assertThat(byName(p, "web-1").podIp()).isEqualTo("10.1.0.5");
      assertThat(byName(p, "web-1").annotations()).containsEntry("prometheus.io/scrape", "true");
      assertThat(p.container(cid).name()).isEqualTo("app");
      assertThat(p.container(cid).image()).isEqualTo("ghcr.io/acme/app:1");
      assertThat(p.container(cid).restartCount()).isEqualTo(1);
      assertThat(p.container(cid).ports())
          .singleElement()
          .satisfies(port -> assertThat(port.number()).isEqualTo(8080));
      assertThat(byName(p, "other")).as("another node's pod").isNull();

      // watch: a new pod on this node appears, a deleted one goes
      client
          .pods()
          .inNamespace("jobs")
          .resource(pod("jobs", "batch", "u-3", "node-a", "e".repeat(64)))
          .create();
      await(() -> byName(p, "batch") != null, p);
      assertThat(byName(p, "batch").name()).isEqualTo("batch");
      client.pods().inNamespace("shop").withName("web-1").delete();
      await(() -> byName(p, "web-1") == null, p);
      assertThat(byName(p, "web-1")).isNull();
      assertThat(p.pods()).hasSize(1);
    }
  }
}
