package dev.osprey.server;

import dev.osprey.core.config.AgentConfig;
import dev.osprey.core.config.OspreyConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = "Run server and agent in one process on 127.0.0.1, watching this machine.")
final class DemoCommand implements Callable<Integer> {
  @Mixin CommonOptions common;
  @Mixin ServerOptions serverOptions;
  @Mixin AgentOptions agentOptions;

  /** A prometheus.yml for the demo's agent: scrape the server's own /metrics every 5 s. */
  private static String selfScrapeConfig(java.nio.file.Path dataDir, String baseUrl)
      throws java.io.IOException {
    java.nio.file.Path f = dataDir.resolve("demo/prometheus.yml");
    java.nio.file.Files.createDirectories(f.getParent());
    String target = java.net.URI.create(baseUrl).getAuthority();
    java.nio.file.Files.writeString(
        f,
        "global:\n  scrape_interval: 5s\nscrape_configs:\n  - job_name: osprey\n"
            + "    static_configs:\n      - targets: ['"
            + target
            + "']\n");
    return f.toString();
  }

  @Override
  public Integer call() throws Exception {
    OspreyConfig c = agentOptions.apply(serverOptions.apply(common.load("127.0.0.1:9400")));
    PrometheusMeterRegistry registry = SelfMetrics.create();
    OspreyServer server = new OspreyServer(c, registry).reloadConfigFrom(common.config).start();
    Processes.onHangup(server::reload);
    // A built-in workload of kubelet-style container logs, unless the user named real ones.
    DemoWorkload workload = null;
    if (agentOptions.logFiles == null) {
      workload = new DemoWorkload(java.nio.file.Path.of(c.server().dataDir())).start();
    }
    // The in-process agent ships to this server.
    AgentConfig a = c.agent();
    AgentConfig local =
        new AgentConfig(
            server.baseUrl(),
            agentOptions.spoolDir != null ? a.spoolDir() : c.server().dataDir() + "/spool",
            a.spoolMaxSize(),
            workload != null ? workload.glob() : a.logFiles(),
            a.cgroupRoot(),
            agentOptions.prometheusConfig != null
                ? a.prometheusConfig()
                : selfScrapeConfig(java.nio.file.Path.of(c.server().dataDir()), server.baseUrl()),
            a.collectInterval(),
            a.kubernetes(),
            a.multiline());
    OspreyConfig withAgent =
        new OspreyConfig(
            c.global(), c.server(), c.tsdb(), c.logs(), c.query(), c.alerting(), local);
    OspreyAgent agent = new OspreyAgent(withAgent, registry, false).start();
    System.err.println();
    System.err.println("  Osprey demo is running: " + server.baseUrl() + "/");
    System.err.println("  Prometheus API: " + server.baseUrl() + "/api/v1/query?query=up");
    System.err.println("  Press Ctrl-C to stop.");
    System.err.println();
    if (workload != null) {
      Processes.runUntilSignalled(workload, agent, server);
    } else {
      Processes.runUntilSignalled(agent, server);
    }
    return 0;
  }
}
