package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.Router;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.query.api.PrometheusApi;
import dev.osprey.tsdb.Tsdb;
import dev.osprey.tsdb.http.AdminRoutes;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The query_range results cache over a real tsdb: an out-of-order sample and delete_series change
 * answers the cache holds, and the cache must see it (each test fails without the tsdb's report).
 */
class QueryResultsCacheTest {
  static final long M = 60_000;

  @TempDir Path dir;
  private Tsdb tsdb;
  private Router router;
  private SimpleMeterRegistry registry;
  private long now;

  @BeforeEach
  void setUp() {
    tsdb =
        Tsdb.open(
            dir,
            new TsdbConfig(Duration.ofDays(1), null, Duration.ofMinutes(30), "never"),
            registry = new SimpleMeterRegistry());
    now = System.currentTimeMillis() / M * M;
    // three series, every 15 s from 3 h ago to 1 h ago
    for (long t = now - 180 * M; t <= now - 60 * M; t += 15_000) {
      Appender a = tsdb.appender();
      for (int i = 0; i < 3; i++) {
        a.append(0, Labels.of("__name__", "temp", "i", "" + i), t, i * 10 + (t / 15_000) % 7);
      }
      a.commit();
    }
    router = new Router();
    new PrometheusApi(tsdb, QueryConfig.DEFAULTS, registry).register(router);
    new AdminRoutes(tsdb).register(router);
  }

  @AfterEach
  void tearDown() {
    tsdb.close();
  }

  private HttpResponse call(String method, String path, Map<String, String> params)
      throws Exception {
    Router.Match m = router.match(method, path);
    Map<String, List<String>> p = new LinkedHashMap<>();
    params.forEach((k, v) -> p.put(k, List.of(v)));
    HttpRequest req =
        new HttpRequest(method, path, p, m.pathParams(), new HashMap<>(), new byte[0], null, "t");
    return m.route().handler().handle(req);
  }

  private static String sec(long ms) {
    return BigDecimal.valueOf(ms, 3).toPlainString();
  }

  private String range(String q, long start, long end, boolean nocache) throws Exception {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("query", q);
    p.put("start", sec(start));
    p.put("end", sec(end));
    p.put("step", "60");
    if (nocache) {
      p.put("nocache", "1");
    }
    HttpResponse r = call("GET", "/api/v1/query_range", p);
    assertThat(r.status()).isEqualTo(200);
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  /** The cached answer, checked equal to the uncached one. */
  private String same(String q, long start, long end) throws Exception {
    String cached = range(q, start, end, false);
    assertThat(cached).as(q).isEqualTo(range(q, start, end, true));
    return cached;
  }

  private double counter(String name) {
    return registry.get(name).counter().count();
  }

  @Test
  void anOutOfOrderSampleIsSeen() throws Exception {
    String q = "count_over_time(temp[10m])";
    long start = now - 150 * M;
    long end = now - 70 * M;
    String first = same(q, start, end);
    same(q, start, end);
    assertThat(counter("osprey_query_cache_hits_total")).isEqualTo(1);
    // 7 s after a sample 80 minutes ago: out of order (the head's newest is 60 minutes ago)
    Appender a = tsdb.appender();
    a.append(0, Labels.of("__name__", "temp", "i", "1"), now - 80 * M + 7_000, 99);
    a.commit();
    assertThat(counter("osprey_query_cache_invalidations_total")).isEqualTo(1);
    String second = same(q, start, end);
    assertThat(second).isNotEqualTo(first);
  }

  @Test
  void deleteSeriesIsSeen() throws Exception {
    String q = "sum(temp)";
    long start = now - 150 * M;
    long end = now - 70 * M;
    String first = same(q, start, end);
    HttpResponse r =
        call(
            "POST",
            "/api/v1/admin/tsdb/delete_series",
            Map.of(
                "match[]", "temp{i=\"2\"}", "start", sec(now - 100 * M), "end", sec(now - 90 * M)));
    assertThat(r.status()).isEqualTo(204);
    String second = same(q, start, end);
    assertThat(second).isNotEqualTo(first);
  }

  @Test
  void samplesAfterTheCachedStepsDropNothing() throws Exception {
    String q = "max(temp)";
    long start = now - 150 * M;
    long end = now - 70 * M;
    same(q, start, end);
    Appender a = tsdb.appender();
    a.append(0, Labels.of("__name__", "temp", "i", "0"), now - 60 * M + 15_000, 1);
    a.commit();
    assertThat(counter("osprey_query_cache_invalidations_total")).isZero();
    double evaluated = counter("osprey_query_cache_steps_evaluated_total");
    same(q, start, end);
    assertThat(counter("osprey_query_cache_steps_evaluated_total")).isEqualTo(evaluated);
  }
}
