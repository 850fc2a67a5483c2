package dev.osprey.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code osprey bench tsdb}: the same generated samples into Osprey, Prometheus and VictoriaMetrics
 * over remote_write; ingest rate, bytes per sample on disk after the system's own flush/compaction,
 * RSS per active series, and time to open after a restart, as ratios.
 */
@Command(
    name = "tsdb",
    mixinStandardHelpOptions = true,
    description = "Storage: ingest, size on disk, memory, restart.")
final class TsdbBench implements Callable<Integer> {
  @Mixin BenchOptions opts;

  @Option(
      names = "--shards",
      description =
          "Concurrent remote_write connections (default ${DEFAULT-VALUE}; Prometheus's sender"
              + " runs several shards and adds more when it falls behind).",
      defaultValue = "4")
  int shards;

  @Option(
      names = "--work-dir",
      description = "Where data directories go (default: a temp dir, deleted after).")
  Path workDir;

  record Result(
      String system,
      long samples,
      double ingestPerSec,
      long storedBytes,
      long rssBytes,
      long liveHeapBytes,
      long emptyHeapBytes,
      long openMillis,
      long cpuMillis) {
    /** The server's CPU (all threads, user + system) while ingesting, per million samples. */
    double cpuSecondsPerMillion() {
      return cpuMillis / 1000.0 / (samples / 1e6);
    }

    double bytesPerSample() {
      return (double) storedBytes / samples;
    }
  }

  @Override
  public Integer call() throws Exception {
    List<String> systems = opts.systems;
    Workload w = opts.workload();
    int steps = opts.steps();
    long start = (System.currentTimeMillis() - steps * Workload.INTERVAL_MS - 60_000) / 1000 * 1000;
    Path work =
        workDir != null
            ? Files.createDirectories(workDir)
            : Files.createTempDirectory("osprey-bench-");
    System.err.printf(
        "osprey bench tsdb: %d series x %d scrapes at 15 s = %s samples; data in %s%n",
        w.size(), steps, Progress.human((long) w.size() * steps), work);
    Map<String, Result> results = new LinkedHashMap<>();
    // Every request built and compressed once, before any clock starts: each system then gets
    // the same bytes, and the sender's protobuf building does not share the measured cores.
    System.err.printf("  encoding the remote_write requests (%d shards) ...%n", shards);
    RemoteWriteReplay replay = new RemoteWriteReplay(w, start, steps, shards);
    long t0 = System.nanoTime();
    long encoded = replay.prepare(work);
    System.err.printf(
        "  %s of requests in %.1f s%n",
        Progress.human(encoded) + "B", (System.nanoTime() - t0) / 1e9);
    for (String sys : systems) {
      Peer peer = opts.peer(sys, work);
      results.put(sys, measure(peer, replay));
    }
    print(results, w.size(), steps);
    replay.deletePrepared();
    if (workDir == null) {
      deleteTree(work);
    }
    return 0;
  }

  /** The launcher's flags from jvm.properties, so the server runs as ./osprey runs it. */
  static List<String> jvmFlags() throws Exception {
    Path props = Path.of("jvm.properties");
    List<String> out = new ArrayList<>();
    if (!Files.exists(props)) {
      return out;
    }
    java.util.Properties p = new java.util.Properties();
    try (var in = Files.newInputStream(props)) {
      p.load(in);
    }
    out.addAll(Arrays.asList(p.getProperty("osprey.jvm.flags", "").trim().split("\\s+")));
    if (Runtime.version().feature() >= 24) {
      out.addAll(Arrays.asList(p.getProperty("osprey.jvm.flags.jdk24", "").trim().split("\\s+")));
    }
    out.removeIf(String::isEmpty);
    return out;
  }

  /**
   * The flags of {@code ./osprey server}: {@link #jvmFlags()} plus the server-only ones (heap
   * sizing); the class cache flags come from {@link #serverCacheFlags} at each start.
   */
  static List<String> serverJvmFlags() throws Exception {
    List<String> out = new ArrayList<>(jvmFlags());
    out.addAll(property("osprey.jvm.flags.server"));
    return out;
  }

  /**
   * The class cache flags for a server start from {@code jar}, chosen as the launcher chooses: on
   * JDK 25+ use the ahead-of-time cache beside the jar when it is newer than the jar, else record
   * one; on older JDKs the dynamic CDS archive.
   */
  static List<String> serverCacheFlags(Path jar) throws Exception {
    Path dir = jar.toAbsolutePath().getParent();
    String key = "osprey.jvm.flags.server.cds";
    if (Runtime.version().feature() >= 25) {
      Path aot = dir.resolve("osprey-server.aot");
      boolean fresh =
          Files.exists(aot)
              && Files.getLastModifiedTime(aot).compareTo(Files.getLastModifiedTime(jar)) > 0;
      key = fresh ? "osprey.jvm.flags.server.aot" : "osprey.jvm.flags.server.aot.record";
    }
    List<String> out = new ArrayList<>();
    for (String f : property(key)) {
      out.add(f.replace("@jardir@", dir.toString()));
    }
    return out;
  }

  private static List<String> property(String key) throws Exception {
    Path props = Path.of("jvm.properties");
    if (!Files.exists(props)) {
      return List.of();
    }
    java.util.Properties p = new java.util.Properties();
    try (var in = Files.newInputStream(props)) {
      p.load(in);
    }
    List<String> out = new ArrayList<>(Arrays.asList(p.getProperty(key, "").trim().split("\\s+")));
    out.removeIf(String::isEmpty);
    return out;
  }

  private Result measure(Peer peer, RemoteWriteReplay replay) throws Exception {
    try (peer) {
      peer.start();
      peer.awaitStartupWork();
      long empty = peer.liveHeapBytes(); // the same server before any sample: its fixed part
      Progress bar = new Progress(peer.name(), replay.totalSamples());
      Map<String, Long> threads0 = threadCpuMillis(peer);
      long cpu0 = peer.cpuMillis();
      long t0 = System.nanoTime();
      long accepted = replay.run(peer.baseUrl() + peer.writePath(), bar::update);
      double secs = (System.nanoTime() - t0) / 1e9;
      long cpu = peer.cpuMillis() - cpu0;
      Map<String, Long> threads1 = threadCpuMillis(peer);
      bar.done();
      printThreadCpu(peer.name(), threads0, threads1, accepted);
      long rss = peer.rssBytes();
      long heap = peer.liveHeapBytes();
      System.err.printf("  %-16s settling (flush and compaction) ...%n", peer.name());
      peer.settle();
      long stored = peer.storedBytes();
      peer.stop();
      long open = peer.start();
      peer.stop();
      return new Result(
          peer.name(), accepted, accepted / secs, stored, rss, heap, empty, open, cpu);
    }
  }

  /**
   * CPU milliseconds (user + system) the server's threads have used so far, summed by thread name
   * without its trailing number (Linux keeps 15 characters of a name: "C2 CompilerThre",
   * "osprey-http-wor"). Threads that ended meanwhile are missing, so this is a breakdown, not a
   * total.
   */
  static Map<String, Long> threadCpuMillis(Peer peer) {
    Map<String, Long> out = new java.util.TreeMap<>();
    if (peer.process == null) {
      return out;
    }
    try (var tasks = Files.list(Path.of("/proc/" + peer.process.pid() + "/task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        try {
          String stat = Files.readString(t.resolve("stat"));
          String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          long ms = (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10; // USER_HZ 100
          out.merge(comm.replaceAll("[-#]?\\d+$", ""), ms, Long::sum);
        } catch (java.io.IOException | RuntimeException e) {
          // the thread ended while the list was read
        }
      }
    } catch (java.io.IOException e) {
      // the process ended
    }
    return out;
  }

  private static void printThreadCpu(
      String name, Map<String, Long> before, Map<String, Long> after, long samples) {
    StringBuilder sb = new StringBuilder();
    after.entrySet().stream()
        .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
        .filter(e -> e.getValue() >= 50)
        .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
        .forEach(
            e ->
                sb.append(
                    String.format(
                        "%s %.2f (%.2f/M); ",
                        e.getKey(),
                        e.getValue() / 1e3,
                        e.getValue() / 1e3 / Math.max(1, samples) * 1e6)));
    System.err.printf("  %-16s server CPU s by thread during ingest: %s%n", name, sb);
  }

  private void print(Map<String, Result> results, int seriesCount, int steps) {
    Result prom = results.get("prometheus");
    Result vm = results.get("victoriametrics");
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            "%n%d series x %d samples (%s), %s, %d cores%n",
            seriesCount,
            steps,
            Progress.human((long) seriesCount * steps),
            Instant.now(),
            Runtime.getRuntime().availableProcessors()));
    sb.append(
        "| system | ingest samples/s (rw) | server CPU s / M samples | bytes/sample | RSS after ingest | RSS/series | live heap/series | live heap/series minus empty server | open after restart |\n");
    sb.append("|---|---|---|---|---|---|---|---|---|\n");
    for (Result r : results.values()) {
      sb.append(
          String.format(
              "| %s | %,.0f | %.2f | %.3f | %.0f MiB | %,.0f B | %s | %s | %,d ms |%n",
              r.system(),
              r.ingestPerSec(),
              r.cpuSecondsPerMillion(),
              r.bytesPerSample(),
              r.rssBytes() / 1048576.0,
              (double) r.rssBytes() / seriesCount,
              r.liveHeapBytes() < 0
                  ? "n/a"
                  : String.format("%,.0f B", (double) r.liveHeapBytes() / seriesCount),
              r.liveHeapBytes() < 0 || r.emptyHeapBytes() < 0
                  ? "n/a"
                  : String.format(
                      "%,.0f B", (double) (r.liveHeapBytes() - r.emptyHeapBytes()) / seriesCount),
              r.openMillis()));
    }
    Result os = results.get("osprey");
    if (os != null && (prom != null || vm != null)) {
      sb.append("\nOsprey as a ratio (ingest: higher is better; the rest: lower is better):\n");
      sb.append(
          "| vs | ingest | CPU/sample | bytes/sample | RSS | open |\n|---|---|---|---|---|---|\n");
      for (Result peer : new Result[] {prom, vm}) {
        if (peer == null) {
          continue;
        }
        sb.append(
            String.format(
                "| %s | %.2fx | %.2fx | %.2fx | %.2fx | %.2fx |%n",
                peer.system(),
                os.ingestPerSec() / peer.ingestPerSec(),
                os.cpuSecondsPerMillion() / peer.cpuSecondsPerMillion(),
                os.bytesPerSample() / peer.bytesPerSample(),
                (double) os.rssBytes() / peer.rssBytes(),
                (double) os.openMillis() / Math.max(1, peer.openMillis())));
      }
    }
    System.out.print(sb);
  }

  private static void deleteTree(Path p) throws Exception {
    if (!Files.exists(p)) {
      return;
    }
    try (var s = Files.walk(p)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
    }
  }
}
