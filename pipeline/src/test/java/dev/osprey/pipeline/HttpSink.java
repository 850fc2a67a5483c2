package dev.osprey.pipeline;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.xerial.snappy.Snappy;

/**
 * A tiny receiver on 127.0.0.1 that records decompressed request bodies and scripted answers. A
 * scripted {@link #HANG} accepts the request and never answers it (until {@link #close}).
 */
final class HttpSink implements AutoCloseable {
  record Request(Map<String, List<String>> headers, byte[] body) {}

  /** Script value: read the request, then answer nothing until the sink closes. */
  static final int HANG = -1;

  final List<Request> accepted = new CopyOnWriteArrayList<>();
  final List<Request> all = new CopyOnWriteArrayList<>();
  final ConcurrentLinkedQueue<Integer> script = new ConcurrentLinkedQueue<>();
  private final HttpServer server;
  private final Consumer<byte[]> onAccepted;
  private final ExecutorService handlers = Executors.newCachedThreadPool();
  private final CountDownLatch closing = new CountDownLatch(1);

  HttpSink(Consumer<byte[]> onAccepted) throws IOException {
    this.onAccepted = onAccepted;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        ex -> {
          byte[] raw = ex.getRequestBody().readAllBytes();
          byte[] body = Snappy.uncompress(raw);
          Request r = new Request(Map.copyOf(ex.getRequestHeaders()), body);
          all.add(r);
          Integer status = script.poll();
          int code = status != null ? status : 204;
          if (code == HANG) {
            try {
              closing.await(30, TimeUnit.SECONDS); // bounded even if close() is never called
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            ex.close();
            return;
          }
          if (code / 100 == 2) {
            accepted.add(r);
            onAccepted.accept(body);
          }
          ex.sendResponseHeaders(code, -1);
          ex.close();
        });
    server.setExecutor(handlers); // a hanging request must not hold up the next ones
    server.start();
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  @Override
  public void close() {
    closing.countDown();
    server.stop(0);
    handlers.shutdownNow();
  }
}
