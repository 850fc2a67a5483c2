package dev.osprey.logs.index.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import dev.osprey.core.config.LogIndexConfig;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.Router;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.wire.logproto.Push;
import dev.osprey.logs.index.LogSearchRequest;
import dev.osprey.logs.index.LogStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.Snappy;

class LokiPushRoutesTest {
  static final long NOW = System.currentTimeMillis() * 1_000_000L;
  @TempDir Path dir;
  LogStore store;
  Router router;

  @BeforeEach
  void setUp() {
    store =
        LogStore.open(
            dir, LogIndexConfig.DEFAULTS.withAuthEnabled(true), new SimpleMeterRegistry(), false);
    router = new Router();
    new LokiPushRoutes(store, new PushLimits(2, 1000, 2000, 50), new SimpleMeterRegistry())
        .register(router);
  }

  @AfterEach
  void tearDown() throws IOException {
    store.close();
  }

  HttpResponse post(String ct, byte[] body, String tenant) throws Exception {
    Router.Match m = router.match("POST", "/loki/api/v1/push");
    assertThat(m.found()).isTrue();
    Map<String, String> h = new java.util.HashMap<>();
    h.put("content-type", ct);
    h.put("x-scope-orgid", tenant != null ? tenant : "fake");
    return m.route()
        .handler()
        .handle(
            new HttpRequest("POST", "/loki/api/v1/push", Map.of(), Map.of(), h, body, null, "t"));
  }

  List<String> lines() {
    store.refresh();
    List<String> out = new ArrayList<>();
    store.search(
        new LogSearchRequest(
            List.of(), 0, Long.MAX_VALUE, null, LogSearchRequest.Direction.FORWARD, 0, true),
        (s, t, line, md, n) -> {
          out.add(s.get("app") + ":" + line + (md.isEmpty() ? "" : md.toString()));
          return true;
        });
    return out;
  }

  @Test
  void protobufSnappy() throws Exception {
    Push.PushRequest pr =
        Push.PushRequest.newBuilder()
            .addStreams(
                Push.StreamAdapter.newBuilder()
                    .setLabels("{app=\"api\", env=\"prod\"}")
                    .addEntries(
                        Push.EntryAdapter.newBuilder()
                            .setTimestamp(
                                Timestamp.newBuilder()
                                    .setSeconds(NOW / 1_000_000_000L)
                                    .setNanos((int) (NOW % 1_000_000_000L)))
                            .setLine("hello proto")
                            .addStructuredMetadata(
                                Push.LabelPairAdapter.newBuilder()
                                    .setName("trace_id")
                                    .setValue("abc"))))
            .build();
    HttpResponse r = post("application/x-protobuf", Snappy.compress(pr.toByteArray()), null);
    assertThat(r.status()).isEqualTo(204);
    assertThat(lines()).containsExactly("api:hello proto{trace_id=\"abc\"}");
  }

  /** A 7-byte body whose snappy header claims 2 GB is refused before anything is allocated. */
  @Test
  void aSnappyHeaderClaimingGigabytesIs400() throws Exception {
    byte[] body = {(byte) 0x80, (byte) 0xa8, (byte) 0xd6, (byte) 0xb9, 0x07, 0, 'x'};
    HttpResponse r = post("application/x-protobuf", body, null);
    assertThat(r.status()).isEqualTo(400);
    assertThat(new String(r.body(), StandardCharsets.UTF_8))
        .startsWith(
            "error parsing push request: snappy: the header claims 2000000000 decoded bytes");
    assertThat(lines()).isEmpty();
  }

  @Test
  void json() throws Exception {
    String body =
        "{\"streams\":[{\"stream\":{\"app\":\"web\"},\"values\":[[\""
            + NOW
            + "\",\"hello json\"],[\""
            + (NOW + 1)
            + "\",\"with md\",{\"user\":\"u1\"}]]}]}";
    assertThat(post("application/json", body.getBytes(StandardCharsets.UTF_8), null).status())
        .isEqualTo(204);
    assertThat(lines()).containsExactly("web:hello json", "web:with md{user=\"u1\"}");
  }

  @Test
  void errorsAsLokiAnswersThem() throws Exception {
    HttpResponse bad =
        post("application/json", "{\"nope\":1}".getBytes(StandardCharsets.UTF_8), null);
    assertThat(bad.status()).isEqualTo(400);
    HttpResponse noLabels =
        post(
            "application/json",
            ("{\"streams\":[{\"stream\":{},\"values\":[[\"" + NOW + "\",\"x\"]]}]}")
                .getBytes(StandardCharsets.UTF_8),
            null);
    assertThat(noLabels.status()).isEqualTo(400);
    assertThat(new String(noLabels.body(), StandardCharsets.UTF_8))
        .contains("at least one label pair is required per stream");
    // one line too long: dropped with 400, the valid one is kept
    String longLine = "x".repeat(60);
    HttpResponse tooLong =
        post(
            "application/json",
            ("{\"streams\":[{\"stream\":{\"app\":\"a\"},\"values\":[[\""
                    + NOW
                    + "\",\""
                    + longLine
                    + "\"],[\""
                    + NOW
                    + "\",\"short\"]]}]}")
                .getBytes(StandardCharsets.UTF_8),
            null);
    assertThat(tooLong.status()).isEqualTo(400);
    assertThat(new String(tooLong.body(), StandardCharsets.UTF_8))
        .startsWith("Max entry size '50' bytes exceeded for stream '{app=\"a\"}'");
    assertThat(lines()).containsExactly("a:short");
    HttpResponse future =
        post(
            "application/json",
            ("{\"streams\":[{\"stream\":{\"app\":\"f\"},\"values\":[[\""
                    + (NOW + 3_600_000_000_000L)
                    + "\",\"from the future\"]]}]}")
                .getBytes(StandardCharsets.UTF_8),
            null);
    assertThat(future.status()).isEqualTo(400);
    assertThat(new String(future.body(), StandardCharsets.UTF_8)).contains("has timestamp too new");
  }

  @Test
  void streamLimitPerTenant() throws Exception {
    for (String app : List.of("a", "b")) {
      assertThat(post("application/json", one(app, "l"), "t1").status()).isEqualTo(204);
    }
    HttpResponse r = post("application/json", one("c", "l"), "t1");
    assertThat(r.status()).isEqualTo(429);
    assertThat(new String(r.body(), StandardCharsets.UTF_8))
        .contains("Maximum active stream limit exceeded")
        .contains("user: 't1'");
    assertThat(post("application/json", one("c", "l"), "t2").status()).isEqualTo(204);
  }

  @Test
  void rateLimitPerTenant() throws Exception {
    // burst 2000 bytes: 45 pushes of 45 bytes pass at most, then 429
    int status = 204;
    for (int i = 0; i < 100 && status == 204; i++) {
      status = post("application/json", one("a", "y".repeat(45) + i % 10), "t3").status();
    }
    assertThat(status).isEqualTo(429);
  }

  private static byte[] one(String app, String line) {
    return ("{\"streams\":[{\"stream\":{\"app\":\""
            + app
            + "\"},\"values\":[[\""
            + NOW
            + "\",\""
            + line
            + "\"]]}]}")
        .getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void labelsParser() {
    assertThat(LabelsParser.parse("{a=\"1\", b=\"x\\\"y\"}"))
        .isEqualTo(Labels.of("a", "1", "b", "x\"y"));
  }
}
