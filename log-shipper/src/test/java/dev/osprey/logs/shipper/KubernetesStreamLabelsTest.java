package dev.osprey.logs.shipper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.labels.Labels;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pod labels, chosen annotations and the node name on log streams, from fabric8's mock API server
 * (CRUD mode: real list and watch semantics). No real API server can run on this machine (no
 * cluster, no container runtime), so the mock stands in for it.
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class KubernetesStreamLabelsTest {
  static KubernetesClient client;
  @TempDir Path tmp;

  static final List<String> LABEL_KEYS = List.of("app", "app.kubernetes.io/name", "9lives");
  static final List<String> ANNOTATION_KEYS = List.of("example.com/owner");

  static Pod pod(String ns, String name, String node, String app) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace(ns)
        .withName(name)
        .addToLabels("app", app)
        .addToLabels("app.kubernetes.io/name", app + "-svc")
        .addToLabels("9lives", "cat")
        .addToLabels("pod-template-hash", "7d9f8b6c5") // not on the allow-list
        .addToAnnotations("example.com/owner", "team-" + app)
        .addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{\"huge\":1}")
        .endMetadata()
        .withNewSpec()
        .withNodeName(node)
        .addNewContainer()
        .withName("app")
        .withImage("ghcr.io/acme/" + app + ":1")
        .endContainer()
        .endSpec()
        .build();
  }

  static void await(BooleanSupplier cond) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!cond.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
  }

  static void writeCri(Path log, String marker, int n) throws Exception {
    Files.createDirectories(log.getParent());
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(Instant.now())
          .append(" stdout F ")
          .append(marker)
          .append(' ')
          .append(i)
          .append('\n');
    }
    Files.writeString(log, sb.toString());
  }

  static Path podLog(Path pods, String ns, String name, String uid) {
    return pods.resolve(ns + "_" + name + "_" + uid).resolve("app").resolve("0.log");
  }

  /** Streams whose label string contains every fragment, with their entry counts. */
  static int linesIn(LokiSink sink, String... fragments) {
    int n = 0;
    for (Map.Entry<String, List<LokiSink.Entry>> e : sink.streams().entrySet()) {
      boolean all = true;
      for (String f : fragments) {
        all &= e.getKey().contains(f);
      }
      n += all ? e.getValue().size() : 0;
    }
    return n;
  }

  @Test
  void labelNamesAreSanitized() {
    assertThat(KubernetesStreamLabels.labelName("app.kubernetes.io/name"))
        .isEqualTo("app_kubernetes_io_name");
    assertThat(KubernetesStreamLabels.labelName("9lives")).isEqualTo("_9lives");
    assertThat(KubernetesStreamLabels.labelName("team")).isEqualTo("team");
    assertThat(KubernetesStreamLabels.labelName("a-b_C9")).isEqualTo("a_b_C9");
    assertThat(Labels.isValidLabelName(KubernetesStreamLabels.labelName("ü/x.y"))).isTrue();
  }

  @Test
  void podLabelsOnStreamsIncludingPodsThatAppearLater() throws Exception {
    Pod web =
        client.pods().inNamespace("shop").resource(pod("shop", "web-1", "node-a", "web")).create();
    client.pods().inNamespace("shop").resource(pod("shop", "other", "node-b", "other")).create();
    String webUid = web.getMetadata().getUid();
    Path pods = Files.createDirectories(tmp.resolve("pods"));
    writeCri(podLog(pods, "shop", "web-1", webUid), "web-line", 20);

    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (LokiSink sink = new LokiSink();
        KubernetesStreamLabels kube =
            new KubernetesStreamLabels(
                client, "node-a", LABEL_KEYS, ANNOTATION_KEYS, registry, false)) {
      await(kube::hasSynced); // so the first file's lines all carry the labels
      assertThat(kube.hasSynced()).isTrue();
      try (LogShipper shipper =
          new LogShipper(
              LogShipperTest.testConfig(pods, tmp.resolve("spool"), sink.base()), registry, kube)) {
        shipper.start();
        await(() -> sink.accepted() >= 20);
        assertThat(
                linesIn(
                    sink,
                    "app=\"web\"",
                    "app_kubernetes_io_name=\"web-svc\"",
                    "_9lives=\"cat\"",
                    "example_com_owner=\"team-web\"",
                    "node_name=\"node-a\"",
                    "namespace=\"shop\"",
                    "pod=\"web-1\"",
                    "pod_uid=\"" + webUid + "\""))
            .isEqualTo(20);
        // not on the allow-lists; the line never in a label value
        assertThat(sink.streams().keySet())
            .noneMatch(s -> s.contains("pod_template_hash") || s.contains("last_applied"))
            .noneMatch(s -> s.contains("web-line"));

        // a pod scheduled after start: its watch event brings its labels
        Pod batch =
            client
                .pods()
                .inNamespace("jobs")
                .resource(pod("jobs", "batch-1", "node-a", "batch"))
                .create();
        String batchUid = batch.getMetadata().getUid();
        Labels probe = Labels.of("pod_uid", batchUid);
        await(() -> kube.labels(probe).has("app"));
        writeCri(podLog(pods, "jobs", "batch-1", batchUid), "batch-line", 10);
        await(() -> sink.accepted() >= 30);
        assertThat(linesIn(sink, "app=\"batch\"", "namespace=\"jobs\"", "node_name=\"node-a\""))
            .isEqualTo(10);
        // another node's pod is never used
        assertThat(sink.streams().keySet()).noneMatch(s -> s.contains("app=\"other\""));
      }
    }
  }

  @Test
  void apiServerDownLogsStillShipWithPathLabels() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    Config cfg =
        new ConfigBuilder(Config.empty())
            .withMasterUrl("http://127.0.0.1:" + closed)
            .withRequestTimeout(2000)
            .withConnectionTimeout(1000)
            .build();
    Path pods = Files.createDirectories(tmp.resolve("pods"));
    writeCri(podLog(pods, "shop", "web-1", "uid-1"), "down-line", 25);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (KubernetesClient down = new KubernetesClientBuilder().withConfig(cfg).build();
        LokiSink sink = new LokiSink();
        KubernetesStreamLabels kube =
            new KubernetesStreamLabels(down, "node-a", LABEL_KEYS, ANNOTATION_KEYS, registry);
        LogShipper shipper =
            new LogShipper(
                LogShipperTest.testConfig(pods, tmp.resolve("spool"), sink.base()),
                registry,
                kube)) {
      shipper.start();
      await(() -> sink.accepted() >= 25);
      assertThat(kube.hasSynced()).isFalse();
      assertThat(sink.accepted()).isEqualTo(25);
      assertThat(sink.streams().keySet())
          .singleElement()
          .satisfies(
              s ->
                  assertThat(s)
                      .contains("namespace=\"shop\"", "pod=\"web-1\"", "node_name=\"node-a\"")
                      .doesNotContain("app="));
    }
  }
}
