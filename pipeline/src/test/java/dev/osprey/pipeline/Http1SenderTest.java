package dev.osprey.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class Http1SenderTest {
  /**
   * A raw HTTP/1.1 server on 127.0.0.1: reads each request (headers and Content-Length body) and
   * writes the bytes {@code answer} returns for it; {@code closeAfter} requests per connection.
   */
  static final class RawServer implements AutoCloseable {
    final ServerSocket server;
    final List<String> requests = new CopyOnWriteArrayList<>();
    final List<Integer> connections = new CopyOnWriteArrayList<>();
    private final Thread thread;

    RawServer(int closeAfter, Function<String, String> answer) throws IOException {
      server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
      thread =
          new Thread(
              () -> {
                for (int conn = 0; conn < 20; conn++) {
                  try (Socket s = server.accept()) {
                    connections.add(conn);
                    InputStream in = s.getInputStream();
                    for (int r = 0; r < closeAfter; r++) {
                      String req = readRequest(in);
                      if (req == null) {
                        break;
                      }
                      requests.add(req);
                      s.getOutputStream().write(answer.apply(req).getBytes(StandardCharsets.UTF_8));
                      s.getOutputStream().flush();
                    }
                  } catch (IOException e) {
                    return; // closed
                  }
                }
              });
      thread.setDaemon(true);
      thread.start();
    }

    URI uri() {
      return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/loki/api/v1/push?x=1");
    }

    private static String readRequest(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int c;
      while ((c = in.read()) >= 0) {
        head.write(c);
        String h = head.toString(StandardCharsets.ISO_8859_1);
        if (h.endsWith("\r\n\r\n")) {
          int at = h.indexOf("Content-Length: ");
          int len = Integer.parseInt(h.substring(at + 16, h.indexOf("\r\n", at)));
          return h + new String(in.readNBytes(len), StandardCharsets.ISO_8859_1);
        }
        if (head.size() > 65536) {
          throw new IOException("header too long");
        }
      }
      return null;
    }

    @Override
    public void close() throws IOException {
      server.close();
      thread.interrupt();
    }
  }

  private static Http1Sender sender(RawServer s) {
    return new Http1Sender(
        s.uri(), Map.of("X-Scope-OrgID", "t1"), Duration.ofSeconds(5), "test-push");
  }

  private static Http1Sender.Response post(Http1Sender h, String body) throws Exception {
    return h.post(body.getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
  }

  @Test
  void sendsTheRequestAndReadsEveryKindOfResponseOnOneConnection() throws Exception {
    List<String> answers =
        List.of(
            "HTTP/1.1 204 No Content\r\n\r\n",
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            "HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nbad r\r\n7;x=y\r\nequest\n\r\n0\r\nTrailer: 1\r\n\r\n",
            "HTTP/1.1 500 Oops\r\ncontent-length: 0\r\n\r\n");
    int[] n = {0};
    try (RawServer s = new RawServer(100, req -> answers.get(n[0]++));
        Http1Sender h = sender(s)) {
      assertThat(post(h, "a").status()).isEqualTo(204);
      Http1Sender.Response ok = post(h, "bb");
      assertThat(ok.status()).isEqualTo(200);
      assertThat(new String(ok.body(), StandardCharsets.UTF_8)).isEqualTo("ok");
      Http1Sender.Response bad = post(h, "ccc");
      assertThat(bad.status()).isEqualTo(400);
      assertThat(new String(bad.body(), StandardCharsets.UTF_8)).isEqualTo("bad request\n");
      assertThat(post(h, "").status()).isEqualTo(500);
      assertThat(s.connections).hasSize(1);
      assertThat(s.requests.get(0))
          .isEqualTo(
              "POST /loki/api/v1/push?x=1 HTTP/1.1\r\nHost: 127.0.0.1:"
                  + s.server.getLocalPort()
                  + "\r\nX-Scope-OrgID: t1\r\nContent-Length: 1\r\n\r\na");
      assertThat(s.requests.get(3)).endsWith("Content-Length: 0\r\n\r\n");
    }
  }

  @Test
  void aConnectionTheServerClosedIsReplacedAndTheRequestSentAgain() throws Exception {
    // One request per connection and no "Connection: close": the second request meets a closed
    // connection and goes out once more on a new one.
    try (RawServer s = new RawServer(1, req -> "HTTP/1.1 204 No Content\r\n\r\n");
        Http1Sender h = sender(s)) {
      for (int i = 0; i < 3; i++) {
        assertThat(post(h, "x" + i).status()).isEqualTo(204);
      }
      assertThat(s.requests).hasSize(3);
      assertThat(s.connections).hasSize(3);
    }
  }

  @Test
  void aCloseDelimitedBodyIsReadToTheEnd() throws Exception {
    try (RawServer s =
            new RawServer(1, req -> "HTTP/1.1 503 Busy\r\nConnection: close\r\n\r\nslow down");
        Http1Sender h = sender(s)) {
      Http1Sender.Response r = post(h, "x");
      assertThat(r.status()).isEqualTo(503);
      assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("slow down");
      assertThat(post(h, "y").status()).isEqualTo(503);
      assertThat(s.connections).hasSize(2);
    }
  }

  @Test
  void anAnswerSentBeforeTheBodyWasReadIsReturned() throws Exception {
    // Like a server that refuses a declared Content-Length at once (413) and closes: the body,
    // far larger than the socket buffers, cannot be written, yet the answer is there to read.
    try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread server =
          new Thread(
              () -> {
                try (Socket s = ss.accept()) {
                  InputStream in = s.getInputStream();
                  ByteArrayOutputStream head = new ByteArrayOutputStream();
                  int c;
                  while ((c = in.read()) >= 0 && head.size() < 65536) {
                    head.write(c);
                    if (head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                      break;
                    }
                  }
                  s.getOutputStream()
                      .write(
                          ("HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 9\r\n"
                                  + "Connection: close\r\n\r\ntoo large")
                              .getBytes(StandardCharsets.ISO_8859_1));
                  s.getOutputStream().flush();
                  Thread.sleep(300);
                } catch (IOException | InterruptedException e) {
                  // the test fails on the client side if this matters
                }
              });
      server.setDaemon(true);
      server.start();
      URI u = URI.create("http://127.0.0.1:" + ss.getLocalPort() + "/w");
      try (Http1Sender h = new Http1Sender(u, Map.of(), Duration.ofSeconds(5), "test-push")) {
        Http1Sender.Response r = h.post(new byte[64 << 20]).get(20, TimeUnit.SECONDS);
        assertThat(r.status()).isEqualTo(413);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("too large");
      }
      server.join(10_000);
    }
  }

  @Test
  void aRefusedConnectionFailsWithAnIoException() throws Exception {
    URI gone;
    try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      gone = URI.create("http://127.0.0.1:" + ss.getLocalPort() + "/w");
    }
    try (Http1Sender h = new Http1Sender(gone, Map.of(), Duration.ofSeconds(2), "test-push")) {
      assertThatThrownBy(() -> h.post(new byte[] {1}).get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(IOException.class);
    }
  }

  @Test
  void headersWithLineBreaksAreRefused() {
    assertThatThrownBy(
            () ->
                new Http1Sender(
                    URI.create("http://127.0.0.1:1/w"),
                    Map.of("X-A", "a\r\nX-B: b"),
                    Duration.ofSeconds(1),
                    "test-push"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
