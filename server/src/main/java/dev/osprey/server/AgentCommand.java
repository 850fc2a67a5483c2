package dev.osprey.server;

import dev.osprey.core.config.OspreyConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    description =
        "Run the node agent: container, node and scraped metrics and container logs, spooled and shipped.")
final class AgentCommand implements Callable<Integer> {
  @Mixin CommonOptions common;
  @Mixin AgentOptions agentOptions;

  @Override
  public Integer call() throws Exception {
    OspreyConfig c = agentOptions.apply(common.load("0.0.0.0:9401"));
    OspreyAgent agent = new OspreyAgent(c, SelfMetrics.create(), true).start();
    Processes.runUntilSignalled(agent);
    return 0;
  }
}
