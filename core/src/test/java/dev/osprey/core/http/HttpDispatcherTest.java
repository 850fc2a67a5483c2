package dev.osprey.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The dispatcher in an EmbeddedChannel, handlers run inline on the test thread. */
class HttpDispatcherTest {
  private EmbeddedChannel server;

  private final Router router =
      new Router()
          .get(
              "/api/v1/label/{name}/values",
              r -> HttpResponse.success(List.of(r.pathParam("name"), r.param("match[]"))))
          .getOrPost("/api/v1/query", r -> HttpResponse.success(r.params("query")))
          .post("/echo", r -> HttpResponse.text(200, new String(r.body(), StandardCharsets.UTF_8)))
          .get(
              "/bad",
              r -> {
                throw ApiException.badData("invalid parameter \"query\": unexpected end of input");
              })
          .get(
              "/boom",
              r -> {
                throw new IllegalStateException("BUG: kaput");
              })
          .get("/-/healthy", r -> HttpResponse.text(200, "OK\n"));

  /** Runs every task at once on the calling thread, so EmbeddedChannel stays single-threaded. */
  private static final class InlineExecutor extends AbstractExecutorService {
    boolean reject;

    @Override
    public void execute(Runnable command) {
      if (reject) {
        throw new RejectedExecutionException("full");
      }
      command.run();
    }

    @Override
    public void shutdown() {}

    @Override
    public List<Runnable> shutdownNow() {
      return List.of();
    }

    @Override
    public boolean isShutdown() {
      return false;
    }

    @Override
    public boolean isTerminated() {
      return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return true;
    }
  }

  private final InlineExecutor executor = new InlineExecutor();

  private EmbeddedChannel channel(long maxBody, Auth auth) {
    return channel(maxBody, auth, executor);
  }

  private EmbeddedChannel channel(long maxBody, Auth auth, ExecutorService ex) {
    EmbeddedChannel ch = new EmbeddedChannel();
    HttpServer.configurePipeline(
        ch.pipeline(),
        new HttpDispatcher.Context(
            router,
            ex,
            maxBody,
            auth,
            true,
            new AtomicInteger(),
            new SimpleMeterRegistry(),
            () -> false));
    return ch;
  }

  /** Sends a request through a client codec and returns the decoded response. */
  private FullHttpResponse exchange(EmbeddedChannel srv, FullHttpRequest req) {
    EmbeddedChannel client =
        new EmbeddedChannel(new HttpClientCodec(), new HttpObjectAggregator(1 << 24));
    client.writeOutbound(req);
    Object out;
    while ((out = client.readOutbound()) != null) {
      srv.writeInbound(out);
    }
    srv.runPendingTasks();
    Object back;
    while ((back = srv.readOutbound()) != null) {
      client.writeInbound(back);
    }
    FullHttpResponse resp = client.readInbound();
    FullHttpResponse copy = resp.copy();
    resp.release();
    assertThat(client.finishAndReleaseAll()).isFalse();
    return copy;
  }

  private static FullHttpRequest get(String uri) {
    FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    r.headers().set(HttpHeaderNames.HOST, "localhost");
    return r;
  }

  private static FullHttpRequest post(String uri, String contentType, byte[] body) {
    FullHttpRequest r =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1, HttpMethod.POST, uri, Unpooled.wrappedBuffer(body));
    r.headers().set(HttpHeaderNames.HOST, "localhost");
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    r.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
    return r;
  }

  private static String body(FullHttpResponse r) {
    String s = r.content().toString(StandardCharsets.UTF_8);
    r.release();
    return s;
  }

  @AfterEach
  void noLeaks() {
    if (server != null) {
      assertThat(server.finishAndReleaseAll()).isFalse();
    }
  }

  @Test
  void routesWithPathAndQueryParameters() {
    server = channel(1024, Auth.NONE);
    FullHttpResponse r =
        exchange(server, get("/api/v1/label/job/values?match%5B%5D=up%7Bjob%3D%22a%22%7D"));
    assertThat(r.status().code()).isEqualTo(200);
    assertThat(r.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("application/json");
    assertThat(body(r))
        .isEqualTo("{\"status\":\"success\",\"data\":[\"job\",\"up{job=\\\"a\\\"}\"]}");
  }

  @Test
  void formBodyParametersFollowQueryParameters() {
    server = channel(1024, Auth.NONE);
    FullHttpResponse r =
        exchange(
            server,
            post(
                "/api/v1/query?query=a",
                "application/x-www-form-urlencoded",
                "query=sum+by+%28x%29+%28b%29".getBytes(StandardCharsets.UTF_8)));
    assertThat(body(r)).isEqualTo("{\"status\":\"success\",\"data\":[\"a\",\"sum by (x) (b)\"]}");
  }

  @Test
  void gzipRequestBodyIsDecoded() throws Exception {
    server = channel(1024, Auth.NONE);
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
      gz.write("hello, compressed world".getBytes(StandardCharsets.UTF_8));
    }
    FullHttpRequest req = post("/echo", "text/plain", bos.toByteArray());
    req.headers().set(HttpHeaderNames.CONTENT_ENCODING, "gzip");
    assertThat(body(exchange(server, req))).isEqualTo("hello, compressed world");
  }

  @Test
  void bodiesInEncodingsTheHandlerUndoesArePassedOnAsTheyAre() throws Exception {
    HttpDispatcher d =
        new HttpDispatcher(
            new HttpDispatcher.Context(
                router,
                executor,
                1024,
                Auth.NONE,
                false,
                new AtomicInteger(),
                new SimpleMeterRegistry(),
                () -> false));
    byte[] body = {0x17, 0x58, 1, 2, 3};
    // snappy (remote_write, Loki push) is the handler's to undo: the very array, not a copy
    assertThat(d.decode("snappy", body)).isSameAs(body);
    assertThat(d.decode(null, body)).isSameAs(body);
    assertThat(d.decode("identity", body)).isSameAs(body);
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
      gz.write(body);
    }
    assertThat(d.decode("GZIP", bos.toByteArray())).isEqualTo(body);
  }

  @Test
  void gzipBombBeyondTheLimitIs413() throws Exception {
    server = channel(1024, Auth.NONE);
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
      gz.write(new byte[100_000]);
    }
    FullHttpRequest req = post("/echo", "text/plain", bos.toByteArray());
    req.headers().set(HttpHeaderNames.CONTENT_ENCODING, "gzip");
    FullHttpResponse r = exchange(server, req);
    assertThat(r.status().code()).isEqualTo(413);
    r.release();
  }

  @Test
  void bodyOverTheLimitIs413WithPrometheusEnvelope() {
    server = channel(16, Auth.NONE);
    FullHttpResponse r = exchange(server, post("/echo", "text/plain", new byte[100]));
    assertThat(r.status().code()).isEqualTo(413);
    assertThat(body(r)).contains("\"errorType\":\"bad_data\"").contains("limit is 16 bytes");
  }

  @Test
  void unknownPathIs404AndWrongMethodIs405() {
    server = channel(1024, Auth.NONE);
    FullHttpResponse r = exchange(server, get("/nope"));
    assertThat(r.status().code()).isEqualTo(404);
    r.release();
    r = exchange(server, get("/echo"));
    assertThat(r.status().code()).isEqualTo(405);
    assertThat(r.headers().get(HttpHeaderNames.ALLOW)).isEqualTo("POST");
    r.release();
  }

  @Test
  void apiExceptionsUseThePrometheusEnvelopeAndCode() {
    server = channel(1024, Auth.NONE);
    FullHttpResponse r = exchange(server, get("/bad"));
    assertThat(r.status().code()).isEqualTo(400);
    assertThat(body(r))
        .isEqualTo(
            "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"query\\\": unexpected end of input\"}");
    r = exchange(server, get("/boom"));
    assertThat(r.status().code()).isEqualTo(500);
    assertThat(body(r)).contains("\"errorType\":\"internal\"");
  }

  @Test
  void saturatedWorkersAnswer503() {
    executor.reject = true;
    server = channel(1024, Auth.NONE);
    FullHttpResponse r = exchange(server, get("/api/v1/query?query=up"));
    assertThat(r.status().code()).isEqualTo(503);
    assertThat(body(r)).contains("\"errorType\":\"unavailable\"");
  }

  @Test
  void bearerAndBasicAuth() {
    server = channel(1024, new Auth("s3cret", null, null));
    FullHttpResponse r = exchange(server, get("/api/v1/query?query=up"));
    assertThat(r.status().code()).isEqualTo(401);
    assertThat(r.headers().get(HttpHeaderNames.WWW_AUTHENTICATE)).startsWith("Bearer");
    r.release();
    FullHttpRequest ok = get("/api/v1/query?query=up");
    ok.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer s3cret");
    r = exchange(server, ok);
    assertThat(r.status().code()).isEqualTo(200);
    r.release();
    r = exchange(server, get("/-/healthy"));
    assertThat(r.status().code()).as("health checks stay open").isEqualTo(200);
    r.release();
    assertThat(server.finishAndReleaseAll()).isFalse();

    server = channel(1024, new Auth(null, "admin", "pw"));
    FullHttpRequest basic = get("/api/v1/query?query=up");
    basic
        .headers()
        .set(
            HttpHeaderNames.AUTHORIZATION,
            "Basic "
                + Base64.getEncoder().encodeToString("admin:pw".getBytes(StandardCharsets.UTF_8)));
    r = exchange(server, basic);
    assertThat(r.status().code()).isEqualTo(200);
    r.release();
    FullHttpRequest wrong = get("/api/v1/query?query=up");
    wrong
        .headers()
        .set(
            HttpHeaderNames.AUTHORIZATION,
            "Basic "
                + Base64.getEncoder()
                    .encodeToString("admin:nope".getBytes(StandardCharsets.UTF_8)));
    r = exchange(server, wrong);
    assertThat(r.status().code()).isEqualTo(401);
    r.release();
  }
}
