package dev.osprey.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A time-series database run as its own process on 127.0.0.1 with a fresh data directory: Osprey,
 * Prometheus or VictoriaMetrics, each started the way its users start it.
 */
abstract class Peer implements AutoCloseable {
  protected final Path dataDir;
  protected final int port;
  protected final Path logFile;
  protected Process process;
  protected static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  Peer(Path workDir) throws IOException {
    this.dataDir = Files.createDirectories(workDir.resolve(name() + "-data"));
    this.logFile = workDir.resolve(name() + ".log");
    this.port = freePort();
  }

  abstract String name();

  abstract List<String> command();

  abstract String readyPath();

  abstract String writePath();

  /**
   * Waits (bounded) until the work a started server does on its own right after readiness is over,
   * so that a heap reading then is its fixed part only. Nothing to wait for unless a peer says so.
   */
  void awaitStartupWork() throws Exception {}

  /** Makes what was ingested durable in the final on-disk format (flush, compaction). */
  abstract void settle() throws Exception;

  /** Bytes on disk of the stored samples (the write-ahead log excluded, as the anchors measure). */
  abstract long storedBytes() throws IOException;

  String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  /** Starts the process and returns the milliseconds until it answered ready. */
  long start() throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command()).redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    long t0 = System.nanoTime();
    process = pb.start();
    long deadline = t0 + TimeUnit.MINUTES.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException(name() + " exited with " + process.exitValue() + "; see " + logFile);
      }
      try {
        if (get(readyPath()).statusCode() == 200) {
          return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(20);
    }
    throw new IOException(name() + " did not become ready within 10 minutes; see " + logFile);
  }

  /** Stops with SIGTERM, as an orchestrator would, and waits. */
  void stop() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
  }

  /** Resident set size of the process, from /proc. */
  long rssBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return -1;
  }

  /**
   * CPU time the process has used so far (user + system, all its threads: for a JVM that includes
   * the JIT compiler and the collector), in ms, from /proc; 10 ms resolution.
   */
  long cpuMillis() throws IOException {
    String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
    // fields after the parenthesised command name: state is field 3, utime 14, stime 15
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    return ticks * 1000 / 100; // USER_HZ is 100 on Linux
  }

  /** Live heap after a full collection, for JVM peers; -1 for the others. */
  long liveHeapBytes() throws Exception {
    return -1;
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(baseUrl() + path))
            .timeout(Duration.ofMinutes(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(baseUrl() + path))
            .timeout(Duration.ofMinutes(10))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static long sizeOf(Path dir, Predicate<Path> include) throws IOException {
    if (!Files.exists(dir)) {
      return 0;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .filter(include)
          .mapToLong(
              p -> {
                try {
                  return Files.size(p);
                } catch (IOException e) {
                  return 0;
                }
              })
          .sum();
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
