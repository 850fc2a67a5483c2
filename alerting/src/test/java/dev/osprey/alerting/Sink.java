package dev.osprey.alerting;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.osprey.core.http.Json;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/** A JDK HTTP server on 127.0.0.1 recording every JSON body posted to it, by path. */
public final class Sink implements AutoCloseable {
  public record Received(String path, JsonNode body, String userAgent, String authorization) {}

  public final List<Received> received = new CopyOnWriteArrayList<>();

  /** The next this-many requests answer 503. */
  public final AtomicInteger failNext = new AtomicInteger();

  private final HttpServer server;

  private final String scheme;

  public Sink() throws IOException {
    this(null);
  }

  /** Serves HTTPS with this context when not null. */
  public Sink(SSLContext tls) throws IOException {
    if (tls == null) {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      scheme = "http";
    } else {
      HttpsServer s = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      s.setHttpsConfigurator(new HttpsConfigurator(tls));
      server = s;
      scheme = "https";
    }
    server.createContext(
        "/",
        ex -> {
          byte[] b = ex.getRequestBody().readAllBytes();
          int status = 200;
          if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            status = 503;
          } else {
            received.add(
                new Received(
                    ex.getRequestURI().getPath(),
                    Json.MAPPER.readTree(b),
                    ex.getRequestHeaders().getFirst("User-Agent"),
                    ex.getRequestHeaders().getFirst("Authorization")));
          }
          ex.sendResponseHeaders(status, -1);
          ex.close();
        });
    server.start();
  }

  public String url(String path) {
    return scheme + "://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  public List<Received> at(String path) {
    return received.stream().filter(r -> r.path().equals(path)).toList();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
