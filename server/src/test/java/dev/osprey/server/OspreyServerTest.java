package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.config.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OspreyServerTest {
  private final HttpClient client = HttpClient.newHttpClient();

  private HttpResponse<String> get(OspreyServer s, String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(s.baseUrl() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static OspreyConfig config(Path dir) {
    ServerConfig d = ServerConfig.DEFAULTS;
    ServerConfig s =
        new ServerConfig(
            "127.0.0.1:0", dir.toString(), d.maxRequestBody(), 2, 16, false, null, null);
    return new OspreyConfig(s, null, null, null, null, null);
  }

  @Test
  void servesProbesMetricsAndBuildInfo(@TempDir Path dir) throws Exception {
    try (OspreyServer s = new OspreyServer(config(dir), SelfMetrics.create()).start()) {
      assertThat(get(s, "/-/healthy").statusCode()).isEqualTo(200);
      HttpResponse<String> ready = get(s, "/-/ready");
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(ready.body()).isEqualTo("Osprey is Ready.\n");

      HttpResponse<String> metrics = get(s, "/metrics");
      assertThat(metrics.headers().firstValue("content-type"))
          .hasValueSatisfying(ct -> assertThat(ct).startsWith("text/plain; version=0.0.4"));
      assertThat(metrics.body())
          .contains("process_resident_memory_bytes ")
          .contains("jvm_memory_used_bytes{")
          .contains("osprey_http_request_duration_seconds_count{");

      HttpResponse<String> bi = get(s, "/api/v1/status/buildinfo");
      assertThat(bi.body())
          .startsWith("{\"status\":\"success\",\"data\":{\"version\":")
          .contains(
              "\"revision\":", "\"branch\":", "\"buildUser\":", "\"buildDate\":", "\"goVersion\":");
    }
  }

  @Test
  void tailsLokiOverAWebsocket(@TempDir Path dir) throws Exception {
    try (OspreyServer s = new OspreyServer(config(dir), SelfMetrics.create()).start()) {
      java.util.concurrent.BlockingQueue<String> frames =
          new java.util.concurrent.LinkedBlockingQueue<>();
      java.net.http.WebSocket ws =
          client
              .newWebSocketBuilder()
              .buildAsync(
                  URI.create(
                      s.baseUrl().replace("http://", "ws://")
                          + "/loki/api/v1/tail?query=%7Bapp%3D%22t%22%7D"),
                  new java.net.http.WebSocket.Listener() {
                    final StringBuilder b = new StringBuilder();

                    @Override
                    public java.util.concurrent.CompletionStage<?> onText(
                        java.net.http.WebSocket w, CharSequence data, boolean last) {
                      b.append(data);
                      if (last) {
                        frames.add(b.toString());
                        b.setLength(0);
                      }
                      w.request(1);
                      return null;
                    }
                  })
              .get(10, java.util.concurrent.TimeUnit.SECONDS);
      long ts = System.currentTimeMillis() * 1_000_000L;
      HttpResponse<String> push =
          client.send(
              HttpRequest.newBuilder(URI.create(s.baseUrl() + "/loki/api/v1/push"))
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"streams\":[{\"stream\":{\"app\":\"t\"},\"values\":[[\""
                              + ts
                              + "\",\"hello tail\"]]}]}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(push.statusCode()).isEqualTo(204);
      assertThat(frames.poll(10, java.util.concurrent.TimeUnit.SECONDS))
          .isEqualTo(
              "{\"streams\":[{\"stream\":{\"app\":\"t\"},\"values\":[[\""
                  + ts
                  + "\",\"hello tail\"]]}]}");
      ws.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "")
          .get(5, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  @Test
  void notReadyAfterClose(@TempDir Path dir) {
    OspreyServer s = new OspreyServer(config(dir), SelfMetrics.create()).start();
    assertThat(s.ready()).isTrue();
    s.close();
    assertThat(s.ready()).isFalse();
  }
}
