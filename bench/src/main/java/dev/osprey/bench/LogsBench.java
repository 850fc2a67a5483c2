package dev.osprey.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Timestamp;
import dev.osprey.core.wire.logproto.Push;
import java.io.BufferedWriter;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
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
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.xerial.snappy.Snappy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code osprey bench logs}: generated Kubernetes logs written as files (one per pod) and pushed
 * into an Osprey server (Loki's protobuf+snappy push, as agents send it); then ingest lines/s,
 * bytes on disk per raw byte, the delay until the last line is searchable, and query latency next
 * to ripgrep scanning the raw files (in effect what Loki does for a line filter).
 */
@Command(
    name = "logs",
    mixinStandardHelpOptions = true,
    description = "Log index: ingest, size on disk, needle queries against ripgrep.")
final class LogsBench implements Callable<Integer> {
  static final long SEC = 1_000_000_000L;
  static final ObjectMapper JSON = new ObjectMapper();

  @Option(
      names = "--lines",
      description = "Lines to generate (default ${DEFAULT-VALUE}).",
      defaultValue = "1000000")
  long lines;

  @Option(
      names = "--batch",
      description = "Lines per push request (default ${DEFAULT-VALUE}).",
      defaultValue = "5000")
  int batch;

  @Option(
      names = "--pushers",
      description = "Concurrent push connections (default ${DEFAULT-VALUE}).",
      defaultValue = "2")
  int pushers;

  @Option(
      names = "--repeat",
      description = "Runs per query; the median counts (default ${DEFAULT-VALUE}).",
      defaultValue = "5")
  int repeat;

  @Option(
      names = "--warmup",
      description =
          "Untimed queries of other needles (trace ids the timed runs do not use, other IP"
              + " prefixes) sent after the restart and before any timed query, as a server that"
              + " has been up a while has answered (default ${DEFAULT-VALUE}).",
      defaultValue = "300")
  int warmup;

  @Option(
      names = "--rg",
      description = "The ripgrep binary (default ${DEFAULT-VALUE}).",
      defaultValue = "rg")
  String rg;

  @Option(
      names = "--osprey-jar",
      description = "The runnable jar (default ${DEFAULT-VALUE}).",
      defaultValue = "server/target/osprey.jar")
  Path ospreyJar;

  @Option(
      names = "--work-dir",
      description = "Where raw files and data go (default: a temp dir, deleted after).")
  Path workDir;

  /**
   * A query, how Osprey is asked and how ripgrep is asked. {@code needles}, when not null, gives
   * each run its own needle (run {@code i} asks for {@code needles.get(i)} in place of {@code
   * needle} in {@code logql}): a needle the server has not been asked before.
   */
  record Query(
      String name,
      String logql,
      boolean metric,
      String needle,
      String rawSubdir,
      List<String> needles) {
    Query(String name, String logql, boolean metric, String needle, String rawSubdir) {
      this(name, logql, metric, needle, rawSubdir, null);
    }

    /** The needle of run {@code i} (-1: the untimed run). */
    String needle(int i) {
      return needles == null ? needle : needles.get(i + 1);
    }

    String logql(int i) {
      return needles == null ? logql : logql.replace(needle, needle(i));
    }

    /** The query as the table shows it. */
    String shown() {
      return needles == null ? logql : logql.replace(needle, "<a trace id, another each run>");
    }
  }

  /**
   * The queries of the table; {@code traceIds} (unused by the warm-up) are the needles of the
   * trace-id row, one per run (-1 first), if there are {@code runs + 1} of them; else that row asks
   * for {@link LogWorkload#TRACE} every run.
   */
  static List<Query> queries(List<String> traceIds, int runs) {
    return List.of(
        new Query(
            "rare phrase, all streams",
            "|= \"" + LogWorkload.PHRASE + "\"",
            false,
            LogWorkload.PHRASE,
            ""),
        new Query(
            "trace id, all streams",
            "|= \"" + LogWorkload.TRACE + "\"",
            false,
            LogWorkload.TRACE,
            "",
            traceIds.size() > runs ? List.copyOf(traceIds) : null),
        new Query(
            "single word, all streams",
            "|= \"" + LogWorkload.WORD + "\"",
            false,
            LogWorkload.WORD,
            ""),
        new Query(
            "IP prefix, app=nginx",
            "{app=\"nginx\"} |= \"10.42.17.\"",
            false,
            "10.42.17.",
            "nginx"),
        new Query(
            "count_over_time 1h, 502s",
            "sum(count_over_time({app=\"nginx\"} |= \" 502 \" [1h]))",
            true,
            " 502 ",
            "nginx"));
  }

  record Timed(double medianMs, long hits) {}

  private static final String TRACE_KEY = "\"trace_id\":\"";

  /**
   * Trace ids of generated JSON lines (each in one line), spread over the run: the first {@code
   * warmupTraces} for the warm-up, the rest for the trace-id row, one per run.
   */
  final List<String> traceIds = new ArrayList<>();

  int warmupTraces;
  private long traceStride = 3;

  int traceCount() {
    return warmup + repeat + 1;
  }

  @Override
  public Integer call() throws Exception {
    Path work =
        workDir != null
            ? Files.createDirectories(workDir)
            : Files.createTempDirectory("osprey-bench-logs-");
    Path raw = Files.createDirectories(work.resolve("raw"));
    Path spool = work.resolve("push.spool");
    long now = System.currentTimeMillis() * 1_000_000L;
    // Within the hour before the bench (10 s margin), so [1h] at the end covers every line.
    long start = now - 3590 * SEC;
    long step = Math.max(1, 3580 * SEC / lines);
    System.err.printf(
        "osprey bench logs: %,d lines in %d streams; work dir %s%n",
        lines, LogWorkload.streams(), work);

    long t0 = System.nanoTime();
    long rawBytes = generate(raw, spool, start, step);
    System.err.printf(
        "  generated %,d raw bytes and the push bodies in %.1f s%n",
        rawBytes, (System.nanoTime() - t0) / 1e9);

    Peers.Osprey osprey =
        new Peers.Osprey(work, ospreyJar.toAbsolutePath(), TsdbBench.serverJvmFlags());
    try {
      osprey.start();
      // One search before the push, so that "searchable after" measures the index, not the
      // server's first query ever (class loading and interpretation of the whole query path).
      untilSearchable(osprey, start, now, 0);
      long[] retries = {0};
      double cpu0 = cpuSeconds(osprey);
      long ingestNs = push(osprey, spool, retries);
      double ingestCpu = cpuSeconds(osprey) - cpu0;
      long visibleMs = untilSearchable(osprey, start, now, 60);
      osprey.stop(); // SIGTERM: the log store commits at close
      long disk = Peer.sizeOf(osprey.dataDir.resolve("logs"), p -> !p.toString().contains("/wal/"));
      long openMs = osprey.start();
      System.out.printf(
          "%nosprey bench logs --lines %d --batch %d --pushers %d  (%s; load average %s)%n%n",
          lines, batch, pushers, java.time.Instant.now(), loadAverage());
      System.out.printf(
          "ingest: %,d lines, %,d raw bytes in %.1f s = %,.0f lines/s (%.1f MB/s raw), %d retried"
              + " pushes%n",
          lines,
          rawBytes,
          ingestNs / 1e9,
          lines / (ingestNs / 1e9),
          rawBytes / (ingestNs / 1e9) / 1e6,
          retries[0]);
      System.out.printf(
          "server CPU during the push: %.1f s (user+system, all threads) = %,.0f lines per"
              + " CPU-second%n",
          ingestCpu, lines / ingestCpu);
      System.out.printf(
          "disk: %,d bytes of index for %,d raw bytes = %.3f of raw%n",
          disk, rawBytes, (double) disk / rawBytes);
      System.out.printf(
          "last line searchable %d ms after its push returned; reopen took %d ms%n%n",
          visibleMs, openMs);
      long w0 = System.nanoTime();
      int warmed = warmUp(osprey, start - SEC, now + SEC);
      System.out.printf(
          "warm-up after the restart: %d untimed queries of other needles in %.1f s; then per"
              + " query 1 untimed and %d timed runs, each on a range shifted by 1 ms (no run is"
              + " answered from a cache), the trace-id row with a new trace id each run%n%n",
          warmed, (System.nanoTime() - w0) / 1e9, repeat);
      System.out.println(
          "| query | osprey ms | ripgrep ms | osprey/ripgrep (speedup) | hits osprey | hits"
              + " ripgrep |");
      System.out.println("|---|---|---|---|---|---|");
      for (Query q : queries(traceIds.subList(warmupTraces, traceIds.size()), repeat)) {
        Timed o = osprey(osprey, q, start - SEC, now + SEC);
        Timed g = ripgrep(raw.resolve(q.rawSubdir()), q);
        System.out.printf(
            "| %s `%s` | %.1f | %.1f | %.3f (%.1fx) | %d | %d |%n",
            q.name(),
            q.shown(),
            o.medianMs(),
            g.medianMs(),
            o.medianMs() / g.medianMs(),
            g.medianMs() / o.medianMs(),
            o.hits(),
            g.hits());
      }
    } finally {
      osprey.stop();
      if (workDir == null) {
        deleteTree(work);
      }
    }
    return 0;
  }

  /**
   * Writes the raw files (raw/app/pod.log, the lines as the container wrote them) and the push
   * bodies (length-prefixed, snappy-compressed protobuf) so that pushing measures only the server.
   */
  long generate(Path raw, Path spool, long start, long step) throws IOException {
    LogWorkload w = new LogWorkload(lines, 20261122L);
    int n = LogWorkload.streams();
    // every traceStride-th line from line 1 is a checkout (JSON) line: 1 mod 3 is app 1
    traceStride = Math.max(3, lines / (2L * traceCount()) / 3 * 3);
    BufferedWriter[] files = new BufferedWriter[n];
    for (int s = 0; s < n; s++) {
      Path dir = Files.createDirectories(raw.resolve(LogWorkload.app(s)));
      files[s] = Files.newBufferedWriter(dir.resolve(LogWorkload.pod(s) + ".log"));
    }
    long rawBytes = 0;
    try (DataOutputStream sp =
        new DataOutputStream(
            new java.io.BufferedOutputStream(Files.newOutputStream(spool), 1 << 20))) {
      for (long b = 0; b < lines; b += batch) {
        Push.StreamAdapter.Builder[] streams = new Push.StreamAdapter.Builder[n];
        for (long i = b; i < Math.min(lines, b + batch); i++) {
          int s = LogWorkload.stream(i);
          String l = w.line(i);
          if (i % traceStride == 1 && traceIds.size() < traceCount()) {
            int at = l.indexOf(TRACE_KEY);
            if (at >= 0) {
              traceIds.add(l.substring(at + TRACE_KEY.length(), at + TRACE_KEY.length() + 32));
            }
          }
          files[s].write(l);
          files[s].write('\n');
          rawBytes += l.getBytes(StandardCharsets.UTF_8).length + 1;
          if (streams[s] == null) {
            streams[s] =
                Push.StreamAdapter.newBuilder()
                    .setLabels(
                        "{app=\""
                            + LogWorkload.app(s)
                            + "\", namespace=\"shop\", pod=\""
                            + LogWorkload.pod(s)
                            + "\", container=\""
                            + LogWorkload.app(s)
                            + "\"}");
          }
          long ts = start + i * step;
          streams[s].addEntries(
              Push.EntryAdapter.newBuilder()
                  .setTimestamp(
                      Timestamp.newBuilder()
                          .setSeconds(ts / SEC)
                          .setNanos((int) (ts % SEC))
                          .build())
                  .setLine(l));
        }
        Push.PushRequest.Builder req = Push.PushRequest.newBuilder();
        for (Push.StreamAdapter.Builder s : streams) {
          if (s != null) {
            req.addStreams(s);
          }
        }
        byte[] body = Snappy.compress(req.build().toByteArray());
        sp.writeInt(body.length);
        sp.write(body);
      }
    } finally {
      for (BufferedWriter f : files) {
        f.close();
      }
    }
    return rawBytes;
  }

  /** Pushes every spooled body from {@code pushers} threads; returns the wall time in ns. */
  long push(Peer osprey, Path spool, long[] retries) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    URI uri = URI.create(osprey.baseUrl() + "/loki/api/v1/push");
    AtomicLong done = new AtomicLong();
    AtomicLong retried = new AtomicLong();
    Progress progress = new Progress("osprey push", lines);
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    long t0 = System.nanoTime();
    try (DataInputStream in =
        new DataInputStream(
            new java.io.BufferedInputStream(Files.newInputStream(spool), 1 << 20))) {
      Thread[] ts = new Thread[pushers];
      for (int k = 0; k < pushers; k++) {
        ts[k] =
            new Thread(
                () -> {
                  try {
                    while (true) {
                      byte[] body;
                      synchronized (in) {
                        int len;
                        try {
                          len = in.readInt();
                        } catch (EOFException e) {
                          return;
                        }
                        body = new byte[len];
                        in.readFully(body);
                      }
                      for (int attempt = 0; ; attempt++) {
                        HttpResponse<String> r =
                            http.send(
                                HttpRequest.newBuilder(uri)
                                    .timeout(Duration.ofMinutes(5))
                                    .header("Content-Type", "application/x-protobuf")
                                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                                    .build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() / 100 == 2) {
                          break;
                        }
                        if ((r.statusCode() == 429 || r.statusCode() == 503) && attempt < 100) {
                          retried.incrementAndGet();
                          Thread.sleep(Math.min(1000, 10L << Math.min(attempt, 6)));
                          continue;
                        }
                        throw new IOException("push answered " + r.statusCode() + ": " + r.body());
                      }
                      progress.update(done.addAndGet(batch));
                    }
                  } catch (Exception e) {
                    failures.add(e);
                  }
                },
                "push-" + k);
        ts[k].start();
      }
      for (Thread t : ts) {
        t.join();
      }
    }
    long ns = System.nanoTime() - t0;
    progress.done();
    if (!failures.isEmpty()) {
      throw new IOException("push failed: " + failures.get(0), failures.get(0));
    }
    retries[0] = retried.get();
    return ns;
  }

  /**
   * Milliseconds from now until the last line (the end marker) is found; -1 after {@code seconds}
   * (after one search when 0).
   */
  long untilSearchable(Peer osprey, long start, long now, int seconds) throws Exception {
    long t0 = System.nanoTime();
    String q = "|= \"" + LogWorkload.END + "\"";
    do {
      JsonNode r = get(osprey, rangePath(q, start - SEC, now + SEC));
      if (countValues(r) > 0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      }
      Thread.sleep(10);
    } while (System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(seconds));
    return -1;
  }

  static String rangePath(String q, long from, long to) {
    return "/loki/api/v1/query_range?limit=100&direction=backward&query="
        + URLEncoder.encode(q, StandardCharsets.UTF_8)
        + "&start="
        + from
        + "&end="
        + to;
  }

  static JsonNode get(Peer p, String path) throws Exception {
    HttpResponse<String> r = p.get(path);
    if (r.statusCode() != 200) {
      throw new IOException(path + " answered " + r.statusCode() + ": " + r.body());
    }
    return JSON.readTree(r.body());
  }

  static long countValues(JsonNode r) {
    long n = 0;
    for (JsonNode s : r.path("data").path("result")) {
      n += s.path("values").size();
    }
    return n;
  }

  /**
   * The warm-up after the restart: {@code warmup} untimed queries that the timed runs do not ask
   * (trace ids of other lines, with a few IP prefixes and metric queries of other filters among
   * them), each on its own range; returns how many ran.
   */
  int warmUp(Peer p, long from, long to) throws Exception {
    warmupTraces = Math.max(0, traceIds.size() - repeat - 1);
    int n = 0;
    for (int i = 0; i < warmup; i++) {
      long shift = i * MS;
      String path;
      if (i % 50 == 25) {
        path =
            "/loki/api/v1/query?query="
                + URLEncoder.encode(
                    "sum(count_over_time({app=\"nginx\"} |= \" " + (500 + i % 4) + " \" [1h]))",
                    StandardCharsets.UTF_8)
                + "&time="
                + (to + shift);
      } else if (i % 10 == 5) {
        path =
            rangePath(
                "{app=\"nginx\"} |= \"10." + (i % 256) + "." + (i * 7 % 256) + ".\"",
                from + shift,
                to + shift);
      } else if (i < warmupTraces) {
        path = rangePath("|= \"" + traceIds.get(i) + "\"", from + shift, to + shift);
      } else {
        continue;
      }
      get(p, path);
      n++;
    }
    return n;
  }

  static final long MS = 1_000_000L;

  /**
   * One untimed run, then the median of {@code repeat} runs over HTTP; each run on its own range
   * (shifted by 1 ms, so that no run is answered from a cache filled by the one before, as a server
   * answering a moving "now" sees), with its own needle when the query has several.
   */
  Timed osprey(Peer p, Query q, long from, long to) throws Exception {
    long hits = 0;
    long[] t = new long[repeat];
    for (int i = -1; i < repeat; i++) {
      long shift = (i + 1) * MS;
      String path =
          q.metric()
              ? "/loki/api/v1/query?query="
                  + URLEncoder.encode(q.logql(i), StandardCharsets.UTF_8)
                  + "&time="
                  + (to + shift)
              : rangePath(q.logql(i), from + shift, to + shift);
      long s = System.nanoTime();
      JsonNode r = get(p, path);
      if (i >= 0) {
        t[i] = System.nanoTime() - s;
      }
      long h =
          q.metric()
              ? r.path("data").path("result").path(0).path("value").path(1).asLong()
              : countValues(r);
      hits = q.needles() == null ? h : i >= 0 ? hits + h : 0;
    }
    return new Timed(median(t), hits);
  }

  /**
   * ripgrep counting matching lines (fixed string) under a directory: one untimed run, then the
   * median; the same needles as Osprey's runs (hits summed over the timed runs when each has its
   * own).
   */
  Timed ripgrep(Path dir, Query q) throws Exception {
    long hits = 0;
    long sum = 0;
    long[] t = new long[repeat];
    for (int i = -1; i < repeat; i++) {
      long s = System.nanoTime();
      Process p =
          new ProcessBuilder(rg, "-F", "-c", "-I", "--", q.needle(i), dir.toString())
              .redirectErrorStream(true)
              .start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(300, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("ripgrep did not finish in 300 s");
      }
      if (i >= 0) {
        t[i] = System.nanoTime() - s;
      }
      if (p.exitValue() > 1) {
        throw new IOException("ripgrep failed (" + p.exitValue() + "): " + output);
      }
      hits = 0;
      for (String l : output.split("\n")) {
        if (!l.isBlank()) {
          hits += Long.parseLong(l.trim());
        }
      }
      if (i >= 0) {
        sum += hits;
      }
    }
    return new Timed(median(t), q.needles() == null ? hits : sum);
  }

  /** User plus system CPU seconds of a peer's process so far (Linux, /proc/PID/stat). */
  static double cpuSeconds(Peer p) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + p.process.pid() + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // after the command: state is field 3, utime field 14, stime field 15 (1-based, man 5 proc)
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "unknown";
    }
  }

  static void deleteTree(Path p) throws IOException {
    try (var st = Files.walk(p)) {
      for (Path f : st.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    }
  }

  static double median(long[] v) {
    long[] c = v.clone();
    Arrays.sort(c);
    return c[c.length / 2] / 1e6;
  }
}
