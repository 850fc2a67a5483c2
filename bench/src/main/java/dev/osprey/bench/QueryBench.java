package dev.osprey.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code osprey bench query}: the same data in Osprey, Prometheus and VictoriaMetrics, a fixed set
 * of queries over the whole range at a 60 s step, median latency per query and its ratio. Osprey's
 * answers are also compared with Prometheus's (relative 1e-9), since being fast and wrong is no
 * use. Osprey and VictoriaMetrics are measured twice, as they answer by default (repeated range
 * queries partly from their results caches) and with {@code nocache=1}; Prometheus has no cache, so
 * its ratio is taken against Osprey's uncached column.
 */
@Command(
    name = "query",
    mixinStandardHelpOptions = true,
    description = "PromQL latency, side by side.")
final class QueryBench implements Callable<Integer> {
  @Mixin BenchOptions opts;

  static final Map<String, String> QUERIES = new LinkedHashMap<>();

  static {
    QUERIES.put(
        "rate by namespace",
        "sum by (namespace) (rate(container_cpu_usage_seconds_total{container!=\"\"}[5m]))");
    QUERIES.put(
        "histogram_quantile",
        "histogram_quantile(0.99, sum by (le, namespace) (rate(http_request_duration_seconds_bucket[5m])))");
    QUERIES.put(
        "topk",
        "topk(5, sum by (namespace, pod) (container_memory_working_set_bytes{container!=\"\"}))");
    QUERIES.put(
        "ratio of rates",
        "sum by (namespace) (rate(container_cpu_user_seconds_total[5m])) / sum by (namespace) (rate(container_cpu_usage_seconds_total[5m]))");
    QUERIES.put("count all", "count({__name__=~\".+\"})");
    QUERIES.put(
        "regex selector", "sum(container_memory_rss{pod=~\"app-1.*\", namespace=~\"ns-[0-3]\"})");
    QUERIES.put("count by pod", "count by (pod) (kube_pod_status_phase)");
    QUERIES.put(
        "subquery", "max_over_time(sum(rate(container_cpu_usage_seconds_total[5m]))[30m:1m])");
    QUERIES.put("long-range rate", "sum(rate(node_network_receive_bytes_total[1h]))");
  }

  @Option(
      names = "--repeat",
      description = "Runs per query; the median counts (default ${DEFAULT-VALUE}).",
      defaultValue = "5")
  int repeat;

  @Option(
      names = "--warmup",
      description =
          "Unmeasured runs of each query on each system before the measured ones, the same for"
              + " every system (default ${DEFAULT-VALUE}).",
      defaultValue = "0")
  int warmup;

  @Option(
      names = "--runs",
      description = "Print every measured run's latency, not only the median.")
  boolean printRuns;

  @Option(
      names = "--data-age",
      description =
          "Seconds between the last sample and the bench's start (default ${DEFAULT-VALUE}). With"
              + " more than 300 plus the loading time, every step of the queries is older than"
              + " the results caches' freshness offset (Osprey's and VictoriaMetrics' 5 minutes),"
              + " so the default columns measure answers from the caches alone; with less, how"
              + " many recent steps are evaluated again depends on how long loading took.",
      defaultValue = "60")
  long dataAgeSeconds;

  @Option(
      names = "--no-nocache",
      description = "Measure Osprey and VictoriaMetrics only as they answer by default.")
  boolean skipNocache;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A measured column: a system, and the parameters added to its requests. */
  private record Column(String name, String system, String extra) {}

  private List<Column> columns() {
    List<Column> cols = new ArrayList<>();
    for (String sys : opts.systems) {
      cols.add(new Column(sys, sys, ""));
      if (!skipNocache && (sys.equals("osprey") || sys.equals("victoriametrics"))) {
        cols.add(new Column(sys + " nocache", sys, "&nocache=1"));
      }
    }
    return cols;
  }

  @Override
  public Integer call() throws Exception {
    List<String> systems = opts.systems;
    Workload w = opts.workload();
    int steps = opts.steps();
    long start =
        (System.currentTimeMillis() - steps * Workload.INTERVAL_MS - dataAgeSeconds * 1000)
            / 1000
            * 1000;
    long end = start + steps * Workload.INTERVAL_MS;
    Path work = Files.createTempDirectory("osprey-bench-query-");
    System.err.printf(
        "osprey bench query: %d series x %d scrapes; loading each system%n", w.size(), steps);
    Map<String, Peer> peers = new LinkedHashMap<>();
    try {
      for (String sys : systems) {
        Peer p = opts.peer(sys, work);
        peers.put(sys, p);
        p.start();
        RemoteWriteReplay replay = new RemoteWriteReplay(w, start, steps, 2);
        Progress bar = new Progress(sys, replay.totalSamples());
        replay.run(p.baseUrl() + p.writePath(), bar::update);
        bar.done();
        if (!sys.equals("prometheus")) {
          p.settle(); // VictoriaMetrics: searchable after a flush; Osprey: query the blocks
        }
      }
      // Queries start a little after the first sample so every window is full.
      long qStart = (start + 3600_000 > end ? start : start + 3600_000) / 1000;
      long qEnd = end / 1000;
      Map<String, Map<String, Double>> medians = new LinkedHashMap<>();
      Map<String, Map<String, Double>> cpu = new LinkedHashMap<>();
      List<String> mismatches = new ArrayList<>();
      for (var q : QUERIES.entrySet()) {
        Map<String, Double> row = new LinkedHashMap<>();
        Map<String, JsonNode> answers = new TreeMap<>();
        for (Column col : columns()) {
          Peer peer = peers.get(col.system());
          String path =
              "/api/v1/query_range?query="
                  + URLEncoder.encode(q.getValue(), StandardCharsets.UTF_8)
                  + "&start="
                  + qStart
                  + "&end="
                  + qEnd
                  + "&step=60"
                  + col.extra();
          for (int i = 0; i < warmup; i++) {
            peer.get(path);
          }
          double[] ms = new double[repeat];
          JsonNode last = null;
          long cpu0 = peer.cpuMillis();
          for (int i = 0; i < repeat; i++) {
            long t0 = System.nanoTime();
            var r = peer.get(path);
            ms[i] = (System.nanoTime() - t0) / 1e6;
            last = JSON.readTree(r.body());
            if (r.statusCode() != 200) {
              System.err.printf("  %s failed on %s: %s%n", col.name(), q.getKey(), r.body());
              ms[i] = Double.NaN;
            }
          }
          // CPU of the server process per run: robust to other load on the machine, which
          // stretches wall time but not the work done
          double cpuMs = (double) (peer.cpuMillis() - cpu0) / repeat;
          cpu.computeIfAbsent(q.getKey(), k -> new LinkedHashMap<>()).put(col.name(), cpuMs);
          if (printRuns) {
            StringBuilder runs = new StringBuilder();
            for (double m : ms) {
              runs.append(String.format(" %.1f", m));
            }
            System.err.printf(
                "  %-20s %-24s cpu %.1f ms/run; runs, ms:%s%n",
                q.getKey(), col.name(), cpuMs, runs);
          }
          Arrays.sort(ms);
          row.put(col.name(), ms[repeat / 2]);
          answers.put(col.name(), last);
        }
        medians.put(q.getKey(), row);
        for (String os : new String[] {"osprey", "osprey nocache"}) {
          if (answers.containsKey(os) && answers.containsKey("prometheus")) {
            String diff = Differ.compare(answers.get("prometheus"), answers.get(os));
            if (diff != null) {
              mismatches.add(q.getKey() + " (" + os + "): " + diff);
            }
          }
        }
        System.err.printf("  %-20s %s%n", q.getKey(), row);
      }
      print(medians, w.size(), steps, mismatches, null);
      print(
          cpu,
          w.size(),
          steps,
          null,
          String.format(
              "%nServer process CPU per run, ms (user + system of all its threads from /proc, the"
                  + " JIT and GC included; mean over the %d measured runs; 10 ms resolution):%n",
              repeat));
    } finally {
      for (Peer p : peers.values()) {
        p.stop();
      }
    }
    return 0;
  }

  private void print(
      Map<String, Map<String, Double>> medians,
      int n,
      int steps,
      List<String> mismatches,
      String title) {
    List<String> systems = columns().stream().map(Column::name).toList();
    StringBuilder sb = new StringBuilder();
    sb.append(
        title != null
            ? title
            : String.format(
                "%n%d series x %d samples, whole range at a 60 s step, median of %d after %d warm-up"
                    + " runs, %s%n",
                n, steps, repeat, warmup, Instant.now()));
    // ratio name -> {osprey column, peer column}; Prometheus (no cache) against uncached Osprey
    Map<String, String[]> ratioCols = new LinkedHashMap<>();
    String uncached = systems.contains("osprey nocache") ? "osprey nocache" : "osprey";
    if (systems.contains("osprey") && systems.contains("prometheus")) {
      ratioCols.put(uncached + "/prometheus", new String[] {uncached, "prometheus"});
    }
    if (systems.contains("osprey") && systems.contains("victoriametrics")) {
      ratioCols.put("osprey/victoriametrics", new String[] {"osprey", "victoriametrics"});
    }
    if (systems.contains("osprey nocache") && systems.contains("victoriametrics nocache")) {
      ratioCols.put(
          "osprey/victoriametrics, both nocache",
          new String[] {"osprey nocache", "victoriametrics nocache"});
    }
    sb.append("| query | ").append(String.join(" ms | ", systems)).append(" ms |");
    for (String r : ratioCols.keySet()) {
      sb.append(' ').append(r).append(" |");
    }
    sb.append('\n').append("|---".repeat(1 + systems.size() + ratioCols.size())).append("|\n");
    Map<String, List<Double>> byRatio = new LinkedHashMap<>();
    for (var row : medians.entrySet()) {
      sb.append("| ").append(row.getKey()).append(" |");
      for (String s : systems) {
        sb.append(String.format(" %.1f |", row.getValue().get(s)));
      }
      for (var rc : ratioCols.entrySet()) {
        double r = row.getValue().get(rc.getValue()[0]) / row.getValue().get(rc.getValue()[1]);
        sb.append(String.format(" %.2f |", r));
        byRatio.computeIfAbsent(rc.getKey(), k -> new ArrayList<>()).add(r);
      }
      sb.append('\n');
    }
    for (var e : byRatio.entrySet()) {
      if (!e.getKey().contains("victoriametrics")) {
        continue;
      }
      List<Double> l = new ArrayList<>(e.getValue());
      l.sort(Double::compare);
      sb.append(String.format("%nmedian of %s ratios: %.2f", e.getKey(), l.get(l.size() / 2)));
    }
    sb.append('\n');
    if (mismatches == null) {
      System.out.print(sb);
      return;
    }
    sb.append(
        mismatches.isEmpty()
            ? "\nOsprey's answers equal Prometheus's on every query (relative 1e-9).\n"
            : "\nAnswers that differ from Prometheus's:\n  "
                + String.join("\n  ", mismatches)
                + "\n");
    System.out.print(sb);
  }
}
