package dev.osprey.server;

import dev.osprey.core.config.ConfigLoader;
import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.config.ServerConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every long-running mode shares. Flags override the config file. */
final class CommonOptions {
  @Option(names = "--config", paramLabel = "FILE", description = "The osprey.yaml config file.")
  Path config;

  @Option(
      names = "--listen",
      paramLabel = "HOST:PORT",
      description =
          "Address to serve HTTP on (server: 0.0.0.0:9400, demo: 127.0.0.1:9400, agent: 0.0.0.0:9401).")
  String listen;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description = "Where the tsdb, the log index and alert state live (default ./data).")
  String dataDir;

  /** The config file (or the defaults) with the flags applied. */
  OspreyConfig load(String defaultListen) {
    OspreyConfig c = config == null ? OspreyConfig.DEFAULTS : ConfigLoader.load(config);
    ServerConfig s = c.server();
    String effectiveListen = listen;
    if (effectiveListen == null) {
      boolean configSetIt = !s.listen().equals(ServerConfig.DEFAULTS.listen());
      effectiveListen = configSetIt ? s.listen() : defaultListen;
    }
    ServerConfig server =
        new ServerConfig(
            effectiveListen,
            dataDir != null ? dataDir : s.dataDir(),
            s.maxRequestBody(),
            s.workerThreads(),
            s.maxQueuedRequests(),
            s.accessLog(),
            s.tls(),
            s.auth());
    return new OspreyConfig(
        c.global(), server, c.tsdb(), c.logs(), c.query(), c.alerting(), c.agent());
  }
}
