package dev.osprey.core.config;

/**
 * The whole {@code osprey.yaml}: one section per component. Every section is optional; a missing
 * section or key takes the default written in that section's record.
 */
public record OspreyConfig(
    ServerConfig server,
    TsdbConfig tsdb,
    LogIndexConfig logs,
    QueryConfig query,
    AlertingConfig alerting,
    AgentConfig agent) {
  public OspreyConfig {
    server = server != null ? server : ServerConfig.DEFAULTS;
    tsdb = tsdb != null ? tsdb : TsdbConfig.DEFAULTS;
    logs = logs != null ? logs : LogIndexConfig.DEFAULTS;
    query = query != null ? query : QueryConfig.DEFAULTS;
    alerting = alerting != null ? alerting : AlertingConfig.DEFAULTS;
    agent = agent != null ? agent : AgentConfig.DEFAULTS;
  }

  public static final OspreyConfig DEFAULTS = new OspreyConfig(null, null, null, null, null, null);
}
