package dev.osprey.server;

import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.RouteProvider;
import dev.osprey.core.http.Router;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/** Serves the dashboard's static assets from the dashboard jar: {@code /} and {@code /static/*}. */
final class DashboardRoutes implements RouteProvider {
  private static final String BASE = "/dev/osprey/dashboard/static/";
  // Our own constant pattern (not user input), so java.util.regex is fine here.
  private static final Pattern SAFE_NAME =
      Pattern.compile("[A-Za-z0-9_-]+\\.(html|js|css|svg|png|ico)");
  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "js", "text/javascript; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "svg", "image/svg+xml",
          "png", "image/png",
          "ico", "image/x-icon");
  private final Map<String, byte[]> cache = new ConcurrentHashMap<>();

  @Override
  public void register(Router router) {
    router.get("/", r -> asset("index.html"));
    router.get("/static/{file*}", r -> asset(r.pathParam("file")));
  }

  private HttpResponse asset(String name) throws IOException {
    if (name == null || !SAFE_NAME.matcher(name).matches()) {
      return HttpResponse.text(404, "404 page not found\n");
    }
    byte[] body = cache.get(name);
    if (body == null) {
      try (InputStream in = DashboardRoutes.class.getResourceAsStream(BASE + name)) {
        if (in == null) {
          return HttpResponse.text(404, "404 page not found\n");
        }
        body = in.readAllBytes();
      }
      cache.put(name, body);
    }
    String ext = name.substring(name.lastIndexOf('.') + 1);
    return new HttpResponse(200, TYPES.get(ext), body).header("Cache-Control", "no-cache");
  }
}
