package dev.osprey.core.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Maps method and path to a handler. Patterns are literal segments, {@code {name}} parameters that
 * match one segment, and a trailing {@code {name*}} that matches the rest of the path. Literal
 * routes win over parameter routes at the same position.
 */
public final class Router {
  /** A route as registered. */
  public record Route(
      Set<String> methods, String pattern, HttpHandler handler, boolean streaming) {}

  /** The outcome of a lookup: a handler with its path parameters, or why there is none. */
  public record Match(
      Route route, Map<String, String> pathParams, int status, Set<String> allowed) {
    public boolean found() {
      return route != null;
    }
  }

  private final List<Route> routes = new ArrayList<>();

  public Router get(String pattern, HttpHandler handler) {
    return add(Set.of("GET", "HEAD"), pattern, handler, false);
  }

  public Router post(String pattern, HttpHandler handler) {
    return add(Set.of("POST"), pattern, handler, false);
  }

  public Router put(String pattern, HttpHandler handler) {
    return add(Set.of("PUT"), pattern, handler, false);
  }

  public Router delete(String pattern, HttpHandler handler) {
    return add(Set.of("DELETE"), pattern, handler, false);
  }

  /** GET and POST (form) alike, as Prometheus's query endpoints accept both. */
  public Router getOrPost(String pattern, HttpHandler handler) {
    return add(Set.of("GET", "HEAD", "POST"), pattern, handler, false);
  }

  /** A POST whose body is streamed to the handler instead of aggregated. */
  public Router postStreaming(String pattern, HttpHandler handler) {
    return add(Set.of("POST", "PUT"), pattern, handler, true);
  }

  public Router add(Set<String> methods, String pattern, HttpHandler handler, boolean streaming) {
    if (!pattern.startsWith("/")) {
      throw new IllegalArgumentException("cannot add route " + pattern + ": must start with /");
    }
    for (Route r : routes) {
      if (r.pattern.equals(pattern) && !java.util.Collections.disjoint(r.methods, methods)) {
        throw new IllegalArgumentException("cannot add route " + pattern + ": already registered");
      }
    }
    routes.add(new Route(Set.copyOf(methods), pattern, handler, streaming));
    return this;
  }

  public List<Route> routes() {
    return List.copyOf(routes);
  }

  public Match match(String method, String path) {
    Route best = null;
    Map<String, String> bestParams = null;
    int bestScore = -1;
    Set<String> allowed = new java.util.TreeSet<>();
    String[] segs = split(path);
    for (Route r : routes) {
      Map<String, String> params = new LinkedHashMap<>();
      int score = matchPattern(split(r.pattern), segs, params);
      if (score < 0) {
        continue;
      }
      if (!r.methods.contains(method)) {
        allowed.addAll(r.methods);
        continue;
      }
      if (score > bestScore) {
        best = r;
        bestParams = params;
        bestScore = score;
      }
    }
    if (best != null) {
      return new Match(best, bestParams, 200, Set.of());
    }
    return new Match(null, Map.of(), allowed.isEmpty() ? 404 : 405, allowed);
  }

  /** Returns a specificity score (literal segments count more), or -1 for no match. */
  private static int matchPattern(String[] pat, String[] segs, Map<String, String> params) {
    int score = 0;
    for (int i = 0; i < pat.length; i++) {
      String p = pat[i];
      if (p.startsWith("{") && p.endsWith("*}")) {
        String name = p.substring(1, p.length() - 2);
        params.put(
            name,
            String.join(
                "/", java.util.Arrays.copyOfRange(segs, Math.min(i, segs.length), segs.length)));
        return score;
      }
      if (i >= segs.length) {
        return -1;
      }
      if (p.startsWith("{") && p.endsWith("}")) {
        params.put(p.substring(1, p.length() - 1), segs[i]);
        score += 1;
      } else if (p.equals(segs[i])) {
        score += 2;
      } else {
        return -1;
      }
    }
    return pat.length == segs.length ? score : -1;
  }

  private static String[] split(String path) {
    String p = path.startsWith("/") ? path.substring(1) : path;
    if (p.isEmpty()) {
      return new String[0];
    }
    return p.split("/", -1);
  }
}
