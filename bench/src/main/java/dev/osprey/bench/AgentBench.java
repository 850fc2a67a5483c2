package dev.osprey.bench;

import com.sun.net.httpserver.HttpServer;
import dev.osprey.core.wire.logproto.Push;
import dev.osprey.core.wire.prompb.Remote;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.xerial.snappy.Snappy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code osprey bench agent}: the node agent's own cost, as issue 5 asks: CPU and RSS of {@code
 * osprey agent} reading a generated cgroup v2 tree of N containers (names from a kubelet pod list
 * file), this machine's /proc and /sys, and scraping 5 targets (the real {@code
 * prometheus-node-exporter} plus small static HTTP targets), all at 15 s, shipping to a local
 * remote_write receiver that answers 204. node_exporter's own CPU and RSS are measured over the
 * same window as a peer for the node part. Then the metrics spool alone: append and forward
 * throughput.
 */
@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    description = "Agent CPU and RSS with N containers and 5 scrape targets; spool throughput.")
final class AgentBench implements Callable<Integer> {
  @Option(names = "--containers", defaultValue = "100", description = "Containers (2 per pod).")
  int containers;

  @Option(
      names = "--static-targets",
      defaultValue = "4",
      description = "Static HTTP scrape targets besides node_exporter (default ${DEFAULT-VALUE}).")
  int staticTargets;

  @Option(
      names = "--series-per-target",
      defaultValue = "200",
      description = "Series each static target exposes (default ${DEFAULT-VALUE}).")
  int seriesPerTarget;

  @Option(
      names = "--warmup",
      defaultValue = "60",
      description = "Seconds before measuring (default ${DEFAULT-VALUE}).")
  int warmupSeconds;

  @Option(
      names = "--minutes",
      defaultValue = "4",
      description = "Measured window in minutes (default ${DEFAULT-VALUE}).")
  double minutes;

  @Option(
      names = "--agent-java-opts",
      defaultValue = "",
      description = "Extra JVM options for the agent process, e.g. '-Xmx64m'.")
  String agentJavaOpts;

  @Option(
      names = "--spool-records",
      defaultValue = "2000000",
      description = "Samples for the spool throughput run; 0 skips it (default ${DEFAULT-VALUE}).")
  int spoolRecords;

  @Option(
      names = "--log-lines-per-second",
      defaultValue = "0",
      description =
          "CRI log lines per second written to pod log files the agent tails and ships to the"
              + " receiver's Loki push endpoint; 0 writes none (default ${DEFAULT-VALUE}).")
  int logLinesPerSecond;

  @Option(
      names = "--log-files-count",
      defaultValue = "4",
      description =
          "Pod log files the log lines are spread over, 1..24 (default ${DEFAULT-VALUE}).")
  int logFilesCount;

  @Option(
      names = "--log-rotate-mib",
      defaultValue = "10",
      description =
          "Rotate a pod log file at this size, as kubelet does (default ${DEFAULT-VALUE}).")
  int logRotateMib;

  @Option(
      names = "--osprey-jar",
      defaultValue = "server/target/osprey.jar",
      description = "The runnable jar (default ${DEFAULT-VALUE}).")
  Path ospreyJar;

  @Option(names = "--node-exporter", defaultValue = "/usr/bin/prometheus-node-exporter")
  Path nodeExporter;

  static final long TICKS_PER_SECOND = 100; // USER_HZ on Linux

  @Override
  public Integer call() throws Exception {
    Path work = Files.createTempDirectory("osprey-agent-bench");
    System.out.println("work directory: " + work);
    String agentRow = measureAgent(work);
    String spoolRow = spoolRecords > 0 ? measureSpool(work) : null;
    System.out.println();
    System.out.println("### agent, " + LocalDate.now() + "");
    System.out.println();
    System.out.println(agentRow);
    if (spoolRow != null) {
      System.out.println();
      System.out.println(spoolRow);
    }
    return 0;
  }

  private String measureAgent(Path work) throws Exception {
    Path cgroup = work.resolve("cgroup");
    Path podList = work.resolve("pods.json");
    CgroupTree.write(cgroup, podList, containers);
    List<HttpServer> targets = new ArrayList<>();
    AtomicLong receivedBytes = new AtomicLong();
    AtomicLong requests = new AtomicLong();
    HttpServer receiver = server();
    AtomicLong samples = new AtomicLong();
    AtomicLong logEntries = new AtomicLong();
    AtomicLong logBytes = new AtomicLong();
    java.util.Set<String> namedContainers = java.util.concurrent.ConcurrentHashMap.newKeySet();
    receiver.createContext(
        "/",
        ex -> {
          byte[] body = ex.getRequestBody().readAllBytes();
          requests.incrementAndGet();
          if (ex.getRequestURI().getPath().equals("/api/v1/write")) {
            receivedBytes.addAndGet(body.length);
            // count samples, and which containers arrived named (pod label from the pod list)
            Remote.WriteRequest req = Remote.WriteRequest.parseFrom(Snappy.uncompress(body));
            for (Remote.TimeSeries ts : req.getTimeseriesList()) {
              samples.addAndGet(ts.getSamplesCount());
              String name = "";
              boolean cpu = false;
              boolean pod = false;
              for (Remote.Label l : ts.getLabelsList()) {
                cpu |=
                    l.getName().equals("__name__")
                        && l.getValue().equals("container_cpu_usage_seconds_total");
                pod |= l.getName().equals("pod") && !l.getValue().isEmpty();
                name = l.getName().equals("name") ? l.getValue() : name;
              }
              if (cpu && pod && !name.isEmpty()) {
                namedContainers.add(name);
              }
            }
          } else if (ex.getRequestURI().getPath().equals("/loki/api/v1/push")) {
            logBytes.addAndGet(body.length);
            Push.PushRequest req = Push.PushRequest.parseFrom(Snappy.uncompress(body));
            for (Push.StreamAdapter st : req.getStreamsList()) {
              logEntries.addAndGet(st.getEntriesCount());
            }
          }
          ex.sendResponseHeaders(204, -1);
          ex.close();
        });
    receiver.start();
    for (int i = 0; i < staticTargets; i++) {
      byte[] body = exposition(i, seriesPerTarget);
      HttpServer t = server();
      t.createContext(
          "/metrics",
          ex -> {
            ex.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
          });
      t.start();
      targets.add(t);
    }
    int nePort = Peer.freePort();
    Process ne =
        new ProcessBuilder(nodeExporter.toString(), "--web.listen-address=127.0.0.1:" + nePort)
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("node_exporter.log").toFile())
            .start();
    StringBuilder prom = new StringBuilder("global:\n  scrape_interval: 15s\nscrape_configs:\n");
    prom.append("  - job_name: node\n    static_configs:\n      - targets: ['127.0.0.1:")
        .append(nePort)
        .append("']\n");
    prom.append("  - job_name: app\n    static_configs:\n      - targets: [");
    for (int i = 0; i < targets.size(); i++) {
      prom.append(i > 0 ? ", " : "")
          .append("'127.0.0.1:")
          .append(targets.get(i).getAddress().getPort())
          .append("'");
    }
    prom.append("]\n");
    Path promFile = work.resolve("prometheus.yml");
    Files.writeString(promFile, prom.toString());
    Files.createDirectories(work.resolve("logs"));
    int agentPort = Peer.freePort();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(TsdbBench.jvmFlags());
    for (String o : agentJavaOpts.trim().split("\\s+")) {
      if (!o.isEmpty()) {
        cmd.add(o);
      }
    }
    cmd.addAll(
        List.of(
            "-jar",
            ospreyJar.toAbsolutePath().toString(),
            "agent",
            "--listen=127.0.0.1:" + agentPort,
            "--server=http://127.0.0.1:" + receiver.getAddress().getPort(),
            "--spool-dir=" + work.resolve("spool"),
            "--log-files=" + work.resolve("logs") + "/*/*/*.log",
            "--cgroup-root=" + cgroup,
            "--prometheus-config=" + promFile,
            "--kubelet-url=" + podList));
    System.out.println("agent: " + String.join(" ", cmd));
    Process agent =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("agent.log").toFile())
            .start();
    CriLogWriter writer = null;
    Thread writerThread = null;
    try {
      awaitReady("http://127.0.0.1:" + agentPort + "/-/ready", agent);
      if (logLinesPerSecond > 0) {
        writer =
            new CriLogWriter(
                work.resolve("logs"),
                logFilesCount,
                logLinesPerSecond,
                logRotateMib * 1048576L,
                Long.MAX_VALUE);
        writerThread = new Thread(writer, "cri-log-writer");
        writerThread.setDaemon(true);
        writerThread.start();
        System.out.printf(
            "writing %,d CRI lines/s into %d pod log files under %s%n",
            logLinesPerSecond, logFilesCount, work.resolve("logs"));
      }
      System.out.printf("warming up %d s ...%n", warmupSeconds);
      Thread.sleep(warmupSeconds * 1000L);
      long a0 = cpuTicks(agent.pid());
      long n0 = cpuTicks(ne.pid());
      long bytes0 = receivedBytes.get();
      long samples0 = samples.get();
      long written0 = writer == null ? 0 : writer.written;
      long writtenBytes0 = writer == null ? 0 : writer.writtenBytes;
      long logBytes0 = logBytes.get();
      String load0 = Files.readString(Path.of("/proc/loadavg")).trim();
      long t0 = System.nanoTime();
      long maxRss = 0;
      long maxNeRss = 0;
      long end = t0 + (long) (minutes * 60e9);
      while (System.nanoTime() < end) {
        maxRss = Math.max(maxRss, rss(agent.pid()));
        maxNeRss = Math.max(maxNeRss, rss(ne.pid()));
        Thread.sleep(Math.min(5000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
        if (!agent.isAlive()) {
          throw new IOException("agent exited; see " + work.resolve("agent.log"));
        }
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      double agentCpu = 100.0 * (cpuTicks(agent.pid()) - a0) / TICKS_PER_SECOND / secs;
      double neCpu = 100.0 * (cpuTicks(ne.pid()) - n0) / TICKS_PER_SECOND / secs;
      maxRss = Math.max(maxRss, rss(agent.pid()));
      maxNeRss = Math.max(maxNeRss, rss(ne.pid()));
      double perCycle = (samples.get() - samples0) / secs * 15;
      String logs = "";
      if (writer != null) {
        long windowLines = writer.written - written0;
        double windowMib = (writer.writtenBytes - writtenBytes0) / 1048576.0;
        double pushKibPerSec = (logBytes.get() - logBytes0) / 1024.0 / secs;
        writer.stop = true;
        writerThread.join(10_000);
        if (writer.failure != null) {
          throw writer.failure;
        }
        // the writer has stopped: wait (bounded) until the receiver has every line written
        long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long drain0 = System.nanoTime();
        while (logEntries.get() < writer.written && System.nanoTime() < drainDeadline) {
          Thread.sleep(100);
        }
        logs =
            String.format(
                Locale.ROOT,
                "%n%nlogs: %,d CRI lines/s target, %,d lines (%.1f MiB) written in the window ="
                    + " %,.0f lines/s, %.2f MiB/s, over %d files rotated at %d MiB (%d rotations);"
                    + " in total %,d lines written, %,d entries received on /loki/api/v1/push"
                    + " (%s; %.1f s after the writer stopped); %.1f KiB/s of snappy Loki push in"
                    + " the window.",
                logLinesPerSecond,
                windowLines,
                windowMib,
                windowLines / secs,
                windowMib / secs,
                logFilesCount,
                logRotateMib,
                writer.rotations,
                writer.written,
                logEntries.get(),
                logEntries.get() == writer.written
                    ? "none lost, none duplicated"
                    : (writer.written - logEntries.get()) + " missing (negative: extra)",
                (System.nanoTime() - drain0) / 1e9,
                pushKibPerSec);
      }
      return String.format(
              Locale.ROOT,
              "| process | CPU (%% of one core) | max RSS | what it does |%n|---|---|---|---|%n"
                  + "| osprey agent | %.2f | %.0f MiB | %d containers (cgroup v2 tree), node metrics of"
                  + " this machine, %d scrape targets, every 15 s: %,.0f samples per 15 s, %d"
                  + " containers named; %.1f KiB/s of remote_write |%n"
                  + "| prometheus-node-exporter | %.2f | %.0f MiB | node metrics, scraped by the agent"
                  + " every 15 s |%n"
                  + "%nwindow %.0f s after %d s of warm-up; CPU from /proc/<pid>/stat utime+stime,"
                  + " RSS from /proc/<pid>/status VmRSS sampled every 5 s; agent JVM options: %s;"
                  + " /proc/loadavg at start %s, at end %s.",
              agentCpu,
              maxRss / 1048576.0,
              containers,
              staticTargets + 1,
              perCycle,
              namedContainers.size(),
              (receivedBytes.get() - bytes0) / 1024.0 / secs,
              neCpu,
              maxNeRss / 1048576.0,
              secs,
              warmupSeconds,
              agentJavaOpts.isBlank() ? "none (JVM defaults)" : agentJavaOpts,
              load0,
              Files.readString(Path.of("/proc/loadavg")).trim())
          + logs;
    } finally {
      if (writer != null) {
        writer.stop = true;
      }
      agent.destroy();
      if (!agent.waitFor(30, TimeUnit.SECONDS)) {
        agent.destroyForcibly().waitFor();
      }
      ne.destroy();
      ne.waitFor(10, TimeUnit.SECONDS);
      receiver.stop(0);
      targets.forEach(t -> t.stop(0));
    }
  }

  private String measureSpool(Path work) throws Exception {
    Path jar =
        Path.of(AgentBench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(TsdbBench.jvmFlags());
    cmd.addAll(
        List.of(
            "-cp",
            jar.toString(),
            SpoolThroughput.class.getName(),
            work.resolve("spool-bench").toString(),
            Integer.toString(spoolRecords)));
    System.out.println("spool: " + String.join(" ", cmd));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IOException("spool bench failed:\n" + out);
    }
    String line =
        out.lines().filter(l -> l.startsWith("append_records=")).findFirst().orElseThrow();
    java.util.Map<String, String> kv = new java.util.HashMap<>();
    for (String f : line.split(" ")) {
      kv.put(f.substring(0, f.indexOf('=')), f.substring(f.indexOf('=') + 1));
    }
    double n = Double.parseDouble(kv.get("append_records"));
    double as = Double.parseDouble(kv.get("append_seconds"));
    double ab = Double.parseDouble(kv.get("append_bytes"));
    double fr = Double.parseDouble(kv.get("forward_records"));
    double fs = Double.parseDouble(kv.get("forward_seconds"));
    double fw = Double.parseDouble(kv.get("forward_wire_bytes"));
    return String.format(
        Locale.ROOT,
        "| spool (metrics) | records | seconds | records/s | MB/s |%n|---|---|---|---|---|%n"
            + "| append (1 thread, cAdvisor-shaped samples, 8 labels) | %,.0f | %.2f | %,.0f | %.1f"
            + " (spool records) |%n"
            + "| forward (remote_write to a 204 receiver on 127.0.0.1) | %,.0f | %.2f | %,.0f |"
            + " %.1f (spool records), %.1f (snappy on the wire) |",
        n,
        as,
        n / as,
        ab / as / 1e6,
        fr,
        fs,
        fr / fs,
        ab / n * fr / fs / 1e6,
        fw / fs / 1e6);
  }

  private static HttpServer server() throws IOException {
    return HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
  }

  /** A target's exposition: counters and gauges with a few labels, as an instrumented app. */
  static byte[] exposition(int target, int series) {
    StringBuilder sb = new StringBuilder();
    sb.append("# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\n");
    for (int i = 0; i < series; i++) {
      sb.append("http_requests_total{handler=\"/api/v")
          .append(i % 4)
          .append("/item/")
          .append(i)
          .append("\",method=\"GET\",code=\"")
          .append(200 + i % 5)
          .append("\",target=\"")
          .append(target)
          .append("\"} ")
          .append(1000 + i * 7)
          .append('\n');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void awaitReady(String url, Process p) throws Exception {
    HttpClient c = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IOException("agent exited with " + p.exitValue());
      }
      try {
        HttpResponse<String> r =
            c.send(
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new IOException("agent not ready within 2 minutes");
  }

  /** utime + stime of a process, in clock ticks. */
  static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of stat(5)
  }

  static long rss(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return 0;
  }
}
