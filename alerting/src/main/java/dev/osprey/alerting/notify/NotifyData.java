package dev.osprey.alerting.notify;

import dev.osprey.alerting.internal.GoTime;
import dev.osprey.alerting.internal.LabelMaps;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.template.Fields;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Alertmanager's template.Data for one notification: receiver, status, alerts, group, common labels
 * and annotations, external URL. Reachable from templates ({@code .Alerts.Firing}, {@code
 * .CommonLabels.SortedPairs}, ...) and rendered as the webhook's version-4 JSON.
 */
public final class NotifyData implements Fields {
  public final String receiver;
  public final String status;
  public final List<AlertData> alerts;
  public final KV groupLabels;
  public final KV commonLabels;
  public final KV commonAnnotations;
  public final String externalURL;
  public final String groupKey;

  /** One alert as templates and payloads see it. */
  public record AlertData(
      String status,
      KV labels,
      KV annotations,
      Instant startsAt,
      Instant endsAt,
      String generatorURL,
      String fingerprint)
      implements Fields {
    @Override
    public Object field(String name) {
      return switch (name) {
        case "Status" -> status;
        case "Labels" -> labels;
        case "Annotations" -> annotations;
        case "StartsAt" -> startsAt;
        case "EndsAt" -> endsAt;
        case "GeneratorURL" -> generatorURL;
        case "Fingerprint" -> fingerprint;
        default -> throw new IllegalArgumentException(name);
      };
    }

    public Map<String, Object> json() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("status", status);
      m.put("labels", labels);
      m.put("annotations", annotations);
      m.put("startsAt", GoTime.format(startsAt));
      m.put("endsAt", GoTime.format(endsAt));
      m.put("generatorURL", generatorURL);
      m.put("fingerprint", fingerprint);
      return m;
    }
  }

  /** A list of alerts with Alertmanager's {@code Firing} and {@code Resolved} views. */
  public static final class AlertList extends ArrayList<AlertData> implements Fields {
    AlertList(List<AlertData> l) {
      super(l);
    }

    @Override
    public Object field(String name) {
      return switch (name) {
        case "Firing" -> new AlertList(stream().filter(a -> a.status.equals("firing")).toList());
        case "Resolved" ->
            new AlertList(stream().filter(a -> a.status.equals("resolved")).toList());
        default -> throw new IllegalArgumentException(name);
      };
    }
  }

  /** Alertmanager's template.Pairs: name/value pairs with {@code Names} and {@code Values}. */
  public static final class Pairs extends ArrayList<Object> implements Fields {
    @Override
    public Object field(String name) {
      List<Object> out = new ArrayList<>();
      String key =
          switch (name) {
            case "Names" -> "Name";
            case "Values" -> "Value";
            default -> throw new IllegalArgumentException(name);
          };
      for (Object o : this) {
        out.add(((Map<?, ?>) o).get(key));
      }
      return out;
    }
  }

  /** Alertmanager's template.KV: a sorted label map with SortedPairs, Names and Values. */
  public static final class KV extends TreeMap<String, String>
      implements Fields, dev.osprey.core.template.Methods {
    KV(Map<String, String> m) {
      super(m);
    }

    /** Alertmanager's KV.Remove(keys []string). */
    @Override
    public Object call(String name, List<Object> args) {
      if (!name.equals("Remove") || args.size() != 1 || !(args.get(0) instanceof List<?> keys)) {
        throw new IllegalArgumentException("can't call method " + name + " on KV");
      }
      KV out = new KV(this);
      for (Object k : keys) {
        out.remove(String.valueOf(k));
      }
      return out;
    }

    @Override
    public Object field(String name) {
      return switch (name) {
        case "SortedPairs" -> {
          Pairs out = new Pairs();
          forEach((k, v) -> out.add(Map.of("Name", k, "Value", v)));
          yield out;
        }
        case "Names" -> new ArrayList<Object>(keySet());
        case "Values" -> new ArrayList<Object>(values());
        default -> {
          String v = get(name);
          yield v == null ? "" : v;
        }
      };
    }

    public List<String> valuesList() {
      return new ArrayList<>(values());
    }
  }

  public NotifyData(
      String receiver,
      String groupKey,
      Labels groupLabels,
      List<Alert> alerts,
      String externalURL,
      Instant now) {
    this.receiver = receiver;
    this.groupKey = groupKey;
    this.externalURL = externalURL;
    this.groupLabels = new KV(LabelMaps.toMap(groupLabels));
    List<AlertData> ads = new ArrayList<>();
    boolean anyFiring = false;
    for (Alert a : alerts) {
      boolean resolved = a.resolvedAt(now);
      anyFiring |= !resolved;
      ads.add(
          new AlertData(
              resolved ? "resolved" : "firing",
              new KV(LabelMaps.toMap(a.labels())),
              new KV(a.annotations()),
              a.startsAt(),
              resolved ? a.endsAt() : GoTime.ZERO,
              a.generatorURL(),
              a.fingerprintHex()));
    }
    this.alerts = new AlertList(ads);
    this.status = anyFiring ? "firing" : "resolved";
    Map<String, String> cl = ads.isEmpty() ? Map.of() : new TreeMap<>(ads.get(0).labels);
    Map<String, String> ca = ads.isEmpty() ? Map.of() : new TreeMap<>(ads.get(0).annotations);
    for (AlertData a : ads) {
      cl.entrySet().removeIf(e -> !e.getValue().equals(a.labels.get(e.getKey())));
      ca.entrySet().removeIf(e -> !e.getValue().equals(a.annotations.get(e.getKey())));
    }
    this.commonLabels = new KV(cl);
    this.commonAnnotations = new KV(ca);
  }

  public List<AlertData> firing() {
    return alerts.stream().filter(a -> a.status.equals("firing")).toList();
  }

  public List<AlertData> resolved() {
    return alerts.stream().filter(a -> a.status.equals("resolved")).toList();
  }

  @Override
  public Object field(String name) {
    return switch (name) {
      case "Receiver" -> receiver;
      case "Status" -> status;
      case "Alerts" -> alerts;
      case "GroupLabels" -> groupLabels;
      case "CommonLabels" -> commonLabels;
      case "CommonAnnotations" -> commonAnnotations;
      case "ExternalURL" -> externalURL;
      case "GroupKey" -> groupKey;
      default -> throw new IllegalArgumentException(name);
    };
  }

  /** Alertmanager's default "__subject" / slack and pagerduty title. */
  public String defaultTitle() {
    StringBuilder sb = new StringBuilder("[").append(status.toUpperCase(java.util.Locale.ROOT));
    if (status.equals("firing")) {
      sb.append(':').append(firing().size());
    }
    sb.append("] ").append(String.join(" ", groupLabels.values())).append(' ');
    if (commonLabels.size() > groupLabels.size()) {
      List<String> rest = new ArrayList<>();
      commonLabels.forEach(
          (k, v) -> {
            if (!groupLabels.containsKey(k)) {
              rest.add(v);
            }
          });
      sb.append('(').append(String.join(" ", rest)).append(')');
    }
    return sb.toString();
  }

  /** Alertmanager's "__alertmanagerURL". */
  public String alertmanagerURL() {
    return externalURL
        + "/#/alerts?receiver="
        + dev.osprey.core.template.Template.queryEscape(receiver);
  }

  /** The webhook's version-4 payload, fields in Alertmanager's order. */
  public Map<String, Object> webhookPayload(long truncated, List<AlertData> shown) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("receiver", receiver);
    m.put("status", status);
    List<Object> as = new ArrayList<>();
    for (AlertData a : shown) {
      as.add(a.json());
    }
    m.put("alerts", as);
    m.put("groupLabels", groupLabels);
    m.put("commonLabels", commonLabels);
    m.put("commonAnnotations", commonAnnotations);
    m.put("externalURL", externalURL);
    m.put("version", "4");
    m.put("groupKey", groupKey);
    m.put("truncatedAlerts", truncated);
    return m;
  }
}
