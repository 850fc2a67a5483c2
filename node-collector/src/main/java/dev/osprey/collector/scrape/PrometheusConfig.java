package dev.osprey.collector.scrape;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.util.ByteSize;
import dev.osprey.core.util.PromDuration;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The parts of a prometheus.yml the agent runs: {@code global} and {@code scrape_configs}. Sections
 * that concern a Prometheus server and not a scraper (rule_files, alerting, remote_write,
 * remote_read, storage, tracing) are ignored; any other key, and any field of a scrape config the
 * agent does not implement, is rejected by name so that a config is never half-applied.
 */
public record PrometheusConfig(
    Duration scrapeInterval,
    Duration scrapeTimeout,
    Labels externalLabels,
    List<ScrapeConfig> scrapeConfigs) {

  private static final Set<String> IGNORED_TOP =
      Set.of("rule_files", "alerting", "remote_write", "remote_read", "storage", "tracing");
  private static final Set<String> GLOBAL_FIELDS =
      Set.of(
          "scrape_interval",
          "scrape_timeout",
          "evaluation_interval",
          "external_labels",
          "body_size_limit",
          "sample_limit",
          "label_limit",
          "label_name_length_limit",
          "label_value_length_limit",
          "query_log_file",
          "rule_query_offset");
  private static final Set<String> SCRAPE_FIELDS =
      Set.of(
          "job_name",
          "scrape_interval",
          "scrape_timeout",
          "metrics_path",
          "scheme",
          "params",
          "honor_labels",
          "honor_timestamps",
          "static_configs",
          "relabel_configs",
          "metric_relabel_configs",
          "body_size_limit",
          "sample_limit",
          "label_limit",
          "label_name_length_limit",
          "label_value_length_limit",
          "kubernetes_sd_configs");
  private static final Set<String> K8S_FIELDS = Set.of("role", "namespaces");
  private static final Set<String> K8S_UNSUPPORTED =
      Set.of(
          "api_server",
          "kubeconfig_file",
          "selectors",
          "attach_metadata",
          "basic_auth",
          "authorization",
          "oauth2",
          "tls_config",
          "proxy_url",
          "follow_redirects",
          "enable_http2",
          "bearer_token",
          "bearer_token_file",
          "no_proxy",
          "proxy_from_environment",
          "proxy_connect_header");

  /** Fields Prometheus has that the agent knows it does not implement (a clearer message). */
  private static final Set<String> SCRAPE_UNSUPPORTED =
      Set.of(
          "file_sd_configs",
          "consul_sd_configs",
          "dns_sd_configs",
          "ec2_sd_configs",
          "gce_sd_configs",
          "azure_sd_configs",
          "http_sd_configs",
          "basic_auth",
          "authorization",
          "oauth2",
          "tls_config",
          "proxy_url",
          "no_proxy",
          "proxy_from_environment",
          "proxy_connect_header",
          "follow_redirects",
          "enable_http2",
          "bearer_token",
          "bearer_token_file",
          "target_limit",
          "keep_dropped_targets",
          "scrape_protocols",
          "scrape_classic_histograms",
          "native_histogram_bucket_limit",
          "track_timestamps_staleness",
          "enable_compression",
          "scrape_fallback_protocol",
          "metric_name_validation_scheme",
          "scrape_failure_log_file",
          "always_scrape_classic_histograms",
          "convert_classic_histograms_to_nhcb");

  private static final Set<String> STATIC_FIELDS = Set.of("targets", "labels");
  private static final Set<String> RELABEL_FIELDS =
      Set.of(
          "source_labels",
          "separator",
          "regex",
          "modulus",
          "target_label",
          "replacement",
          "action");

  public static PrometheusConfig load(Path file) {
    try {
      return parse(Files.readString(file));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  public static PrometheusConfig parse(String yaml) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot parse prometheus config: " + e.getMessage(), e);
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      root = new ObjectMapper().createObjectNode();
    }
    if (!root.isObject()) {
      throw new IllegalArgumentException("cannot parse prometheus config: not a mapping");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!k.equals("global") && !k.equals("scrape_configs") && !IGNORED_TOP.contains(k)) {
        throw new IllegalArgumentException(
            "unsupported field \""
                + k
                + "\" in prometheus config (the agent reads global and "
                + "scrape_configs)");
      }
    }
    JsonNode g = root.path("global");
    checkFields(g, GLOBAL_FIELDS, Set.of(), "global");
    Duration interval = duration(g, "scrape_interval", Duration.ofMinutes(1), "global");
    Duration timeout = duration(g, "scrape_timeout", Duration.ofSeconds(10), "global");
    if (timeout.compareTo(interval) > 0) {
      timeout = interval; // Prometheus lowers the default timeout to the interval
      if (g.has("scrape_timeout")) {
        throw new IllegalArgumentException("global scrape timeout greater than scrape interval");
      }
    }
    Labels external = labels(g.path("external_labels"), "global.external_labels");
    long bodyLimit = byteSize(g, "body_size_limit", 0, "global");
    int sampleLimit = intField(g, "sample_limit", 0, "global");
    int labelLimit = intField(g, "label_limit", 0, "global");
    int nameLen = intField(g, "label_name_length_limit", 0, "global");
    int valueLen = intField(g, "label_value_length_limit", 0, "global");

    List<ScrapeConfig> scs = new ArrayList<>();
    Set<String> jobs = new HashSet<>();
    JsonNode list = root.path("scrape_configs");
    if (!list.isMissingNode() && !list.isNull() && !list.isArray()) {
      throw new IllegalArgumentException("scrape_configs must be a list");
    }
    int idx = 0;
    for (JsonNode sc : list) {
      String where = "scrape_configs[" + idx++ + "]";
      String job = sc.path("job_name").asText("");
      if (job.isEmpty()) {
        throw new IllegalArgumentException("job_name is empty in " + where);
      }
      where = where + " (job \"" + job + "\")";
      checkFields(sc, SCRAPE_FIELDS, SCRAPE_UNSUPPORTED, where);
      if (!jobs.add(job)) {
        throw new IllegalArgumentException(
            "found multiple scrape configs with job name \"" + job + "\"");
      }
      Duration si = duration(sc, "scrape_interval", interval, where);
      Duration st = duration(sc, "scrape_timeout", timeout.compareTo(si) > 0 ? si : timeout, where);
      if (st.compareTo(si) > 0) {
        throw new IllegalArgumentException(
            "scrape timeout greater than scrape interval for scrape "
                + "config with job name \""
                + job
                + "\"");
      }
      if (si.isZero()) {
        throw new IllegalArgumentException("scrape interval must be positive in " + where);
      }
      String scheme = sc.path("scheme").asText("http");
      if (!scheme.equals("http") && !scheme.equals("https")) {
        throw new IllegalArgumentException("unknown scheme \"" + scheme + "\" in " + where);
      }
      Map<String, List<String>> params = new LinkedHashMap<>();
      JsonNode pn = sc.path("params");
      for (Iterator<Map.Entry<String, JsonNode>> it = pn.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        List<String> vs = new ArrayList<>();
        e.getValue().forEach(v -> vs.add(v.asText()));
        params.put(e.getKey(), List.copyOf(vs));
      }
      List<ScrapeConfig.StaticConfig> statics = new ArrayList<>();
      int si2 = 0;
      for (JsonNode st2 : sc.path("static_configs")) {
        String w = where + ".static_configs[" + si2++ + "]";
        checkFields(st2, STATIC_FIELDS, Set.of(), w);
        List<String> targets = new ArrayList<>();
        st2.path("targets").forEach(t -> targets.add(t.asText()));
        statics.add(
            new ScrapeConfig.StaticConfig(
                List.copyOf(targets), labels(st2.path("labels"), w + ".labels")));
      }
      String path = sc.path("metrics_path").asText("/metrics");
      scs.add(
          new ScrapeConfig(
              job,
              si,
              st,
              path,
              scheme,
              Map.copyOf(params),
              sc.path("honor_labels").asBoolean(false),
              sc.path("honor_timestamps").asBoolean(true),
              List.copyOf(statics),
              relabels(sc.path("relabel_configs"), where + ".relabel_configs"),
              relabels(sc.path("metric_relabel_configs"), where + ".metric_relabel_configs"),
              byteSize(sc, "body_size_limit", bodyLimit, where),
              intField(sc, "sample_limit", sampleLimit, where),
              intField(sc, "label_limit", labelLimit, where),
              intField(sc, "label_name_length_limit", nameLen, where),
              intField(sc, "label_value_length_limit", valueLen, where),
              podDiscovery(sc.path("kubernetes_sd_configs"), where + ".kubernetes_sd_configs")));
    }
    return new PrometheusConfig(interval, timeout, external, List.copyOf(scs));
  }

  private static List<ScrapeConfig.PodDiscovery> podDiscovery(JsonNode list, String where) {
    List<ScrapeConfig.PodDiscovery> out = new ArrayList<>();
    int i = 0;
    for (JsonNode k : list) {
      String w = where + "[" + i++ + "]";
      checkFields(k, K8S_FIELDS, K8S_UNSUPPORTED, w);
      String role = k.path("role").asText("");
      if (!role.equals("pod")) {
        throw new IllegalArgumentException(
            "unsupported role \""
                + role
                + "\" in "
                + w
                + ": the agent discovers pods (role: pod) from the kubelet");
      }
      JsonNode ns = k.path("namespaces");
      checkFields(ns, Set.of("names"), Set.of("own_namespace"), w + ".namespaces");
      List<String> names = new ArrayList<>();
      ns.path("names").forEach(n -> names.add(n.asText()));
      out.add(new ScrapeConfig.PodDiscovery(List.copyOf(names)));
    }
    return List.copyOf(out);
  }

  private static List<RelabelConfig> relabels(JsonNode list, String where) {
    List<RelabelConfig> out = new ArrayList<>();
    int i = 0;
    for (JsonNode r : list) {
      String w = where + "[" + i++ + "]";
      checkFields(r, RELABEL_FIELDS, Set.of(), w);
      List<String> src = null;
      if (r.has("source_labels")) {
        src = new ArrayList<>();
        for (JsonNode s : r.path("source_labels")) {
          src.add(s.asText());
        }
      }
      try {
        out.add(
            RelabelConfig.of(
                src,
                text(r, "separator"),
                text(r, "regex"),
                r.has("modulus") ? r.get("modulus").asLong() : null,
                text(r, "target_label"),
                text(r, "replacement"),
                text(r, "action")));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("invalid " + w + ": " + e.getMessage(), e);
      }
    }
    return List.copyOf(out);
  }

  private static String text(JsonNode n, String f) {
    JsonNode v = n.get(f);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static void checkFields(
      JsonNode n, Set<String> known, Set<String> unsupported, String where) {
    if (n.isMissingNode() || n.isNull()) {
      return;
    }
    if (!n.isObject()) {
      throw new IllegalArgumentException(where + " must be a mapping");
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (unsupported.contains(k)) {
        throw new IllegalArgumentException(
            "unsupported field \"" + k + "\" in " + where + ": the agent does not implement it");
      }
      if (!known.contains(k)) {
        throw new IllegalArgumentException("unknown field \"" + k + "\" in " + where);
      }
    }
  }

  private static Duration duration(JsonNode n, String f, Duration dflt, String where) {
    JsonNode v = n.get(f);
    if (v == null || v.isNull()) {
      return dflt;
    }
    try {
      return Duration.ofMillis(PromDuration.parseMillis(v.asText()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "invalid " + f + " in " + where + ": " + e.getMessage(), e);
    }
  }

  private static long byteSize(JsonNode n, String f, long dflt, String where) {
    JsonNode v = n.get(f);
    if (v == null || v.isNull()) {
      return dflt;
    }
    try {
      return ByteSize.parse(v.asText()).bytes();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "invalid " + f + " in " + where + ": " + e.getMessage(), e);
    }
  }

  private static int intField(JsonNode n, String f, int dflt, String where) {
    JsonNode v = n.get(f);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (!v.canConvertToInt() || v.asInt() < 0) {
      throw new IllegalArgumentException("invalid " + f + " in " + where + ": " + v);
    }
    return v.asInt();
  }

  private static Labels labels(JsonNode n, String where) {
    if (n.isMissingNode() || n.isNull()) {
      return Labels.EMPTY;
    }
    if (!n.isObject()) {
      throw new IllegalArgumentException(where + " must be a mapping");
    }
    Labels.Builder b = Labels.builder();
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!dev.osprey.core.labels.Labels.isValidLabelName(e.getKey())) {
        throw new IllegalArgumentException(
            "\"" + e.getKey() + "\" is not a valid label name in " + where);
      }
      b.set(e.getKey(), e.getValue().asText());
    }
    return b.build();
  }
}
