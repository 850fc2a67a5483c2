package dev.osprey.server;

import dev.osprey.core.config.AgentConfig;
import dev.osprey.core.config.OspreyConfig;
import picocli.CommandLine.Option;

/** The agent's flags; each overrides the matching key of the config file's agent section. */
final class AgentOptions {
  @Option(
      names = "--server",
      paramLabel = "URL",
      description =
          "Base URL of an Osprey server: metrics go to /api/v1/write, logs to /loki/api/v1/push.")
  String server;

  @Option(
      names = "--spool-dir",
      paramLabel = "DIR",
      description = "The Chronicle Queue spool directory.")
  String spoolDir;

  @Option(
      names = "--log-files",
      paramLabel = "GLOB",
      description = "Container log files to tail (default /var/log/pods/*/*/*.log).")
  String logFiles;

  @Option(
      names = "--cgroup-root",
      paramLabel = "DIR",
      description = "Where the cgroup hierarchy is mounted (default /sys/fs/cgroup).")
  String cgroupRoot;

  @Option(
      names = "--prometheus-config",
      paramLabel = "FILE",
      description = "A prometheus.yml whose global and scrape_configs sections the agent scrapes.")
  String prometheusConfig;

  OspreyConfig apply(OspreyConfig c) {
    AgentConfig a = c.agent();
    AgentConfig agent =
        new AgentConfig(
            server != null ? server : a.server(),
            spoolDir != null ? spoolDir : a.spoolDir(),
            a.spoolMaxSize(),
            logFiles != null ? logFiles : a.logFiles(),
            cgroupRoot != null ? cgroupRoot : a.cgroupRoot(),
            prometheusConfig != null ? prometheusConfig : a.prometheusConfig(),
            a.collectInterval());
    return new OspreyConfig(
        c.global(), c.server(), c.tsdb(), c.logs(), c.query(), c.alerting(), agent);
  }
}
