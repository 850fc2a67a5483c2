package dev.osprey.server;

import dev.osprey.alerting.rules.RuleFiles;
import dev.osprey.alerting.slo.SloRules;
import dev.osprey.alerting.slo.SloSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "rules",
    mixinStandardHelpOptions = true,
    description = "Work with Prometheus rule files.",
    subcommands = {RulesCommand.Check.class, RulesCommand.Slo.class})
final class RulesCommand implements Runnable {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      description = "Check rule files as 'promtool check rules' does (exit 1 when any file fails).")
  static final class Check implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Rule files to check.")
    List<Path> files;

    @Override
    public Integer call() {
      return RuleFiles.check(files, PromqlRules.VALIDATOR, System.out, System.err);
    }
  }

  @Command(
      name = "slo",
      mixinStandardHelpOptions = true,
      description =
          "Print the multi-window multi-burn-rate recording and alerting rules (SRE workbook) for an SLO file.")
  static final class Slo implements Callable<Integer> {
    @Parameters(
        paramLabel = "FILE",
        description = "An SLO file (slos: name, objective, window, sli.good, sli.total).")
    Path file;

    @Override
    public Integer call() throws Exception {
      String text;
      try {
        text = java.nio.file.Files.readString(file);
      } catch (java.io.IOException e) {
        throw new UserError("cannot read " + file + ": " + e.getMessage());
      }
      try {
        var groups = SloRules.generate(SloSpec.parse(text), file.toString());
        System.out.print(SloRules.toYaml(groups));
        return 0;
      } catch (IllegalArgumentException e) {
        throw new UserError(file + ": " + e.getMessage());
      }
    }
  }
}
