package dev.osprey.server;

import dev.osprey.core.config.ConfigLoader;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "config",
    mixinStandardHelpOptions = true,
    description = "Work with osprey.yaml.",
    subcommands = {ConfigCommand.Check.class})
final class ConfigCommand implements Runnable {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      description =
          "Print the effective config (every default spelled out), or every error; exit 2 on error.")
  static final class Check implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The config file to check.")
    Path file;

    @Override
    public Integer call() {
      String yaml = ConfigLoader.toYaml(ConfigLoader.load(file));
      spec.commandLine().getOut().print(yaml);
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}
