package dev.osprey.core.testing;

import com.sun.net.httpserver.HttpHandler;
import java.io.OutputStream;
import java.util.function.Supplier;

/**
 * A scrape target for tests that serves Prometheus's protobuf exposition (length-delimited
 * MetricFamily messages, the only format that carries native histograms to Prometheus 2.x).
 */
public final class ProtobufExposition {
  public static final String CONTENT_TYPE =
      "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

  private ProtobufExposition() {}

  /** A handler answering each scrape with the bytes {@code body} gives for it. */
  public static HttpHandler handler(Supplier<byte[]> body) {
    return ex -> {
      byte[] b = body.get();
      ex.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
      ex.sendResponseHeaders(200, b.length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(b);
      }
    };
  }
}
