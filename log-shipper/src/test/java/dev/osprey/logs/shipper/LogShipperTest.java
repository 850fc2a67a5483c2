package dev.osprey.logs.shipper;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogShipperTest {
  @TempDir Path tmp;

  static ShipperConfig testConfig(Path pods, Path spool, java.net.URI server) {
    return testConfig(pods + "/*/*/*.log", spool, server);
  }

  /** Small batches and short waits, for tests; {@code glob} picks the files. */
  static ShipperConfig testConfig(String glob, Path spool, java.net.URI server) {
    return new ShipperConfig(
        glob,
        spool,
        server,
        "test",
        null,
        null,
        null,
        null,
        null,
        null,
        0,
        0,
        Duration.ofMillis(100),
        null,
        1000,
        Duration.ofMillis(50),
        null);
  }

  static Path podLog(Path pods, String ns, String pod, String container) {
    return pods.resolve(ns + "_" + pod + "_uid-" + pod).resolve(container).resolve("0.log");
  }

  @Test
  void kubeletRotationAndCopytruncateAtHighRateEveryLineOnceInOrder() throws Exception {
    Path pods = tmp.resolve("pods");
    Files.createDirectories(pods);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (LokiSink sink = new LokiSink();
        LogShipper shipper =
            new LogShipper(testConfig(pods, tmp.resolve("spool"), sink.base()), registry)) {
      shipper.start();
      List<LogWriter> writers =
          List.of(
              new LogWriter(
                      podLog(pods, "default", "kubelet-a", "app"),
                      "kubelet-a",
                      40_000,
                      4_000,
                      LogWriter.Rotation.KUBELET)
                  .paced(1),
              new LogWriter(
                      podLog(pods, "default", "kubelet-b", "app"),
                      "kubelet-b",
                      40_000,
                      1_500,
                      LogWriter.Rotation.KUBELET)
                  .paced(1),
              new LogWriter(
                      podLog(pods, "web", "copytrunc", "nginx"),
                      "copytrunc",
                      12_000,
                      3_000,
                      LogWriter.Rotation.COPYTRUNCATE)
                  .paced(2));
      List<Thread> threads = new ArrayList<>();
      for (LogWriter w : writers) {
        Thread t = new Thread(w, "writer-" + w.name);
        t.start();
        threads.add(t);
      }
      for (Thread t : threads) {
        t.join(Duration.ofSeconds(120).toMillis());
      }
      for (LogWriter w : writers) {
        assertThat(w.failure).isNull();
      }
      int total = writers.stream().mapToInt(w -> w.lines).sum();
      Delivery.awaitAll(sink, writers, Duration.ofSeconds(60));
      assertThat(sink.accepted()).isEqualTo(total);
      assertThat(sink.replays.get()).as("no crash, so no replay").isZero();
      assertThat(registry.counter("osprey_log_shipper_rotations").count()).isPositive();
      assertThat(registry.counter("osprey_log_shipper_truncations").count()).isPositive();
      assertThat(sink.streams().keySet())
          .allSatisfy(
              l ->
                  assertThat(l)
                      .contains(
                          "cluster=\"test\"", "namespace=", "pod_uid=\"uid-", "stream=\"stdout\""));
      Delivery.await(
          () -> deletedFilesHeld(tmp).isEmpty(),
          Duration.ofSeconds(10),
          "no deleted file held open");
    }
  }

  @Test
  void newFilesAreFoundAndFiltersApply() throws Exception {
    Path pods = tmp.resolve("pods");
    Files.createDirectories(pods);
    ShipperConfig cfg =
        testConfig(pods, tmp.resolve("spool"), java.net.URI.create("http://127.0.0.1:1"))
            .withFilters(
                List.of(),
                List.of("kube-system"),
                List.of(),
                List.of(),
                List.of(),
                List.of("istio-.*"));
    try (LokiSink sink = new LokiSink();
        LogShipper shipper =
            new LogShipper(
                testConfig(pods, tmp.resolve("spool"), sink.base())
                    .withFilters(
                        cfg.includeNamespaces(),
                        cfg.excludeNamespaces(),
                        cfg.includePods(),
                        cfg.excludePods(),
                        cfg.includeContainers(),
                        cfg.excludeContainers()),
                new SimpleMeterRegistry())) {
      shipper.start();
      Thread.sleep(300);
      List<LogWriter> writers =
          List.of(
              new LogWriter(
                  podLog(pods, "default", "late", "app"),
                  "late",
                  100,
                  1000,
                  LogWriter.Rotation.KUBELET),
              new LogWriter(
                  podLog(pods, "kube-system", "dns", "coredns"),
                  "dns",
                  100,
                  1000,
                  LogWriter.Rotation.KUBELET),
              new LogWriter(
                  podLog(pods, "default", "mesh", "istio-proxy"),
                  "mesh",
                  100,
                  1000,
                  LogWriter.Rotation.KUBELET));
      writers.forEach(LogWriter::run);
      Delivery.await(() -> sink.accepted() >= 100, Duration.ofSeconds(10), "the new file shipped");
      Thread.sleep(500);
      Delivery.assertExactlyOnceInOrder(sink, writers.subList(0, 1));
      assertThat(sink.accepted()).isEqualTo(100);
    }
  }

  /** Files under {@code dir} this process holds open although they were deleted. */
  static List<String> deletedFilesHeld(Path dir) {
    List<String> out = new ArrayList<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith(dir.toString())
              && target.endsWith(" (deleted)")
              && !target.contains("spool")) {
            out.add(target);
          }
        } catch (IOException ignored) {
          // closed meanwhile
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out;
  }
}
