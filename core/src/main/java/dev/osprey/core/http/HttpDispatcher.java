package dev.osprey.core.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes requests to handlers on the worker pool. One request at a time per connection (reading
 * pauses until the response is written), so responses never overtake each other.
 */
final class HttpDispatcher extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(HttpDispatcher.class);
  private static final Logger access = LoggerFactory.getLogger("osprey.access");

  /** What every connection's dispatcher shares. */
  record Context(
      Router router,
      ExecutorService workers,
      long maxBodyBytes,
      Auth auth,
      boolean accessLog,
      AtomicInteger inFlight,
      MeterRegistry registry,
      BooleanSupplier closing,
      Set<WebSocketSession> webSockets) {
    Context(
        Router router,
        ExecutorService workers,
        long maxBodyBytes,
        Auth auth,
        boolean accessLog,
        AtomicInteger inFlight,
        MeterRegistry registry,
        BooleanSupplier closing) {
      this(
          router,
          workers,
          maxBodyBytes,
          auth,
          accessLog,
          inFlight,
          registry,
          closing,
          ConcurrentHashMap.newKeySet());
    }
  }

  private final Context ctx;

  private static final byte[] NO_BODY = new byte[0];

  // State of the request being received on this connection.
  private io.netty.handler.codec.http.HttpRequest head;
  private Router.Match match;
  private CompositeByteBuf aggregate;
  private boolean aggregating;
  private StreamingBody stream;
  private boolean discarding;
  private long startNanos;

  HttpDispatcher(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext c, Object msg) {
    try {
      if (msg instanceof io.netty.handler.codec.http.HttpRequest req) {
        onHead(c, req);
      }
      if (msg instanceof HttpContent content) {
        onContent(c, content);
      }
    } finally {
      io.netty.util.ReferenceCountUtil.release(msg);
    }
  }

  private void onHead(ChannelHandlerContext c, io.netty.handler.codec.http.HttpRequest req) {
    startNanos = System.nanoTime();
    head = req;
    match = null;
    discarding = false;
    aggregating = false;
    DecoderResult dr = req.decoderResult();
    if (dr.isFailure()) {
      reject(c, 400, "bad_data", "cannot parse request: " + dr.cause().getMessage(), true);
      return;
    }
    if (ctx.closing().getAsBoolean()) {
      reject(c, 503, "unavailable", "server is shutting down", true);
      return;
    }
    QueryStringDecoder qs = new QueryStringDecoder(req.uri());
    String path = qs.path();
    if (!Auth.isOpenPath(path)
        && !ctx.auth().allows(req.headers().get(HttpHeaderNames.AUTHORIZATION))) {
      FullHttpResponse r = plain(401, "Unauthorized\n");
      r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, ctx.auth().challenge());
      discarding = true;
      write(c, r, req, "-", false);
      return;
    }
    match = ctx.router().match(req.method().name(), path);
    if (!match.found()) {
      FullHttpResponse r =
          match.status() == 405
              ? plain(405, "Method Not Allowed\n")
              : plain(404, "404 page not found\n");
      if (match.status() == 405) {
        r.headers().set(HttpHeaderNames.ALLOW, String.join(", ", match.allowed()));
      }
      discarding = true;
      write(c, r, req, "-", false);
      return;
    }
    long declared = HttpUtil.getContentLength(req, -1L);
    if (!match.route().streaming() && declared > ctx.maxBodyBytes()) {
      reject(c, 413, "bad_data", tooLarge(), true);
      return;
    }
    if (match.route().streaming()) {
      // Streaming routes exist for bodies of any size (bulk imports): no limit applies.
      stream = new StreamingBody(c.channel(), 0);
      submit(c, req, match, qs, null, stream);
    } else {
      // the buffer is made when a body's first bytes arrive: most requests (GETs) have none
      aggregating = true;
    }
  }

  private void onContent(ChannelHandlerContext c, HttpContent content) {
    if (discarding || head == null) {
      return;
    }
    ByteBuf buf = content.content();
    if (stream != null) {
      if (buf.isReadable()) {
        stream.offer(buf.retain());
      }
      if (content instanceof LastHttpContent) {
        stream.end();
        stream = null;
        // Read no further request until the streaming handler has answered.
        c.channel().config().setAutoRead(false);
      }
      return;
    }
    if (!aggregating) {
      return;
    }
    if (buf.isReadable()) {
      if (aggregate == null) {
        aggregate = c.alloc().compositeBuffer(1024);
      }
      if (aggregate.readableBytes() + (long) buf.readableBytes() > ctx.maxBodyBytes()) {
        aggregate.release();
        aggregate = null;
        aggregating = false;
        reject(c, 413, "bad_data", tooLarge(), true);
        return;
      }
      aggregate.addComponent(true, buf.retain());
    }
    if (content instanceof LastHttpContent) {
      byte[] body = NO_BODY;
      if (aggregate != null) {
        body = ByteBufUtil.getBytes(aggregate);
        aggregate.release();
        aggregate = null;
      }
      aggregating = false;
      c.channel().config().setAutoRead(false);
      submit(c, head, match, new QueryStringDecoder(head.uri()), body, null);
    }
  }

  /**
   * On the event loop: completes the websocket handshake a route accepted, then hands the
   * connection to a {@link WebSocketFrameHandler} in place of this dispatcher. A request that is
   * not a handshake gets 400 as gorilla/websocket answers it; an unknown version 426.
   */
  private void upgrade(
      ChannelHandlerContext c,
      io.netty.handler.codec.http.HttpRequest req,
      String route,
      HttpResponse accepted) {
    if (!c.channel().isActive()) {
      refused(c, accepted, "connection closed before the upgrade");
      return;
    }
    boolean upgrade =
        "websocket".equalsIgnoreCase(req.headers().get(HttpHeaderNames.UPGRADE, ""))
            && req.headers().containsValue(HttpHeaderNames.CONNECTION, "upgrade", true);
    if (!upgrade || !req.method().equals(HttpMethod.GET)) {
      write(
          c,
          plain(
              400,
              "websocket: the client is not using the websocket protocol: 'upgrade' token not"
                  + " found in 'Connection' header\n"),
          req,
          route,
          true);
      refused(c, accepted, "not a websocket handshake");
      return;
    }
    WebSocketSettings settings = accepted.webSocketSettings();
    FullHttpRequest full =
        new DefaultFullHttpRequest(
            req.protocolVersion(),
            req.method(),
            req.uri(),
            Unpooled.EMPTY_BUFFER,
            req.headers().copy(),
            EmptyHttpHeaders.INSTANCE);
    String scheme = c.pipeline().get("tls") != null ? "wss://" : "ws://";
    WebSocketServerHandshaker hs =
        new WebSocketServerHandshakerFactory(
                scheme + req.headers().get(HttpHeaderNames.HOST, "localhost") + req.uri(),
                null,
                false,
                settings.maxMessageBytes())
            .newHandshaker(full);
    if (hs == null) {
      WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(c.channel())
          .addListener(ChannelFutureListener.CLOSE);
      full.release();
      refused(c, accepted, "unsupported websocket version");
      return;
    }
    WebSocketSession session = new WebSocketSession(c.channel(), settings);
    WebSocketFrameHandler frames =
        new WebSocketFrameHandler(
            session, accepted.webSocketListener(), settings, ctx.webSockets());
    ChannelPipeline p = c.pipeline();
    p.addAfter(c.name(), "ws-aggregate", new WebSocketFrameAggregator(settings.maxMessageBytes()));
    p.addAfter("ws-aggregate", "websocket", frames);
    p.remove(this);
    long nanos = System.nanoTime() - startNanos;
    hs.handshake(c.channel(), full)
        .addListener(
            (ChannelFutureListener)
                f -> {
                  full.release();
                  if (!f.isSuccess()) {
                    f.channel().close();
                    return;
                  }
                  Timer.builder("osprey_http_request_duration_seconds")
                      .description("HTTP requests by route, method and status code")
                      .tags("route", route, "method", "GET", "code", "101")
                      .register(ctx.registry())
                      .record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
                  if (ctx.accessLog()) {
                    access.info(
                        "method=GET path={} status=101 bytes=0 duration_ms={} remote={}",
                        req.uri(),
                        nanos / 1_000_000,
                        f.channel().remoteAddress());
                  }
                  frames.opened(f.channel().pipeline().context(frames));
                  f.channel().config().setAutoRead(true);
                });
  }

  /** A route accepted a websocket that never opened: its listener hears so, once, as a close. */
  private static void refused(ChannelHandlerContext c, HttpResponse accepted, String why) {
    WebSocketSession session = new WebSocketSession(c.channel(), accepted.webSocketSettings());
    session.markClosed();
    try {
      accepted.webSocketListener().onClose(session, 1006, why);
    } catch (RuntimeException e) {
      log.error("event=websocket_listener_failed callback=close error={}", e.toString(), e);
    }
  }

  private String tooLarge() {
    return "request body too large: the limit is " + ctx.maxBodyBytes() + " bytes";
  }

  private void submit(
      ChannelHandlerContext c,
      io.netty.handler.codec.http.HttpRequest req,
      Router.Match m,
      QueryStringDecoder qs,
      byte[] body,
      StreamingBody streamBody) {
    ctx.inFlight().incrementAndGet();
    Map<String, String> headers = new HashMap<>();
    req.headers()
        .forEach(e -> headers.putIfAbsent(e.getKey().toLowerCase(Locale.ROOT), e.getValue()));
    String remote = String.valueOf(c.channel().remoteAddress());
    try {
      ctx.workers()
          .execute(
              () -> {
                // In flight until its response is written: close() waits for that, so an answer
                // is not cut off by the event loops shutting down after the handler returned.
                boolean handedOn = false;
                try {
                  HttpResponse resp;
                  try {
                    resp = run(req, m, qs, headers, body, streamBody, remote);
                  } finally {
                    if (streamBody != null) {
                      streamBody.close();
                    }
                  }
                  if (resp.webSocketListener() != null) {
                    c.executor().execute(() -> upgrade(c, req, m.route().pattern(), resp));
                  } else {
                    write(
                        c,
                        toNetty(resp),
                        req,
                        m.route().pattern(),
                        true,
                        () -> ctx.inFlight().decrementAndGet());
                    handedOn = true;
                  }
                } finally {
                  if (!handedOn) {
                    ctx.inFlight().decrementAndGet();
                  }
                }
              });
    } catch (RejectedExecutionException e) {
      ctx.inFlight().decrementAndGet();
      if (streamBody != null) {
        streamBody.fail(new IOException("server overloaded"));
        stream = null;
      }
      discarding = true;
      write(
          c,
          json(503, Json.error("unavailable", "server overloaded: too many requests in progress")),
          req,
          m.route().pattern(),
          false);
    }
  }

  private HttpResponse run(
      io.netty.handler.codec.http.HttpRequest req,
      Router.Match m,
      QueryStringDecoder qs,
      Map<String, String> headers,
      byte[] body,
      StreamingBody streamBody,
      String remote) {
    try {
      Map<String, List<String>> params = new LinkedHashMap<>();
      qs.parameters().forEach((k, v) -> params.put(k, new ArrayList<>(v)));
      String enc = headers.get("content-encoding");
      byte[] decoded = body;
      InputStream in = streamBody;
      if (body != null) {
        decoded = decode(enc, body);
        String ct = headers.getOrDefault("content-type", "");
        if (ct.startsWith("application/x-www-form-urlencoded")) {
          new QueryStringDecoder(
                  "?" + new String(decoded, StandardCharsets.UTF_8),
                  StandardCharsets.UTF_8,
                  true,
                  10_000)
              .parameters()
              .forEach((k, v) -> params.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
        }
      } else if (enc != null && !enc.equalsIgnoreCase("identity")) {
        in = decodeStream(enc, streamBody);
      }
      HttpRequest request =
          new HttpRequest(
              req.method().name(), qs.path(), params, m.pathParams(), headers, decoded, in, remote);
      return m.route().handler().handle(request);
    } catch (ApiException e) {
      return HttpResponse.error(e);
    } catch (BodyTooLargeException e) {
      return HttpResponse.json(413, Json.error("bad_data", tooLarge()));
    } catch (IOException e) {
      return HttpResponse.json(
          400, Json.error("bad_data", "cannot read request body: " + e.getMessage()));
    } catch (Exception e) {
      log.error("event=handler_failed route={} error={}", m.route().pattern(), e.toString(), e);
      return HttpResponse.json(500, Json.error("internal", "internal error: " + e));
    }
  }

  private static final class BodyTooLargeException extends IOException {
    BodyTooLargeException() {
      super("body too large", null);
    }
  }

  /**
   * Undoes gzip or deflate with the size limit applied to the decoded bytes (no zip bombs); any
   * other encoding (snappy) is the handler's, and its body is handed on as it is, not copied.
   */
  byte[] decode(String enc, byte[] body) throws IOException {
    if (!undoneHere(enc)) {
      return body;
    }
    InputStream in = decodeStream(enc, new java.io.ByteArrayInputStream(body));
    ByteArrayOutputStream out =
        new ByteArrayOutputStream((int) Math.min(ctx.maxBodyBytes(), body.length * 4L));
    byte[] buf = new byte[64 << 10];
    long total = 0;
    int n;
    while ((n = in.read(buf)) > 0) {
      total += n;
      if (total > ctx.maxBodyBytes()) {
        throw new BodyTooLargeException();
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  /** Whether {@link #decodeStream} undoes this content encoding (gzip, deflate). */
  private static boolean undoneHere(String enc) {
    return enc != null
        && (enc.equalsIgnoreCase("gzip")
            || enc.equalsIgnoreCase("x-gzip")
            || enc.equalsIgnoreCase("deflate"));
  }

  /** gzip and deflate are undone here; other encodings (snappy) are the handler's business. */
  private static InputStream decodeStream(String enc, InputStream in) throws IOException {
    if (enc.equalsIgnoreCase("gzip") || enc.equalsIgnoreCase("x-gzip")) {
      return new GZIPInputStream(in, 64 << 10);
    }
    if (enc.equalsIgnoreCase("deflate")) {
      return new InflaterInputStream(in);
    }
    return in;
  }

  private static FullHttpResponse toNetty(HttpResponse r) {
    FullHttpResponse resp =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(r.status()),
            Unpooled.wrappedBuffer(r.body()));
    if (r.contentType() != null) {
      resp.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
    }
    r.headers().forEach((k, v) -> resp.headers().set(k, v));
    return resp;
  }

  private static FullHttpResponse plain(int status, String text) {
    FullHttpResponse r =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(status),
            Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpResponse.TEXT);
    return r;
  }

  private static FullHttpResponse json(int status, byte[] body) {
    FullHttpResponse r =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(body));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpResponse.JSON);
    return r;
  }

  private void reject(
      ChannelHandlerContext c, int status, String type, String message, boolean close) {
    discarding = true;
    aggregating = false;
    if (aggregate != null) {
      aggregate.release();
      aggregate = null;
    }
    FullHttpResponse r = json(status, Json.error(type, message));
    if (close) {
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    write(c, r, head, match != null && match.found() ? match.route().pattern() : "-", false);
  }

  /**
   * This connection's timers by route, method and status: a sender's requests mostly share all
   * three, so the registry (a meter id, tags and a map lookup per request) is asked once per kind.
   * Written from the worker that answers and from the event loop, one request at a time.
   */
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  private Timer timer(String route, String method, int status) {
    String key = route + ' ' + method + ' ' + status;
    Timer t = timers.get(key);
    if (t == null) {
      t =
          Timer.builder("osprey_http_request_duration_seconds")
              .description("HTTP requests by route, method and status code")
              .tags("route", route, "method", method, "code", Integer.toString(status))
              .register(ctx.registry());
      if (timers.size() < 64) {
        timers.put(key, t);
      }
    }
    return t;
  }

  private void write(
      ChannelHandlerContext c,
      FullHttpResponse resp,
      io.netty.handler.codec.http.HttpRequest req,
      String route,
      boolean resumeReading) {
    write(c, resp, req, route, resumeReading, null);
  }

  /**
   * Writes a response; {@code written} (or null) runs once the write has ended, either way. From a
   * worker the write and its listeners go to the event loop as one task: a write from another
   * thread is a task there anyway, and a listener added from outside to a write that already ended
   * is one more (each a wake-up of the event loop's selector, a system call).
   */
  private void write(
      ChannelHandlerContext c,
      FullHttpResponse resp,
      io.netty.handler.codec.http.HttpRequest req,
      String route,
      boolean resumeReading,
      Runnable written) {
    int status = resp.status().code();
    int bytes = resp.content().readableBytes();
    boolean keepAlive =
        req != null
            && HttpUtil.isKeepAlive(req)
            && !HttpHeaderValues.CLOSE.contentEqualsIgnoreCase(
                resp.headers().get(HttpHeaderNames.CONNECTION, ""))
            && !ctx.closing().getAsBoolean();
    HttpUtil.setContentLength(resp, bytes);
    if (req != null && req.method().equals(HttpMethod.HEAD)) {
      resp.content().clear();
    }
    if (keepAlive) {
      resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    } else {
      resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    long nanos = System.nanoTime() - startNanos;
    String method = req != null ? req.method().name() : "-";
    timer(route, method, status).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    if (ctx.accessLog()) {
      access.info(
          "method={} path={} status={} bytes={} duration_ms={} remote={}",
          method,
          req != null ? req.uri() : "-",
          status,
          bytes,
          nanos / 1_000_000,
          c.channel().remoteAddress());
    }
    if (c.executor().inEventLoop()) {
      send(c, resp, keepAlive, resumeReading, written);
      return;
    }
    try {
      c.executor().execute(() -> send(c, resp, keepAlive, resumeReading, written));
    } catch (RejectedExecutionException e) { // the event loop is shutting down
      resp.release();
      if (written != null) {
        written.run();
      }
    }
  }

  private static void send(
      ChannelHandlerContext c,
      FullHttpResponse resp,
      boolean keepAlive,
      boolean resumeReading,
      Runnable written) {
    ChannelFuture future = c.writeAndFlush(resp);
    if (!keepAlive) {
      future.addListener(ChannelFutureListener.CLOSE);
    } else if (resumeReading) {
      future.addListener(f -> c.channel().config().setAutoRead(true));
    }
    if (written != null) {
      future.addListener(f -> written.run());
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext c) throws Exception {
    if (aggregate != null) {
      aggregate.release();
      aggregate = null;
    }
    if (stream != null) {
      stream.fail(new IOException("client closed the connection"));
      stream = null;
    }
    super.channelInactive(c);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
    if (!(cause instanceof IOException)) {
      log.warn(
          "event=connection_error remote={} error={}",
          c.channel().remoteAddress(),
          cause.toString());
    }
    c.close();
  }
}
