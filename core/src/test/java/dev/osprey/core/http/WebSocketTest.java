package dev.osprey.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The kit's websocket support against the JDK's websocket client on 127.0.0.1. */
class WebSocketTest {
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** Collects what the client receives; text messages are reassembled. */
  static final class Recorder implements WebSocket.Listener {
    final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
    final BlockingQueue<String> pongs = new LinkedBlockingQueue<>();
    final AtomicInteger pings = new AtomicInteger();
    final CompletableFuture<String> closed = new CompletableFuture<>();
    final boolean autoRequest;
    private final StringBuilder partial = new StringBuilder();

    Recorder(boolean autoRequest) {
      this.autoRequest = autoRequest;
    }

    @Override
    public void onOpen(WebSocket ws) {
      if (autoRequest) {
        ws.request(Long.MAX_VALUE);
      }
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        texts.add(partial.toString());
        partial.setLength(0);
      }
      return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket ws, ByteBuffer message) {
      pings.incrementAndGet();
      return WebSocket.Listener.super.onPing(ws, message); // answers with a pong
    }

    @Override
    public CompletionStage<?> onPong(WebSocket ws, ByteBuffer message) {
      pongs.add(StandardCharsets.UTF_8.decode(message).toString());
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
      closed.complete(code + " " + reason);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.complete("error " + error);
    }

    String next() throws InterruptedException {
      String s = texts.poll(10, TimeUnit.SECONDS);
      assertThat(s).as("a message within 10 s").isNotNull();
      return s;
    }
  }

  private WebSocket connect(HttpServer s, String path, WebSocket.Listener l) throws Exception {
    return client
        .newWebSocketBuilder()
        .connectTimeout(Duration.ofSeconds(5))
        .buildAsync(URI.create(s.baseUrl().replace("http://", "ws://") + path), l)
        .get(10, TimeUnit.SECONDS);
  }

  @Test
  void echoesTextAnswersPingsAndClosesCleanly() throws Exception {
    BlockingQueue<String> serverClosed = new LinkedBlockingQueue<>();
    Router router =
        new Router()
            .get(
                "/echo",
                r ->
                    HttpResponse.webSocket(
                        new WebSocketListener() {
                          @Override
                          public void onOpen(WebSocketSession ws) {
                            ws.sendText("hello " + r.param("name"));
                          }

                          @Override
                          public void onText(WebSocketSession ws, String text) {
                            ws.sendText(text.toUpperCase(java.util.Locale.ROOT));
                          }

                          @Override
                          public void onClose(WebSocketSession ws, int code, String reason) {
                            serverClosed.add(code + " " + reason);
                          }
                        }));
    try (HttpServer s = new HttpServer(HttpServer.Options.local(0), router, null).start()) {
      Recorder rec = new Recorder(true);
      WebSocket ws = connect(s, "/echo?name=osprey", rec);
      assertThat(rec.next()).isEqualTo("hello osprey");
      ws.sendText("abc", true).get(5, TimeUnit.SECONDS);
      assertThat(rec.next()).isEqualTo("ABC");
      // A message in fragments is reassembled before the listener sees it.
      ws.sendText("de", false).get(5, TimeUnit.SECONDS);
      ws.sendText("f", true).get(5, TimeUnit.SECONDS);
      assertThat(rec.next()).isEqualTo("DEF");
      ws.sendPing(ByteBuffer.wrap("p1".getBytes(StandardCharsets.UTF_8))).get(5, TimeUnit.SECONDS);
      assertThat(rec.pongs.poll(10, TimeUnit.SECONDS)).isEqualTo("p1");
      ws.sendClose(1000, "bye").get(5, TimeUnit.SECONDS);
      assertThat(serverClosed.poll(10, TimeUnit.SECONDS)).isEqualTo("1000 bye");
      assertThat(rec.closed.get(10, TimeUnit.SECONDS)).startsWith("1000");
    }
  }

  @Test
  void aRouteRejectsBeforeTheUpgradeAndAPlainGetIsRefused() throws Exception {
    BlockingQueue<Integer> neverOpened = new LinkedBlockingQueue<>();
    Router router =
        new Router()
            .get(
                "/ws",
                r -> {
                  if (r.param("query") == null) {
                    throw ApiException.badData("query parameter is required");
                  }
                  return HttpResponse.webSocket(
                      new WebSocketListener() {
                        @Override
                        public void onClose(WebSocketSession ws, int code, String reason) {
                          neverOpened.add(code);
                        }
                      });
                });
    try (HttpServer s = new HttpServer(HttpServer.Options.local(0), router, null).start()) {
      assertThatThrownBy(() -> connect(s, "/ws", new Recorder(true)))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOfSatisfying(
              WebSocketHandshakeException.class,
              e -> assertThat(e.getResponse().statusCode()).isEqualTo(400));
      var plain =
          client.send(
              java.net.http.HttpRequest.newBuilder(URI.create(s.baseUrl() + "/ws?query=x")).build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(plain.statusCode()).isEqualTo(400);
      assertThat(plain.body()).contains("not using the websocket protocol");
      // The route's listener hears that its socket never opened, so it can let go.
      assertThat(neverOpened.poll(10, TimeUnit.SECONDS)).isEqualTo(1006);
      // The connection still serves ordinary requests afterwards (keep-alive after the 400).
      var again =
          client.send(
              java.net.http.HttpRequest.newBuilder(URI.create(s.baseUrl() + "/ws")).build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(again.statusCode()).isEqualTo(400);
      assertThat(again.body()).contains("query parameter is required");
    }
  }

  @Test
  void aSlowClientGetsMessagesDroppedNotQueuedWithoutBound() throws Exception {
    String big = "x".repeat(64 << 10);
    AtomicReference<WebSocketSession> session = new AtomicReference<>();
    CountDownLatch opened = new CountDownLatch(1);
    WebSocketSettings settings = WebSocketSettings.defaults().withQueue(4, 1 << 20);
    Router router =
        new Router()
            .get(
                "/flood",
                r ->
                    HttpResponse.webSocket(
                        new WebSocketListener() {
                          @Override
                          public void onOpen(WebSocketSession ws) {
                            session.set(ws);
                            opened.countDown();
                          }
                        },
                        settings));
    try (HttpServer s = new HttpServer(HttpServer.Options.local(0), router, null).start()) {
      Recorder rec = new Recorder(false); // requests nothing: reads nothing
      WebSocket ws = connect(s, "/flood", rec);
      assertThat(opened.await(10, TimeUnit.SECONDS)).isTrue();
      WebSocketSession server = session.get();
      int accepted = 0;
      int maxQueued = 0;
      for (int i = 0; i < 2000; i++) {
        if (server.sendText(big)) {
          accepted++;
        }
        maxQueued = Math.max(maxQueued, server.queuedMessages());
      }
      assertThat(server.dropped()).isEqualTo(2000 - accepted).isPositive();
      assertThat(maxQueued).isLessThanOrEqualTo(4);
      // Once the client reads again, exactly the accepted messages arrive, then the marker.
      ws.request(Long.MAX_VALUE);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (server.queuedMessages() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(server.sendText("end")).isTrue();
      int received = 0;
      for (String m = rec.next(); !m.equals("end"); m = rec.next()) {
        assertThat(m).hasSize(big.length());
        received++;
      }
      assertThat(received).isEqualTo(accepted);
    }
  }

  @Test
  void pingsKeepAQuietConnectionAndShutdownSaysGoingAway() throws Exception {
    WebSocketSettings settings =
        WebSocketSettings.defaults().withPingInterval(Duration.ofMillis(100));
    Router router =
        new Router()
            .get(
                "/quiet",
                r ->
                    HttpResponse.webSocket(
                        new WebSocketListener() {
                          @Override
                          public void onText(WebSocketSession ws, String text) {
                            ws.sendText(text);
                          }
                        },
                        settings));
    HttpServer s = new HttpServer(HttpServer.Options.local(0), router, null).start();
    Recorder rec = new Recorder(true);
    try {
      WebSocket ws = connect(s, "/quiet", rec);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (rec.pings.get() < 5 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(rec.pings.get()).isGreaterThanOrEqualTo(5);
      // Five intervals passed; the client's pongs kept it open.
      ws.sendText("still here", true).get(5, TimeUnit.SECONDS);
      assertThat(rec.next()).isEqualTo("still here");
    } finally {
      s.close();
    }
    assertThat(rec.closed.get(10, TimeUnit.SECONDS)).isEqualTo("1001 server shutting down");
    assertThat(List.of(rec.closed.isDone())).containsExactly(true);
  }
}
