package dev.osprey.alerting.notify;

import dev.osprey.core.http.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** The HTTP receivers: webhook (version 4), Slack incoming webhook, PagerDuty Events API v2. */
public final class HttpIntegrations {
  static final String USER_AGENT = "Alertmanager/0.27.0 (Osprey)";

  /**
   * The shared client, built on first use: building one loads the JDK's TLS stack and trust store,
   * which a server that has not yet sent a notification should not pay for at start.
   */
  private static final class Shared {
    static final HttpClient CLIENT =
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  private HttpIntegrations() {}

  /**
   * A client for these settings: the shared one (built when first sent with) unless TLS or
   * redirects differ; then its own, built now so that a bad {@code tls_config} fails the config.
   */
  static Supplier<HttpClient> client(HttpConfig http) {
    if (http.caFile() == null
        && !http.insecureSkipVerify()
        && http.followRedirects() == HttpConfig.DEFAULT.followRedirects()
        && http.enableHttp2() == HttpConfig.DEFAULT.enableHttp2()) {
      return () -> Shared.CLIENT;
    }
    HttpClient own = http.client();
    return () -> own;
  }

  /** POSTs JSON with the shared client and no authorization. */
  static void post(String url, Object body, Duration timeout) throws Exception {
    post(Shared.CLIENT, HttpConfig.DEFAULT, url, body, timeout);
  }

  /** POSTs JSON; 2xx is success, 429/5xx/I-O retryable, other statuses permanent. */
  static void post(HttpClient client, HttpConfig http, String url, Object body, Duration timeout)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(timeout.isZero() ? Duration.ofSeconds(30) : timeout)
            .header("Content-Type", "application/json")
            .header("User-Agent", USER_AGENT)
            .POST(HttpRequest.BodyPublishers.ofByteArray(Json.write(body)));
    try {
      http.apply(b);
    } catch (IOException e) {
      throw new IOException("cannot read credentials for " + redact(url) + ": " + e.getMessage());
    }
    HttpRequest req = b.build();
    HttpResponse<String> resp;
    try {
      resp = client.send(req, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new Integration.RetryableException("cannot post to " + redact(url) + ": " + e);
    }
    int s = resp.statusCode();
    if (s / 100 == 2) {
      return;
    }
    String msg =
        "cannot post to "
            + redact(url)
            + ": unexpected status code "
            + s
            + ": "
            + abbreviate(resp.body());
    if (s == 429 || s / 100 == 5) {
      throw new Integration.RetryableException(msg);
    }
    throw new IOException(msg);
  }

  private static String abbreviate(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }

  private static String redact(String url) {
    int q = url.indexOf('?');
    URI u = URI.create(q < 0 ? url : url.substring(0, q));
    return u.getScheme() + "://" + u.getAuthority() + (u.getPath() == null ? "" : "/<redacted>");
  }

  /** Alertmanager's webhook integration: the version-4 message, truncated at max_alerts. */
  public static Integration webhook(AmConfig.WebhookConfig c) {
    Supplier<HttpClient> httpClient = client(c.http());
    return new Integration() {
      @Override
      public String name() {
        return "webhook";
      }

      @Override
      public boolean sendResolved() {
        return c.sendResolved();
      }

      @Override
      public void send(NotifyData d) throws Exception {
        List<NotifyData.AlertData> shown = d.alerts;
        long truncated = 0;
        if (c.maxAlerts() > 0 && shown.size() > c.maxAlerts()) {
          truncated = shown.size() - c.maxAlerts();
          shown = shown.subList(0, c.maxAlerts());
        }
        post(httpClient.get(), c.http(), c.url(), d.webhookPayload(truncated, shown), c.timeout());
      }
    };
  }

  /** Slack's incoming webhook with one attachment, as Alertmanager builds it. */
  public static Integration slack(AmConfig.SlackConfig c, Renderer r) {
    Supplier<HttpClient> httpClient = client(c.http());
    return new Integration() {
      @Override
      public String name() {
        return "slack";
      }

      @Override
      public boolean sendResolved() {
        return c.sendResolved();
      }

      @Override
      public void send(NotifyData d) throws Exception {
        Map<String, String> f = c.fields();
        String title = get(f, "title", d.defaultTitle(), r, d);
        // field order and omitempty as Alertmanager's slack request and attachment structs
        Map<String, Object> att = new LinkedHashMap<>();
        putIf(att, "title", title);
        putIf(att, "title_link", get(f, "title_link", d.alertmanagerURL(), r, d));
        putIf(att, "pretext", get(f, "pretext", "", r, d));
        att.put("text", get(f, "text", "", r, d));
        att.put(
            "fallback", get(f, "fallback", d.defaultTitle() + " | " + d.alertmanagerURL(), r, d));
        att.put("callback_id", get(f, "callback_id", "", r, d));
        putIf(att, "image_url", get(f, "image_url", "", r, d));
        putIf(att, "thumb_url", get(f, "thumb_url", "", r, d));
        att.put("footer", get(f, "footer", "", r, d));
        putIf(att, "color", get(f, "color", d.status.equals("firing") ? "danger" : "good", r, d));
        att.put("mrkdwn_in", List.of("fallback", "pretext", "text"));
        Map<String, Object> msg = new LinkedHashMap<>();
        putIf(msg, "channel", get(f, "channel", "", r, d));
        putIf(msg, "username", get(f, "username", "Alertmanager", r, d));
        putIf(msg, "icon_emoji", get(f, "icon_emoji", "", r, d));
        putIf(msg, "icon_url", get(f, "icon_url", "", r, d));
        if (Boolean.parseBoolean(f.getOrDefault("link_names", "false"))) {
          msg.put("link_names", true);
        }
        msg.put("attachments", List.of(att));
        post(httpClient.get(), c.http(), c.apiUrl(), msg, Duration.ZERO);
      }
    };
  }

  /** PagerDuty Events API v2: trigger while anything fires, resolve after; dedup by group key. */
  public static Integration pagerduty(AmConfig.PagerDutyConfig c, Renderer r) {
    Supplier<HttpClient> httpClient = client(c.http());
    return new Integration() {
      @Override
      public String name() {
        return "pagerduty";
      }

      @Override
      public boolean sendResolved() {
        return c.sendResolved();
      }

      @Override
      public void send(NotifyData d) throws Exception {
        Map<String, String> f = c.fields();
        String client = get(f, "client", "Alertmanager", r, d);
        String summary = get(f, "description", d.defaultTitle(), r, d);
        if (summary.length() > 1024) {
          summary = summary.substring(0, 1023) + "…";
        }
        Map<String, Object> details = new LinkedHashMap<>();
        if (c.details() == null) {
          details.put("firing", instances(d.firing()));
          details.put("num_firing", String.valueOf(d.firing().size()));
          details.put("num_resolved", String.valueOf(d.resolved().size()));
          details.put("resolved", instances(d.resolved()));
        } else {
          for (var e : c.details().entrySet()) {
            details.put(e.getKey(), r.render(e.getValue(), d));
          }
        }
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("summary", summary);
        payload.put("source", get(f, "source", client, r, d));
        payload.put("severity", get(f, "severity", "error", r, d));
        payload.put("custom_details", details);
        putIf(payload, "class", get(f, "class", "", r, d));
        putIf(payload, "component", get(f, "component", "", r, d));
        putIf(payload, "group", get(f, "group", "", r, d));
        Map<String, Object> msg = new LinkedHashMap<>();
        msg.put("routing_key", c.routingKey());
        msg.put("dedup_key", sha256(d.groupKey));
        msg.put("event_action", d.status.equals("firing") ? "trigger" : "resolve");
        msg.put("payload", payload);
        // images and links are omitempty in Alertmanager's message and unsupported here
        msg.put("client", client);
        msg.put("client_url", get(f, "client_url", d.alertmanagerURL(), r, d));
        post(httpClient.get(), c.http(), c.url(), msg, Duration.ZERO);
      }
    };
  }

  private static void putIf(Map<String, Object> m, String k, String v) {
    if (!v.isEmpty()) {
      m.put(k, v);
    }
  }

  /** Alertmanager's "pagerduty.default.instances". */
  static String instances(List<NotifyData.AlertData> as) {
    StringBuilder sb = new StringBuilder();
    for (NotifyData.AlertData a : as) {
      sb.append("Labels:\n");
      a.labels().forEach((k, v) -> sb.append(" - ").append(k).append(" = ").append(v).append('\n'));
      sb.append("Annotations:\n");
      a.annotations()
          .forEach((k, v) -> sb.append(" - ").append(k).append(" = ").append(v).append('\n'));
      sb.append("Source: ").append(a.generatorURL()).append('\n');
    }
    return sb.toString();
  }

  private static String get(Map<String, String> f, String k, String dflt, Renderer r, NotifyData d)
      throws Exception {
    String v = f.get(k);
    return v == null ? dflt : r.render(v, d);
  }

  /** Alertmanager's GroupKey.Hash(): hex SHA-256 of the group key. */
  public static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("BUG: no SHA-256", e);
    }
  }

  /** The integrations of a receiver, in Alertmanager's order. */
  public static List<Integration> of(AmConfig.Receiver rc, Renderer r) {
    List<Integration> out = new ArrayList<>();
    rc.webhooks().forEach(w -> out.add(webhook(w)));
    rc.slacks().forEach(s -> out.add(slack(s, r)));
    rc.pagerduties().forEach(p -> out.add(pagerduty(p, r)));
    return out;
  }
}
