package dev.osprey.query.logql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.osprey.core.config.LogIndexConfig;
import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.http.HttpServer;
import dev.osprey.core.http.Json;
import dev.osprey.core.http.Router;
import dev.osprey.core.labels.Labels;
import dev.osprey.logs.index.LogEntry;
import dev.osprey.logs.index.LogStore;
import dev.osprey.logs.index.LogStream;
import dev.osprey.logs.index.http.LokiPushRoutes;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /loki/api/v1/tail} over a real socket on 127.0.0.1: the JDK's websocket client, lines
 * pushed through Loki's push API.
 */
class LokiTailTest {
  static final long SEC = 1_000_000_000L;
  @TempDir Path dir;
  final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  LogStore store;
  LokiApi api;
  HttpServer server;

  void start(int maxPending) {
    store = LogStore.open(dir, LogIndexConfig.DEFAULTS, new SimpleMeterRegistry(), false);
    api =
        new LokiApi(
            store, QueryConfig.DEFAULTS, new SimpleMeterRegistry(), LokiTail.SOCKET, maxPending);
    Router router = new Router();
    new LokiPushRoutes(store, new SimpleMeterRegistry()).register(router);
    api.register(router);
    server = new HttpServer(HttpServer.Options.local(0), router, null).start();
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (store != null) {
      store.close();
    }
  }

  static long now() {
    return System.currentTimeMillis() * 1_000_000L;
  }

  /** Reassembles text messages and parses them. */
  static final class Frames implements WebSocket.Listener {
    final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    final StringBuilder partial = new StringBuilder();

    @Override
    public void onOpen(WebSocket ws) {
      ws.request(Long.MAX_VALUE);
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        try {
          frames.add(Json.MAPPER.readTree(partial.toString()));
        } catch (java.io.IOException e) {
          closed.completeExceptionally(e);
        }
        partial.setLength(0);
      }
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
      closed.complete(code);
      return null;
    }

    JsonNode next() throws InterruptedException {
      JsonNode n = frames.poll(10, TimeUnit.SECONDS);
      assertThat(n).as("a frame within 10 s").isNotNull();
      return n;
    }

    /** Frames until one holds {@code line}; every line seen on the way, as "app:line". */
    List<String> until(String line) throws InterruptedException {
      List<String> seen = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        JsonNode f = next();
        for (JsonNode s : f.get("streams")) {
          for (JsonNode v : s.get("values")) {
            assertThat(v.get(0).isTextual()).isTrue();
            seen.add(s.get("stream").get("app").asText() + ":" + v.get(1).asText());
          }
        }
        if (seen.stream().anyMatch(x -> x.endsWith(":" + line))) {
          return seen;
        }
      }
      throw new AssertionError("no frame with " + line + " among " + seen);
    }
  }

  String url(String query, String... more) {
    StringBuilder b =
        new StringBuilder(server.baseUrl().replace("http://", "ws://"))
            .append("/loki/api/v1/tail?query=")
            .append(URLEncoder.encode(query, StandardCharsets.UTF_8));
    for (int i = 0; i < more.length; i += 2) {
      b.append('&').append(more[i]).append('=').append(more[i + 1]);
    }
    return b.toString();
  }

  WebSocket connect(String url, Frames f) throws Exception {
    return client.newWebSocketBuilder().buildAsync(URI.create(url), f).get(10, TimeUnit.SECONDS);
  }

  void push(String app, long ts, String line) throws Exception {
    String body =
        "{\"streams\":[{\"stream\":{\"app\":\""
            + app
            + "\",\"env\":\"prod\"},\"values\":[[\""
            + ts
            + "\","
            + Json.MAPPER.writeValueAsString(line)
            + "]]}]}";
    var r =
        client.send(
            java.net.http.HttpRequest.newBuilder(URI.create(server.baseUrl() + "/loki/api/v1/push"))
                .header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString(body))
                .build(),
            BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
  }

  void awaitNoTails() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (api.activeTails() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(api.activeTails()).isZero();
  }

  @Test
  void recentLinesThenLiveLinesThroughTheFilterThenACleanClose() throws Exception {
    start(LokiTail.MAX_PENDING);
    long t = now();
    push("x", t - 20 * SEC, "err: disk full");
    push("x", t - 19 * SEC, "all fine");
    push("y", t - 18 * SEC, "err: elsewhere");
    store.refresh();

    Frames f = new Frames();
    WebSocket ws = connect(url("{app=\"x\"} |= \"err\"", "limit", "10"), f);
    JsonNode first = f.next();
    assertThat(first.get("streams")).hasSize(1);
    assertThat(first.get("streams").get(0).get("stream").get("app").asText()).isEqualTo("x");
    assertThat(first.get("streams").get(0).get("values").get(0).get(1).asText())
        .isEqualTo("err: disk full");
    assertThat(first.get("streams").get(0).get("values").get(0).get(0).asText())
        .isEqualTo(Long.toString(t - 20 * SEC));

    push("x", now(), "no problem here");
    push("y", now(), "err: other app");
    push("x", now(), "err: connection reset");
    List<String> seen = f.until("err: connection reset");
    assertThat(seen).containsExactly("x:err: connection reset");

    ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
    assertThat(f.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1000);
    awaitNoTails();
    push("x", now(), "err: after close"); // nobody listening: nothing breaks
  }

  @Test
  void aSelectorlessSearchAndALabelPipelineTailToo() throws Exception {
    start(LokiTail.MAX_PENDING);
    Frames f = new Frames();
    WebSocket ws =
        connect(url("|= \"timeout\" | logfmt | status >= 500", "start", Long.toString(now())), f);
    push("a", now(), "msg=timeout status=200");
    push("b", now(), "msg=ok status=503");
    push("c", now(), "msg=timeout status=504");
    List<String> seen = f.until("msg=timeout status=504");
    assertThat(seen).containsExactly("c:msg=timeout status=504");
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
    awaitNoTails();
  }

  @Test
  void delayForHoldsLinesBackToSendALateOneInOrder() throws Exception {
    start(LokiTail.MAX_PENDING);
    Frames f = new Frames();
    WebSocket ws = connect(url("{app=\"x\"}", "delay_for", "1", "start", Long.toString(now())), f);
    long t = now();
    push("x", t, "second");
    push("x", t - SEC / 2, "first, but late");
    List<String> seen = f.until("second");
    assertThat(seen).containsExactly("x:first, but late", "x:second");
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
    awaitNoTails();
  }

  @Test
  void linesBeyondTheBufferAreReportedAsDropped() throws Exception {
    start(5);
    Frames f = new Frames();
    WebSocket ws = connect(url("{app=\"x\"}", "start", Long.toString(now())), f);
    long t = now();
    List<LogEntry> burst = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      burst.add(new LogEntry(t + i, "line " + i));
    }
    store.append(List.of(new LogStream(Labels.of("app", "x"), burst)));
    push("x", now() + SEC, "marker");
    int delivered = 0;
    int dropped = 0;
    for (int i = 0; i < 100 && delivered + dropped < 21; i++) {
      JsonNode frame = f.next();
      for (JsonNode s : frame.get("streams")) {
        delivered += s.get("values").size();
      }
      if (frame.has("dropped_entries")) {
        for (JsonNode d : frame.get("dropped_entries")) {
          assertThat(d.get("labels").get("app").asText()).isEqualTo("x");
          assertThat(d.get("timestamp").asText()).matches("[0-9]+");
          dropped++;
        }
      }
    }
    assertThat(delivered + dropped).isEqualTo(21);
    assertThat(dropped).isPositive();
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
    awaitNoTails();
  }

  @Test
  void badRequestsAreAnsweredAsLokiBeforeTheUpgrade() throws Exception {
    start(LokiTail.MAX_PENDING);
    String[][] cases = {
      {"{app=\"x\"", "", "parse error at line 1"},
      {"{app=\"x\"}", "&limit=100000", "max entries limit per query exceeded"},
      {"{app=\"x\"}", "&limit=0", "limit must be a positive value"},
      {"{app=\"x\"}", "&delay_for=6", "delay_for can't be greater than 5"},
      {"count_over_time({app=\"x\"}[1m])", "", "tail only supports log queries"},
    };
    for (String[] c : cases) {
      String u = url(c[0]) + c[1];
      assertThatThrownBy(() -> connect(u, new Frames()))
          .as(c[0] + c[1])
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOfSatisfying(
              WebSocketHandshakeException.class,
              e -> assertThat(e.getResponse().statusCode()).isEqualTo(400));
      var plain =
          client.send(
              java.net.http.HttpRequest.newBuilder(URI.create(u.replace("ws://", "http://")))
                  .build(),
              BodyHandlers.ofString());
      assertThat(plain.statusCode()).isEqualTo(400);
      assertThat(plain.body()).as(c[0] + c[1]).contains(c[2]);
    }
    // An accepted query on a plain GET (no upgrade) leaves no subscriber behind.
    var plain =
        client.send(
            java.net.http.HttpRequest.newBuilder(
                    URI.create(url("{app=\"x\"}").replace("ws://", "http://")))
                .build(),
            BodyHandlers.ofString());
    assertThat(plain.statusCode()).isEqualTo(400);
    awaitNoTails();
  }

  @Test
  void concurrentTailsAreLimitedAsLoki() throws Exception {
    start(LokiTail.MAX_PENDING);
    List<WebSocket> open = new ArrayList<>();
    for (int i = 0; i < LokiTail.MAX_TAILERS; i++) {
      open.add(connect(url("{app=\"x\"}"), new Frames()));
    }
    var r =
        client.send(
            java.net.http.HttpRequest.newBuilder(
                    URI.create(url("{app=\"x\"}").replace("ws://", "http://")))
                .build(),
            BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body())
        .isEqualTo("max concurrent tail requests limit exceeded, count > limit (11 > 10)");
    for (WebSocket ws : open) {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
    }
    awaitNoTails();
  }
}
