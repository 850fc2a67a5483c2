package dev.osprey.pipeline;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.xerial.snappy.Snappy;

/** A tiny receiver on 127.0.0.1 that records decompressed request bodies and scripted answers. */
final class HttpSink implements AutoCloseable {
  record Request(Map<String, List<String>> headers, byte[] body) {}

  final List<Request> accepted = new CopyOnWriteArrayList<>();
  final List<Request> all = new CopyOnWriteArrayList<>();
  final ConcurrentLinkedQueue<Integer> script = new ConcurrentLinkedQueue<>();
  private final HttpServer server;
  private final Consumer<byte[]> onAccepted;

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
          if (code / 100 == 2) {
            accepted.add(r);
            onAccepted.accept(body);
          }
          ex.sendResponseHeaders(code, -1);
          ex.close();
        });
    server.start();
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
