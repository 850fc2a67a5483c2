package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.osprey.core.config.AgentConfig;
import dev.osprey.core.config.KubernetesConfig;
import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.util.ByteSize;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code osprey agent} with {@code agent.kubernetes.kubelet_url}: container series reach the server
 * with pod, namespace, container and image. The kubelet is a JDK HTTP server on 127.0.0.1 serving a
 * v1.PodList as the kubelet's /pods does (no kubelet or cluster can run on this machine); the
 * cgroup tree is a small v2 tree in the systemd driver's layout.
 */
class AgentPodMetadataTest {
  static final String UID = "6d3a6a6e-0f0b-4c1e-9a7e-1c2b3d4e5f60";
  static final String CID = "4f1ba0b2c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70";

  static void write(Path f, String s) throws Exception {
    Files.createDirectories(f.getParent());
    Files.writeString(f, s);
  }

  static void group(Path d) throws Exception {
    write(d.resolve("cpu.stat"), "usage_usec 7000000\nuser_usec 5000000\nsystem_usec 2000000\n");
    write(d.resolve("cpu.max"), "max 100000\n");
    write(d.resolve("memory.current"), "1048576\n");
    write(d.resolve("memory.max"), "max\n");
    write(d.resolve("memory.stat"), "anon 524288\nfile 524288\ninactive_file 0\n");
    write(d.resolve("cgroup.procs"), "");
  }

  @Test
  void containerSeriesCarryPodNamesFromTheKubelet(@TempDir Path dir) throws Exception {
    Path cgroup = dir.resolve("cgroup");
    write(cgroup.resolve("cgroup.controllers"), "cpu memory\n");
    write(cgroup.resolve("cpu.stat"), "usage_usec 1\n");
    Path pod =
        cgroup.resolve(
            "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
                + UID.replace('-', '_')
                + ".slice");
    group(pod);
    group(pod.resolve("cri-containerd-" + CID + ".scope"));
    String podList =
        """
        {"kind":"PodList","apiVersion":"v1","items":[{
          "metadata":{"name":"cart-1","namespace":"shop","uid":"%s",
            "labels":{"app":"cart","pod-template-hash":"5f7d9"},
            "annotations":{"example.com/owner":"team-cart"}},
          "spec":{"nodeName":"node-1","containers":[{"name":"cart","image":"ghcr.io/acme/cart:1.2"}]},
          "status":{"phase":"Running","containerStatuses":[{"name":"cart",
            "containerID":"containerd://%s","image":"ghcr.io/acme/cart:1.2","restartCount":0}]}}]}
        """
            .formatted(UID, CID);
    AtomicInteger kubeletCalls = new AtomicInteger();
    HttpServer kubelet =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    kubelet.createContext(
        "/pods",
        ex -> {
          kubeletCalls.incrementAndGet();
          byte[] b = podList.getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, b.length);
          ex.getResponseBody().write(b);
          ex.close();
        });
    kubelet.start();
    OspreyConfig base = OspreyServerTest.config(dir.resolve("data"));
    try (OspreyServer server = new OspreyServer(base, SelfMetrics.create()).start()) {
      KubernetesConfig kube =
          new KubernetesConfig(
              null,
              "node-1",
              "http://127.0.0.1:" + kubelet.getAddress().getPort() + "/pods",
              null,
              null,
              false,
              null,
              null,
              null,
              List.of("app"),
              List.of("example.com/owner"));
      AgentConfig agent =
          new AgentConfig(
              server.baseUrl(),
              dir.resolve("spool").toString(),
              new ByteSize(64L << 20),
              dir.resolve("pods") + "/*/*/*.log",
              cgroup.toString(),
              null,
              Duration.ofSeconds(1),
              kube);
      OspreyConfig withAgent =
          new OspreyConfig(
              base.server(), base.tsdb(), base.logs(), base.query(), base.alerting(), agent);
      // an environment without KUBERNETES_SERVICE_HOST: the explicit kubelet URL decides
      try (OspreyAgent a =
          new OspreyAgent(withAgent, SelfMetrics.create(), false, Map.of(), dir.resolve("no-sa"))
              .start()) {
        String q =
            "container_cpu_usage_seconds_total{pod=\"cart-1\",namespace=\"shop\","
                + "container=\"cart\",image=\"ghcr.io/acme/cart:1.2\",name=\""
                + CID
                + "\"}";
        JsonNode r = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
          r = query(server.baseUrl(), q);
          if (r.at("/data/result").size() > 0) {
            break;
          }
          Thread.sleep(200);
        }
        assertThat(r.at("/data/result")).hasSize(1);
        assertThat(r.at("/data/result/0/value/1").asDouble()).isEqualTo(7.0);
        assertThat(kubeletCalls.get()).isPositive();

        // the container's log lines carry the pod's labels from the same kubelet list
        Path log = dir.resolve("pods/shop_cart-1_" + UID + "/cart/0.log");
        write(log, java.time.Instant.now() + " stdout F cart started\n");
        String logs =
            server.baseUrl()
                + "/loki/api/v1/query_range?query="
                + URLEncoder.encode("{app=\"cart\"}", StandardCharsets.UTF_8);
        JsonNode found = null;
        deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
          found = get(logs);
          if (found.at("/data/result").size() > 0) {
            break;
          }
          Thread.sleep(200);
        }
        assertThat(found.at("/data/result")).hasSize(1);
        JsonNode stream = found.at("/data/result/0/stream");
        assertThat(stream.get("namespace").asText()).isEqualTo("shop");
        assertThat(stream.get("pod").asText()).isEqualTo("cart-1");
        assertThat(stream.get("container").asText()).isEqualTo("cart");
        assertThat(stream.get("example_com_owner").asText()).isEqualTo("team-cart");
        assertThat(stream.get("node_name").asText()).isEqualTo("node-1");
        assertThat(stream.has("pod_template_hash")).isFalse();
        assertThat(found.at("/data/result/0/values/0/1").asText()).isEqualTo("cart started");
      }
    } finally {
      kubelet.stop(0);
    }
  }

  static JsonNode get(String url) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new ObjectMapper().readTree(r.body());
  }

  static JsonNode query(String base, String q) throws Exception {
    return get(base + "/api/v1/query?query=" + URLEncoder.encode(q, StandardCharsets.UTF_8));
  }
}
