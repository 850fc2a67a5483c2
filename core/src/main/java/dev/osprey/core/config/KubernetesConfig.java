package dev.osprey.core.config;

import java.util.List;
import java.util.Set;

/**
 * Where the node agent learns about pods (names, images, labels) and how it labels log streams with
 * them: {@code agent.kubernetes}.
 *
 * @param podMetadata {@code auto} (an explicit kubelet URL, else an explicit API server, else the
 *     in-cluster API server when {@code KUBERNETES_SERVICE_HOST} and the service-account token are
 *     present, else none), {@code kubelet}, {@code api_server} or {@code off}
 * @param nodeName this node's name; empty means env {@code NODE_NAME} (the downward API's
 *     spec.nodeName)
 * @param kubeletUrl the kubelet's pod list, e.g. {@code https://10.0.0.5:10250/pods}; empty means
 *     {@code https://<NODE_IP or node name>:10250/pods} when the kubelet is chosen
 * @param kubeletTokenFile bearer token sent to the kubelet; empty means the service-account token
 * @param kubeletCaFile CA of the kubelet's serving certificate; empty means the service-account CA
 * @param kubeletInsecureSkipVerify accept any kubelet certificate (kubelets often serve a
 *     self-signed one)
 * @param apiServer the API server's URL; empty means the in-cluster one
 * @param apiTokenFile bearer token for the API server; empty means the service-account token
 * @param apiCaFile CA of the API server; empty means the service-account CA
 * @param logPodLabels pod label keys copied onto log streams (sanitized to label names)
 * @param logPodAnnotations pod annotation keys copied onto log streams (sanitized)
 */
public record KubernetesConfig(
    String podMetadata,
    String nodeName,
    String kubeletUrl,
    String kubeletTokenFile,
    String kubeletCaFile,
    Boolean kubeletInsecureSkipVerify,
    String apiServer,
    String apiTokenFile,
    String apiCaFile,
    List<String> logPodLabels,
    List<String> logPodAnnotations) {
  public static final Set<String> MODES = Set.of("auto", "kubelet", "api_server", "off");

  public KubernetesConfig {
    podMetadata = podMetadata != null && !podMetadata.isEmpty() ? podMetadata : "auto";
    if (!MODES.contains(podMetadata)) {
      throw new IllegalArgumentException(
          "pod_metadata must be one of auto, kubelet, api_server, off: \"" + podMetadata + "\"");
    }
    nodeName = nodeName != null ? nodeName : "";
    kubeletUrl = kubeletUrl != null ? kubeletUrl : "";
    kubeletTokenFile = kubeletTokenFile != null ? kubeletTokenFile : "";
    kubeletCaFile = kubeletCaFile != null ? kubeletCaFile : "";
    // boxed: a missing key arrives as null (a primitive would make every such file fail to load)
    kubeletInsecureSkipVerify = kubeletInsecureSkipVerify != null && kubeletInsecureSkipVerify;
    apiServer = apiServer != null ? apiServer : "";
    apiTokenFile = apiTokenFile != null ? apiTokenFile : "";
    apiCaFile = apiCaFile != null ? apiCaFile : "";
    logPodLabels =
        logPodLabels != null
            ? List.copyOf(logPodLabels)
            : List.of("app", "app.kubernetes.io/name", "app.kubernetes.io/instance");
    logPodAnnotations = logPodAnnotations != null ? List.copyOf(logPodAnnotations) : List.of();
  }

  public static final KubernetesConfig DEFAULTS =
      new KubernetesConfig(null, null, null, null, null, false, null, null, null, null, null);
}
