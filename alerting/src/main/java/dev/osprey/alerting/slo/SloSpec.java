package dev.osprey.alerting.slo;

import dev.osprey.alerting.internal.Yaml;
import dev.osprey.core.util.PromDuration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A service level objective: an SLI as the ratio of good to total events (two PromQL expressions
 * with a {@code {{.window}}} placeholder for the rate window), an objective in percent and the
 * window the error budget is spent over.
 *
 * <pre>
 * slos:
 *   - name: api-availability
 *     objective: 99.9
 *     window: 30d
 *     sli:
 *       good: sum(rate(http_requests_total{job="api",code!~"5.."}[{{.window}}]))
 *       total: sum(rate(http_requests_total{job="api"}[{{.window}}]))
 *     labels: {team: api}
 *     annotations: {runbook: "https://runbooks/api"}
 * </pre>
 */
public record SloSpec(
    String name,
    double objectivePercent,
    long windowMillis,
    String good,
    String total,
    Map<String, String> labels,
    Map<String, String> annotations) {

  private static final Set<String> TOP = Set.of("slos");
  private static final Set<String> SLO =
      Set.of("name", "objective", "window", "sli", "labels", "annotations");
  private static final Set<String> SLI = Set.of("good", "total");

  /** Parses an SLO file; errors name the line and the field. */
  public static List<SloSpec> parse(String text) {
    Yaml doc = Yaml.parse(text);
    if (doc == null) {
      return List.of();
    }
    List<SloSpec> out = new ArrayList<>();
    Yaml slos = doc.map("slo.File", TOP).get("slos");
    if (slos == null) {
      return out;
    }
    for (Yaml y : slos.list("[]slo.SLO")) {
      Map<String, Yaml> m = y.map("slo.SLO", SLO);
      String name = req(y, m, "name").scalar("string");
      if (!name.matches("[a-zA-Z0-9_-]+")) {
        throw m.get("name").error("invalid SLO name " + name + ": want [a-zA-Z0-9_-]+");
      }
      double obj;
      try {
        obj = Double.parseDouble(req(y, m, "objective").scalar("float"));
      } catch (NumberFormatException e) {
        throw m.get("objective").error("objective must be a number (percent)");
      }
      if (!(obj > 0 && obj < 100)) {
        throw m.get("objective")
            .error("objective must be between 0 and 100 (exclusive), got " + obj);
      }
      long window = 30L * 24 * 3600_000;
      if (m.get("window") != null) {
        try {
          window = PromDuration.parseMillis(m.get("window").scalar("duration"));
        } catch (IllegalArgumentException e) {
          throw m.get("window").error(e.getMessage());
        }
        if (window < 3L * 24 * 3600_000) {
          throw m.get("window").error("window must be at least 3d (the longest alert window)");
        }
      }
      Map<String, Yaml> sli = req(y, m, "sli").map("slo.SLI", SLI);
      String good = req(m.get("sli"), sli, "good").scalar("string");
      String total = req(m.get("sli"), sli, "total").scalar("string");
      for (String q : List.of(good, total)) {
        if (!q.contains("{{.window}}")) {
          throw m.get("sli").error("SLI query must contain {{.window}}: " + q);
        }
      }
      Map<String, String> labels =
          m.get("labels") == null ? Map.of() : m.get("labels").stringMap("labels");
      for (String k : labels.keySet()) {
        if (!dev.osprey.core.labels.Labels.isValidLabelName(k) || k.equals("slo")) {
          throw m.get("labels").error("invalid label name: " + k);
        }
      }
      Map<String, String> ann =
          m.get("annotations") == null ? Map.of() : m.get("annotations").stringMap("annotations");
      out.add(new SloSpec(name, obj, window, good, total, Map.copyOf(labels), Map.copyOf(ann)));
    }
    return out;
  }

  private static Yaml req(Yaml at, Map<String, Yaml> m, String k) {
    Yaml y = m.get(k);
    if (y == null) {
      throw at.error("missing field " + k);
    }
    return y;
  }
}
