package dev.osprey.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code osprey bench ...}: side-by-side benchmarks. Figures are reported, never asserted. */
@Command(
    name = "osprey bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks against Prometheus and VictoriaMetrics on the same data.",
    subcommands = {TsdbBench.class, QueryBench.class, CommandLine.HelpCommand.class})
public final class BenchMain implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new BenchMain()).execute(args));
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
