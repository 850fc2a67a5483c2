package dev.osprey.core.config;

/**
 * The whole {@code osprey.yaml}: one section per component. Every section is optional; a missing
 * section or key takes the default written in that section's record.
 */
public record OspreyConfig(
    GlobalConfig global,
    ServerConfig server,
    TsdbConfig tsdb,
    LogIndexConfig logs,
    QueryConfig query,
    AlertingConfig alerting,
    AgentConfig agent) {
  public OspreyConfig {
    global = global != null ? global : GlobalConfig.DEFAULTS;
    server = server != null ? server : ServerConfig.DEFAULTS;
    tsdb = tsdb != null ? tsdb : TsdbConfig.DEFAULTS;
    logs = logs != null ? logs : LogIndexConfig.DEFAULTS;
    query = query != null ? query : QueryConfig.DEFAULTS;
    alerting = alerting != null ? alerting : AlertingConfig.DEFAULTS;
    agent = agent != null ? agent : AgentConfig.DEFAULTS;
  }

  /** Every section but {@code global}, which takes its defaults. */
  public OspreyConfig(
      ServerConfig server,
      TsdbConfig tsdb,
      LogIndexConfig logs,
      QueryConfig query,
      AlertingConfig alerting,
      AgentConfig agent) {
    this(null, server, tsdb, logs, query, alerting, agent);
  }

  /** This configuration with another {@code logs} section. */
  public OspreyConfig withLogs(LogIndexConfig logs) {
    return new OspreyConfig(global, server, tsdb, logs, query, alerting, agent);
  }

  public static final OspreyConfig DEFAULTS =
      new OspreyConfig(null, null, null, null, null, null, null);
}
