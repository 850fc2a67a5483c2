package dev.osprey.bench;

import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** What every side-by-side bench takes: the workload's size, the systems, Osprey's jar. */
final class BenchOptions {
  @Option(
      names = "--series",
      description = "Active series (default ${DEFAULT-VALUE}).",
      defaultValue = "10000")
  int series;

  @Option(
      names = "--hours",
      description = "Hours of 15 s samples (default ${DEFAULT-VALUE}).",
      defaultValue = "2")
  double hours;

  @Option(
      names = "--systems",
      split = ",",
      description = "Which systems (default ${DEFAULT-VALUE}).",
      defaultValue = "osprey,prometheus,victoriametrics")
  List<String> systems;

  @Option(
      names = "--osprey-jar",
      description = "The runnable jar (default ${DEFAULT-VALUE}).",
      defaultValue = "server/target/osprey.jar")
  Path ospreyJar;

  Workload workload() {
    return new Workload(series, 20261122L);
  }

  int steps() {
    return (int) Math.round(hours * 3600_000 / Workload.INTERVAL_MS);
  }

  /** A fresh, not yet started system under {@code work}. */
  Peer peer(String sys, Path work) throws Exception {
    return switch (sys) {
      case "prometheus" -> new Peers.Prometheus(work);
      case "victoriametrics" -> new Peers.VictoriaMetrics(work);
      case "osprey" ->
          new Peers.Osprey(work, ospreyJar.toAbsolutePath(), TsdbBench.serverJvmFlags());
      default ->
          throw new IllegalArgumentException(
              "unknown system " + sys + " (osprey, prometheus, victoriametrics)");
    };
  }
}
