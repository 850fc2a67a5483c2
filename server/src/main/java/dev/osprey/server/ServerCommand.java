package dev.osprey.server;

import dev.osprey.core.config.OspreyConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    description =
        "Run the server: ingest, tsdb, log index, PromQL and LogQL APIs, alerting, dashboard.")
final class ServerCommand implements Callable<Integer> {
  @Mixin CommonOptions common;
  @Mixin ServerOptions serverOptions;

  @Override
  public Integer call() throws Exception {
    OspreyConfig c = serverOptions.apply(common.load("0.0.0.0:9400"));
    OspreyServer server =
        new OspreyServer(c, SelfMetrics.create()).reloadConfigFrom(common.config).start();
    Processes.onHangup(server::reload);
    Processes.runUntilSignalled(server);
    return 0;
  }
}
