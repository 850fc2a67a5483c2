package dev.osprey.collector.scrape;

import dev.osprey.core.labels.Labels;
import dev.osprey.core.util.PromDuration;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A scrape target after relabelling: its public labels (job, instance and whatever relabelling
 * made; no {@code __} labels) and the URL they describe.
 */
public record Target(
    Labels labels, URI url, Duration interval, Duration timeout, ScrapeConfig config) {

  /** The targets of a config's static groups, relabelled (dropped ones left out). */
  public static List<Target> fromStatic(ScrapeConfig c) {
    List<Target> out = new ArrayList<>();
    for (ScrapeConfig.StaticConfig g : c.staticConfigs()) {
      for (String addr : g.targets()) {
        Labels.Builder b = g.labels().toBuilder().set("__address__", addr);
        Target t = populate(b.build(), c);
        if (t != null) {
          out.add(t);
        }
      }
    }
    return out;
  }

  /**
   * Prometheus's PopulateLabels: defaults for job, scheme, path, interval, timeout and params, then
   * relabel_configs, then the URL and instance from what is left. Null when dropped.
   */
  public static Target populate(Labels discovered, ScrapeConfig c) {
    Labels.Builder b = discovered.toBuilder();
    setIfAbsent(b, "job", c.jobName());
    setIfAbsent(b, "__scrape_interval__", PromDuration.format(c.scrapeInterval().toMillis()));
    setIfAbsent(b, "__scrape_timeout__", PromDuration.format(c.scrapeTimeout().toMillis()));
    setIfAbsent(b, "__metrics_path__", c.metricsPath());
    setIfAbsent(b, "__scheme__", c.scheme());
    c.params()
        .forEach(
            (k, v) -> {
              if (!v.isEmpty()) {
                setIfAbsent(b, "__param_" + k, v.get(0));
              }
            });
    Labels relabelled = Relabeler.process(b.build(), c.relabelConfigs());
    if (relabelled == null) {
      return null;
    }
    String addr = relabelled.get("__address__");
    if (addr.isEmpty()) {
      throw new IllegalArgumentException("no address for target of job \"" + c.jobName() + "\"");
    }
    if (addr.contains("/")) {
      throw new IllegalArgumentException(
          "invalid address \"" + addr + "\" for target of job \"" + c.jobName() + "\"");
    }
    Duration interval = parseOr(relabelled.get("__scrape_interval__"), c.scrapeInterval());
    Duration timeout = parseOr(relabelled.get("__scrape_timeout__"), c.scrapeTimeout());
    if (timeout.compareTo(interval) > 0) {
      throw new IllegalArgumentException("scrape timeout greater than interval for target " + addr);
    }
    Map<String, List<String>> params = new LinkedHashMap<>();
    c.params().forEach((k, v) -> params.put(k, new ArrayList<>(v)));
    Labels.Builder pub = Labels.builder();
    for (int i = 0; i < relabelled.size(); i++) {
      String n = relabelled.name(i);
      if (n.startsWith("__param_")) {
        String pk = n.substring("__param_".length());
        List<String> vs = params.computeIfAbsent(pk, k -> new ArrayList<>());
        if (vs.isEmpty()) {
          vs.add(relabelled.value(i));
        } else {
          vs.set(0, relabelled.value(i));
        }
      }
      if (!n.startsWith("__")) {
        pub.set(n, relabelled.value(i));
      }
    }
    if (pub.get("instance").isEmpty()) {
      pub.set("instance", addr);
    }
    String path = relabelled.get("__metrics_path__");
    StringBuilder url =
        new StringBuilder()
            .append(relabelled.get("__scheme__"))
            .append("://")
            .append(addr)
            .append(path.startsWith("/") ? path : "/" + path);
    char sep = path.contains("?") ? '&' : '?';
    for (Map.Entry<String, List<String>> e : params.entrySet()) {
      for (String v : e.getValue()) {
        url.append(sep)
            .append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8))
            .append('=')
            .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
        sep = '&';
      }
    }
    return new Target(pub.build(), URI.create(url.toString()), interval, timeout, c);
  }

  private static void setIfAbsent(Labels.Builder b, String name, String value) {
    if (b.get(name).isEmpty()) {
      b.set(name, value);
    }
  }

  private static Duration parseOr(String s, Duration dflt) {
    return s.isEmpty() ? dflt : Duration.ofMillis(PromDuration.parseMillis(s));
  }
}
