package dev.osprey.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The three systems, each started as its users start it, listening on 127.0.0.1 only. */
final class Peers {
  private Peers() {}

  /** Debian's Prometheus 2.42 with its remote_write receiver and admin API on. */
  static final class Prometheus extends Peer {
    Prometheus(Path work) throws IOException {
      super(work);
      Files.writeString(work.resolve("prometheus-empty.yml"), "global:\n  scrape_interval: 15s\n");
    }

    @Override
    String name() {
      return "prometheus";
    }

    @Override
    List<String> command() {
      return List.of(
          "/usr/bin/prometheus",
          "--config.file=" + dataDir.getParent().resolve("prometheus-empty.yml"),
          "--storage.tsdb.path=" + dataDir,
          "--storage.tsdb.retention.time=30d",
          "--web.listen-address=127.0.0.1:" + port,
          "--web.enable-remote-write-receiver",
          "--web.enable-admin-api");
    }

    @Override
    String readyPath() {
      return "/-/ready";
    }

    @Override
    String writePath() {
      return "/api/v1/write";
    }

    /** A snapshot writes the head as a block too: all samples end up in block files. */
    @Override
    void settle() throws Exception {
      var r = post("/api/v1/admin/tsdb/snapshot");
      if (r.statusCode() != 200) {
        throw new IOException("prometheus snapshot failed: " + r.body());
      }
    }

    @Override
    long storedBytes() throws IOException {
      // The newest snapshot holds every block, the head included, hard-linked or written.
      Path snaps = dataDir.resolve("snapshots");
      try (var s = Files.list(snaps)) {
        Path newest = s.max(Path::compareTo).orElseThrow();
        return sizeOf(newest, p -> true);
      }
    }
  }

  /** Debian's VictoriaMetrics 1.79 (single node). */
  static final class VictoriaMetrics extends Peer {
    VictoriaMetrics(Path work) throws IOException {
      super(work);
    }

    @Override
    String name() {
      return "victoriametrics";
    }

    @Override
    List<String> command() {
      return List.of(
          "/usr/bin/victoria-metrics",
          "-storageDataPath=" + dataDir,
          "-retentionPeriod=1y",
          "-httpListenAddr=127.0.0.1:" + port);
    }

    @Override
    String readyPath() {
      return "/health";
    }

    @Override
    String writePath() {
      return "/api/v1/write";
    }

    @Override
    void settle() throws Exception {
      get("/internal/force_flush");
      // force_flush makes the samples searchable, not written: VictoriaMetrics writes its
      // in-memory parts every 5 s (-inmemoryDataFlushInterval), and merges follow. So wait until
      // the size has held for longer than that interval (at most 2 minutes). Waiting for one
      // unchanged second read 3.96 MB where 15.87 MB were written 2 and 7 s later.
      long prev = -1;
      int unchanged = 0;
      for (int i = 0; i < 120 && unchanged < SETTLED_SECONDS; i++) {
        Thread.sleep(1000);
        long now = storedBytes();
        unchanged = now == prev ? unchanged + 1 : 0;
        prev = now;
      }
    }

    /** Seconds the data directory's size must hold still: more than VictoriaMetrics' 5 s flush. */
    static final int SETTLED_SECONDS = 10;

    @Override
    long storedBytes() throws IOException {
      return sizeOf(
          dataDir, p -> !p.toString().contains("/snapshots/") && !p.toString().contains("/cache/"));
    }
  }

  /** Osprey's server from the runnable jar, with the launcher's JVM flags. */
  static final class Osprey extends Peer {
    private final Path jar;
    private final List<String> jvmFlags;

    Osprey(Path work, Path jar, List<String> jvmFlags) throws IOException {
      super(work);
      this.jar = jar;
      this.jvmFlags = jvmFlags;
    }

    @Override
    String name() {
      return "osprey";
    }

    /**
     * Starts the server; when no class cache newer than the jar exists yet, first once more to
     * record it (written at exit), so that no measured run is a recording run, as on a restarted
     * server in production.
     */
    @Override
    long start() throws Exception {
      if (TsdbBench.serverCacheFlags(jar).stream()
          .anyMatch(f -> f.startsWith("-XX:AOTCacheOutput"))) {
        super.start();
        stop();
      }
      warmupsBefore = warmupLines();
      return super.start();
    }

    private long warmupsBefore;

    /**
     * The start-up query warm-up (OspreyServer) runs after readiness on a scratch tsdb of its own,
     * which the heap holds until it ends: wait for its log line, at most 60 s.
     */
    @Override
    void awaitStartupWork() throws Exception {
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
      while (warmupLines() <= warmupsBefore && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      Thread.sleep(500); // the line is logged just before the scratch tsdb is closed
    }

    private long warmupLines() throws IOException {
      if (!Files.exists(logFile)) {
        return 0;
      }
      try (var lines = Files.lines(logFile)) {
        return lines.filter(l -> l.contains("event=query_warmup")).count();
      }
    }

    @Override
    List<String> command() {
      List<String> c = new ArrayList<>();
      c.add(ProcessHandle.current().info().command().orElse("java"));
      c.addAll(jvmFlags);
      try {
        c.addAll(TsdbBench.serverCacheFlags(jar)); // chosen at each start, as the launcher does
      } catch (Exception e) {
        throw new IllegalStateException("cannot read jvm.properties: " + e, e);
      }
      c.add("-jar");
      c.add(jar.toString());
      c.add("server");
      c.add("--listen=127.0.0.1:" + port);
      c.add("--data-dir=" + dataDir);
      return c;
    }

    @Override
    String readyPath() {
      return "/-/ready";
    }

    @Override
    String writePath() {
      return "/api/v1/write";
    }

    @Override
    void settle() throws Exception {
      var flush = post("/api/v1/admin/tsdb/flush");
      if (flush.statusCode() / 100 != 2) {
        throw new IOException("osprey flush answered " + flush.statusCode() + ": " + flush.body());
      }
      var compact = post("/api/v1/admin/tsdb/compact");
      if (compact.statusCode() / 100 != 2) {
        throw new IOException(
            "osprey compact answered " + compact.statusCode() + ": " + compact.body());
      }
    }

    @Override
    long storedBytes() throws IOException {
      return sizeOf(dataDir, p -> !p.toString().contains("/wal/"));
    }

    /** Runs a full GC in the server (jcmd) and reads the heap in use from its own /metrics. */
    @Override
    long liveHeapBytes() throws Exception {
      Path jcmd =
          Path.of(ProcessHandle.current().info().command().orElse("java")).resolveSibling("jcmd");
      if (!Files.isExecutable(jcmd)) {
        return -1;
      }
      Process gc =
          new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "GC.run")
              .redirectErrorStream(true)
              .start();
      gc.getInputStream().readAllBytes();
      gc.waitFor();
      String histogramDir = System.getProperty("osprey.bench.histogramDir");
      if (histogramDir != null) { // diagnosis: the class histogram next to each heap reading
        Path out =
            Path.of(histogramDir)
                .resolve("osprey-histogram-" + System.currentTimeMillis() + ".txt");
        new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "GC.class_histogram")
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start()
            .waitFor();
      }
      double sum = 0;
      for (String line : get("/metrics").body().split("\n")) {
        if (line.startsWith("jvm_memory_used_bytes{area=\"heap\"")) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return (long) sum;
    }
  }
}
