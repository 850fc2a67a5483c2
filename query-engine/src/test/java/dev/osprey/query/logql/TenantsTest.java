package dev.osprey.query.logql;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.osprey.core.config.LogIndexConfig;
import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.http.HttpServer;
import dev.osprey.core.http.Json;
import dev.osprey.core.http.Router;
import dev.osprey.logs.index.LogStore;
import dev.osprey.logs.index.http.LokiPushRoutes;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tenants over HTTP, as Loki with {@code auth_enabled}: every push and query names its tenant in
 * {@code X-Scope-OrgID} and sees only its own streams, through every endpoint, the tail and a
 * restart; without authentication the header is ignored and everything is tenant {@code fake}.
 */
class TenantsTest {
  static final long SEC = 1_000_000_000L;
  static final long T = (System.currentTimeMillis() / 1000 - 600) * SEC;
  @TempDir Path dir;
  final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  LogStore store;
  HttpServer server;

  void start(boolean auth) {
    store =
        LogStore.open(
            dir, LogIndexConfig.DEFAULTS.withAuthEnabled(auth), new SimpleMeterRegistry(), false);
    Router router = new Router();
    new LokiPushRoutes(store, new SimpleMeterRegistry()).register(router);
    new LokiApi(store, QueryConfig.DEFAULTS, new SimpleMeterRegistry()).register(router);
    server = new HttpServer(HttpServer.Options.local(0), router, null).start();
  }

  void restart(boolean auth) throws Exception {
    stop();
    start(auth);
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
      server = null;
    }
    if (store != null) {
      store.close();
      store = null;
    }
  }

  HttpResponse<String> push(String tenant, String streamJson, long ts, String line)
      throws Exception {
    String body =
        "{\"streams\":[{\"stream\":"
            + streamJson
            + ",\"values\":[[\""
            + ts
            + "\","
            + Json.MAPPER.writeValueAsString(line)
            + "]]}]}";
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(server.baseUrl() + "/loki/api/v1/push"))
            .header("Content-Type", "application/json")
            .POST(BodyPublishers.ofString(body));
    if (tenant != null) {
      b.header("X-Scope-OrgID", tenant);
    }
    return client.send(b.build(), BodyHandlers.ofString());
  }

  void pushOk(String tenant, String app, long ts, String line) throws Exception {
    HttpResponse<String> r = push(tenant, "{\"app\":\"" + app + "\",\"env\":\"prod\"}", ts, line);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
  }

  HttpResponse<String> get(String tenant, String path, String... kv) throws Exception {
    StringBuilder u = new StringBuilder(server.baseUrl()).append(path).append('?');
    for (int i = 0; i < kv.length; i += 2) {
      u.append(kv[i])
          .append('=')
          .append(URLEncoder.encode(kv[i + 1], StandardCharsets.UTF_8))
          .append('&');
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(u.toString())).GET();
    if (tenant != null) {
      b.header("X-Scope-OrgID", tenant);
    }
    return client.send(b.build(), BodyHandlers.ofString());
  }

  JsonNode json(String tenant, String path, String... kv) throws Exception {
    HttpResponse<String> r = get(tenant, path, kv);
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
    return Json.MAPPER.readTree(r.body());
  }

  /** {@code path} with one parameter, from just before the pushed lines to a minute after. */
  JsonNode around(String tenant, String path, String name, String value) throws Exception {
    return json(
        tenant,
        path,
        name,
        value,
        "start",
        Long.toString(T - SEC),
        "end",
        Long.toString(T + 60 * SEC));
  }

  /** The lines a log query returns to {@code tenant}, as "labels line", sorted. */
  List<String> lines(String tenant, String query) throws Exception {
    JsonNode j =
        json(
            tenant,
            "/loki/api/v1/query_range",
            "query",
            query,
            "start",
            Long.toString(T - 60 * SEC),
            "end",
            Long.toString(T + 60 * SEC));
    TreeSet<String> out = new TreeSet<>();
    for (JsonNode s : j.at("/data/result")) {
      for (JsonNode v : s.get("values")) {
        out.add(s.get("stream").toString() + " " + v.get(1).asText());
      }
    }
    return new ArrayList<>(out);
  }

  double count(String tenant, String query) throws Exception {
    JsonNode j =
        json(tenant, "/loki/api/v1/query", "query", query, "time", Long.toString(T + 60 * SEC));
    JsonNode r = j.at("/data/result");
    return r.isEmpty() ? 0 : r.get(0).get("value").get(1).asDouble();
  }

  /** The same stream labels pushed by three tenants (fake among them), one line each. */
  void pushThree() throws Exception {
    pushOk("t1", "a", T, "hello from t1");
    pushOk("t2", "a", T, "hello from t2");
    pushOk("fake", "a", T, "hello from fake");
    pushOk("t2", "b", T + SEC, "only t2 has b");
    store.refresh();
  }

  @Test
  void eachTenantSeesOnlyItsOwnStreamsThroughEveryEndpoint() throws Exception {
    start(true);
    pushThree();
    String a = "{\"app\":\"a\",\"env\":\"prod\"}";
    for (String t : List.of("t1", "t2", "fake")) {
      assertThat(lines(t, "{app=\"a\"}")).as(t).containsExactly(a + " hello from " + t);
      assertThat(lines(t, "|= \"hello\"")).as(t).containsExactly(a + " hello from " + t);
      assertThat(count(t, "sum(count_over_time({env=\"prod\"}[1h]))"))
          .as(t)
          .isEqualTo(t.equals("t2") ? 2 : 1);
      assertThat(json(t, "/loki/api/v1/labels").at("/data").toString())
          .as(t)
          .isEqualTo("[\"app\",\"env\"]");
      assertThat(json(t, "/loki/api/v1/label/app/values").at("/data").toString())
          .as(t)
          .isEqualTo(t.equals("t2") ? "[\"a\",\"b\"]" : "[\"a\"]");
      assertThat(json(t, "/loki/api/v1/series", "match[]", "{env=\"prod\"}").at("/data"))
          .as(t)
          .hasSize(t.equals("t2") ? 2 : 1);
      JsonNode stats = around(t, "/loki/api/v1/index/stats", "query", "{app=\"a\"}");
      assertThat(stats.get("entries").asLong()).as(t).isEqualTo(1);
      assertThat(stats.get("streams").asLong()).as(t).isEqualTo(1);
      JsonNode hits = around(t, "/osprey/api/v1/logs/search", "q", "hello");
      assertThat(hits.at("/data")).as(t).hasSize(1);
      assertThat(hits.at("/data/0/line").asText()).isEqualTo("hello from " + t);
      assertThat(hits.at("/data/0/stream").toString()).isEqualTo(a);
    }
    // an unknown tenant has nothing; an absent selector names only its own labels
    assertThat(lines("t3", "|= \"hello\"")).isEmpty();
    JsonNode absent =
        json(
            "t1",
            "/loki/api/v1/query",
            "query",
            "absent_over_time({app=\"b\"}[5m])",
            "time",
            Long.toString(T + 60 * SEC));
    assertThat(absent.at("/data/result/0/metric").toString()).isEqualTo("{\"app\":\"b\"}");
    assertThat(count("t2", "absent_over_time({app=\"b\"}[5m])")).isZero();
  }

  @Test
  void tenantsSurviveARestart() throws Exception {
    start(true);
    pushThree();
    restart(true);
    String a = "{\"app\":\"a\",\"env\":\"prod\"}";
    assertThat(lines("fake", "|= \"hello\"")).containsExactly(a + " hello from fake");
    assertThat(lines("t1", "|= \"hello\"")).containsExactly(a + " hello from t1");
    // the same line pushed again by its tenant after the restart adds nothing
    pushOk("t1", "a", T, "hello from t1");
    store.refresh();
    assertThat(lines("t1", "{app=\"a\"}")).containsExactly(a + " hello from t1");
    // turning authentication off leaves the data of tenant fake (as in Loki) and hides the others
    restart(false);
    assertThat(lines(null, "|= \"hello\"")).containsExactly(a + " hello from fake");
    assertThat(lines("t1", "|= \"hello\"")).containsExactly(a + " hello from fake");
  }

  @Test
  void requestsWithoutAValidTenantAreRefusedAsLoki() throws Exception {
    start(true);
    HttpResponse<String> r = push(null, "{\"app\":\"a\"}", T, "x");
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).contains("no org id");
    r = get(null, "/loki/api/v1/query_range", "query", "{app=\"a\"}");
    assertThat(r.statusCode()).isEqualTo(401);
    r = get(null, "/loki/api/v1/labels");
    assertThat(r.statusCode()).isEqualTo(401);
    r = get("a/b", "/loki/api/v1/labels");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("tenant ID 'a/b' contains unsupported character '/'");
    r = get("x".repeat(151), "/loki/api/v1/labels");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("too long");
    assertThat(get(null, "/loki/api/v1/status/buildinfo").statusCode()).isEqualTo(200);
    // a pushed stream may not name a tenant itself; the push's other streams are kept
    String body =
        "{\"streams\":[{\"stream\":{\"app\":\"a\",\"__tenant__\":\"t2\"},\"values\":[[\""
            + T
            + "\",\"spoof\"]]},{\"stream\":{\"app\":\"a\"},\"values\":[[\""
            + T
            + "\",\"kept\"]]}]}";
    r =
        client.send(
            HttpRequest.newBuilder(URI.create(server.baseUrl() + "/loki/api/v1/push"))
                .header("Content-Type", "application/json")
                .header("X-Scope-OrgID", "t1")
                .POST(BodyPublishers.ofString(body))
                .build(),
            BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("__tenant__").contains("reserved");
    store.refresh();
    assertThat(lines("t1", "{app=\"a\"}")).containsExactly("{\"app\":\"a\"} kept");
    assertThat(lines("t2", "{app=\"a\"}")).isEmpty();
  }

  @Test
  void withoutAuthenticationTheHeaderIsIgnored() throws Exception {
    start(false);
    pushOk("t1", "a", T, "one");
    pushOk(null, "a", T + SEC, "two");
    store.refresh();
    String a = "{\"app\":\"a\",\"env\":\"prod\"}";
    assertThat(lines(null, "{app=\"a\"}")).containsExactly(a + " one", a + " two");
    assertThat(lines("t2", "{app=\"a\"}")).containsExactly(a + " one", a + " two");
  }

  @Test
  void aTailSeesOnlyItsTenantsLines() throws Exception {
    start(true);
    LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
    WebSocket.Listener l =
        new WebSocket.Listener() {
          final StringBuilder partial = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
              try {
                for (JsonNode s : Json.MAPPER.readTree(partial.toString()).get("streams")) {
                  for (JsonNode v : s.get("values")) {
                    got.add(s.get("stream").toString() + " " + v.get(1).asText());
                  }
                }
              } catch (java.io.IOException e) {
                got.add("bad frame: " + e);
              }
              partial.setLength(0);
            }
            ws.request(1);
            return null;
          }
        };
    String url =
        server.baseUrl().replace("http://", "ws://")
            + "/loki/api/v1/tail?query="
            + URLEncoder.encode("{app=\"a\"}", StandardCharsets.UTF_8);
    WebSocket ws =
        client
            .newWebSocketBuilder()
            .header("X-Scope-OrgID", "t1")
            .buildAsync(URI.create(url), l)
            .get(10, TimeUnit.SECONDS);
    try {
      long now = System.currentTimeMillis() * 1_000_000L;
      pushOk("t2", "a", now, "not for t1");
      pushOk("fake", "a", now + 1, "not for t1 either");
      pushOk("t1", "a", now + 2, "for t1");
      String first = got.poll(10, TimeUnit.SECONDS);
      assertThat(first).isEqualTo("{\"app\":\"a\",\"env\":\"prod\"} for t1");
      assertThat(got.poll(300, TimeUnit.MILLISECONDS)).isNull();
    } finally {
      ws.abort();
    }
  }
}
