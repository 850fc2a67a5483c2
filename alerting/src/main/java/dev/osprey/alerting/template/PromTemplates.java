package dev.osprey.alerting.template;

import com.google.re2j.Pattern;
import dev.osprey.alerting.QueryFunction;
import dev.osprey.alerting.Sample;
import dev.osprey.core.template.Template;
import dev.osprey.core.template.TemplateException;
import dev.osprey.core.template.TemplateFunction;
import dev.osprey.core.util.GoFormat;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The functions Prometheus gives alert templates (humanize, humanize1024, humanizeDuration,
 * humanizePercentage, humanizeTimestamp, title, toUpper, toLower, match, reReplaceAll, stripPort,
 * stripDomain, safeHtml, args, first, label, value, strvalue, sortByLabel, query, toTime,
 * parseDuration, externalURL, pathPrefix, graphLink, tableLink) and the expansion of rule labels
 * and annotations with {@code $labels}, {@code $externalLabels}, {@code $externalURL} and {@code
 * $value}.
 */
public final class PromTemplates {
  /** The variables Prometheus declares in front of every rule template. */
  public static final Set<String> VARS = Set.of("labels", "externalLabels", "externalURL", "value");

  private PromTemplates() {}

  /**
   * The function table; {@code query} evaluates at {@code evalTimeMillis} when given a function.
   */
  public static Map<String, TemplateFunction> functions(
      QueryFunction query, long evalTimeMillis, String externalURL) {
    Map<String, TemplateFunction> f = new HashMap<>();
    f.put("humanize", a -> humanize(toFloat(one(a))));
    f.put("humanize1024", a -> humanize1024(toFloat(one(a))));
    f.put("humanizeDuration", a -> humanizeDuration(toFloat(one(a))));
    f.put("humanizePercentage", a -> GoFormat.formatG(toFloat(one(a)) * 100, 4) + "%");
    f.put("humanizeTimestamp", a -> humanizeTimestamp(toFloat(one(a))));
    f.put("toTime", a -> toTime(toFloat(one(a))));
    f.put("parseDuration", a -> dev.osprey.core.util.PromDuration.parseMillis(str(one(a))) / 1e3);
    f.put("title", a -> title(str(one(a))));
    f.put("toUpper", a -> str(one(a)).toUpperCase(java.util.Locale.ROOT));
    f.put("toLower", a -> str(one(a)).toLowerCase(java.util.Locale.ROOT));
    f.put("match", a -> Pattern.compile(str(a.get(0))).matcher(str(a.get(1))).find());
    f.put(
        "reReplaceAll",
        a -> Pattern.compile(str(a.get(0))).matcher(str(a.get(2))).replaceAll(str(a.get(1))));
    f.put("stripPort", a -> stripPort(str(one(a))));
    f.put("stripDomain", a -> stripDomain(str(one(a))));
    f.put("safeHtml", a -> str(one(a)));
    f.put(
        "args",
        a -> {
          Map<String, Object> m = new LinkedHashMap<>();
          for (int i = 0; i < a.size(); i++) {
            m.put("arg" + i, a.get(i));
          }
          return m;
        });
    f.put(
        "first",
        a -> {
          List<?> l = (List<?>) one(a);
          if (l.isEmpty()) {
            throw new IllegalArgumentException("first() called on vector with no elements");
          }
          return l.get(0);
        });
    f.put(
        "label",
        a ->
            sampleField(a.get(1), "Labels") instanceof Map<?, ?> m
                ? (m.get(str(a.get(0))) == null ? "" : m.get(str(a.get(0))))
                : "");
    f.put("value", a -> sampleField(one(a), "Value"));
    f.put(
        "strvalue",
        a -> {
          Object l = sampleField(one(a), "Labels");
          Object v = l instanceof Map<?, ?> m ? m.get("__value__") : null;
          return v == null ? "" : v;
        });
    f.put(
        "sortByLabel",
        a -> {
          String l = str(a.get(0));
          List<Object> out = new ArrayList<>((List<?>) a.get(1));
          out.sort(
              (x, y) ->
                  String.valueOf(((Map<?, ?>) sampleField(x, "Labels")).get(l))
                      .compareTo(String.valueOf(((Map<?, ?>) sampleField(y, "Labels")).get(l))));
          return out;
        });
    f.put(
        "query",
        a -> {
          if (query == null) {
            throw new IllegalStateException("query is not available here");
          }
          List<Object> out = new ArrayList<>();
          for (Sample s : query.query(str(one(a)), evalTimeMillis)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("Labels", dev.osprey.alerting.internal.LabelMaps.toMap(s.labels()));
            m.put("Value", s.value());
            out.add(m);
          }
          return out;
        });
    f.put("externalURL", a -> externalURL);
    f.put("pathPrefix", a -> pathPrefix(externalURL));
    f.put("graphLink", a -> graphLink(str(one(a))));
    f.put("tableLink", a -> tableLink(str(one(a))));
    return Map.copyOf(f);
  }

  /** Prometheus's strutil.GraphLinkForExpression. */
  public static String graphLink(String expr) {
    return "/graph?g0.expr=" + Template.queryEscape(expr) + "&g0.tab=0";
  }

  /** Prometheus's strutil.TableLinkForExpression, used for an alert's generatorURL. */
  public static String tableLink(String expr) {
    return "/graph?g0.expr=" + Template.queryEscape(expr) + "&g0.tab=1";
  }

  private static String pathPrefix(String externalURL) {
    try {
      String p = java.net.URI.create(externalURL).getPath();
      return p == null ? "" : p;
    } catch (IllegalArgumentException e) {
      return "";
    }
  }

  private static Object sampleField(Object s, String f) {
    if (s instanceof Map<?, ?> m) {
      return m.get(f);
    }
    throw new IllegalArgumentException("not a sample: " + GoFormat.print(s));
  }

  private static Object one(List<Object> a) {
    if (a.size() != 1) {
      throw new IllegalArgumentException("wrong number of args: want 1 got " + a.size());
    }
    return a.get(0);
  }

  private static String str(Object o) {
    if (o instanceof String s) {
      return s;
    }
    throw new IllegalArgumentException(
        "wrong type for value; expected string; got " + GoFormat.typeName(o));
  }

  /** Prometheus's convertToFloat: floats, integers and strings parsed as Go's ParseFloat. */
  public static double toFloat(Object o) {
    if (o instanceof Number n) {
      return n.doubleValue();
    }
    if (o instanceof String s) {
      String t = s;
      try {
        return switch (t) {
          case "NaN", "nan" -> Double.NaN;
          case "Inf", "+Inf", "inf", "+inf" -> Double.POSITIVE_INFINITY;
          case "-Inf", "-inf" -> Double.NEGATIVE_INFINITY;
          default -> {
            if (t.isEmpty() || !t.matches("[-+]?[0-9.eExXpP_a-fA-F]+")) {
              throw new NumberFormatException();
            }
            yield Double.parseDouble(t);
          }
        };
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "strconv.ParseFloat: parsing " + GoFormat.goQuote(s) + ": invalid syntax");
      }
    }
    throw new IllegalArgumentException("can't convert " + GoFormat.typeName(o) + " to float");
  }

  public static String humanize(double v) {
    if (v == 0 || Double.isNaN(v) || Double.isInfinite(v)) {
      return GoFormat.formatG(v, 4);
    }
    String prefix = "";
    if (Math.abs(v) >= 1) {
      for (String p : new String[] {"k", "M", "G", "T", "P", "E", "Z", "Y"}) {
        if (Math.abs(v) < 1000) {
          break;
        }
        prefix = p;
        v /= 1000;
      }
      return GoFormat.formatG(v, 4) + prefix;
    }
    for (String p : new String[] {"m", "u", "n", "p", "f", "a", "z", "y"}) {
      if (Math.abs(v) >= 1) {
        break;
      }
      prefix = p;
      v *= 1000;
    }
    return GoFormat.formatG(v, 4) + prefix;
  }

  public static String humanize1024(double v) {
    if (Math.abs(v) <= 1 || Double.isNaN(v) || Double.isInfinite(v)) {
      return GoFormat.formatG(v, 4);
    }
    String prefix = "";
    for (String p : new String[] {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"}) {
      if (Math.abs(v) < 1024) {
        break;
      }
      prefix = p;
      v /= 1024;
    }
    return GoFormat.formatG(v, 4) + prefix;
  }

  public static String humanizeDuration(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return GoFormat.formatG(v, 4);
    }
    if (v == 0) {
      return GoFormat.formatG(v, 4) + "s";
    }
    if (Math.abs(v) >= 1) {
      String sign = "";
      if (v < 0) {
        sign = "-";
        v = -v;
      }
      long d = (long) v;
      long seconds = d % 60;
      long minutes = (d / 60) % 60;
      long hours = (d / 60 / 60) % 24;
      long days = d / 60 / 60 / 24;
      if (days != 0) {
        return sign + days + "d " + hours + "h " + minutes + "m " + seconds + "s";
      }
      if (hours != 0) {
        return sign + hours + "h " + minutes + "m " + seconds + "s";
      }
      if (minutes != 0) {
        return sign + minutes + "m " + seconds + "s";
      }
      return sign + GoFormat.formatG(v, 4) + "s";
    }
    String prefix = "";
    for (String p : new String[] {"m", "u", "n", "p", "f", "a", "z", "y"}) {
      if (Math.abs(v) >= 1) {
        break;
      }
      prefix = p;
      v *= 1000;
    }
    return GoFormat.formatG(v, 4) + prefix + "s";
  }

  public static String humanizeTimestamp(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return GoFormat.formatG(v, 4);
    }
    return GoFormat.goTimeString(toTime(v));
  }

  private static Instant toTime(double v) {
    // as Prometheus: nanoseconds truncated to int64, then to model.Time's milliseconds
    long nanos = (long) (v * 1e9);
    return Instant.ofEpochMilli(nanos / 1_000_000L);
  }

  /** Title-cases each word (a letter after a non-letter), leaving the rest as is. */
  public static String title(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    boolean start = true;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      sb.append(start ? Character.toTitleCase(c) : c);
      start = !Character.isLetterOrDigit(c) && c != '\'' && c != '_';
    }
    return sb.toString();
  }

  private static String stripPort(String hostPort) {
    int i = hostPort.lastIndexOf(':');
    if (i < 0) {
      return hostPort;
    }
    String h = hostPort.substring(0, i);
    if (h.startsWith("[") && h.endsWith("]")) {
      return h.substring(1, h.length() - 1);
    }
    if (h.contains(":")) {
      return hostPort; // an IPv6 address without a port
    }
    return h;
  }

  private static String stripDomain(String hostPort) {
    String host = hostPort;
    String port = "";
    int i = hostPort.lastIndexOf(':');
    if (i >= 0 && !hostPort.substring(0, i).contains(":")) {
      host = hostPort.substring(0, i);
      port = hostPort.substring(i);
    }
    if (host.matches("[0-9.]+") || host.contains(":")) {
      return hostPort;
    }
    int dot = host.indexOf('.');
    return (dot < 0 ? host : host.substring(0, dot)) + port;
  }

  /**
   * Expands one rule label or annotation as Prometheus does; an error becomes the text {@code
   * <error expanding template: ...>}.
   */
  public static String expand(
      String name,
      String text,
      Map<String, String> labels,
      Map<String, String> externalLabels,
      String externalURL,
      double value,
      QueryFunction query,
      long evalTimeMillis) {
    if (!text.contains("{{")) {
      return text;
    }
    try {
      Template t = Template.parse(name, text, functions(query, evalTimeMillis, externalURL), VARS);
      Map<String, Object> vars = new HashMap<>();
      vars.put("labels", labels);
      vars.put("externalLabels", externalLabels);
      vars.put("externalURL", externalURL);
      vars.put("value", value);
      Map<String, Object> dot = new HashMap<>();
      dot.put("Labels", labels);
      dot.put("ExternalLabels", externalLabels);
      dot.put("ExternalURL", externalURL);
      dot.put("Value", value);
      return t.execute(dot, vars);
    } catch (TemplateException e) {
      return "<error expanding template: " + e.getMessage() + ">";
    }
  }

  /** Parses as {@code promtool check rules} does; returns the error or null. */
  public static String check(String name, String text) {
    try {
      Template.parse(name, text, functions(null, 0, ""), VARS);
      return null;
    } catch (TemplateException e) {
      return e.getMessage();
    }
  }
}
