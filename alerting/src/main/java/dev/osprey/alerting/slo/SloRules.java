package dev.osprey.alerting.slo;

import dev.osprey.alerting.rules.GroupSpec;
import dev.osprey.alerting.rules.RuleSpec;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.util.PromDuration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Multi-window, multi-burn-rate alerts from the Google SRE workbook ("Alerting on SLOs"): error
 * ratios are recorded over 5m, 30m, 1h, 2h, 6h, 1d and 3d; a page fires when 2% of the budget burns
 * in 1h (checked over 1h and 5m) or 5% in 6h (6h and 30m); a ticket when 10% burns in 1d (1d and
 * 2h) or in 3d (3d and 6h). For a 30d window these are the workbook's factors 14.4, 6, 3 and 1.
 */
public final class SloRules {
  static final String[] WINDOWS = {"5m", "30m", "1h", "2h", "6h", "1d", "3d"};

  /** One alert condition: budget fraction spent over a long window, checked with a short one. */
  record Burn(String severity, double budget, String longWindow, String shortWindow) {}

  static final List<Burn> BURNS =
      List.of(
          new Burn("page", 0.02, "1h", "5m"),
          new Burn("page", 0.05, "6h", "30m"),
          new Burn("ticket", 0.10, "1d", "2h"),
          new Burn("ticket", 0.10, "3d", "6h"));

  private SloRules() {}

  public static String recordName(String window) {
    return "slo:sli_error:ratio_rate" + window;
  }

  /** The burn-rate factor: budget fraction x SLO window / alert window. */
  static double factor(Burn b, long windowMillis) {
    return b.budget * windowMillis / PromDuration.parseMillis(b.longWindow);
  }

  /** One rule group per SLO, evaluated every 30s. */
  public static List<GroupSpec> generate(List<SloSpec> slos, String file) {
    List<GroupSpec> out = new ArrayList<>();
    for (SloSpec s : slos) {
      Map<String, String> base = new LinkedHashMap<>(s.labels());
      base.put("slo", s.name());
      List<RuleSpec> rules = new ArrayList<>();
      for (String w : WINDOWS) {
        String good = s.good().replace("{{.window}}", w);
        String total = s.total().replace("{{.window}}", w);
        rules.add(
            new RuleSpec(
                recordName(w),
                null,
                "1 - ((" + good + ") / (" + total + "))",
                0,
                0,
                base,
                Map.of()));
      }
      double budget = 1 - s.objectivePercent() / 100;
      String sel = "{slo=" + Labels.quote(s.name()) + "}";
      for (String sev : List.of("page", "ticket")) {
        List<String> conds = new ArrayList<>();
        for (Burn b : BURNS) {
          if (!b.severity.equals(sev)) {
            continue;
          }
          String th = num(factor(b, s.windowMillis())) + " * " + num(budget);
          conds.add(
              "("
                  + recordName(b.longWindow)
                  + sel
                  + " > ("
                  + th
                  + ") and "
                  + recordName(b.shortWindow)
                  + sel
                  + " > ("
                  + th
                  + "))");
        }
        Map<String, String> labels = new TreeMap<>(base);
        labels.put("severity", sev);
        Map<String, String> ann = new TreeMap<>(s.annotations());
        ann.putIfAbsent(
            "summary",
            "SLO "
                + s.name()
                + " is burning its error budget too fast ("
                + (sev.equals("page") ? "2% in 1h or 5% in 6h" : "10% in 1d or 3d")
                + ")");
        ann.putIfAbsent("description", "Error ratio over 1h: {{ $value | humanizePercentage }}");
        String alert = camel(s.name()) + "ErrorBudgetBurn";
        rules.add(
            new RuleSpec(
                null,
                alert,
                String.join("\nor\n", conds),
                sev.equals("page") ? 120_000 : 900_000,
                0,
                labels,
                ann));
      }
      out.add(new GroupSpec("slo-" + s.name(), file, 30_000, 0, 0, Map.of(), rules));
    }
    return out;
  }

  private static String camel(String n) {
    StringBuilder sb = new StringBuilder();
    boolean up = true;
    for (char c : n.toCharArray()) {
      if (c == '-' || c == '_') {
        up = true;
      } else {
        sb.append(up ? Character.toUpperCase(c) : c);
        up = false;
      }
    }
    return sb.toString();
  }

  private static String num(double v) {
    String s =
        java.math.BigDecimal.valueOf(v)
            .round(new java.math.MathContext(12))
            .stripTrailingZeros()
            .toPlainString();
    return s;
  }

  /** Renders groups as a Prometheus rule file. */
  public static String toYaml(List<GroupSpec> groups) {
    StringBuilder sb = new StringBuilder("groups:\n");
    for (GroupSpec g : groups) {
      sb.append("  - name: ").append(q(g.name())).append('\n');
      if (g.intervalMillis() > 0) {
        sb.append("    interval: ").append(PromDuration.format(g.intervalMillis())).append('\n');
      }
      sb.append("    rules:\n");
      for (RuleSpec r : g.rules()) {
        if (r.isAlerting()) {
          sb.append("      - alert: ").append(q(r.alert())).append('\n');
        } else {
          sb.append("      - record: ").append(q(r.record())).append('\n');
        }
        sb.append("        expr: ").append(q(r.expr())).append('\n');
        if (r.forMillis() > 0) {
          sb.append("        for: ").append(PromDuration.format(r.forMillis())).append('\n');
        }
        map(sb, "labels", r.labels());
        map(sb, "annotations", r.annotations());
      }
    }
    return sb.toString();
  }

  private static void map(StringBuilder sb, String name, Map<String, String> m) {
    if (m.isEmpty()) {
      return;
    }
    sb.append("        ").append(name).append(":\n");
    new TreeMap<>(m)
        .forEach(
            (k, v) -> sb.append("          ").append(k).append(": ").append(q(v)).append('\n'));
  }

  /** A YAML double-quoted scalar. */
  private static String q(String s) {
    return Labels.quote(s);
  }
}
