package dev.osprey.collector.kube;

import dev.osprey.core.config.KubernetesConfig;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Chooses where the agent's pod metadata comes from ({@code agent.kubernetes} plus the environment
 * a DaemonSet pod sees) and opens it. {@link #plan} is pure so the choice is tested without a
 * cluster; {@link #open} connects.
 *
 * <p>In a pod, {@code KUBERNETES_SERVICE_HOST}/{@code _PORT} name the API server and the
 * service-account directory holds {@code token} and {@code ca.crt}; {@code NODE_NAME} comes from
 * the downward API ({@code fieldRef: spec.nodeName}) and {@code NODE_IP} optionally from {@code
 * status.hostIP}.
 */
public final class PodMetadataSources {
  public static final Path SERVICE_ACCOUNT =
      Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

  private PodMetadataSources() {}

  public enum Kind {
    NONE,
    KUBELET,
    API_SERVER
  }

  /**
   * What {@link #plan} chose.
   *
   * @param url the kubelet's pod list URL or the API server's base URL ("" for NONE)
   * @param tokenFile bearer token file, or null
   * @param caFile CA file, or null for the JDK's trust store
   * @param why one phrase for the start-up log line
   */
  public record Plan(
      Kind kind,
      String nodeName,
      String url,
      Path tokenFile,
      Path caFile,
      boolean insecureSkipVerify,
      String why) {}

  /**
   * An opened source; close it with the agent.
   *
   * @param client the API server client when the source is the API server (others, such as the log
   *     shipper's stream labels, may watch through it until this is closed), else null
   */
  public record Opened(PodMetadata pods, Plan plan, KubernetesClient client, AutoCloseable closer)
      implements AutoCloseable {
    @Override
    public void close() throws Exception {
      if (closer != null) {
        closer.close();
      }
    }
  }

  /**
   * @param env the process environment ({@code System.getenv()})
   * @param serviceAccount the service-account directory ({@link #SERVICE_ACCOUNT})
   * @throws IllegalArgumentException when the settings ask for a source that cannot be used
   */
  public static Plan plan(KubernetesConfig k, Map<String, String> env, Path serviceAccount) {
    String node = !k.nodeName().isEmpty() ? k.nodeName() : env.getOrDefault("NODE_NAME", "");
    Path saToken = serviceAccount.resolve("token");
    Path saCa = serviceAccount.resolve("ca.crt");
    String host = env.getOrDefault("KUBERNETES_SERVICE_HOST", "");
    boolean inCluster = !host.isEmpty() && Files.isReadable(saToken);
    String mode = k.podMetadata();
    if (mode.equals("off")) {
      return new Plan(Kind.NONE, node, "", null, null, false, "agent.kubernetes.pod_metadata=off");
    }
    boolean kubelet = mode.equals("kubelet") || (mode.equals("auto") && !k.kubeletUrl().isEmpty());
    if (kubelet) {
      String url = k.kubeletUrl();
      if (url.isEmpty()) {
        String nodeHost = env.getOrDefault("NODE_IP", "");
        nodeHost = !nodeHost.isEmpty() ? nodeHost : node;
        if (nodeHost.isEmpty()) {
          throw new IllegalArgumentException(
              "cannot find the kubelet: set agent.kubernetes.kubelet_url, or env NODE_IP or"
                  + " NODE_NAME (downward API)");
        }
        url = "https://" + bracket(nodeHost) + ":10250/pods";
      }
      return new Plan(
          Kind.KUBELET,
          node,
          url,
          file(k.kubeletTokenFile(), inCluster ? saToken : null),
          file(k.kubeletCaFile(), inCluster ? saCa : null),
          k.kubeletInsecureSkipVerify(),
          k.kubeletUrl().isEmpty() ? "kubelet on this node" : "agent.kubernetes.kubelet_url");
    }
    boolean api =
        mode.equals("api_server")
            || (mode.equals("auto") && (!k.apiServer().isEmpty() || inCluster));
    if (!api) {
      return new Plan(
          Kind.NONE, node, "", null, null, false, "not in a cluster and no source configured");
    }
    String url = k.apiServer();
    if (url.isEmpty()) {
      if (!inCluster) {
        throw new IllegalArgumentException(
            "cannot find the API server: set agent.kubernetes.api_server (not in a pod:"
                + " KUBERNETES_SERVICE_HOST or the service-account token is missing)");
      }
      url = "https://" + bracket(host) + ":" + env.getOrDefault("KUBERNETES_SERVICE_PORT", "443");
    }
    if (node.isEmpty()) {
      // without it every agent would watch (and report pod state for) every pod in the cluster
      throw new IllegalArgumentException(
          "cannot watch this node's pods: set env NODE_NAME (fieldRef spec.nodeName) or"
              + " agent.kubernetes.node_name");
    }
    boolean saDefaults = inCluster || Files.isReadable(saToken);
    return new Plan(
        Kind.API_SERVER,
        node,
        url,
        file(k.apiTokenFile(), saDefaults ? saToken : null),
        file(k.apiCaFile(), saDefaults && Files.isReadable(saCa) ? saCa : null),
        false,
        k.apiServer().isEmpty() ? "in-cluster API server" : "agent.kubernetes.api_server");
  }

  private static Path file(String configured, Path fallback) {
    return configured.isEmpty() ? fallback : Path.of(configured);
  }

  private static String bracket(String host) {
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  /**
   * Opens the planned source. Never waits for the API server: its list+watch runs in the background
   * and retries; until it has synced, series carry ids without names.
   *
   * @param minAge how often the kubelet's list is re-read at most (the collect interval)
   */
  public static Opened open(Plan p, Duration minAge) {
    return open(p, minAge, true);
  }

  /**
   * @param serverSideSelector false only against a test double that cannot evaluate the {@code
   *     spec.nodeName} field selector (fabric8's mock server); the cache is filtered either way
   */
  static Opened open(Plan p, Duration minAge, boolean serverSideSelector) {
    return switch (p.kind()) {
      case NONE -> new Opened(PodMetadata.NONE, p, null, null);
      case KUBELET ->
          new Opened(
              new KubeletPodList(
                  new KubeletConfig(p.url(), p.tokenFile(), p.caFile(), p.insecureSkipVerify()),
                  minAge),
              p,
              null,
              null);
      case API_SERVER -> {
        KubernetesClient client = client(p);
        ApiServerPods pods;
        try {
          pods = new ApiServerPods(client, p.nodeName(), serverSideSelector);
        } catch (RuntimeException e) {
          client.close();
          throw e;
        }
        yield new Opened(
            pods,
            p,
            client,
            () -> {
              pods.close();
              client.close();
            });
      }
    };
  }

  /** A fabric8 client for the planned API server (no kubeconfig or system-property lookups). */
  public static KubernetesClient client(Plan p) {
    ConfigBuilder b = new ConfigBuilder(Config.empty()).withMasterUrl(p.url());
    if (p.caFile() != null) {
      b.withCaCertFile(p.caFile().toString());
    }
    if (p.insecureSkipVerify()) {
      b.withTrustCerts(true);
    }
    Path token = p.tokenFile();
    if (token != null) {
      // re-read on every request: bound service-account tokens rotate (about hourly)
      b.withOauthTokenProvider(() -> readToken(token));
    }
    return new KubernetesClientBuilder().withConfig(b.build()).build();
  }

  private static String readToken(Path f) {
    try {
      return Files.readString(f).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read API token " + f + ": " + e.getMessage(), e);
    }
  }
}
