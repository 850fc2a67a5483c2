package dev.osprey.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.osprey.collector.CapturingSink;
import dev.osprey.collector.kube.KubeletPodList;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.StaleNaN;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class PodTargetsTest {
  /** The "kubernetes-pods" job of Prometheus's example configuration, unchanged. */
  static final String KUBERNETES_PODS_JOB =
      """
        - job_name: kubernetes-pods
          kubernetes_sd_configs:
            - role: pod
          relabel_configs:
            - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
              action: keep
              regex: true
            - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
              action: replace
              target_label: __metrics_path__
              regex: (.+)
            - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
              action: replace
              regex: ([^:]+)(?::\\d+)?;(\\d+)
              replacement: $1:$2
              target_label: __address__
            - action: labelmap
              regex: __meta_kubernetes_pod_label_(.+)
            - source_labels: [__meta_kubernetes_namespace]
              action: replace
              target_label: namespace
            - source_labels: [__meta_kubernetes_pod_name]
              action: replace
              target_label: pod
      """;

  static KubeletPodList fixturePods() throws Exception {
    KubeletPodList l =
        new KubeletPodList(
            Path.of(PodTargetsTest.class.getResource("/fixtures/pods.json").toURI()).toString(),
            Duration.ZERO);
    l.refresh();
    return l;
  }

  @Test
  void discoversLikePrometheusPodRole() throws Exception {
    List<Labels> d =
        PodTargets.discovered(fixturePods().pods(), new ScrapeConfig.PodDiscovery(List.of()));
    Labels http =
        d.stream()
            .filter(l -> l.get("__address__").equals("10.244.1.17:8080"))
            .findFirst()
            .orElseThrow();
    assertThat(http.get("__meta_kubernetes_pod_container_port_name")).isEqualTo("http");
    assertThat(http.get("__meta_kubernetes_pod_container_port_number")).isEqualTo("8080");
    assertThat(http.get("__meta_kubernetes_pod_container_port_protocol")).isEqualTo("TCP");
    assertThat(http.get("__meta_kubernetes_pod_container_name")).isEqualTo("cart");
    assertThat(http.get("__meta_kubernetes_pod_label_app_kubernetes_io_version")).isEqualTo("1.2");
    assertThat(http.get("__meta_kubernetes_pod_labelpresent_app")).isEqualTo("true");
    assertThat(http.get("__meta_kubernetes_pod_annotation_prometheus_io_scrape")).isEqualTo("true");
    assertThat(http.get("__meta_kubernetes_pod_ready")).isEqualTo("true");
    assertThat(http.get("__meta_kubernetes_pod_controller_kind")).isEqualTo("ReplicaSet");
    assertThat(http.get("__meta_kubernetes_pod_host_ip")).isEqualTo("192.168.1.10");
    assertThat(http.get("__meta_kubernetes_pod_container_init")).isEqualTo("false");
    // containers without ports: one target on the bare pod IP; init containers marked
    assertThat(d)
        .filteredOn(l -> l.get("__address__").equals("10.244.1.18"))
        .hasSize(2)
        .anySatisfy(
            l -> assertThat(l.get("__meta_kubernetes_pod_container_init")).isEqualTo("true"));
    assertThat(d).hasSize(4);
    assertThat(
            PodTargets.discovered(
                fixturePods().pods(), new ScrapeConfig.PodDiscovery(List.of("jobs"))))
        .hasSize(2);
  }

  @Test
  void annotationJobFromPrometheusExamplesWorksUnchanged() throws Exception {
    PrometheusConfig c = PrometheusConfig.parse("scrape_configs:\n" + KUBERNETES_PODS_JOB);
    List<Target> targets = PodTargets.targets(c.scrapeConfigs().get(0), fixturePods().pods());
    // both container ports of the annotated pod collapse into one target; the other pod is out
    assertThat(targets)
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.url().toString()).isEqualTo("http://10.244.1.17:8081/admin/metrics");
              assertThat(t.labels())
                  .isEqualTo(
                      Labels.of(
                          "instance",
                          "10.244.1.17:8081",
                          "job",
                          "kubernetes-pods",
                          "app",
                          "cart",
                          "app_kubernetes_io_version",
                          "1.2",
                          "namespace",
                          "shop",
                          "pod",
                          "cart-7d9f8b6c5-x2x9q"));
            });
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void podTargetsFollowThePodList(@TempDir Path tmp) throws Exception {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/metrics",
        ex -> {
          byte[] b = "pod_metric 1\n".getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, b.length);
          try (OutputStream os = ex.getResponseBody()) {
            os.write(b);
          }
        });
    server.start();
    int port = server.getAddress().getPort();
    Path podsFile = tmp.resolve("pods.json");
    String pod =
        """
        {"items": [{"metadata": {"name": "p1", "namespace": "ns", "uid": "u1",
          "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "%d"}},
          "spec": {"containers": [{"name": "c"}]},
          "status": {"phase": "Running", "podIP": "127.0.0.1"}}]}
        """
            .formatted(port);
    Files.writeString(podsFile, pod);
    KubeletPodList list = new KubeletPodList(podsFile.toString(), Duration.ZERO);
    list.refresh();
    PrometheusConfig c =
        PrometheusConfig.parse(
            "global: {scrape_interval: 1s, scrape_timeout: 500ms}\nscrape_configs:\n"
                + KUBERNETES_PODS_JOB);
    CapturingSink sink = new CapturingSink();
    ScrapeManager m = new ScrapeManager(c, sink, new SimpleMeterRegistry(), list::pods);
    try {
      m.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (sink.find("pod_metric").isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(sink.find("pod_metric")).isNotEmpty();
      assertThat(sink.find("pod_metric").get(0).labels().get("pod")).isEqualTo("p1");

      Files.writeString(podsFile, "{\"items\": []}");
      list.refresh();
      m.sync();
      assertThat(m.loops()).isEmpty();
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!StaleNaN.is(sink.find("up").getLast().v()) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(StaleNaN.is(sink.find("up").getLast().v())).isTrue();
      assertThat(StaleNaN.is(sink.find("pod_metric").getLast().v())).isTrue();
    } finally {
      m.close();
      server.stop(0);
    }
  }
}
