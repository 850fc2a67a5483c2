package dev.osprey.tsdb.http;

import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.http.HttpHandler;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.Router;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.wire.prompb.Remote;
import dev.osprey.tsdb.Tsdb;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Not a test: measures the remote_write handler (snappy, protobuf, labels, append, commit) on
 * Kubernetes-like series, Prometheus-style requests of 2000 series with one sample each, and the
 * heap per head series. Run by hand:
 *
 * <pre>
 * java -cp "$(cat cp.txt):tsdb/target/classes:tsdb/target/test-classes" \
 *   dev.osprey.tsdb.http.RemoteWriteMeasurement 100000 20
 * </pre>
 *
 * Arguments: series, scrapes. Prints the rate by wall clock and by the thread's CPU time (the
 * second is what to compare on a shared machine), and heap per series (the label strings are
 * excluded: the generator holds them too).
 */
public final class RemoteWriteMeasurement {
  private RemoteWriteMeasurement() {}

  static long used() {
    for (int i = 0; i < 3; i++) System.gc();
    Runtime r = Runtime.getRuntime();
    return r.totalMemory() - r.freeMemory();
  }

  public static void main(String[] a) throws Exception {
    int n = Integer.parseInt(a[0]);
    int steps = Integer.parseInt(a[1]);
    Path dir = Files.createTempDirectory("mem");
    Labels[] ls = new Labels[n];
    for (int i = 0; i < n; i++)
      ls[i] =
          Labels.of(
              "__name__",
              "container_cpu_usage_seconds_total",
              "namespace",
              "ns-" + (i % 50),
              "pod",
              "pod-" + (i / 10) + "-abcde",
              "container",
              "c" + (i % 10),
              "node",
              "node-" + (i % 100),
              "job",
              "kubelet");
    long base = used();
    Tsdb db = Tsdb.open(dir, new TsdbConfig(null, null, null, "never"), new SimpleMeterRegistry());
    // remote write path: build requests of 500 series x 1 sample like Prometheus
    Router router = RouterHandler.ingestRouter(db);
    HttpHandler h = router.match("POST", "/api/v1/write").route().handler();
    List<byte[]> bodies = new ArrayList<>();
    Random r = new Random(1);
    long t0 = System.currentTimeMillis() - steps * 15_000L;
    long totalSamples = 0;
    long encodeStart = System.nanoTime();
    for (int s = 0; s < steps; s++) {
      for (int i = 0; i < n; i += 2000) {
        Remote.WriteRequest.Builder w = Remote.WriteRequest.newBuilder();
        for (int k = i; k < Math.min(n, i + 2000); k++) {
          Remote.TimeSeries.Builder ts = Remote.TimeSeries.newBuilder();
          ls[k].forEach((nm, v) -> ts.addLabels(Remote.Label.newBuilder().setName(nm).setValue(v)));
          ts.addSamples(
              Remote.Sample.newBuilder()
                  .setTimestamp(t0 + s * 15_000L)
                  .setValue((s * 1000 + r.nextInt(1000)) / 100.0));
          w.addTimeseries(ts);
          totalSamples++;
        }
        bodies.add(org.xerial.snappy.Snappy.compress(w.build().toByteArray()));
      }
    }
    long start = System.nanoTime();
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    long cpu0 = mx.getCurrentThreadCpuTime();
    for (byte[] b : bodies) {
      HttpResponse resp =
          h.handle(
              new HttpRequest("POST", "/api/v1/write", Map.of(), Map.of(), Map.of(), b, null, "x"));
      if (resp.status() != 204) throw new IllegalStateException(new String(resp.body()));
    }
    double secs = (System.nanoTime() - start) / 1e9;
    double cpu = (mx.getCurrentThreadCpuTime() - cpu0) / 1e9;
    System.out.printf("cpu-time rate: %.0f samples/s per core%n", totalSamples / cpu);
    bodies = null;
    long after = used();
    System.out.printf(
        "series=%d samples=%d remote_write handler: %.0f samples/s (1 thread); heap/series=%.0f bytes (incl. %d samples each)%n",
        n, totalSamples, totalSamples / secs, (double) (after - base) / n, steps);
    if (Boolean.getBoolean("histogram")) {
      // the biggest heap items with the head still open (-Dhistogram=true), through the
      // DiagnosticCommand MBean (jcmd's attach printed nothing here)
      Object out =
          java.lang.management.ManagementFactory.getPlatformMBeanServer()
              .invoke(
                  new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"),
                  "gcClassHistogram",
                  new Object[] {new String[0]},
                  new String[] {String[].class.getName()});
      String[] lines = out.toString().split("\n");
      for (int i = 0; i < Math.min(lines.length, 40); i++) {
        System.out.println(lines[i]);
      }
    }
    db.close();
  }
}
