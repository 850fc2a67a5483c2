package dev.osprey.logs.shipper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.labels.Labels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pod labels, chosen annotations and the node name on log streams. The pods come from a map here;
 * the agent's real sources (the kubelet's list, an API server watch) are exercised end to end in
 * the server module's AgentPodMetadataTest and in node-collector's PodMetadataSourcesTest.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class KubernetesStreamLabelsTest {
  @TempDir Path tmp;

  static final List<String> LABEL_KEYS = List.of("app", "app.kubernetes.io/name", "9lives");
  static final List<String> ANNOTATION_KEYS = List.of("example.com/owner");

  /** Pods by UID, with a count of refreshes asked for. */
  static final class MapPods implements PodLookup {
    final Map<String, Pod> pods = new ConcurrentHashMap<>();
    final AtomicInteger refreshes = new AtomicInteger();

    @Override
    public Pod pod(String uid) {
      return pods.get(uid);
    }

    @Override
    public void refresh() {
      refreshes.incrementAndGet();
    }
  }

  static PodLookup.Pod pod(String app) {
    return new PodLookup.Pod(
        Map.of(
            "app",
            app,
            "app.kubernetes.io/name",
            app + "-svc",
            "9lives",
            "cat",
            "pod-template-hash",
            "7d9f8b6c5"), // not on the allow-list
        Map.of(
            "example.com/owner",
            "team-" + app,
            "kubectl.kubernetes.io/last-applied-configuration",
            "{\"huge\":1}"));
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
  void labelsAreCachedPerStreamAndUnknownPodsAskTheSourceAgain() throws Exception {
    MapPods pods = new MapPods();
    pods.pods.put("u1", pod("web"));
    KubernetesStreamLabels kube =
        new KubernetesStreamLabels(
            pods, "node-a", LABEL_KEYS, ANNOTATION_KEYS, new SimpleMeterRegistry());
    Labels web = Labels.of("namespace", "shop", "pod", "web-1", "pod_uid", "u1", "app", "mine");
    Labels got = kube.labels(web);
    assertThat(got.toString())
        .isEqualTo(
            "{_9lives=\"cat\", app=\"mine\", app_kubernetes_io_name=\"web-svc\","
                + " example_com_owner=\"team-web\", namespace=\"shop\", node_name=\"node-a\","
                + " pod=\"web-1\", pod_uid=\"u1\"}");
    assertThat(kube.labels(web)).as("cached: the same object").isSameAs(got);
    assertThat(pods.refreshes.get()).isZero();

    Labels later = Labels.of("pod_uid", "u2");
    assertThat(kube.labels(later).has("app")).isFalse();
    await(() -> pods.refreshes.get() == 1);
    assertThat(pods.refreshes.get()).as("an unknown pod asks the source to look").isEqualTo(1);
    assertThat(kube.labels(later).has("app")).as("within a second: cached").isFalse();
    assertThat(pods.refreshes.get()).isEqualTo(1);
    pods.pods.put("u2", pod("batch"));
    await(() -> kube.labels(later).has("app"));
    assertThat(kube.labels(later).get("app")).isEqualTo("batch");

    KubernetesStreamLabels noNode =
        new KubernetesStreamLabels(pods, null, LABEL_KEYS, List.of(), new SimpleMeterRegistry());
    Labels unknown = Labels.of("pod_uid", "u9");
    assertThat(noNode.labels(unknown)).as("nothing to add: the same labels").isSameAs(unknown);
  }

  @Test
  void aHangingSourceNeverBlocksLabelling() throws Exception {
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    PodLookup hanging =
        new PodLookup() {
          @Override
          public Pod pod(String uid) {
            return null;
          }

          @Override
          public void refresh() {
            try {
              release.await(); // a kubelet that never answers
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        };
    KubernetesStreamLabels kube =
        new KubernetesStreamLabels(
            hanging, "node-a", LABEL_KEYS, List.of(), new SimpleMeterRegistry());
    try {
      org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
          java.time.Duration.ofSeconds(10),
          () -> {
            for (int i = 0; i < 50; i++) {
              assertThat(kube.labels(Labels.of("pod_uid", "u" + i)).get("node_name"))
                  .isEqualTo("node-a");
              Thread.sleep(50); // past the once-a-second refresh several times
            }
          });
    } finally {
      release.countDown();
    }
  }

  @Test
  void podLabelsOnShippedStreamsIncludingPodsThatAppearLater() throws Exception {
    MapPods source = new MapPods();
    source.pods.put("uid-web", pod("web"));
    Path pods = Files.createDirectories(tmp.resolve("pods"));
    writeCri(podLog(pods, "shop", "web-1", "uid-web"), "web-line", 20);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    KubernetesStreamLabels kube =
        new KubernetesStreamLabels(source, "node-a", LABEL_KEYS, ANNOTATION_KEYS, registry);
    try (LokiSink sink = new LokiSink();
        LogShipper shipper =
            new LogShipper(
                LogShipperTest.testConfig(pods, tmp.resolve("spool"), sink.base()),
                registry,
                kube)) {
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
                  "pod_uid=\"uid-web\""))
          .isEqualTo(20);
      // not on the allow-lists; the line never in a label value
      assertThat(sink.streams().keySet())
          .noneMatch(s -> s.contains("pod_template_hash") || s.contains("last_applied"))
          .noneMatch(s -> s.contains("web-line"));

      // a pod the source learns about after its file appeared
      writeCri(podLog(pods, "jobs", "batch-1", "uid-batch"), "batch-line", 10);
      await(() -> sink.accepted() >= 30);
      assertThat(linesIn(sink, "namespace=\"jobs\"", "node_name=\"node-a\"")).isEqualTo(10);
      assertThat(linesIn(sink, "app=\"batch\"")).isZero();
      source.pods.put("uid-batch", pod("batch"));
      Thread.sleep(1100); // past the per-stream re-check
      Files.writeString(
          podLog(pods, "jobs", "batch-1", "uid-batch"),
          Instant.now() + " stdout F batch-late 0\n",
          java.nio.file.StandardOpenOption.APPEND);
      await(() -> sink.accepted() >= 31);
      assertThat(linesIn(sink, "app=\"batch\"", "namespace=\"jobs\"")).isEqualTo(1);
      assertThat(registry.counter("osprey_log_shipper_pod_lookup_misses_total").count())
          .isPositive();
    }
  }
}
