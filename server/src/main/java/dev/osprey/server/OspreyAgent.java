package dev.osprey.server;

import dev.osprey.collector.NodeCollector;
import dev.osprey.collector.NodeCollectorConfig;
import dev.osprey.collector.kube.PodInfo;
import dev.osprey.collector.kube.PodMetadata;
import dev.osprey.collector.kube.PodMetadataSources;
import dev.osprey.core.config.AgentConfig;
import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.http.Auth;
import dev.osprey.core.http.HttpServer;
import dev.osprey.core.http.Router;
import dev.osprey.logs.shipper.KubernetesStreamLabels;
import dev.osprey.logs.shipper.LogShipper;
import dev.osprey.logs.shipper.MultilineConfig;
import dev.osprey.logs.shipper.PodLookup;
import dev.osprey.logs.shipper.ShipperConfig;
import dev.osprey.pipeline.Forwarder;
import dev.osprey.pipeline.ForwarderConfig;
import dev.osprey.pipeline.MetricsSpool;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
  private final Map<String, String> env;
  private final Path serviceAccountDir;
  private HttpServer http;

  public OspreyAgent(OspreyConfig config, PrometheusMeterRegistry registry, boolean ownHttp) {
    this(config, registry, ownHttp, System.getenv(), PodMetadataSources.SERVICE_ACCOUNT);
  }

  /**
   * @param env the environment the in-cluster detection reads (KUBERNETES_SERVICE_HOST, NODE_NAME)
   * @param serviceAccountDir where a pod's service-account token and CA are (tests point both at
   *     their own)
   */
  OspreyAgent(
      OspreyConfig config,
      PrometheusMeterRegistry registry,
      boolean ownHttp,
      Map<String, String> env,
      Path serviceAccountDir) {
    this.config = config;
    this.registry = registry;
    this.ownHttp = ownHttp;
    this.env = Map.copyOf(env);
    this.serviceAccountDir = serviceAccountDir;
  }

  /** Starts every part; if one fails, the parts already started are closed again. */
  public OspreyAgent start() {
    try {
      startParts();
    } catch (IllegalArgumentException e) {
      // Components reject bad settings (a cgroup root that is none, a bad scrape config) this way.
      close();
      throw new UserError(e.getMessage());
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    return this;
  }

  private void startParts() {
    AgentConfig a = config.agent();
    Path spool = DataDir.open(a.spoolDir(), "spool directory");
    URI server = serverUri(a.server());
    // Metrics: collectors -> metrics spool -> remote_write forwarder.
    MetricsSpool metrics =
        add(MetricsSpool.open(spool.resolve("metrics"), a.spoolMaxSize().bytes(), registry));
    add(
        Forwarder.remoteWrite(
                metrics.spool(),
                ForwarderConfig.of("server", server.resolve("/api/v1/write")),
                registry)
            .start());
    NodeCollectorConfig collector;
    try {
      collector = NodeCollectorConfig.fromAgent(a, null);
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
    // Pod names, images and labels: the kubelet's list or the API server (list+watch), chosen
    // from agent.kubernetes and what a DaemonSet pod sees (service account, NODE_NAME).
    PodMetadataSources.Plan plan;
    try {
      plan = PodMetadataSources.plan(a.kubernetes(), env, serviceAccountDir);
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
    PodMetadataSources.Opened pods = add(PodMetadataSources.open(plan, a.collectInterval()));
    log.info(
        "event=pod_metadata source={} url={} node={} why=\"{}\"",
        plan.kind(),
        plan.url(),
        plan.nodeName(),
        plan.why());
    NodeCollector nodeCollector =
        add(new NodeCollector(collector, metrics::appendSample, registry, pods.pods()));
    nodeCollector.start();
    // Logs: tailer -> logs spool -> Loki push forwarder (inside the shipper).
    // Pod labels, chosen annotations and node name on log streams, from the same pod-metadata
    // source as the container metrics (one kubelet poll or one API server watch per node).
    KubernetesStreamLabels streamLabels =
        pods.pods() == PodMetadata.NONE
            ? null
            : new KubernetesStreamLabels(
                podLookup(pods.pods()),
                plan.nodeName(),
                a.kubernetes().logPodLabels(),
                a.kubernetes().logPodAnnotations(),
                registry);
    LogShipper shipper =
        add(
            new LogShipper(
                ShipperConfig.of(a.logFiles(), spool.resolve("logs"), server)
                    .withMultiline(a.multiline().stream().map(MultilineConfig::of).toList()),
                registry,
                streamLabels));
    shipper.start();
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
  }

  private <T extends AutoCloseable> T add(T part) {
    parts.add(part);
    return part;
  }

  private static URI serverUri(String s) {
    try {
      URI u = URI.create(s);
      if (u.getScheme() == null || u.getHost() == null) {
        throw new IllegalArgumentException("expected a URL such as http://osprey:9400");
      }
      return u;
    } catch (IllegalArgumentException e) {
      throw new UserError("invalid --server \"" + s + "\": " + e.getMessage());
    }
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

  /** The collector's pod metadata as the log shipper's lookup. */
  static PodLookup podLookup(PodMetadata pods) {
    return new PodLookup() {
      @Override
      public Pod pod(String uid) {
        PodInfo p = pods.pod(uid);
        return p == null ? null : new Pod(p.labels(), p.annotations());
      }

      @Override
      public void refresh() {
        pods.refresh();
      }
    };
  }
}
