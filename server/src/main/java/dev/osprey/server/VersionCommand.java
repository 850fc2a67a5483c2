package dev.osprey.server;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

@Command(name = "version", description = "Print the version.")
final class VersionCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    for (String line : new BuildInfo().getVersion()) {
      spec.commandLine().getOut().println(line);
    }
    return 0;
  }
}
