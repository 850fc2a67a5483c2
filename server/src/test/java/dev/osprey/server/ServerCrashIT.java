package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.core.wire.prompb.Remote;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.Snappy;

/**
 * The server process is killed with SIGKILL in the middle of a remote_write stream; after a restart
 * on the same data directory every sample that was answered 2xx is there. Runs after 'package',
 * against the runnable jar, as a deployment runs it.
 */
class ServerCrashIT {
  private static final int SERIES = 200;
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** The JVM flags from jvm.properties, as the launcher applies them. */
  static List<String> jvmFlagsForTests() throws IOException {
    Properties p = new Properties();
    try (var in =
        Files.newInputStream(ConfigurationDocsTest.repoRoot().resolve("jvm.properties"))) {
      p.load(in);
    }
    List<String> out =
        new ArrayList<>(Arrays.asList(p.getProperty("osprey.jvm.flags").trim().split("\\s+")));
    if (Runtime.version().feature() >= 24) {
      out.addAll(Arrays.asList(p.getProperty("osprey.jvm.flags.jdk24").trim().split("\\s+")));
    }
    // the server as the launcher starts it, with its heap settings
    out.addAll(Arrays.asList(p.getProperty("osprey.jvm.flags.server", "").trim().split("\\s+")));
    out.removeIf(String::isEmpty);
    return out;
  }

  private Process start(Path data, int port) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElseThrow());
    cmd.addAll(jvmFlagsForTests());
    cmd.addAll(
        List.of(
            "-jar",
            ConfigurationDocsTest.repoRoot().resolve("server/target/osprey.jar").toString(),
            "server",
            "--listen=127.0.0.1:" + port,
            "--data-dir=" + data));
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(
                ProcessBuilder.Redirect.appendTo(data.resolveSibling("server.log").toFile()))
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      try {
        if (client
                .send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/-/ready"))
                        .build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode()
            == 200) {
          return p;
        }
      } catch (IOException e) {
        // not yet listening
      }
      Thread.sleep(50);
    }
    throw new AssertionError("server did not become ready");
  }

  private static byte[] batch(int i, long t0) throws IOException {
    Remote.WriteRequest.Builder req = Remote.WriteRequest.newBuilder();
    for (int s = 0; s < SERIES; s++) {
      req.addTimeseries(
          Remote.TimeSeries.newBuilder()
              .addLabels(Remote.Label.newBuilder().setName("__name__").setValue("crash_test_total"))
              .addLabels(Remote.Label.newBuilder().setName("series").setValue(Integer.toString(s)))
              .addSamples(Remote.Sample.newBuilder().setTimestamp(t0 + i * 1000L).setValue(i)));
    }
    return Snappy.compress(req.build().toByteArray());
  }

  @Test
  void everyAcknowledgedSampleSurvivesKillDashNine(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("data");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Process server = start(data, port);
    long t0 = (System.currentTimeMillis() - 600_000) / 1000 * 1000;
    AtomicInteger acked = new AtomicInteger();
    String url = "http://127.0.0.1:" + port + "/api/v1/write";
    Thread sender =
        Thread.ofPlatform()
            .start(
                () -> {
                  for (int i = 0; i < 100_000; i++) {
                    try {
                      int code =
                          client
                              .send(
                                  HttpRequest.newBuilder(URI.create(url))
                                      .header("Content-Encoding", "snappy")
                                      .header("Content-Type", "application/x-protobuf")
                                      .header("X-Prometheus-Remote-Write-Version", "0.1.0")
                                      .timeout(Duration.ofSeconds(5))
                                      .POST(HttpRequest.BodyPublishers.ofByteArray(batch(i, t0)))
                                      .build(),
                                  HttpResponse.BodyHandlers.discarding())
                              .statusCode();
                      if (code != 204) {
                        return;
                      }
                      acked.set(i + 1); // batches 0..i acknowledged, in order
                    } catch (Exception e) {
                      return; // the server is gone
                    }
                  }
                });
    // Let the stream run, then kill the server mid-stream (bounded: at most 10 s).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (acked.get() < 300 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    server.destroyForcibly().waitFor();
    sender.join(10_000);
    int n = acked.get();
    assertThat(n).as("batches acknowledged before the kill").isPositive();

    Process again = start(data, port);
    try {
      String q = "count_over_time(crash_test_total[1h])";
      long at = (t0 + n * 1000L) / 1000 + 1;
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://127.0.0.1:"
                              + port
                              + "/api/v1/query?time="
                              + at
                              + "&query="
                              + URLEncoder.encode(q, StandardCharsets.UTF_8)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      JsonNode result = new ObjectMapper().readTree(r.body()).at("/data/result");
      assertThat(result.size()).as("series after restart").isEqualTo(SERIES);
      for (JsonNode series : result) {
        // Every acknowledged sample; at most one more (written, but killed before the answer).
        assertThat(series.at("/value/1").asInt()).isBetween(n, n + 1);
      }
    } finally {
      again.destroy();
      again.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
