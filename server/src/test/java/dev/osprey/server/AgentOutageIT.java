package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.config.ServerConfig;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outage test: the agent (a separate process from the runnable jar) scrapes a target
 * whose every sample is known; the server goes down for a while, the agent is killed with -9 in the
 * middle of the outage and started again, then the server comes back. Every sample the agent
 * collected arrives exactly once; only a scrape cut off by the kill itself may be missing.
 */
class AgentOutageIT {
  private final HttpClient client = HttpClient.newHttpClient();

  /** Starts `osprey agent` from the runnable jar, shipping to 127.0.0.1:serverPort. */
  static Process startAgent(Path dir, int serverPort, Path prom) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElseThrow());
    cmd.addAll(ServerCrashIT.jvmFlagsForTests());
    Files.createDirectories(dir.resolve("no-logs"));
    cmd.addAll(
        List.of(
            "-jar",
            ConfigurationDocsTest.repoRoot().resolve("server/target/osprey.jar").toString(),
            "agent",
            "--listen=127.0.0.1:0",
            "--server=http://127.0.0.1:" + serverPort,
            "--spool-dir=" + dir.resolve("spool"),
            "--prometheus-config=" + prom,
            "--cgroup-root=/sys/fs/cgroup",
            "--log-files=" + dir.resolve("no-logs") + "/*.log"));
    return new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("agent.log").toFile()))
        .start();
  }

  private static OspreyConfig serverConfig(Path data, int port) {
    ServerConfig d = ServerConfig.DEFAULTS;
    return new OspreyConfig(
        new ServerConfig(
            "127.0.0.1:" + port, data.toString(), d.maxRequestBody(), 2, 16, false, null, null),
        null,
        null,
        null,
        null,
        null);
  }

  @Test
  void everyCollectedSampleArrivesOnceAfterAnOutageAndAKill(@TempDir Path dir) throws Exception {
    // The target: each scrape serves the next value of a sequence, with its own timestamp.
    AtomicLong seq = new AtomicLong();
    ConcurrentSkipListMap<Long, Long> served = new ConcurrentSkipListMap<>(); // ts -> value
    HttpServer target = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    target.createContext(
        "/metrics",
        ex -> {
          long v = seq.incrementAndGet();
          long ts = System.currentTimeMillis();
          served.put(ts, v);
          byte[] body =
              ("# TYPE outage_seq counter\noutage_seq " + v + " " + ts + "\n")
                  .getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    target.start();
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path prom = dir.resolve("prometheus.yml");
    Files.writeString(
        prom,
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: seq\n    static_configs:\n"
            + "      - targets: ['127.0.0.1:"
            + target.getAddress().getPort()
            + "']\n");
    Path data = dir.resolve("data");
    Process agent = null;
    long killedAt;
    long restartedAt;
    try {
      OspreyServer server =
          new OspreyServer(serverConfig(data, port), SelfMetrics.create()).start();
      agent = startAgent(dir, port, prom);
      Thread.sleep(4000);
      server.close(); // outage begins
      long outageFrom = System.currentTimeMillis();
      Thread.sleep(4000);
      killedAt = System.currentTimeMillis();
      agent.destroyForcibly().waitFor(); // kill -9 during the outage
      agent = startAgent(dir, port, prom);
      restartedAt = System.currentTimeMillis();
      Thread.sleep(4000);
      long outageTo = System.currentTimeMillis();
      try (OspreyServer back =
          new OspreyServer(serverConfig(data, port), SelfMetrics.create()).start()) {
        // Wait (bounded) until the spool has drained what was collected up to now.
        long until = System.currentTimeMillis();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        TreeMap<Long, Long> got = new TreeMap<>();
        while (System.nanoTime() < deadline) {
          got = stored(port, served.firstKey(), until + 1000);
          if (!got.isEmpty() && got.lastKey() >= served.floorKey(until)) {
            break;
          }
          Thread.sleep(250);
        }
        agent.destroy();
        agent.waitFor(30, TimeUnit.SECONDS);
        // Exactly the served samples, one each (a duplicate would change the stored value or
        // count).
        for (var e : got.entrySet()) {
          assertThat(served.get(e.getKey()))
              .as("stored sample at %d was served", e.getKey())
              .isEqualTo(e.getValue());
        }
        // Nothing missing, except a scrape the kill itself cut off (served but never spooled).
        List<Long> missing = new ArrayList<>();
        for (var e : served.headMap(until, true).entrySet()) {
          if (!got.containsKey(e.getKey())) {
            missing.add(e.getKey());
          }
        }
        missing.removeIf(ts -> ts >= killedAt - 1500 && ts <= restartedAt + 1500);
        assertThat(missing).as("samples lost outside the kill window").isEmpty();
        // Samples collected while the server was down were spooled and delivered afterwards.
        long duringOutage =
            got.keySet().stream().filter(ts -> ts > outageFrom && ts < outageTo).count();
        assertThat(duringOutage)
            .as("samples collected during the outage, delivered later")
            .isGreaterThanOrEqualTo(2);
      }
    } finally {
      if (agent != null) {
        agent.destroyForcibly();
      }
      target.stop(0);
    }
  }

  /** Every stored sample of outage_seq in [from, to] ms, timestamp -> value. */
  private TreeMap<Long, Long> stored(int port, long from, long to) throws Exception {
    String q = "outage_seq[" + ((to - from) / 1000 + 5) + "s]";
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + port
                            + "/api/v1/query?time="
                            + (to / 1000.0)
                            + "&query="
                            + URLEncoder.encode(q, StandardCharsets.UTF_8)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    TreeMap<Long, Long> out = new TreeMap<>();
    JsonNode result = new ObjectMapper().readTree(r.body()).at("/data/result");
    assertThat(result.size()).as(r.body()).isLessThanOrEqualTo(1);
    for (JsonNode s : result) {
      for (JsonNode v : s.get("values")) {
        out.put(
            Math.round(v.get(0).asDouble() * 1000), (long) Double.parseDouble(v.get(1).asText()));
      }
    }
    return out;
  }
}
