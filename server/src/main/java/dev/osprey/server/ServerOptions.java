package dev.osprey.server;

import dev.osprey.core.config.AlertingConfig;
import dev.osprey.core.config.OspreyConfig;
import java.util.List;
import picocli.CommandLine.Option;

/** The server's flags beyond the common ones. */
final class ServerOptions {
  @Option(
      names = "--rules",
      paramLabel = "GLOB",
      description = "Prometheus rule files to load (repeatable).")
  List<String> rules;

  @Option(
      names = "--alertmanager-config",
      paramLabel = "FILE",
      description = "An Alertmanager YAML file: route, receivers, inhibit_rules, time_intervals.")
  String alertmanagerConfig;

  OspreyConfig apply(OspreyConfig c) {
    AlertingConfig a = c.alerting();
    AlertingConfig alerting =
        new AlertingConfig(
            rules != null ? rules : a.ruleFiles(),
            alertmanagerConfig != null ? alertmanagerConfig : a.alertmanagerConfig(),
            a.evaluationInterval(),
            a.alertmanagers());
    return new OspreyConfig(
        c.global(), c.server(), c.tsdb(), c.logs(), c.query(), alerting, c.agent());
  }
}
