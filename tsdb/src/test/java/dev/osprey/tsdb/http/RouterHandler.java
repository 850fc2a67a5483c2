package dev.osprey.tsdb.http;

import com.sun.net.httpserver.HttpHandler;
import dev.osprey.core.http.ApiException;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.Router;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * Serves a {@link Router}'s routes from the JDK's HTTP server, for tests where a real sender
 * (Prometheus) writes to our ingest routes without the whole Osprey server.
 */
final class RouterHandler {
  private RouterHandler() {}

  /** A router with the ingest routes over {@code db}, as the server registers them. */
  static Router ingestRouter(dev.osprey.tsdb.Tsdb db) {
    Router router = new Router();
    new IngestRoutes(db, new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
        .register(router);
    return router;
  }

  static HttpHandler of(Router router) {
    return ex -> {
      HttpResponse resp;
      try {
        Router.Match m = router.match(ex.getRequestMethod(), ex.getRequestURI().getPath());
        Map<String, String> headers = new HashMap<>();
        ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), v.get(0)));
        byte[] body = ex.getRequestBody().readAllBytes();
        HttpRequest req =
            new HttpRequest(
                ex.getRequestMethod(),
                ex.getRequestURI().getPath(),
                Map.of(),
                Map.of(),
                headers,
                body,
                null,
                "127.0.0.1");
        resp = m.route().handler().handle(req);
      } catch (ApiException e) {
        resp = HttpResponse.error(e);
      } catch (Exception e) {
        resp = HttpResponse.text(500, e.toString());
      }
      ex.sendResponseHeaders(resp.status(), resp.body().length == 0 ? -1 : resp.body().length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(resp.body());
      }
    };
  }
}
