package dev.osprey.logs.shipper;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tailing through kubelet's {@code /var/log/containers/<pod>_<namespace>_<container>-<id>.log}
 * symlinks: labels come from the pod log the link points to, and the rotations kubelet makes of
 * that file (the link keeps naming {@code 0.log}) lose and repeat nothing.
 */
class ContainersSymlinkTest {
  @TempDir Path tmp;

  @Test
  void symlinksAreFollowedToPodLogsThroughRotations() throws Exception {
    Path pods = tmp.resolve("pods");
    Path containers = tmp.resolve("containers");
    Files.createDirectories(containers);
    Path web = LogShipperTest.podLog(pods, "default", "web", "nginx");
    Files.createDirectories(web.getParent());
    Files.createFile(web);
    Files.createSymbolicLink(containers.resolve("web_default_nginx-0123abcd.log"), web);
    try (LokiSink sink = new LokiSink();
        LogShipper shipper =
            new LogShipper(
                LogShipperTest.testConfig(containers + "/*.log", tmp.resolve("spool"), sink.base()),
                new SimpleMeterRegistry())) {
      shipper.start();
      LogWriter first = new LogWriter(web, "web", 3000, 1000, LogWriter.Rotation.KUBELET);
      first.run(); // two kubelet rotations of 0.log behind the link
      // a container started later gets its link later, as kubelet makes it
      Path api = LogShipperTest.podLog(pods, "shop", "api", "server");
      Files.createDirectories(api.getParent());
      Files.createFile(api);
      Files.createSymbolicLink(containers.resolve("api_shop_server-4567cdef.log"), api);
      LogWriter second = new LogWriter(api, "api", 500, 1000, LogWriter.Rotation.KUBELET);
      second.run();
      Delivery.await(
          () -> sink.accepted() >= 3500, Duration.ofSeconds(20), "both containers shipped");
      Thread.sleep(500);
      Delivery.assertExactlyOnceInOrder(sink, List.of(first, second));
      assertThat(sink.streams().keySet())
          .anySatisfy(
              l ->
                  assertThat(l)
                      .contains("namespace=\"default\"")
                      .contains("pod=\"web\"")
                      .contains("container=\"nginx\"")
                      .contains("pod_uid=\"uid-web\""))
          .anySatisfy(l -> assertThat(l).contains("namespace=\"shop\"").contains("pod=\"api\""))
          .allSatisfy(l -> assertThat(l).doesNotContain("0123abcd").doesNotContain("containers"));
    }
  }
}
