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
 * use.
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

  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public Integer call() throws Exception {
    List<String> systems = opts.systems;
    Workload w = opts.workload();
    int steps = opts.steps();
    long start = (System.currentTimeMillis() - steps * Workload.INTERVAL_MS - 60_000) / 1000 * 1000;
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
        for (var e : peers.entrySet()) {
          String path =
              "/api/v1/query_range?query="
                  + URLEncoder.encode(q.getValue(), StandardCharsets.UTF_8)
                  + "&start="
                  + qStart
                  + "&end="
                  + qEnd
                  + "&step=60";
          for (int i = 0; i < warmup; i++) {
            e.getValue().get(path);
          }
          double[] ms = new double[repeat];
          JsonNode last = null;
          long cpu0 = e.getValue().cpuMillis();
          for (int i = 0; i < repeat; i++) {
            long t0 = System.nanoTime();
            var r = e.getValue().get(path);
            ms[i] = (System.nanoTime() - t0) / 1e6;
            last = JSON.readTree(r.body());
            if (r.statusCode() != 200) {
              System.err.printf("  %s failed on %s: %s%n", e.getKey(), q.getKey(), r.body());
              ms[i] = Double.NaN;
            }
          }
          // CPU of the server process per run: robust to other load on the machine, which
          // stretches wall time but not the work done
          double cpuMs = (double) (e.getValue().cpuMillis() - cpu0) / repeat;
          cpu.computeIfAbsent(q.getKey(), k -> new LinkedHashMap<>()).put(e.getKey(), cpuMs);
          if (printRuns) {
            StringBuilder runs = new StringBuilder();
            for (double m : ms) {
              runs.append(String.format(" %.1f", m));
            }
            System.err.printf(
                "  %-20s %-16s cpu %.1f ms/run; runs, ms:%s%n",
                q.getKey(), e.getKey(), cpuMs, runs);
          }
          Arrays.sort(ms);
          row.put(e.getKey(), ms[repeat / 2]);
          answers.put(e.getKey(), last);
        }
        medians.put(q.getKey(), row);
        if (answers.containsKey("osprey") && answers.containsKey("prometheus")) {
          String diff = Differ.compare(answers.get("prometheus"), answers.get("osprey"));
          if (diff != null) {
            mismatches.add(q.getKey() + ": " + diff);
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
    List<String> systems = opts.systems;
    StringBuilder sb = new StringBuilder();
    sb.append(
        title != null
            ? title
            : String.format(
                "%n%d series x %d samples, whole range at a 60 s step, median of %d after %d warm-up"
                    + " runs, %s%n",
                n, steps, repeat, warmup, Instant.now()));
    sb.append("| query | ").append(String.join(" ms | ", systems)).append(" ms |");
    boolean ratios = systems.contains("osprey");
    if (ratios && systems.contains("prometheus")) {
      sb.append(" osprey/prometheus |");
    }
    if (ratios && systems.contains("victoriametrics")) {
      sb.append(" osprey/victoriametrics |");
    }
    sb.append('\n')
        .append(
            "|---"
                .repeat(
                    1
                        + systems.size()
                        + (ratios
                            ? (int) systems.stream().filter(s -> !s.equals("osprey")).count()
                            : 0)))
        .append("|\n");
    List<Double> vmRatios = new ArrayList<>();
    for (var row : medians.entrySet()) {
      sb.append("| ").append(row.getKey()).append(" |");
      for (String s : systems) {
        sb.append(String.format(" %.1f |", row.getValue().get(s)));
      }
      Double os = row.getValue().get("osprey");
      for (String peer : new String[] {"prometheus", "victoriametrics"}) {
        if (ratios && row.getValue().containsKey(peer)) {
          double r = os / row.getValue().get(peer);
          sb.append(String.format(" %.2f |", r));
          if (peer.equals("victoriametrics")) {
            vmRatios.add(r);
          }
        }
      }
      sb.append('\n');
    }
    if (!vmRatios.isEmpty()) {
      vmRatios.sort(Double::compare);
      sb.append(
          String.format(
              "%nmedian of osprey/victoriametrics ratios: %.2f%n",
              vmRatios.get(vmRatios.size() / 2)));
    }
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
