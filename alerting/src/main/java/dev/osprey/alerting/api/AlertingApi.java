package dev.osprey.alerting.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.osprey.alerting.AlertingService;
import dev.osprey.alerting.internal.GoTime;
import dev.osprey.alerting.internal.LabelMaps;
import dev.osprey.alerting.notify.Alert;
import dev.osprey.alerting.notify.Dispatcher;
import dev.osprey.alerting.notify.Matchers;
import dev.osprey.alerting.notify.Silences;
import dev.osprey.alerting.rules.AlertingRule;
import dev.osprey.alerting.rules.RecordingRule;
import dev.osprey.alerting.rules.Rule;
import dev.osprey.alerting.rules.RuleAlert;
import dev.osprey.alerting.rules.RuleGroup;
import dev.osprey.core.http.ApiException;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.Json;
import dev.osprey.core.http.RouteProvider;
import dev.osprey.core.http.Router;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Routes: Prometheus's {@code GET /api/v1/rules} and {@code /api/v1/alerts}, {@code POST
 * /-/reload}, and Alertmanager's API v2: {@code /api/v2/alerts} (GET, POST), {@code
 * /api/v2/silences} (GET, POST), {@code /api/v2/silence/{id}} (GET, DELETE), {@code
 * /api/v2/status}, {@code /api/v2/receivers}.
 */
public final class AlertingApi implements RouteProvider {
  private final AlertingService service;
  private final Clock clock;

  public AlertingApi(AlertingService service, Clock clock, Duration resendDelay) {
    this.service = service;
    this.clock = clock;
  }

  @Override
  public void register(Router r) {
    r.get("/api/v1/rules", this::rules);
    r.get("/api/v1/alerts", this::promAlerts);
    r.post("/-/reload", this::reload);
    r.get("/api/v2/alerts", this::getAlerts);
    r.post("/api/v2/alerts", this::postAlerts);
    r.get("/api/v2/silences", this::getSilences);
    r.post("/api/v2/silences", this::postSilence);
    r.get("/api/v2/silence/{id}", this::getSilence);
    r.delete("/api/v2/silence/{id}", this::deleteSilence);
    r.get("/api/v2/status", this::status);
    r.get("/api/v2/receivers", this::receivers);
  }

  // ------------------------------------------------------------ Prometheus

  private static String time(long nanos) {
    return GoTime.format(nanos == 0 ? GoTime.ZERO : GoTime.ofNanos(nanos));
  }

  private static Map<String, Object> promAlert(RuleAlert.View a) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("labels", LabelMaps.toMap(a.labels()));
    m.put("annotations", new java.util.TreeMap<>(a.annotations()));
    m.put("state", a.state().text());
    m.put("activeAt", time(a.activeAt()));
    if (a.keepFiringSince() != 0) {
      m.put("keepFiringSince", time(a.keepFiringSince()));
    }
    m.put("value", formatE(a.value()));
    return m;
  }

  /** A float64 as Go's encoding/json writes it: whole numbers without a fraction. */
  static Number num(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return (long) v;
    }
    return v;
  }

  /** Go's strconv.FormatFloat(v, 'e', -1, 64). */
  static String formatE(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    if (v == 0) {
      return (1 / v < 0 ? "-" : "") + "0e+00";
    }
    java.math.BigDecimal bd =
        new java.math.BigDecimal(Double.toString(Math.abs(v))).stripTrailingZeros();
    String digits = bd.unscaledValue().toString();
    int exp = digits.length() - bd.scale() - 1;
    StringBuilder sb = new StringBuilder(v < 0 ? "-" : "");
    sb.append(digits.charAt(0));
    if (digits.length() > 1) {
      sb.append('.').append(digits, 1, digits.length());
    }
    sb.append('e').append(exp < 0 ? '-' : '+');
    if (Math.abs(exp) < 10) {
      sb.append('0');
    }
    return sb.append(Math.abs(exp)).toString();
  }

  private HttpResponse rules(HttpRequest req) {
    String type = req.param("type", "");
    if (!type.isEmpty() && !type.equals("alert") && !type.equals("record")) {
      throw ApiException.badData(
          "invalid query parameter type='" + type + "', should be one of 'alert' or 'record'");
    }
    List<String> names = req.params("rule_name[]");
    List<String> groupsF = req.params("rule_group[]");
    List<String> files = req.params("file[]");
    List<Object> groups = new ArrayList<>();
    for (RuleGroup g : service.rules().groups()) {
      if ((!groupsF.isEmpty() && !groupsF.contains(g.name()))
          || (!files.isEmpty() && !files.contains(g.file()))) {
        continue;
      }
      List<Object> rs = new ArrayList<>();
      // the group lock: evaluation mutates the rules' alert maps
      synchronized (g) {
        for (Rule r : g.rules()) {
          if (!names.isEmpty() && !names.contains(r.name())) {
            continue;
          }
          Map<String, Object> m = new LinkedHashMap<>();
          if (r instanceof AlertingRule ar) {
            if (type.equals("record")) {
              continue;
            }
            m.put("state", ar.state().text());
            m.put("name", r.name());
            m.put("query", r.query());
            m.put("duration", num(ar.holdNanos() / 1e9));
            m.put("keepFiringFor", num(ar.keepFiringForNanos() / 1e9));
            m.put("labels", LabelMaps.toMap(r.labels()));
            m.put("annotations", new java.util.TreeMap<>(ar.annotations()));
            m.put("alerts", ar.activeAlerts().stream().map(AlertingApi::promAlert).toList());
          } else if (r instanceof RecordingRule) {
            if (type.equals("alert")) {
              continue;
            }
            m.put("name", r.name());
            m.put("query", r.query());
            if (!r.labels().isEmpty()) {
              m.put("labels", LabelMaps.toMap(r.labels()));
            }
          }
          m.put("health", r.health());
          if (!r.lastError().isEmpty()) {
            m.put("lastError", r.lastError());
          }
          m.put("evaluationTime", num(r.evaluationSeconds()));
          m.put("lastEvaluation", time(r.lastEvaluationNanos()));
          m.put("type", r instanceof AlertingRule ? "alerting" : "recording");
          rs.add(m);
        }
      }
      if (rs.isEmpty() && (!names.isEmpty() || !type.isEmpty())) {
        continue;
      }
      Map<String, Object> gm = new LinkedHashMap<>();
      gm.put("name", g.name());
      gm.put("file", g.file());
      gm.put("rules", rs);
      gm.put("interval", num(g.intervalNanos() / 1e9));
      gm.put("limit", g.limit());
      gm.put("evaluationTime", num(g.evaluationSeconds()));
      gm.put("lastEvaluation", time(g.lastEvaluationNanos()));
      groups.add(gm);
    }
    return HttpResponse.success(Map.of("groups", groups));
  }

  private HttpResponse promAlerts(HttpRequest req) {
    List<Object> out = new ArrayList<>();
    for (RuleGroup g : service.rules().groups()) {
      synchronized (g) {
        for (Rule r : g.rules()) {
          if (r instanceof AlertingRule ar) {
            ar.activeAlerts().forEach(a -> out.add(promAlert(a)));
          }
        }
      }
    }
    return HttpResponse.success(Map.of("alerts", out));
  }

  private HttpResponse reload(HttpRequest req) {
    try {
      service.reload();
      return HttpResponse.text(200, "");
    } catch (Exception e) {
      return HttpResponse.text(500, "failed to reload config: " + e.getMessage());
    }
  }

  // ------------------------------------------------------------ Alertmanager API v2

  private static HttpResponse badRequest(String msg) {
    return HttpResponse.json(400, Json.write(msg));
  }

  private HttpResponse getAlerts(HttpRequest req) {
    Dispatcher d = service.dispatcher();
    Instant now = clock.instant();
    boolean active = !"false".equals(req.param("active"));
    boolean silenced = !"false".equals(req.param("silenced"));
    boolean inhibited = !"false".equals(req.param("inhibited"));
    String receiverRe = req.param("receiver");
    List<LabelMatcher> filter = new ArrayList<>();
    try {
      for (String f : req.params("filter")) {
        filter.addAll(Matchers.parse(f));
      }
    } catch (IllegalArgumentException e) {
      return badRequest(e.getMessage());
    }
    List<Object> out = new ArrayList<>();
    for (Alert a : d.alerts()) {
      if (a.resolvedAt(now) || !Matchers.matches(filter, a.labels())) {
        continue;
      }
      List<String> sil = d.silences().mutedBy(a.labels());
      String inh = d.inhibitedBy(a.labels(), now);
      boolean suppressed = !sil.isEmpty() || inh != null;
      if ((!suppressed && !active)
          || (!sil.isEmpty() && !silenced)
          || (inh != null && !inhibited)) {
        continue;
      }
      List<String> receivers = d.receiversOf(a.labels());
      if (receiverRe != null
          && receivers.stream().noneMatch(x -> LabelMatcher.regex("r", receiverRe).matches(x))) {
        continue;
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("annotations", new java.util.TreeMap<>(a.annotations()));
      m.put("endsAt", GoTime.formatMillis(a.endsAt()));
      m.put("fingerprint", a.fingerprintHex());
      m.put("receivers", receivers.stream().map(x -> Map.of("name", x)).toList());
      m.put("startsAt", GoTime.formatMillis(a.startsAt()));
      Map<String, Object> st = new LinkedHashMap<>();
      st.put("inhibitedBy", inh == null ? List.of() : List.of(inh));
      st.put("silencedBy", sil);
      st.put("state", suppressed ? "suppressed" : "active");
      m.put("status", st);
      m.put("updatedAt", GoTime.formatMillis(a.updatedAt()));
      m.put("generatorURL", a.generatorURL());
      m.put("labels", LabelMaps.toMap(a.labels()));
      out.add(m);
    }
    return HttpResponse.json(200, Json.write(out));
  }

  private HttpResponse postAlerts(HttpRequest req) throws Exception {
    JsonNode arr;
    try {
      arr = Json.MAPPER.readTree(req.body());
    } catch (java.io.IOException e) {
      return badRequest("cannot parse alerts: " + e.getMessage());
    }
    if (arr == null || !arr.isArray()) {
      return badRequest("alerts must be a JSON array");
    }
    Instant now = clock.instant();
    Duration resolve = service.resolveTimeout();
    List<Alert> in = new ArrayList<>();
    List<String> errs = new ArrayList<>();
    for (JsonNode n : arr) {
      Labels.Builder b = Labels.builder();
      for (Iterator<Map.Entry<String, JsonNode>> it = n.path("labels").fields(); it.hasNext(); ) {
        var e = it.next();
        b.set(e.getKey(), e.getValue().asText());
      }
      Labels l = b.build();
      Map<String, String> ann = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = n.path("annotations").fields();
          it.hasNext(); ) {
        var e = it.next();
        ann.put(e.getKey(), e.getValue().asText());
      }
      Instant starts = n.hasNonNull("startsAt") ? GoTime.parse(n.get("startsAt").asText()) : null;
      Instant ends = n.hasNonNull("endsAt") ? GoTime.parse(n.get("endsAt").asText()) : null;
      if (GoTime.isZero(starts)) {
        starts = GoTime.isZero(ends) ? now : ends;
      }
      boolean timeout = false;
      if (GoTime.isZero(ends)) {
        timeout = true;
        ends = now.plus(resolve);
      }
      if (l.isEmpty()) {
        errs.add("at least one label pair required");
        continue;
      }
      boolean badName = false;
      for (String name : l.names()) {
        if (!dev.osprey.core.labels.Labels.isValidLabelName(name)) {
          errs.add("invalid label set: invalid name \"" + name + "\"");
          badName = true;
        }
      }
      if (badName) {
        continue;
      }
      if (ends.isBefore(starts)) {
        errs.add("start time must be before end time");
        continue;
      }
      in.add(new Alert(l, ann, starts, ends, n.path("generatorURL").asText(""), now, timeout));
    }
    service.dispatcher().put(in);
    if (!errs.isEmpty()) {
      return badRequest(String.join(";", errs));
    }
    return HttpResponse.json(200, new byte[0]);
  }

  private static Map<String, Object> silenceJson(Silences.Silence s, Instant now) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", s.id());
    m.put("status", Map.of("state", Silences.state(s, now)));
    m.put("updatedAt", GoTime.formatMillis(GoTime.parse(s.updatedAt())));
    m.put("comment", s.comment());
    m.put("createdBy", s.createdBy());
    m.put("endsAt", GoTime.formatMillis(GoTime.parse(s.endsAt())));
    List<Object> ms = new ArrayList<>();
    for (Silences.ApiMatcher x : s.matchers()) {
      Map<String, Object> mm = new LinkedHashMap<>();
      mm.put("isEqual", x.isEqual());
      mm.put("isRegex", x.isRegex());
      mm.put("name", x.name());
      mm.put("value", x.value());
      ms.add(mm);
    }
    m.put("matchers", ms);
    m.put("startsAt", GoTime.formatMillis(GoTime.parse(s.startsAt())));
    return m;
  }

  private HttpResponse getSilences(HttpRequest req) {
    Instant now = clock.instant();
    List<LabelMatcher> filter = new ArrayList<>();
    try {
      for (String f : req.params("filter")) {
        filter.addAll(Matchers.parse(f));
      }
    } catch (IllegalArgumentException e) {
      return badRequest(e.getMessage());
    }
    List<Object> out = new ArrayList<>();
    for (Silences.Silence s : service.dispatcher().silences().list()) {
      boolean ok = true;
      for (LabelMatcher f : filter) {
        boolean any = false;
        for (Silences.ApiMatcher m : s.matchers()) {
          any |= m.name().equals(f.name()) && f.matches(m.value());
        }
        ok &= any;
      }
      if (ok) {
        out.add(silenceJson(s, now));
      }
    }
    return HttpResponse.json(200, Json.write(out));
  }

  private HttpResponse postSilence(HttpRequest req) {
    JsonNode n;
    try {
      n = Json.MAPPER.readTree(req.body());
    } catch (java.io.IOException e) {
      return badRequest("cannot parse silence: " + e.getMessage());
    }
    if (n == null || !n.isObject()) {
      return badRequest("silence must be a JSON object");
    }
    List<Silences.ApiMatcher> ms = new ArrayList<>();
    for (JsonNode m : n.path("matchers")) {
      ms.add(
          new Silences.ApiMatcher(
              m.path("name").asText(""),
              m.path("value").asText(""),
              m.path("isRegex").asBoolean(false),
              m.path("isEqual").asBoolean(true)));
    }
    try {
      String id =
          service
              .dispatcher()
              .silences()
              .set(
                  new Silences.Silence(
                      n.path("id").asText(""),
                      ms,
                      n.hasNonNull("startsAt") ? n.get("startsAt").asText() : null,
                      n.hasNonNull("endsAt") ? n.get("endsAt").asText() : null,
                      null,
                      n.path("createdBy").asText(""),
                      n.path("comment").asText("")));
      return HttpResponse.json(200, Json.write(Map.of("silenceID", id)));
    } catch (Silences.NoSuchElementException e) {
      return HttpResponse.json(404, Json.write(e.getMessage()));
    } catch (IllegalArgumentException e) {
      return badRequest(e.getMessage());
    }
  }

  private HttpResponse getSilence(HttpRequest req) {
    try {
      return HttpResponse.json(
          200,
          Json.write(
              silenceJson(
                  service.dispatcher().silences().get(req.pathParam("id")), clock.instant())));
    } catch (Silences.NoSuchElementException e) {
      return HttpResponse.json(404, new byte[0]);
    }
  }

  private HttpResponse deleteSilence(HttpRequest req) {
    try {
      service.dispatcher().silences().expire(req.pathParam("id"));
      return HttpResponse.json(200, new byte[0]);
    } catch (Silences.NoSuchElementException e) {
      return HttpResponse.json(404, new byte[0]);
    } catch (IllegalArgumentException e) {
      return HttpResponse.json(500, Json.write(e.getMessage()));
    }
  }

  private HttpResponse status(HttpRequest req) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cluster", Map.of("status", "disabled", "peers", List.of()));
    m.put("config", Map.of("original", service.dispatcher().config().original()));
    m.put("uptime", GoTime.format(service.startedAt()));
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("branch", "");
    v.put("buildDate", "");
    v.put("buildUser", "");
    v.put("goVersion", "");
    v.put("revision", "");
    v.put("version", "osprey");
    m.put("versionInfo", v);
    return HttpResponse.json(200, Json.write(m));
  }

  private HttpResponse receivers(HttpRequest req) {
    List<Object> out = new ArrayList<>();
    for (String n : new java.util.TreeSet<>(service.dispatcher().config().receivers().keySet())) {
      out.add(Map.of("name", n));
    }
    return HttpResponse.json(200, Json.write(out));
  }
}
