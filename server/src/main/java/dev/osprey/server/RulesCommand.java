package dev.osprey.server;

import dev.osprey.alerting.rules.RuleFiles;
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
    subcommands = {RulesCommand.Check.class})
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
}
