package dev.osprey.collector.kube;

import java.nio.file.Path;

/**
 * Where the kubelet's pod list is read from and how.
 *
 * @param pods an {@code http(s)://} URL ({@code http://127.0.0.1:10255/pods} on the read-only port,
 *     {@code https://<node>:10250/pods} on the authenticated one) or a file path
 * @param tokenFile a bearer token sent on https (the service-account token; re-read on each fetch
 *     because it rotates), or null
 * @param caFile PEM certificates the kubelet's serving certificate must chain to, or null for the
 *     JDK's trust store
 * @param insecureSkipVerify accept any kubelet certificate (kubelets commonly serve a self-signed
 *     one); the token is still sent, so use only on the node-local address
 */
public record KubeletConfig(String pods, Path tokenFile, Path caFile, boolean insecureSkipVerify) {
  public KubeletConfig {
    if (pods == null || pods.isEmpty()) {
      throw new IllegalArgumentException("kubelet pod list source is empty");
    }
  }

  /** A plain source: a file or an unauthenticated URL. */
  public static KubeletConfig of(String pods) {
    return new KubeletConfig(pods, null, null, false);
  }

  /** In-cluster defaults: the service-account token and CA. */
  public static KubeletConfig inCluster(String pods, boolean insecureSkipVerify) {
    Path sa = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");
    return new KubeletConfig(pods, sa.resolve("token"), sa.resolve("ca.crt"), insecureSkipVerify);
  }
}
