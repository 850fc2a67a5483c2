package dev.osprey.alerting.notify;

import dev.osprey.alerting.internal.Yaml;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.util.PromDuration;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An Alertmanager configuration file (alertmanager.yml), read with Alertmanager's defaults and
 * checks. Fields Alertmanager knows but Osprey does not implement are rejected by name and line;
 * unknown fields are rejected as Alertmanager rejects them.
 *
 * @param original the file as Alertmanager's {@code /api/v2/status} shows it: every secret (URLs of
 *     webhooks and Slack, PagerDuty keys, passwords, credentials, tokens) written as {@code
 *     <secret>}
 */
public record AmConfig(
    Global global,
    Route route,
    Map<String, Receiver> receivers,
    List<InhibitRule> inhibitRules,
    Map<String, List<TimeInterval>> timeIntervals,
    List<String> templates,
    String original) {

  public record Global(
      Duration resolveTimeout, String slackApiUrl, String pagerdutyUrl, HttpConfig http) {
    @Override
    public String toString() {
      return "Global[resolveTimeout="
          + resolveTimeout
          + ", slackApiUrl="
          + ConfigSecrets.mask(slackApiUrl, true)
          + ", pagerdutyUrl="
          + pagerdutyUrl
          + ", http="
          + http
          + "]";
    }
  }

  /** A node of the routing tree with its inherited settings resolved. */
  public record Route(
      String receiver,
      List<String> groupBy,
      boolean groupByAll,
      List<LabelMatcher> matchers,
      boolean cont,
      Duration groupWait,
      Duration groupInterval,
      Duration repeatInterval,
      List<String> muteTimeIntervals,
      List<String> activeTimeIntervals,
      List<Route> routes,
      String key,
      int id) {}

  public record Receiver(
      String name,
      List<WebhookConfig> webhooks,
      List<SlackConfig> slacks,
      List<PagerDutyConfig> pagerduties) {}

  public record WebhookConfig(
      boolean sendResolved, String url, int maxAlerts, Duration timeout, HttpConfig http) {
    @Override
    public String toString() {
      return "WebhookConfig[sendResolved="
          + sendResolved
          + ", url="
          + ConfigSecrets.mask(url, true)
          + ", maxAlerts="
          + maxAlerts
          + ", timeout="
          + timeout
          + ", http="
          + http
          + "]";
    }
  }

  public record SlackConfig(
      boolean sendResolved, String apiUrl, Map<String, String> fields, HttpConfig http) {
    @Override
    public String toString() {
      return "SlackConfig[sendResolved="
          + sendResolved
          + ", apiUrl="
          + ConfigSecrets.mask(apiUrl, true)
          + ", fields="
          + fields
          + ", http="
          + http
          + "]";
    }
  }

  public record PagerDutyConfig(
      boolean sendResolved,
      String routingKey,
      String url,
      Map<String, String> fields,
      Map<String, String> details,
      HttpConfig http) {
    @Override
    public String toString() {
      return "PagerDutyConfig[sendResolved="
          + sendResolved
          + ", routingKey="
          + ConfigSecrets.mask(routingKey, true)
          + ", url="
          + url
          + ", fields="
          + fields
          + ", details="
          + details
          + ", http="
          + http
          + "]";
    }
  }

  public record InhibitRule(
      List<LabelMatcher> source, List<LabelMatcher> target, List<String> equal) {}

  /** Thrown with Alertmanager-like wording; the message names the field and line. */
  public static final class ConfigException extends Exception {
    public ConfigException(String message) {
      super(message, null, false, false);
    }
  }

  private static final Set<String> TOP =
      Set.of(
          "global",
          "route",
          "receivers",
          "inhibit_rules",
          "time_intervals",
          "mute_time_intervals",
          "templates");
  private static final Set<String> TOP_UNSUPPORTED = Set.of("tracing");
  private static final Set<String> GLOBAL =
      Set.of(
          "resolve_timeout", "slack_api_url", "slack_api_url_file", "pagerduty_url", "http_config");
  private static final Set<String> GLOBAL_UNSUPPORTED =
      Set.of(
          "smtp_from",
          "smtp_hello",
          "smtp_smarthost",
          "smtp_auth_username",
          "smtp_auth_password",
          "smtp_auth_password_file",
          "smtp_auth_secret",
          "smtp_auth_identity",
          "smtp_require_tls",
          "smtp_tls_config",
          "victorops_api_key",
          "victorops_api_key_file",
          "victorops_api_url",
          "opsgenie_api_key",
          "opsgenie_api_key_file",
          "opsgenie_api_url",
          "wechat_api_url",
          "wechat_api_secret",
          "wechat_api_corp_id",
          "telegram_api_url",
          "webex_api_url",
          "jira_api_url",
          "rocketchat_api_url",
          "rocketchat_api_token",
          "rocketchat_api_token_id");
  private static final Set<String> ROUTE =
      Set.of(
          "receiver",
          "group_by",
          "continue",
          "matchers",
          "match",
          "match_re",
          "group_wait",
          "group_interval",
          "repeat_interval",
          "mute_time_intervals",
          "active_time_intervals",
          "routes");
  private static final Set<String> RECEIVER =
      Set.of("name", "webhook_configs", "slack_configs", "pagerduty_configs");
  private static final Set<String> RECEIVER_UNSUPPORTED =
      Set.of(
          "email_configs",
          "opsgenie_configs",
          "wechat_configs",
          "pushover_configs",
          "victorops_configs",
          "sns_configs",
          "telegram_configs",
          "webex_configs",
          "discord_configs",
          "msteams_configs",
          "msteamsv2_configs",
          "jira_configs",
          "rocketchat_configs",
          "incidentio_configs");
  private static final Set<String> WEBHOOK =
      Set.of("send_resolved", "url", "url_file", "max_alerts", "timeout", "http_config");
  private static final Set<String> SLACK_FIELDS =
      Set.of(
          "channel",
          "username",
          "color",
          "title",
          "title_link",
          "pretext",
          "text",
          "footer",
          "fallback",
          "callback_id",
          "icon_emoji",
          "icon_url",
          "image_url",
          "thumb_url");
  private static final Set<String> SLACK =
      union(
          SLACK_FIELDS,
          Set.of(
              "send_resolved",
              "api_url",
              "api_url_file",
              "http_config",
              "link_names",
              "short_fields",
              "mrkdwn_in"));
  private static final Set<String> PD_FIELDS =
      Set.of(
          "client",
          "client_url",
          "description",
          "severity",
          "class",
          "component",
          "group",
          "source");
  private static final Set<String> PD =
      union(
          PD_FIELDS,
          Set.of(
              "send_resolved", "routing_key", "routing_key_file", "url", "details", "http_config"));
  private static final Set<String> INTEGRATION_UNSUPPORTED =
      Set.of(
          "fields",
          "actions",
          "service_key",
          "service_key_file",
          "images",
          "links",
          "message_text",
          "update_alerts");
  private static final Set<String> INHIBIT =
      Set.of(
          "source_match",
          "source_match_re",
          "source_matchers",
          "target_match",
          "target_match_re",
          "target_matchers",
          "equal");
  private static final Set<String> TI = Set.of("name", "time_intervals");
  private static final Set<String> TI_SPEC =
      Set.of("times", "weekdays", "days_of_month", "months", "years", "location");

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> s = new HashSet<>(a);
    s.addAll(b);
    return Set.copyOf(s);
  }

  /** The configuration used when none is given: one receiver that only stores alerts. */
  public static AmConfig defaultConfig() {
    try {
      return parse("route:\n  receiver: default\nreceivers:\n  - name: default\n", null);
    } catch (ConfigException e) {
      throw new IllegalStateException("BUG: default config does not parse: " + e.getMessage(), e);
    }
  }

  public static AmConfig load(Path file) throws IOException, ConfigException {
    return parse(Files.readString(file, StandardCharsets.UTF_8), file.getParent());
  }

  /** Parses; {@code baseDir} resolves relative {@code *_file} and template paths. */
  public static AmConfig parse(String text, Path baseDir) throws ConfigException {
    try {
      return new Parser(baseDir).parse(text);
    } catch (Yaml.YamlException e) {
      throw new ConfigException(
          "cannot load alertmanager config: "
              + (e.line() > 0 ? "line " + e.line() + ": " : "")
              + e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new ConfigException("cannot load alertmanager config: " + e.getMessage());
    }
  }

  private static final class Parser {
    final Path baseDir;
    int nextId;

    Parser(Path baseDir) {
      this.baseDir = baseDir;
    }

    private Map<String, Yaml> map(Yaml y, String type, Set<String> known, Set<String> unsupported) {
      Map<String, Yaml> m = y.map(type, null);
      for (var e : m.entrySet()) {
        if (unsupported.contains(e.getKey())) {
          throw e.getValue().error(e.getKey() + " is not supported by Osprey (in " + type + ")");
        }
        if (!known.contains(e.getKey())) {
          throw e.getValue().error("field " + e.getKey() + " not found in type " + type);
        }
      }
      return m;
    }

    AmConfig parse(String text) {
      Yaml doc = Yaml.parse(text);
      if (doc == null) {
        throw new IllegalArgumentException("no route provided in config");
      }
      Map<String, Yaml> top = map(doc, "config.plain", TOP, TOP_UNSUPPORTED);
      Global global = global(top.get("global"));
      Map<String, List<TimeInterval>> tis = new LinkedHashMap<>();
      for (String k : List.of("time_intervals", "mute_time_intervals")) {
        if (top.get(k) == null) {
          continue;
        }
        for (Yaml t : top.get(k).list("[]config.TimeInterval")) {
          Map<String, Yaml> tm = map(t, "config.TimeInterval", TI, Set.of());
          String name = tm.get("name") == null ? "" : tm.get("name").scalar("string");
          if (name.isEmpty()) {
            throw t.error("missing name in time interval");
          }
          if (tis.containsKey(name)) {
            throw t.error("time interval \"" + name + "\" is not unique");
          }
          List<TimeInterval> specs = new ArrayList<>();
          if (tm.get("time_intervals") != null) {
            for (Yaml s : tm.get("time_intervals").list("[]timeinterval.TimeInterval")) {
              specs.add(timeInterval(s));
            }
          }
          tis.put(name, specs);
        }
      }
      Map<String, Receiver> receivers = new LinkedHashMap<>();
      if (top.get("receivers") != null) {
        for (Yaml r : top.get("receivers").list("[]config.Receiver")) {
          Receiver rec = receiver(r, global);
          if (receivers.containsKey(rec.name())) {
            throw r.error("notification config name \"" + rec.name() + "\" is not unique");
          }
          receivers.put(rec.name(), rec);
        }
      }
      Yaml routeNode = top.get("route");
      if (routeNode == null) {
        throw new IllegalArgumentException("no routes provided");
      }
      Map<String, Yaml> rootMap = map(routeNode, "config.Route", ROUTE, Set.of());
      if (!rootMap.containsKey("receiver") || rootMap.get("receiver").scalar("string").isEmpty()) {
        throw routeNode.error("root route must specify a default receiver");
      }
      if (rootMap.containsKey("matchers")
          || rootMap.containsKey("match")
          || rootMap.containsKey("match_re")) {
        throw routeNode.error("root route must not have any matchers");
      }
      if (rootMap.containsKey("continue") && rootMap.get("continue").bool("continue")) {
        throw routeNode.error("cannot have continue in root route");
      }
      if (rootMap.containsKey("mute_time_intervals")
          || rootMap.containsKey("active_time_intervals")) {
        throw routeNode.error("root route must not have any mute time intervals");
      }
      Route defaults =
          new Route(
              null,
              List.of(),
              false,
              List.of(),
              false,
              Duration.ofSeconds(30),
              Duration.ofMinutes(5),
              Duration.ofHours(4),
              List.of(),
              List.of(),
              List.of(),
              null,
              -1);
      Route root = route(routeNode, defaults, null, receivers.keySet(), tis.keySet());
      List<InhibitRule> inhibit = new ArrayList<>();
      if (top.get("inhibit_rules") != null) {
        for (Yaml i : top.get("inhibit_rules").list("[]config.InhibitRule")) {
          inhibit.add(inhibitRule(i));
        }
      }
      List<String> templates =
          top.get("templates") == null ? List.of() : top.get("templates").stringList("[]string");
      return new AmConfig(
          global,
          root,
          Map.copyOf(receivers),
          List.copyOf(inhibit),
          Map.copyOf(tis),
          templates.stream().map(this::resolve).toList(),
          ConfigSecrets.mask(text));
    }

    private String resolve(String p) {
      if (baseDir == null || Path.of(p).isAbsolute()) {
        return p;
      }
      return baseDir.resolve(p).toString();
    }

    private String readFile(Yaml at, String p) {
      try {
        return Files.readString(Path.of(resolve(p)), StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw at.error("cannot read " + p + ": " + e.getMessage());
      }
    }

    private Global global(Yaml g) {
      Duration resolve = Duration.ofMinutes(5);
      String slack = "";
      String pd = "https://events.pagerduty.com/v2/enqueue";
      HttpConfig http = HttpConfig.DEFAULT;
      if (g != null) {
        Map<String, Yaml> m = map(g, "config.GlobalConfig", GLOBAL, GLOBAL_UNSUPPORTED);
        if (m.get("resolve_timeout") != null) {
          resolve = duration(m.get("resolve_timeout"));
        }
        if (m.get("slack_api_url") != null) {
          slack = m.get("slack_api_url").scalar("string");
        }
        if (m.get("slack_api_url_file") != null) {
          slack =
              readFile(m.get("slack_api_url_file"), m.get("slack_api_url_file").scalar("string"));
        }
        if (m.get("pagerduty_url") != null) {
          pd = m.get("pagerduty_url").scalar("string");
        }
        http = http(m, http);
      }
      return new Global(resolve, slack, pd, http);
    }

    /** An integration's http_config; without one, the global one (Alertmanager's rule). */
    private HttpConfig http(Map<String, Yaml> m, HttpConfig dflt) {
      Yaml h = m.get("http_config");
      if (h == null) {
        return dflt;
      }
      return HttpConfig.parse(h, baseDir);
    }

    private Duration duration(Yaml y) {
      try {
        return Duration.ofMillis(PromDuration.parseMillis(y.scalar("model.Duration")));
      } catch (IllegalArgumentException e) {
        throw y.error(e.getMessage());
      }
    }

    private Receiver receiver(Yaml r, Global global) {
      Map<String, Yaml> m = map(r, "config.Receiver", RECEIVER, RECEIVER_UNSUPPORTED);
      String name = m.get("name") == null ? "" : m.get("name").scalar("string");
      if (name.isEmpty()) {
        throw r.error("missing name in receiver");
      }
      List<WebhookConfig> hooks = new ArrayList<>();
      if (m.get("webhook_configs") != null) {
        for (Yaml w : m.get("webhook_configs").list("[]config.WebhookConfig")) {
          Map<String, Yaml> wm = map(w, "config.WebhookConfig", WEBHOOK, INTEGRATION_UNSUPPORTED);
          String url = wm.get("url") == null ? "" : wm.get("url").scalar("string");
          if (wm.get("url_file") != null) {
            url = readFile(wm.get("url_file"), wm.get("url_file").scalar("string"));
          }
          if (url.isEmpty()) {
            throw w.error("one of url or url_file must be configured");
          }
          checkUrl(w, url);
          hooks.add(
              new WebhookConfig(
                  wm.get("send_resolved") == null || wm.get("send_resolved").bool("send_resolved"),
                  url,
                  wm.get("max_alerts") == null ? 0 : wm.get("max_alerts").integer("max_alerts"),
                  wm.get("timeout") == null ? Duration.ZERO : duration(wm.get("timeout")),
                  http(wm, global.http())));
        }
      }
      List<SlackConfig> slacks = new ArrayList<>();
      if (m.get("slack_configs") != null) {
        for (Yaml s : m.get("slack_configs").list("[]config.SlackConfig")) {
          Map<String, Yaml> sm = map(s, "config.SlackConfig", SLACK, INTEGRATION_UNSUPPORTED);
          String url = sm.get("api_url") == null ? "" : sm.get("api_url").scalar("string");
          if (sm.get("api_url_file") != null) {
            url = readFile(sm.get("api_url_file"), sm.get("api_url_file").scalar("string"));
          }
          if (url.isEmpty()) {
            url = global.slackApiUrl();
          }
          if (url.isEmpty()) {
            throw s.error("no global Slack API URL set either inline or in a file");
          }
          checkUrl(s, url);
          Map<String, String> fields = new HashMap<>();
          for (String f : SLACK_FIELDS) {
            if (sm.get(f) != null) {
              fields.put(f, sm.get(f).scalar(f));
            }
          }
          if (sm.get("link_names") != null) {
            fields.put("link_names", String.valueOf(sm.get("link_names").bool("link_names")));
          }
          slacks.add(
              new SlackConfig(
                  sm.get("send_resolved") != null && sm.get("send_resolved").bool("send_resolved"),
                  url,
                  Map.copyOf(fields),
                  http(sm, global.http())));
        }
      }
      List<PagerDutyConfig> pds = new ArrayList<>();
      if (m.get("pagerduty_configs") != null) {
        for (Yaml p : m.get("pagerduty_configs").list("[]config.PagerdutyConfig")) {
          Map<String, Yaml> pm = map(p, "config.PagerdutyConfig", PD, INTEGRATION_UNSUPPORTED);
          String key = pm.get("routing_key") == null ? "" : pm.get("routing_key").scalar("string");
          if (pm.get("routing_key_file") != null) {
            key = readFile(pm.get("routing_key_file"), pm.get("routing_key_file").scalar("string"));
          }
          if (key.isEmpty()) {
            throw p.error("missing service or routing key in PagerDuty config");
          }
          String url =
              pm.get("url") == null ? global.pagerdutyUrl() : pm.get("url").scalar("string");
          checkUrl(p, url);
          Map<String, String> fields = new HashMap<>();
          for (String f : PD_FIELDS) {
            if (pm.get(f) != null) {
              fields.put(f, pm.get(f).scalar(f));
            }
          }
          Map<String, String> details =
              pm.get("details") == null ? null : pm.get("details").stringMap("details");
          pds.add(
              new PagerDutyConfig(
                  pm.get("send_resolved") == null || pm.get("send_resolved").bool("send_resolved"),
                  key,
                  url,
                  Map.copyOf(fields),
                  details == null ? null : Map.copyOf(details),
                  http(pm, global.http())));
        }
      }
      return new Receiver(name, List.copyOf(hooks), List.copyOf(slacks), List.copyOf(pds));
    }

    private static void checkUrl(Yaml at, String url) {
      if (!url.startsWith("http://") && !url.startsWith("https://")) {
        throw at.error("unsupported scheme \"\" for URL: " + url);
      }
    }

    private Route route(
        Yaml y, Route parent, String parentKey, Set<String> receivers, Set<String> intervals) {
      Map<String, Yaml> m = map(y, "config.Route", ROUTE, Set.of());
      String receiver = parent.receiver();
      if (m.get("receiver") != null) {
        receiver = m.get("receiver").scalar("string");
        if (!receivers.contains(receiver)) {
          throw m.get("receiver").error("undefined receiver \"" + receiver + "\" used in route");
        }
      }
      List<String> groupBy = parent.groupBy();
      boolean all = parent.groupByAll();
      if (m.get("group_by") != null) {
        List<String> gb = m.get("group_by").stringList("[]string");
        all = false;
        Set<String> seen = new HashSet<>();
        List<String> names = new ArrayList<>();
        for (String g : gb) {
          if (g.equals("...")) {
            if (gb.size() > 1) {
              throw m.get("group_by")
                  .error(
                      "cannot have wildcard group_by (`...`) and other other labels at the same"
                          + " time");
            }
            all = true;
            continue;
          }
          if (!seen.add(g)) {
            throw m.get("group_by").error("duplicated label \"" + g + "\" in group_by");
          }
          names.add(g);
        }
        groupBy = List.copyOf(names);
      }
      List<LabelMatcher> matchers = new ArrayList<>();
      if (m.get("match") != null) {
        m.get("match").stringMap("match").forEach((k, v) -> matchers.add(LabelMatcher.equal(k, v)));
      }
      if (m.get("match_re") != null) {
        for (var e : m.get("match_re").stringMap("match_re").entrySet()) {
          try {
            matchers.add(LabelMatcher.regex(e.getKey(), e.getValue()));
          } catch (IllegalArgumentException ex) {
            throw m.get("match_re").error(ex.getMessage());
          }
        }
      }
      if (m.get("matchers") != null) {
        for (String s : m.get("matchers").stringList("[]string")) {
          try {
            matchers.addAll(Matchers.parse(s));
          } catch (IllegalArgumentException ex) {
            throw m.get("matchers").error(ex.getMessage());
          }
        }
      }
      matchers.sort(
          (a, b) ->
              a.name().equals(b.name())
                  ? a.toString().compareTo(b.toString())
                  : a.name().compareTo(b.name()));
      List<String> mute =
          m.get("mute_time_intervals") == null
              ? List.of()
              : m.get("mute_time_intervals").stringList("[]string");
      List<String> active =
          m.get("active_time_intervals") == null
              ? List.of()
              : m.get("active_time_intervals").stringList("[]string");
      for (String t : concat(mute, active)) {
        if (!intervals.contains(t)) {
          throw y.error("undefined time interval \"" + t + "\" used in route");
        }
      }
      Duration gw =
          m.get("group_wait") == null ? parent.groupWait() : duration(m.get("group_wait"));
      Duration gi =
          m.get("group_interval") == null
              ? parent.groupInterval()
              : duration(m.get("group_interval"));
      Duration ri =
          m.get("repeat_interval") == null
              ? parent.repeatInterval()
              : duration(m.get("repeat_interval"));
      if (gi.isZero() || ri.isZero()) {
        throw y.error((gi.isZero() ? "group_interval" : "repeat_interval") + " cannot be zero");
      }
      String key = (parentKey == null ? "" : parentKey + "/") + Matchers.toString(matchers);
      Route self =
          new Route(
              receiver,
              groupBy,
              all,
              List.copyOf(matchers),
              m.get("continue") != null && m.get("continue").bool("continue"),
              gw,
              gi,
              ri,
              List.copyOf(mute),
              List.copyOf(active),
              List.of(),
              key,
              nextId++);
      List<Route> children = new ArrayList<>();
      if (m.get("routes") != null) {
        for (Yaml c : m.get("routes").list("[]config.Route")) {
          children.add(route(c, self, key, receivers, intervals));
        }
      }
      return new Route(
          receiver,
          groupBy,
          all,
          self.matchers(),
          self.cont(),
          gw,
          gi,
          ri,
          self.muteTimeIntervals(),
          self.activeTimeIntervals(),
          List.copyOf(children),
          key,
          self.id());
    }

    private static List<String> concat(List<String> a, List<String> b) {
      List<String> out = new ArrayList<>(a);
      out.addAll(b);
      return out;
    }

    private InhibitRule inhibitRule(Yaml y) {
      Map<String, Yaml> m = map(y, "config.InhibitRule", INHIBIT, Set.of());
      return new InhibitRule(
          side(m, "source"),
          side(m, "target"),
          m.get("equal") == null ? List.of() : m.get("equal").stringList("[]string"));
    }

    private List<LabelMatcher> side(Map<String, Yaml> m, String p) {
      List<LabelMatcher> out = new ArrayList<>();
      if (m.get(p + "_match") != null) {
        m.get(p + "_match").stringMap("match").forEach((k, v) -> out.add(LabelMatcher.equal(k, v)));
      }
      if (m.get(p + "_match_re") != null) {
        m.get(p + "_match_re")
            .stringMap("match_re")
            .forEach((k, v) -> out.add(LabelMatcher.regex(k, v)));
      }
      if (m.get(p + "_matchers") != null) {
        for (String s : m.get(p + "_matchers").stringList("[]string")) {
          out.addAll(Matchers.parse(s));
        }
      }
      return List.copyOf(out);
    }

    private TimeInterval timeInterval(Yaml y) {
      Map<String, Yaml> m = map(y, "timeinterval.TimeInterval", TI_SPEC, Set.of());
      List<int[]> times = new ArrayList<>();
      if (m.get("times") != null) {
        for (Yaml t : m.get("times").list("[]TimeRange")) {
          Map<String, Yaml> tm =
              map(t, "timeinterval.TimeRange", Set.of("start_time", "end_time"), Set.of());
          int s = minutes(tm.get("start_time"));
          int e = minutes(tm.get("end_time"));
          if (e <= s) {
            throw t.error("start time cannot be equal or greater than end time");
          }
          times.add(new int[] {s, e});
        }
      }
      List<int[]> weekdays = ranges(m.get("weekdays"), TimeInterval::weekday);
      List<int[]> dom = ranges(m.get("days_of_month"), Integer::parseInt);
      List<int[]> months = ranges(m.get("months"), TimeInterval::month);
      List<int[]> years = ranges(m.get("years"), Integer::parseInt);
      ZoneId zone = ZoneOffset.UTC;
      if (m.get("location") != null) {
        String loc = m.get("location").scalar("string");
        try {
          zone = loc.equals("Local") ? ZoneId.systemDefault() : ZoneId.of(loc);
        } catch (java.time.DateTimeException e) {
          throw m.get("location").error("unknown time zone " + loc);
        }
      }
      return new TimeInterval(times, weekdays, dom, months, years, zone);
    }

    private static int minutes(Yaml y) {
      if (y == null) {
        throw new IllegalArgumentException("start_time and end_time must be set");
      }
      String s = y.scalar("string");
      String[] p = s.split(":");
      try {
        int h = Integer.parseInt(p[0]);
        int mi = Integer.parseInt(p[1]);
        if (p.length != 2 || h < 0 || h > 24 || mi < 0 || mi > 59 || (h == 24 && mi != 0)) {
          throw new NumberFormatException();
        }
        return h * 60 + mi;
      } catch (RuntimeException e) {
        throw y.error("couldn't parse timestamp " + s + ", invalid format");
      }
    }

    private static List<int[]> ranges(Yaml y, java.util.function.Function<String, Integer> conv) {
      List<int[]> out = new ArrayList<>();
      if (y == null) {
        return out;
      }
      for (String s : y.stringList("[]string")) {
        try {
          int colon = s.indexOf(':', 1);
          int a = conv.apply(colon < 0 ? s.strip() : s.substring(0, colon).strip());
          int b = colon < 0 ? a : conv.apply(s.substring(colon + 1).strip());
          out.add(new int[] {a, b});
        } catch (RuntimeException e) {
          throw y.error("invalid range " + s + ": " + e.getMessage());
        }
      }
      return out;
    }
  }
}
