package dev.osprey.collector.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.osprey.collector.CapturingSink;
import dev.osprey.collector.scrape.ExpositionParser;
import dev.osprey.collector.scrape.ExpositionParser.Entry;
import dev.osprey.core.labels.Labels;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the real Debian node_exporter on 127.0.0.1 and checks that, for every family we produce, the
 * names and label sets are the same as node_exporter's and the values agree.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeExporterComparisonTest {
  static final Path BINARY = Path.of("/usr/bin/prometheus-node-exporter");

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static Map<Labels, Double> scrape(String url) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpResponse<byte[]> r = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (r == null && System.nanoTime() < deadline) {
      try {
        r =
            http.send(
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
      } catch (java.io.IOException e) {
        Thread.sleep(100); // not listening yet
      }
    }
    assertThat(r).as("node_exporter answered").isNotNull();
    assertThat(r.statusCode()).isEqualTo(200);
    byte[] b = r.body();
    ExpositionParser p = new ExpositionParser(b, 0, b.length, false);
    Map<Labels, Double> out = new HashMap<>();
    for (Entry e; (e = p.next()) != Entry.EOF; ) {
      if (e == Entry.SERIES) {
        out.put(p.labels(), p.value());
      }
    }
    return out;
  }

  @Test
  void sameNamesLabelsAndValuesAsNodeExporter() throws Exception {
    assumeTrue(Files.isExecutable(BINARY), "needs Debian package prometheus-node-exporter");
    int port = freePort();
    Process ne =
        new ProcessBuilder(BINARY.toString(), "--web.listen-address=127.0.0.1:" + port)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    Map<Labels, Double> theirs;
    CapturingSink ours = new CapturingSink();
    try {
      theirs = scrape("http://127.0.0.1:" + port + "/metrics");
      new NodeMetrics(Path.of("/proc"), Path.of("/"), true)
          .collect(System.currentTimeMillis(), ours);
    } finally {
      ne.destroy();
      if (!ne.waitFor(10, TimeUnit.SECONDS)) {
        ne.destroyForcibly();
      }
    }
    Set<String> theirNames = new TreeSet<>();
    theirs.keySet().forEach(l -> theirNames.add(l.metricName()));
    Set<String> ourNames = new TreeSet<>();
    ours.all().forEach(s -> ourNames.add(s.labels().metricName()));
    assertThat(theirNames).as("node_exporter's families").containsAll(ourNames);

    int compared = 0;
    for (String name : ourNames) {
      Set<Labels> theirSeries = new TreeSet<>();
      theirs.keySet().stream().filter(l -> l.metricName().equals(name)).forEach(theirSeries::add);
      Set<Labels> ourSeries = new TreeSet<>();
      ours.find(name).forEach(s -> ourSeries.add(s.labels()));
      if (name.startsWith("node_filesystem_")) {
        // Debian's node_exporter excludes more mount points (/run, /mnt, ...): compare "/" only
        theirSeries.removeIf(l -> !l.get("mountpoint").equals("/"));
        ourSeries.removeIf(l -> !l.get("mountpoint").equals("/"));
      }
      if (name.startsWith("node_network_")
          && theirSeries.stream().noneMatch(l -> l.get("device").equals("lo"))) {
        // node_exporter 1.5 reads netdev over netlink, which gives no stats for lo in some
        // sandboxes; /proc/net/dev has them (and node_exporter reports lo on ordinary hosts)
        ourSeries.removeIf(l -> l.get("device").equals("lo"));
      }
      assertThat(ourSeries).as("series of " + name).isEqualTo(theirSeries);
      for (CapturingSink.Sample s : ours.find(name)) {
        Double t = theirs.get(s.labels());
        if (t == null) {
          continue;
        }
        compared++;
        assertClose(name, s.labels(), s.v(), t);
      }
    }
    assertThat(compared).isGreaterThan(50);
  }

  private static void assertClose(String name, Labels l, double ours, double theirs) {
    String what = l + " ours=" + ours + " node_exporter=" + theirs;
    if (name.equals("node_boot_time_seconds")
        || name.equals("node_memory_MemTotal_bytes")
        || name.equals("node_filesystem_size_bytes")
        || name.equals("node_disk_info")) {
      assertThat(ours).as(what).isEqualTo(theirs);
    } else if (name.startsWith("node_cpu_")) {
      // read a moment after node_exporter: a counter, at most a few seconds apart
      assertThat(ours).as(what).isBetween(theirs, theirs + 10);
    } else if (name.endsWith("_total") && !name.contains("_time_")) {
      assertThat(ours).as(what).isGreaterThanOrEqualTo(theirs);
      assertThat(ours - theirs).as(what).isLessThanOrEqualTo(Math.max(1e7, theirs * 0.05));
    } else if (name.startsWith("node_filesystem_")) {
      // other helpers write to the same disk while we read: within 1 GiB
      assertThat(Math.abs(ours - theirs)).as(what).isLessThanOrEqualTo(1024.0 * (1 << 20));
    } else if (name.startsWith("node_memory_")) {
      // gauges that other processes on this shared machine move: both non-negative and finite
      assertThat(ours).as(what).isFinite().isGreaterThanOrEqualTo(0);
    }
  }
}
