package dev.osprey.server;

import dev.osprey.core.config.ConfigLoader;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code osprey}: one binary, three modes (server, agent, demo) and a few tools. */
@Command(
    name = "osprey",
    mixinStandardHelpOptions = true,
    versionProvider = BuildInfo.class,
    description =
        "Observability for Kubernetes: metrics, logs and alerts in one agent and one server.",
    subcommands = {
      ServerCommand.class,
      AgentCommand.class,
      DemoCommand.class,
      ConfigCommand.class,
      RulesCommand.class,
      VersionCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  /** Exit code for errors the user can fix: bad flags, bad config, port in use. */
  public static final int USER_ERROR = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  /** Runs a command line and returns the exit code (tests call this directly). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = commandLine();
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler(
        (ex, a) -> {
          err.println(
              "osprey: "
                  + ex.getMessage()
                  + " (see '"
                  + ex.getCommandLine().getCommandSpec().qualifiedName()
                  + " --help')");
          return USER_ERROR;
        });
    cl.setExecutionExceptionHandler(
        (ex, c, parseResult) -> {
          if (ex instanceof UserError || ex instanceof ConfigLoader.ConfigException) {
            for (String line : ex.getMessage().split("\n")) {
              err.println("osprey: " + line);
            }
            return USER_ERROR;
          }
          err.println("osprey: internal error: " + ex);
          ex.printStackTrace(err);
          return 1;
        });
    return cl.execute(args);
  }

  static CommandLine commandLine() {
    return new CommandLine(new Main());
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
