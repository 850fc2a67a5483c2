package dev.osprey.tsdb.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.osprey.core.http.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;

/** Queries a real Prometheus over its HTTP API, for tests that compare our storage with its own. */
final class PrometheusQuery {
  private PrometheusQuery() {}

  /** The result array of an instant query to the Prometheus listening on {@code port}. */
  static JsonNode instant(HttpClient http, int port, String q) throws Exception {
    URI uri =
        URI.create(
            "http://127.0.0.1:"
                + port
                + "/api/v1/query?query="
                + URLEncoder.encode(q, StandardCharsets.UTF_8));
    java.net.http.HttpResponse<byte[]> r =
        http.send(
            java.net.http.HttpRequest.newBuilder(uri).build(),
            java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new IOException("query answered " + r.statusCode());
    }
    return Json.MAPPER.readTree(r.body()).get("data").get("result");
  }
}
