package dev.osprey.collector.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.osprey.collector.CapturingSink;
import dev.osprey.collector.NodeCollector;
import dev.osprey.collector.NodeCollectorConfig;
import dev.osprey.collector.kube.PodMetadataSources.Kind;
import dev.osprey.collector.kube.PodMetadataSources.Plan;
import dev.osprey.core.config.KubernetesConfig;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the agent picks its pod metadata source from agent.kubernetes and a DaemonSet pod's
 * environment, and that container series get pod, namespace, container and image from it.
 *
 * <p>No real API server or kubelet can run on this machine (no container runtime, no cluster): the
 * API server is fabric8's mock server (CRUD mode: real list and watch), the kubelet a JDK HTTP
 * server on 127.0.0.1 serving a v1.PodList as the kubelet's /pods does.
 */
@EnableKubernetesMockClient(crud = true, https = false)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PodMetadataSourcesTest {
  static KubernetesClient client;
  static final String CID1 = "4f1ba0b2c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70";

  static KubernetesConfig kube(
      String mode, String node, String kubeletUrl, String apiServer, String apiToken) {
    return new KubernetesConfig(
        mode, node, kubeletUrl, null, null, false, apiServer, apiToken, null, null, null);
  }

  static Path serviceAccount(Path tmp) throws Exception {
    Path sa = Files.createDirectories(tmp.resolve("sa"));
    Files.writeString(sa.resolve("token"), "sa-token\n");
    Files.writeString(sa.resolve("ca.crt"), "not a real CA");
    return sa;
  }

  static final Map<String, String> IN_POD =
      Map.of(
          "KUBERNETES_SERVICE_HOST", "10.96.0.1",
          "KUBERNETES_SERVICE_PORT", "443",
          "NODE_NAME", "node-a");

  @Test
  void inAPodTheApiServerIsChosenWithTheServiceAccount(@TempDir Path tmp) throws Exception {
    Path sa = serviceAccount(tmp);
    Plan p = PodMetadataSources.plan(KubernetesConfig.DEFAULTS, IN_POD, sa);
    assertThat(p.kind()).isEqualTo(Kind.API_SERVER);
    assertThat(p.url()).isEqualTo("https://10.96.0.1:443");
    assertThat(p.nodeName()).isEqualTo("node-a");
    assertThat(p.tokenFile()).isEqualTo(sa.resolve("token"));
    assertThat(p.caFile()).isEqualTo(sa.resolve("ca.crt"));

    // IPv6 service address
    Map<String, String> v6 = new java.util.HashMap<>(IN_POD);
    v6.put("KUBERNETES_SERVICE_HOST", "fd00::1");
    assertThat(PodMetadataSources.plan(KubernetesConfig.DEFAULTS, v6, sa).url())
        .isEqualTo("https://[fd00::1]:443");

    // the env var alone (no token mounted: automountServiceAccountToken false) is not a pod
    Path empty = Files.createDirectories(tmp.resolve("none"));
    assertThat(PodMetadataSources.plan(KubernetesConfig.DEFAULTS, IN_POD, empty).kind())
        .isEqualTo(Kind.NONE);
    // outside a cluster: no source, no error
    assertThat(PodMetadataSources.plan(KubernetesConfig.DEFAULTS, Map.of(), sa).kind())
        .isEqualTo(Kind.NONE);
    assertThat(PodMetadataSources.plan(kube("off", null, null, null, null), IN_POD, sa).kind())
        .isEqualTo(Kind.NONE);
  }

  @Test
  void withoutNodeNameTheApiServerIsRefused(@TempDir Path tmp) throws Exception {
    Path sa = serviceAccount(tmp);
    Map<String, String> noNode = Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1");
    assertThatThrownBy(() -> PodMetadataSources.plan(KubernetesConfig.DEFAULTS, noNode, sa))
        .hasMessageContaining("NODE_NAME");
    // the config's node_name does instead
    assertThat(
            PodMetadataSources.plan(kube("auto", "node-b", null, null, null), noNode, sa)
                .nodeName())
        .isEqualTo("node-b");
    assertThatThrownBy(
            () ->
                PodMetadataSources.plan(
                    kube("api_server", null, null, null, null), Map.of("NODE_NAME", "n"), sa))
        .hasMessageContaining("agent.kubernetes.api_server");
  }

  @Test
  void kubeletChosenByUrlOrMode(@TempDir Path tmp) throws Exception {
    Path sa = serviceAccount(tmp);
    Plan explicit =
        PodMetadataSources.plan(
            kube("auto", null, "http://127.0.0.1:10255/pods", null, null), IN_POD, sa);
    assertThat(explicit.kind()).isEqualTo(Kind.KUBELET);
    assertThat(explicit.url()).isEqualTo("http://127.0.0.1:10255/pods");
    assertThat(explicit.tokenFile()).isEqualTo(sa.resolve("token"));

    Map<String, String> withIp = new java.util.HashMap<>(IN_POD);
    withIp.put("NODE_IP", "10.0.0.5");
    Plan byMode = PodMetadataSources.plan(kube("kubelet", null, null, null, null), withIp, sa);
    assertThat(byMode.url()).isEqualTo("https://10.0.0.5:10250/pods");
    Plan byName = PodMetadataSources.plan(kube("kubelet", null, null, null, null), IN_POD, sa);
    assertThat(byName.url()).isEqualTo("https://node-a:10250/pods");
    assertThatThrownBy(
            () -> PodMetadataSources.plan(kube("kubelet", null, null, null, null), Map.of(), sa))
        .hasMessageContaining("kubelet_url");
    assertThatThrownBy(() -> kube("kubelets", null, null, null, null))
        .hasMessageContaining("pod_metadata must be one of");
  }

  static Path fixture(String name) throws URISyntaxException {
    return Path.of(PodMetadataSourcesTest.class.getResource("/fixtures/" + name).toURI());
  }

  static NodeCollectorConfig collectorOn(Path cgroup, Path proc) {
    return new NodeCollectorConfig(
        cgroup, proc, proc.resolveSibling("sys"), null, Duration.ofSeconds(15), null, false, null);
  }

  @Test
  void fakeKubeletNamesContainerSeries() throws Exception {
    byte[] podList = Files.readAllBytes(fixture("pods.json"));
    HttpServer kubelet =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    AtomicReference<String> path = new AtomicReference<>();
    kubelet.createContext(
        "/",
        ex -> {
          path.set(ex.getRequestURI().getPath());
          ex.getResponseHeaders().add("Content-Type", "application/json");
          ex.sendResponseHeaders(200, podList.length);
          ex.getResponseBody().write(podList);
          ex.close();
        });
    kubelet.start();
    Path tree = fixture("v2-systemd");
    String url = "http://127.0.0.1:" + kubelet.getAddress().getPort() + "/pods";
    Plan plan =
        PodMetadataSources.plan(kube("auto", "node-1", url, null, null), Map.of(), Path.of("/x"));
    CapturingSink sink = new CapturingSink();
    try (PodMetadataSources.Opened pods = PodMetadataSources.open(plan, Duration.ZERO);
        NodeCollector c =
            new NodeCollector(
                collectorOn(tree.resolve("cgroup"), tree.resolve("proc")),
                sink,
                new SimpleMeterRegistry(),
                pods.pods())) {
      c.collectOnce(1_700_000_000_000L);
    } finally {
      kubelet.stop(0);
    }
    assertThat(path.get()).isEqualTo("/pods");
    var cpu = sink.one("container_cpu_usage_seconds_total", "name", CID1);
    assertThat(cpu.labels().get("pod")).isEqualTo("cart-7d9f8b6c5-x2x9q");
    assertThat(cpu.labels().get("namespace")).isEqualTo("shop");
    assertThat(cpu.labels().get("container")).isEqualTo("cart");
    assertThat(cpu.labels().get("image")).isEqualTo("ghcr.io/acme/cart:1.2");
    assertThat(
            sink.find("kube_pod_status_phase", "pod", "cart-7d9f8b6c5-x2x9q", "phase", "Running"))
        .singleElement()
        .satisfies(s -> assertThat(s.v()).isEqualTo(1));
  }

  @Test
  void apiServerNamesContainerSeriesAndFollowsNewPods(@TempDir Path tmp) throws Exception {
    String cid1 = "1".repeat(64);
    String cid2 = "2".repeat(64);
    Pod web =
        client
            .pods()
            .inNamespace("shop")
            .resource(ApiServerPodsTest.pod("shop", "web-1", "ignored", "node-a", cid1))
            .create();
    Path cgroup = tmp.resolve("cgroup");
    Path proc = Files.createDirectories(tmp.resolve("proc"));
    V2Tree.root(cgroup);
    V2Tree.container(cgroup, web.getMetadata().getUid(), cid1, 5_000_000);

    Path token = tmp.resolve("token");
    Files.writeString(token, "t0k3n\n");
    // explicit API server (the mock's URL) and token file; NODE_NAME from the environment
    Plan plan =
        PodMetadataSources.plan(
            kube("auto", null, null, client.getMasterUrl().toString(), token.toString()),
            Map.of("NODE_NAME", "node-a"),
            tmp.resolve("no-service-account"));
    assertThat(plan.kind()).isEqualTo(Kind.API_SERVER);
    assertThat(plan.tokenFile()).isEqualTo(token);
    CapturingSink sink = new CapturingSink();
    // the mock cannot evaluate the spec.nodeName field selector: filtered on our side only
    try (PodMetadataSources.Opened pods = PodMetadataSources.open(plan, Duration.ZERO, false);
        NodeCollector c =
            new NodeCollector(
                collectorOn(cgroup, proc), sink, new SimpleMeterRegistry(), pods.pods())) {
      awaitLabel(c, sink, cid1, "web-1");
      var cpu = live(sink, cid1);
      assertThat(cpu.labels().get("namespace")).isEqualTo("shop");
      assertThat(cpu.labels().get("container")).isEqualTo("app");
      assertThat(cpu.labels().get("image")).isEqualTo("ghcr.io/acme/app:1");
      assertThat(cpu.v()).isEqualTo(5.0);

      // a pod scheduled later: the watch brings its names
      Pod batch =
          client
              .pods()
              .inNamespace("jobs")
              .resource(ApiServerPodsTest.pod("jobs", "batch-1", "ignored", "node-a", cid2))
              .create();
      V2Tree.container(cgroup, batch.getMetadata().getUid(), cid2, 1_000_000);
      awaitLabel(c, sink, cid2, "batch-1");
      assertThat(live(sink, cid2).labels().get("namespace")).isEqualTo("jobs");
    }
  }

  @Test
  void apiServerDownDoesNotBlockTheNumbers(@TempDir Path tmp) throws Exception {
    Path cgroup = tmp.resolve("cgroup");
    Path proc = Files.createDirectories(tmp.resolve("proc"));
    V2Tree.root(cgroup);
    V2Tree.container(cgroup, "00000000-0000-0000-0000-0000000000aa", CID1, 2_000_000);
    int closedPort;
    try (var s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    Plan plan =
        PodMetadataSources.plan(
            kube("api_server", "node-a", null, "http://127.0.0.1:" + closedPort, null),
            Map.of(),
            tmp.resolve("no-service-account"));
    CapturingSink sink = new CapturingSink();
    try (PodMetadataSources.Opened pods = PodMetadataSources.open(plan, Duration.ZERO);
        NodeCollector c =
            new NodeCollector(
                collectorOn(cgroup, proc), sink, new SimpleMeterRegistry(), pods.pods())) {
      c.collectOnce(1_700_000_000_000L);
    }
    var cpu = live(sink, CID1);
    assertThat(cpu.v()).isEqualTo(2.0);
    assertThat(cpu.labels().has("pod")).isFalse();
  }

  /**
   * The container's CPU sample that is not a staleness marker (the series without names, from
   * before the list arrived, is marked stale once the names come).
   */
  static CapturingSink.Sample live(CapturingSink sink, String cid) {
    return sink.find("container_cpu_usage_seconds_total", "name", cid).stream()
        .filter(x -> !Double.isNaN(x.v()))
        .reduce(
            (a, b) -> {
              throw new AssertionError("two live samples: " + a + ", " + b);
            })
        .orElseThrow(() -> new AssertionError("no live sample of " + cid));
  }

  /** Collects until the container's series carries the pod's name (bounded: 30 s). */
  static void awaitLabel(NodeCollector c, CapturingSink sink, String cid, String pod)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    long t = 1_700_000_000_000L;
    do {
      sink.clear();
      c.collectOnce(t += 15_000);
      List<CapturingSink.Sample> s =
          sink.find("container_cpu_usage_seconds_total", "name", cid).stream()
              .filter(x -> !Double.isNaN(x.v()))
              .toList();
      if (!s.isEmpty() && s.get(0).labels().get("pod").equals(pod)) {
        return;
      }
      Thread.sleep(50);
    } while (System.nanoTime() < deadline);
  }
}
