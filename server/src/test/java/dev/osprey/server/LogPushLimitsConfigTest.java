package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The push limits of {@code logs:} in osprey.yaml reach the server's Loki push route. */
class LogPushLimitsConfigTest {
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  @Test
  void streamAndRateLimitsFromTheConfigAnswer429AsLoki(@TempDir Path dir) throws Exception {
    String yaml =
        """
        server:
          listen: 127.0.0.1:0
          data_dir: %s/data
        logs:
          max_line_size: 1KiB
          max_streams_per_tenant: 2
          ingestion_rate: 1KiB
          ingestion_burst: 4KiB
        """
            .formatted(dir);
    try (OspreyServer server =
        new OspreyServer(ConfigLoader.parse("osprey.yaml", yaml), SelfMetrics.create()).start()) {
      String base = server.baseUrl();
      assertThat(push(base, "a", "x".repeat(100)).statusCode()).isEqualTo(204);
      assertThat(push(base, "b", "x".repeat(100)).statusCode()).isEqualTo(204);
      HttpResponse<String> third = push(base, "c", "x".repeat(100));
      assertThat(third.statusCode()).isEqualTo(429);
      assertThat(third.body()).startsWith("Maximum active stream limit exceeded");
      // the known streams still pass; the bucket (4 KiB) runs dry within a few pushes
      HttpResponse<String> r = null;
      for (int i = 0; i < 10 && (r == null || r.statusCode() == 204); i++) {
        r = push(base, "a", "y".repeat(1000));
      }
      assertThat(r.statusCode())
          .as("the 1 KiB/s rate with a 4 KiB burst is enforced")
          .isEqualTo(429);
      assertThat(r.body()).contains("Ingestion rate limit exceeded").contains("1024 bytes/sec");
      // a line above max_line_size is refused with Loki's 400
      HttpResponse<String> tooLong = push(base, "a", "z".repeat(1025));
      assertThat(tooLong.statusCode()).isEqualTo(400);
      assertThat(tooLong.body()).contains("Max entry size '1024' bytes exceeded");
    }
  }

  private static HttpResponse<String> push(String base, String app, String line) throws Exception {
    long ts = System.currentTimeMillis() * 1_000_000L;
    String body =
        "{\"streams\":[{\"stream\":{\"app\":\""
            + app
            + "\"},\"values\":[[\""
            + ts
            + "\",\""
            + line
            + "\"]]}]}";
    return CLIENT.send(
        HttpRequest.newBuilder(URI.create(base + "/loki/api/v1/push"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
