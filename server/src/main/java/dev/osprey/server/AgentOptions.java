package dev.osprey.server;

import dev.osprey.core.config.AgentConfig;
import dev.osprey.core.config.KubernetesConfig;
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

  @Option(
      names = "--pod-metadata",
      paramLabel = "MODE",
      description =
          "Where pod names, images and labels come from: auto, kubelet, api_server or off"
              + " (default auto: in a pod, the API server).")
  String podMetadata;

  @Option(
      names = "--node-name",
      paramLabel = "NAME",
      description = "This node's name (default: env NODE_NAME, set from the downward API).")
  String nodeName;

  @Option(
      names = "--kubelet-url",
      paramLabel = "URL",
      description =
          "The kubelet's pod list, e.g. https://10.0.0.5:10250/pods (selects the kubelet).")
  String kubeletUrl;

  @Option(
      names = "--kubelet-token-file",
      paramLabel = "FILE",
      description = "Bearer token for the kubelet (default: the service-account token).")
  String kubeletTokenFile;

  @Option(
      names = "--kubelet-ca-file",
      paramLabel = "FILE",
      description = "CA of the kubelet's certificate (default: the service-account CA).")
  String kubeletCaFile;

  @Option(
      names = "--kubelet-insecure-skip-verify",
      description = "Accept any kubelet certificate (kubelets often serve a self-signed one).")
  Boolean kubeletInsecureSkipVerify;

  @Option(
      names = "--kube-api-server",
      paramLabel = "URL",
      description = "The Kubernetes API server (default: the in-cluster one).")
  String apiServer;

  @Option(
      names = "--kube-api-token-file",
      paramLabel = "FILE",
      description = "Bearer token for the API server (default: the service-account token).")
  String apiTokenFile;

  @Option(
      names = "--kube-api-ca-file",
      paramLabel = "FILE",
      description = "CA of the API server (default: the service-account CA).")
  String apiCaFile;

  OspreyConfig apply(OspreyConfig c) {
    AgentConfig a = c.agent();
    KubernetesConfig k = a.kubernetes();
    KubernetesConfig kube;
    try {
      kube =
          new KubernetesConfig(
              or(podMetadata, k.podMetadata()),
              or(nodeName, k.nodeName()),
              or(kubeletUrl, k.kubeletUrl()),
              or(kubeletTokenFile, k.kubeletTokenFile()),
              or(kubeletCaFile, k.kubeletCaFile()),
              kubeletInsecureSkipVerify != null
                  ? kubeletInsecureSkipVerify
                  : k.kubeletInsecureSkipVerify(),
              or(apiServer, k.apiServer()),
              or(apiTokenFile, k.apiTokenFile()),
              or(apiCaFile, k.apiCaFile()),
              k.logPodLabels(),
              k.logPodAnnotations());
    } catch (IllegalArgumentException e) {
      throw new UserError("invalid --pod-metadata: " + e.getMessage());
    }
    AgentConfig agent =
        new AgentConfig(
            server != null ? server : a.server(),
            spoolDir != null ? spoolDir : a.spoolDir(),
            a.spoolMaxSize(),
            logFiles != null ? logFiles : a.logFiles(),
            cgroupRoot != null ? cgroupRoot : a.cgroupRoot(),
            prometheusConfig != null ? prometheusConfig : a.prometheusConfig(),
            a.collectInterval(),
            kube,
            a.multiline());
    return new OspreyConfig(
        c.global(), c.server(), c.tsdb(), c.logs(), c.query(), c.alerting(), agent);
  }

  private static String or(String flag, String config) {
    return flag != null ? flag : config;
  }
}
