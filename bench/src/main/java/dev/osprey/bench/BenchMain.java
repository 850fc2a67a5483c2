package dev.osprey.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code osprey bench ...}: side-by-side benchmarks. Figures are reported, never asserted. */
@Command(
    name = "osprey bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks against Prometheus, VictoriaMetrics and ripgrep on the same data.",
    subcommands = {
      TsdbBench.class,
      TsdbSizeBench.class,
      DownsampleBench.class,
      QueryBench.class,
      LogsBench.class,
      AgentBench.class,
      BenchMain.Jmh.class,
      CommandLine.HelpCommand.class
    })
public final class BenchMain implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new BenchMain()).execute(args));
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** {@code osprey bench jmh [JMH ARGS]}: the JMH micro-benchmarks (chunk codec, append path). */
  @Command(
      name = "jmh",
      description = "JMH micro-benchmarks; arguments go to JMH (e.g. 'ChunkCodec -prof gc').")
  static final class Jmh implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Unmatched java.util.List<String> args = new java.util.ArrayList<>();

    @Override
    public Integer call() throws Exception {
      org.openjdk.jmh.Main.main(args.toArray(new String[0]));
      return 0;
    }
  }
}
