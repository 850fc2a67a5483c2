package dev.osprey.tsdb.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.http.ApiException;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.Json;
import dev.osprey.core.http.Router;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import dev.osprey.tsdb.Tsdb;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminRoutesTest {
  @TempDir Path dir;
  private Tsdb db;
  private Router router;
  private static final TsdbConfig CONFIG = new TsdbConfig(null, null, null, "never");
  private static final Labels A = Labels.of("__name__", "m", "job", "a");
  private static final Labels B = Labels.of("__name__", "m", "job", "b");

  @BeforeEach
  void setUp() {
    db = Tsdb.open(dir.resolve("data"), CONFIG, new SimpleMeterRegistry());
    router = new Router();
    new AdminRoutes(db).register(router);
  }

  @AfterEach
  void tearDown() {
    db.close();
  }

  private void fill(long from, long to) {
    Appender app = db.appender();
    for (long t = from; t < to; t += 1000) {
      app.append(0, A, t, t / 1000.0);
      app.append(0, B, t, -t / 1000.0);
    }
    app.commit();
  }

  private static List<Long> times(Tsdb db, Labels l) {
    try (Querier q = db.querier()) {
      SeriesSet set =
          q.select(
              Long.MIN_VALUE,
              Long.MAX_VALUE,
              SelectHints.of(0, 0),
              LabelMatcher.equal("job", l.get("job")));
      List<Long> out = new ArrayList<>();
      while (set.next()) {
        SampleIterator it = set.iterator(null);
        while (it.next()) {
          out.add(it.t());
        }
      }
      return out;
    }
  }

  private HttpResponse call(String method, String path, Map<String, List<String>> params)
      throws Exception {
    Router.Match m = router.match(method, path);
    assertThat(m.found()).as("%s %s", method, path).isTrue();
    return m.route()
        .handler()
        .handle(
            new HttpRequest(
                method, path, params, Map.of(), Map.of(), new byte[0], null, "127.0.0.1"));
  }

  @Test
  void flushAndCompactAnswer204WhenDone() throws Exception {
    fill(0, 60_000);
    assertThat(call("POST", "/api/v1/admin/tsdb/flush", Map.of()).status()).isEqualTo(204);
    assertThat(db.blocks()).hasSize(1);
    assertThat(db.head().numSeries()).isZero();
    assertThat(call("POST", "/api/v1/admin/tsdb/compact", Map.of()).status()).isEqualTo(204);
    assertThat(times(db, A)).hasSize(60);
  }

  @Test
  void snapshotIsAnOpenableCopy() throws Exception {
    fill(0, 30_000);
    db.flush();
    fill(30_000, 60_000);
    HttpResponse r = call("PUT", "/api/v1/admin/tsdb/snapshot", Map.of());
    assertThat(r.status()).isEqualTo(200);
    String name = Json.MAPPER.readTree(r.body()).get("data").get("name").asText();
    assertThat(name).matches("\\d{8}T\\d{6}Z-[0-9a-f]{16}");
    Path snap = dir.resolve("data").resolve("snapshots").resolve(name);
    assertThat(Files.isDirectory(snap)).isTrue();
    try (Tsdb copy = Tsdb.open(snap, CONFIG, new SimpleMeterRegistry())) {
      assertThat(copy.blocks()).hasSize(2); // the flushed block and the head
      assertThat(times(copy, A)).hasSize(60);
    }
    HttpResponse skip =
        call("POST", "/api/v1/admin/tsdb/snapshot", Map.of("skip_head", List.of("true")));
    String name2 = Json.MAPPER.readTree(skip.body()).get("data").get("name").asText();
    try (Tsdb copy =
        Tsdb.open(
            dir.resolve("data").resolve("snapshots").resolve(name2),
            CONFIG,
            new SimpleMeterRegistry())) {
      assertThat(times(copy, A)).hasSize(30);
    }
  }

  @Test
  void deleteSeriesRemovesFromBlocksAndHeadDurably() throws Exception {
    fill(0, 30_000);
    db.flush();
    fill(30_000, 60_000);
    HttpResponse r =
        call(
            "POST",
            "/api/v1/admin/tsdb/delete_series",
            Map.of(
                "match[]",
                List.of("m{job=\"a\"}"),
                "start",
                List.of("20"),
                "end",
                List.of("39.5")));
    assertThat(r.status()).isEqualTo(204);
    List<Long> expected = new ArrayList<>();
    for (long t = 0; t < 60_000; t += 1000) {
      if (t < 20_000 || t > 39_500) {
        expected.add(t);
      }
    }
    assertThat(times(db, A)).isEqualTo(expected);
    assertThat(times(db, B)).hasSize(60);
    db.close();
    db = Tsdb.open(dir.resolve("data"), CONFIG, new SimpleMeterRegistry());
    assertThat(times(db, A)).isEqualTo(expected);
    assertThat(times(db, B)).hasSize(60);
    assertThat(call("POST", "/api/v1/admin/tsdb/clean_tombstones", Map.of()).status())
        .isEqualTo(204);
  }

  @Test
  void deleteSeriesNeedsAValidMatch() {
    assertThatThrownBy(() -> call("POST", "/api/v1/admin/tsdb/delete_series", Map.of()))
        .isInstanceOf(ApiException.class)
        .hasMessage("no match[] parameter provided");
    assertThatThrownBy(
            () ->
                call(
                    "POST",
                    "/api/v1/admin/tsdb/delete_series",
                    Map.of("match[]", List.of("{job=~\".*\"}"))))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("at least one non-empty matcher");
    assertThatThrownBy(
            () ->
                call(
                    "POST",
                    "/api/v1/admin/tsdb/delete_series",
                    Map.of("match[]", List.of("{job=\"a\""))))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("cannot parse selector at offset 8: expected , or }");
    assertThatThrownBy(
            () ->
                call(
                    "POST",
                    "/api/v1/admin/tsdb/delete_series",
                    Map.of("match[]", List.of("up"), "start", List.of("yesterday"))))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("invalid parameter \"start\"");
  }
}
