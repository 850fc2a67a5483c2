package dev.osprey.server;

import dev.osprey.core.config.AgentConfig;
import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.http.Auth;
import dev.osprey.core.http.HttpServer;
import dev.osprey.core.http.Router;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent: collectors and the log shipper write into the spool, forwarders ship to the
 * server. Standalone it serves its own /metrics and health probes; inside the demo the server does.
 */
public final class OspreyAgent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OspreyAgent.class);

  private final OspreyConfig config;
  private final PrometheusMeterRegistry registry;
  private final boolean ownHttp;
  private final List<AutoCloseable> parts = new ArrayList<>();
  private HttpServer http;

  public OspreyAgent(OspreyConfig config, PrometheusMeterRegistry registry, boolean ownHttp) {
    this.config = config;
    this.registry = registry;
    this.ownHttp = ownHttp;
  }

  public OspreyAgent start() {
    AgentConfig a = config.agent();
    DataDir.open(a.spoolDir(), "spool directory");
    if (ownHttp) {
      Listen listen = Listen.parse(config.server().listen(), "--listen");
      Router router = new Router();
      new SelfRoutes(registry, () -> true).register(router);
      HttpServer.Options opts =
          new HttpServer.Options(
              listen.host(), listen.port(), 1 << 20, 2, 32, false, null, null, Auth.NONE);
      try {
        http = new HttpServer(opts, router, registry).start();
      } catch (HttpServer.HttpServerException e) {
        throw new UserError(e.getMessage());
      }
    }
    log.info("event=agent_started server={} spool_dir={}", a.server(), a.spoolDir());
    return this;
  }

  @Override
  public void close() {
    for (int i = parts.size() - 1; i >= 0; i--) {
      try {
        parts.get(i).close();
      } catch (Exception e) {
        log.error("event=close_failed part={} error={}", parts.get(i), e.toString(), e);
      }
    }
    if (http != null) {
      http.close();
    }
  }
}
