package dev.osprey.core.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpContentCompressor;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.File;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server every Osprey endpoint runs on: Netty for I/O, a bounded worker pool for handlers
 * (storage and queries never run on the event loop), 503 when that pool is saturated, gzip both
 * ways, a request size limit (413), optional TLS and authentication, an access log, and a graceful
 * shutdown that lets in-flight requests finish.
 */
public final class HttpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

  /**
   * How the server is set up.
   *
   * @param host address to bind
   * @param port port to bind; 0 picks a free one
   * @param maxBodyBytes largest request body after decompression
   * @param workerThreads handler threads
   * @param maxQueued requests waiting for a handler thread before 503
   * @param accessLog one log line per request
   * @param tlsCertFile PEM certificate chain, or null for plain HTTP
   * @param tlsKeyFile PEM PKCS#8 private key, or null
   * @param auth authentication, or {@link Auth#NONE}
   */
  public record Options(
      String host,
      int port,
      long maxBodyBytes,
      int workerThreads,
      int maxQueued,
      boolean accessLog,
      String tlsCertFile,
      String tlsKeyFile,
      Auth auth) {
    public static Options local(int port) {
      return new Options("127.0.0.1", port, 64L << 20, 4, 64, false, null, null, Auth.NONE);
    }

    public Options withAuth(Auth a) {
      return new Options(
          host,
          port,
          maxBodyBytes,
          workerThreads,
          maxQueued,
          accessLog,
          tlsCertFile,
          tlsKeyFile,
          a);
    }

    public Options withTls(String cert, String key) {
      return new Options(
          host, port, maxBodyBytes, workerThreads, maxQueued, accessLog, cert, key, auth);
    }

    public Options withLimits(long maxBody, int workers, int queued) {
      return new Options(
          host, port, maxBody, workers, queued, accessLog, tlsCertFile, tlsKeyFile, auth);
    }
  }

  private final Options options;
  private final Router router;
  private final MeterRegistry registry;
  private final ThreadPoolExecutor workers;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final java.util.Set<WebSocketSession> webSockets =
      java.util.concurrent.ConcurrentHashMap.newKeySet();
  private EventLoopGroup boss;
  private EventLoopGroup workerGroup;
  private Channel serverChannel;
  private volatile boolean closing;

  public HttpServer(Options options, Router router, MeterRegistry registry) {
    this.options = options;
    this.router = router;
    this.registry = registry != null ? registry : new SimpleMeterRegistry();
    AtomicInteger n = new AtomicInteger();
    this.workers =
        new ThreadPoolExecutor(
            options.workerThreads(),
            options.workerThreads(),
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(Math.max(1, options.maxQueued())),
            r -> {
              Thread t = new Thread(r, "osprey-http-worker-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.AbortPolicy());
    io.micrometer.core.instrument.Gauge.builder("osprey_http_requests_in_flight", inFlight::get)
        .description("Requests being handled or waiting for a worker")
        .register(this.registry);
  }

  /**
   * Binds and starts serving.
   *
   * @throws HttpServerException when the address is in use or TLS files cannot be read
   */
  public HttpServer start() {
    SslContext ssl = null;
    if (options.tlsCertFile() != null) {
      try {
        ssl =
            SslContextBuilder.forServer(
                    new File(options.tlsCertFile()), new File(options.tlsKeyFile()))
                .build();
      } catch (Exception e) {
        throw new HttpServerException(
            "cannot load TLS certificate "
                + options.tlsCertFile()
                + " and key "
                + options.tlsKeyFile()
                + ": "
                + e.getMessage());
      }
    }
    final SslContext sslContext = ssl;
    boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    workerGroup = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    HttpDispatcher.Context ctx =
        new HttpDispatcher.Context(
            router,
            workers,
            options.maxBodyBytes(),
            options.auth(),
            options.accessLog(),
            inFlight,
            registry,
            () -> closing,
            webSockets);
    ServerBootstrap b =
        new ServerBootstrap()
            .group(boss, workerGroup)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 1024)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ChannelPipeline p = ch.pipeline();
                    if (sslContext != null) {
                      p.addLast("tls", sslContext.newHandler(ch.alloc()));
                    }
                    configurePipeline(p, ctx);
                  }
                });
    try {
      serverChannel = b.bind(options.host(), options.port()).sync().channel();
    } catch (Exception e) {
      shutdownGroups();
      String why =
          e instanceof BindException ? "address already in use" : String.valueOf(e.getMessage());
      throw new HttpServerException(
          "cannot listen on " + options.host() + ":" + options.port() + ": " + why);
    }
    log.info("event=listening address={}:{} tls={}", options.host(), port(), sslContext != null);
    return this;
  }

  /** The handlers of one connection, after TLS; shared with the EmbeddedChannel tests. */
  static void configurePipeline(ChannelPipeline p, HttpDispatcher.Context ctx) {
    p.addLast("codec", new HttpServerCodec(8192, 16384, 16384));
    p.addLast("continue", new HttpServerExpectContinueHandler());
    p.addLast(
        "compress",
        new HttpContentCompressor(
            1024, (io.netty.handler.codec.compression.CompressionOptions[]) null));
    p.addLast("dispatch", new HttpDispatcher(ctx));
  }

  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  public String baseUrl() {
    String scheme = options.tlsCertFile() != null ? "https" : "http";
    return scheme + "://" + options.host() + ":" + port();
  }

  /** Stops accepting, waits (up to 30 s) for in-flight requests, then releases everything. */
  @Override
  public void close() {
    closing = true;
    if (serverChannel != null) {
      serverChannel.close().syncUninterruptibly();
    }
    // Open websockets get a close frame (1001 going away) and a moment to answer it.
    for (WebSocketSession ws : List.copyOf(webSockets)) {
      ws.close(1001, "server shutting down");
    }
    long wsDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (!webSockets.isEmpty() && System.nanoTime() < wsDeadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    workers.shutdown();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    shutdownGroups();
  }

  private void shutdownGroups() {
    if (workerGroup != null) {
      workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
    if (boss != null) {
      boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  /** A problem starting the server that an operator must fix; the message says what and where. */
  public static final class HttpServerException extends RuntimeException {
    public HttpServerException(String message) {
      super(message, null, false, false);
    }
  }
}
