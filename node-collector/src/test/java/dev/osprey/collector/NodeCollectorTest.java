package dev.osprey.collector;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.osprey.collector.kube.KubeletConfig;
import dev.osprey.collector.scrape.PrometheusConfig;
import dev.osprey.collector.scrape.ScrapeLoop;
import dev.osprey.core.storage.StaleNaN;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class NodeCollectorTest {
  static final String CID2 = "aa11bb22cc33dd44ee55ff6677889900aa11bb22cc33dd44ee55ff6677889900";

  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      s.forEach(
          p -> {
            try {
              Path d = to.resolve(from.relativize(p).toString());
              if (Files.isDirectory(p)) {
                Files.createDirectories(d);
              } else {
                Files.copy(p, d);
              }
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
    }
  }

  static void deleteTree(Path p) throws IOException {
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    }
  }

  @Test
  void containerThatGoesAwayGetsStaleMarkers(@TempDir Path tmp) throws Exception {
    Path fixture = Path.of(getClass().getResource("/fixtures/v2-systemd").toURI());
    copyTree(fixture, tmp);
    Path pods = Path.of(getClass().getResource("/fixtures/pods.json").toURI());
    NodeCollectorConfig cfg =
        new NodeCollectorConfig(
            tmp.resolve("cgroup"),
            tmp.resolve("proc"),
            tmp.resolve("sys"),
            tmp,
            Duration.ofSeconds(15),
            KubeletConfig.of(pods.toString()),
            true,
            null);
    CapturingSink sink = new CapturingSink();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (NodeCollector c = new NodeCollector(cfg, sink, registry)) {
      c.collectOnce(1000);
      assertThat(sink.one("container_memory_working_set_bytes", "name", CID2).v())
          .isEqualTo(40_000_000);
      assertThat(sink.find("kube_pod_status_phase")).hasSize(10);
      assertThat(sink.flushes()).isEqualTo(1);

      deleteTree(tmp.resolve("cgroup/kubepods.slice/kubepods-besteffort.slice"));
      sink.clear();
      c.collectOnce(2000);
      var gone = sink.find("container_memory_working_set_bytes", "name", CID2);
      assertThat(gone)
          .singleElement()
          .satisfies(
              s -> {
                assertThat(StaleNaN.is(s.v())).isTrue();
                assertThat(s.t()).isEqualTo(2000);
              });
      assertThat(sink.find("container_cpu_usage_seconds_total", "name", CID2))
          .singleElement()
          .satisfies(s -> assertThat(StaleNaN.is(s.v())).isTrue());
      // what is still there is not stale
      assertThat(
              sink.matching(
                  s -> StaleNaN.is(s.v()) && !s.labels().get("id").contains("besteffort")))
          .isEmpty();
    }
    assertThat(registry.get("osprey_collector_collections_total").counter().count()).isEqualTo(2);
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void startRunsCollectionAndScrapesUntilClosed(@TempDir Path tmp) throws Exception {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/metrics",
        ex -> {
          byte[] b = "app_requests_total{code=\"200\"} 42\n".getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, b.length);
          try (OutputStream os = ex.getResponseBody()) {
            os.write(b);
          }
        });
    server.start();
    try {
      Path fixture = Path.of(getClass().getResource("/fixtures/v1-cgroupfs").toURI());
      PrometheusConfig prom =
          PrometheusConfig.parse(
              """
          global: {scrape_interval: 1s, scrape_timeout: 500ms}
          scrape_configs:
            - job_name: app
              static_configs: [{targets: ['127.0.0.1:%d']}]
          """
                  .formatted(server.getAddress().getPort()));
      NodeCollectorConfig cfg =
          new NodeCollectorConfig(
              fixture.resolve("cgroup"),
              fixture.resolve("proc"),
              fixture.resolve("sys"),
              tmp,
              Duration.ofMillis(500),
              null,
              false,
              prom);
      CapturingSink sink = new CapturingSink();
      NodeCollector c = new NodeCollector(cfg, sink, new SimpleMeterRegistry());
      c.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while ((sink.find("app_requests_total").isEmpty()
              || sink.find("container_cpu_usage_seconds_total").isEmpty())
          && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(sink.find("app_requests_total")).isNotEmpty();
      assertThat(sink.find("container_cpu_usage_seconds_total", "id", "/")).isNotEmpty();
      ScrapeLoop loop = c.scrapeManager().loops().get(0);
      assertThat(loop.lastUp()).isTrue();
      c.close();
      // closing marks the scraped series stale
      assertThat(sink.find("app_requests_total").getLast().v())
          .satisfies(v -> assertThat(StaleNaN.is(v)).isTrue());
      assertThat(sink.find("up").getLast().v()).satisfies(v -> assertThat(StaleNaN.is(v)).isTrue());
    } finally {
      server.stop(0);
    }
  }
}
