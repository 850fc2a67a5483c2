package dev.osprey.bench;

import com.sun.net.httpserver.HttpServer;
import dev.osprey.core.labels.Labels;
import dev.osprey.pipeline.Forwarder;
import dev.osprey.pipeline.ForwarderConfig;
import dev.osprey.pipeline.MetricsSpool;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The metrics spool alone: appends N cAdvisor-shaped samples as fast as one thread can, then lets a
 * remote_write forwarder ship them all to a receiver on 127.0.0.1 that answers 204 at once. Run in
 * a child JVM with jvm.properties' flags (Chronicle Queue needs them); prints one {@code key=value}
 * line that {@link AgentBench} reads.
 */
final class SpoolThroughput {
  private SpoolThroughput() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int n = Integer.parseInt(args[1]);
    int series = 10_000;
    Labels[] labels = new Labels[series];
    for (int i = 0; i < series; i++) {
      String cid = String.format("%064x", (long) i * 0x9E3779B97F4A7C15L & Long.MAX_VALUE);
      labels[i] =
          Labels.of(
              "__name__", "container_cpu_usage_seconds_total",
              "container", "app-" + i % 7,
              "cpu", "total",
              "id",
                  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
                      + i / 2
                      + ".slice/cri-containerd-"
                      + cid
                      + ".scope",
              "image", "ghcr.io/acme/app-" + i % 7 + ":1.2." + i % 3,
              "name", cid,
              "namespace", "ns-" + i % 20,
              "pod", "app-" + i / 2 + "-7d9f8b6c5-x2x9q");
    }
    // bytes of one record as the spool stores it: version, type, time (10), payload, CRC32C (4),
    // Chronicle's document header (4); queue files are preallocated, so their sizes say little
    long sum = 0;
    net.openhft.chronicle.bytes.Bytes<byte[]> buf =
        net.openhft.chronicle.bytes.Bytes.allocateElasticOnHeap(512);
    for (Labels l : labels) {
      buf.clear();
      new dev.osprey.pipeline.MetricSample(l, 1_700_000_000_000L, 1.5).writePayload(buf);
      sum += buf.writePosition() + 18;
    }
    double recordBytes = (double) sum / series;
    AtomicLong wireBytes = new AtomicLong();
    HttpServer rcv =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    rcv.createContext(
        "/api/v1/write",
        ex -> {
          wireBytes.addAndGet(ex.getRequestBody().readAllBytes().length);
          ex.sendResponseHeaders(204, -1);
          ex.close();
        });
    rcv.start();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (MetricsSpool spool = MetricsSpool.open(dir, 64L << 30, registry)) {
      // warm-up: JIT the append path, then measure a fresh count
      long t = 1_700_000_000_000L;
      for (int i = 0; i < Math.min(n / 10, 200_000); i++) {
        spool.appendSample(labels[i % series], t + i, i);
      }
      long warm = spool.spool().lastIndex();
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        spool.appendSample(labels[i % series], t + 15_000L * (i / series), i * 0.5);
      }
      double appendSecs = (System.nanoTime() - t0) / 1e9;
      long appendBytes = Math.round(recordBytes * n);
      int total = (int) Math.min(Integer.MAX_VALUE, n + Math.min(n / 10, 200_000));
      t0 = System.nanoTime();
      try (Forwarder f =
          Forwarder.remoteWrite(
                  spool.spool(),
                  ForwarderConfig.of(
                      "bench",
                      URI.create(
                          "http://127.0.0.1:" + rcv.getAddress().getPort() + "/api/v1/write")),
                  registry)
              .start()) {
        Counter sent = registry.find("osprey_pipeline_records_sent").counter();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(20);
        while ((sent == null || sent.count() < total) && System.nanoTime() < deadline) {
          Thread.sleep(20);
          if (sent == null) {
            sent = registry.find("osprey_pipeline_records_sent").counter();
          }
        }
        double fwdSecs = (System.nanoTime() - t0) / 1e9;
        long shipped = sent == null ? 0 : (long) sent.count();
        System.out.printf(
            "append_records=%d append_seconds=%.3f append_bytes=%d forward_records=%d"
                + " forward_seconds=%.3f forward_wire_bytes=%d warm_index=%d%n",
            n, appendSecs, appendBytes, shipped, fwdSecs, wireBytes.get(), warm);
      }
    } finally {
      rcv.stop(0);
    }
  }
}
