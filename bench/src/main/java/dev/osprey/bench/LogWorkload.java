package dev.osprey.bench;

import java.util.Random;

/**
 * Generated Kubernetes container logs, deterministic for a seed: nginx access lines, JSON lines of
 * an application, a Java service with stack traces, spread over 3 apps x 8 pods (24 streams) in
 * line order, plus rare needles at fixed positions (a trace id, a phrase, a single word) and a last
 * line that marks the end.
 */
final class LogWorkload {
  static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String PHRASE = "quantum flux capacitor overload";
  static final String WORD = "kaleidoscope";
  static final String END = "osprey-bench-end-7f3c9a1e";
  static final String[] APPS = {"nginx", "checkout", "orders"};
  static final int PODS = 8;

  private static final String[] PATHS = {
    "/api/v1/users/", "/api/v1/orders/", "/static/app.js", "/healthz", "/login"
  };
  private static final String[] MSGS = {
    "request completed",
    "cache miss for key",
    "user authenticated",
    "retrying upstream call",
    "slow query detected",
    "connection pool exhausted"
  };

  final long lines;
  private final Random r;

  LogWorkload(long lines, long seed) {
    this.lines = lines;
    this.r = new Random(seed);
  }

  static int streams() {
    return APPS.length * PODS;
  }

  /** Stream of line {@code i}: app {@code i % 3}, pod {@code i / 3 % 8}. */
  static int stream(long i) {
    return (int) (i % APPS.length) * PODS + (int) (i / APPS.length % PODS);
  }

  static String app(int stream) {
    return APPS[stream / PODS];
  }

  static String pod(int stream) {
    String app = app(stream);
    return app + "-7d9f8b" + (stream % PODS) + "-x" + (char) ('a' + stream % PODS) + "q2z";
  }

  /** Line {@code i}; call in order 0, 1, 2, ... (the random state advances). */
  String line(long i) {
    if (i == lines - 1) {
      return "bench complete " + END;
    }
    if (i == lines / 2) {
      return "payment declined trace_id=" + TRACE + " amount=42";
    }
    if (i == lines / 3 || i == 2 * lines / 3) {
      return "WARN reactor " + PHRASE + " detected in sector " + i;
    }
    if (i == lines / 4 || i == 3 * lines / 4) {
      return "INFO theme " + WORD + " applied for tenant " + i;
    }
    return switch (app(stream(i))) {
      case "nginx" -> nginx();
      case "checkout" -> json();
      default -> java(i);
    };
  }

  private String hex(int n) {
    StringBuilder b = new StringBuilder(n);
    for (int k = 0; k < n; k++) {
      b.append(Character.forDigit(r.nextInt(16), 16));
    }
    return b.toString();
  }

  private String nginx() {
    return "10."
        + r.nextInt(256)
        + "."
        + r.nextInt(256)
        + "."
        + r.nextInt(256)
        + " - - [22/Nov/2026:04:"
        + (10 + r.nextInt(50))
        + ":"
        + (10 + r.nextInt(50))
        + " +0000] \"GET "
        + PATHS[r.nextInt(PATHS.length)]
        + r.nextInt(100000)
        + " HTTP/1.1\" "
        + (r.nextInt(20) == 0 ? 502 : 200)
        + " "
        + r.nextInt(50000)
        + " \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\" rt="
        + r.nextInt(2000) / 1000.0;
  }

  private String json() {
    return "{\"ts\":\"2026-11-22T04:"
        + (10 + r.nextInt(50))
        + ":00Z\",\"level\":\""
        + (r.nextInt(10) == 0 ? "error" : "info")
        + "\",\"msg\":\""
        + MSGS[r.nextInt(MSGS.length)]
        + "\",\"trace_id\":\""
        + hex(32)
        + "\",\"user_id\":"
        + r.nextInt(1_000_000)
        + ",\"duration_ms\":"
        + r.nextInt(3000)
        + "}";
  }

  private String java(long i) {
    return i % 8 == 2
        ? "ERROR [main] c.e.OrderService - failed to process order " + r.nextInt(1_000_000)
        : "\tat com.example.service.OrderService.process(OrderService.java:"
            + (10 + r.nextInt(400))
            + ")";
  }
}
