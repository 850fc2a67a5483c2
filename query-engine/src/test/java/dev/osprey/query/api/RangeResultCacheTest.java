package dev.osprey.query.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.Router;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.memory.MemStorage;
import dev.osprey.query.promql.Parser;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The range query results cache against the same requests with {@code nocache=1}: byte-equal
 * answers, only new steps evaluated, and changes to old samples seen.
 */
class RangeResultCacheTest {
  static final long S = 1000;
  static final long NOW = 6 * 3600 * S; // the cache's clock: data runs up to here

  private MemStorage storage;
  private Router router;
  private PrometheusApi api;

  @BeforeEach
  void setUp() {
    storage = new MemStorage();
    Random r = new Random(7);
    Appender a = storage.appender();
    double[] c = new double[4];
    for (long t = 0; t <= NOW; t += 15 * S) {
      for (int i = 0; i < 4; i++) {
        if (i == 3 && t > 2 * 3600 * S && t < 3 * 3600 * S) {
          continue; // a gap longer than the lookback
        }
        c[i] += r.nextInt(10);
        if (i == 2 && t % (3600 * S) == 0) {
          c[i] = 0; // a counter reset each hour
        }
        a.append(0, Labels.of("__name__", "req_total", "job", "j" + (i % 2), "i", "" + i), t, c[i]);
        a.append(
            0,
            Labels.of("__name__", "temp", "job", "j" + (i % 2), "i", "" + i),
            t + i,
            20 + 5 * Math.sin(t / 1e6 + i) + r.nextGaussian());
        for (String le : new String[] {"0.1", "1", "+Inf"}) {
          double share = le.equals("0.1") ? 0.3 : le.equals("1") ? 0.8 : 1;
          a.append(
              0,
              Labels.of("__name__", "lat_bucket", "job", "j" + (i % 2), "i", "" + i, "le", le),
              t,
              Math.floor(c[i] * share));
        }
      }
    }
    a.commit();
    router = new Router();
    api = new PrometheusApi(storage, QueryConfig.DEFAULTS, new SimpleMeterRegistry(), () -> NOW);
    api.register(router);
  }

  private String get(String q, long start, long end, long step, boolean nocache) throws Exception {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("query", q);
    p.put("start", seconds(start));
    p.put("end", seconds(end));
    p.put("step", seconds(step));
    if (nocache) {
      p.put("nocache", "1");
    }
    Router.Match m = router.match("GET", "/api/v1/query_range");
    Map<String, List<String>> params = new LinkedHashMap<>();
    p.forEach((k, v) -> params.put(k, List.of(v)));
    HttpRequest req =
        new HttpRequest(
            "GET",
            "/api/v1/query_range",
            params,
            m.pathParams(),
            new HashMap<>(),
            new byte[0],
            null,
            "t");
    HttpResponse res = m.route().handler().handle(req);
    assertThat(res.status()).isEqualTo(200);
    return new String(res.body(), StandardCharsets.UTF_8);
  }

  private static String seconds(long ms) {
    return java.math.BigDecimal.valueOf(ms, 3).toPlainString();
  }

  /** Asks with the cache, then without, and checks the two answers are the same bytes. */
  private String same(String q, long start, long end, long step) throws Exception {
    String cached;
    String uncached;
    try {
      cached = get(q, start, end, step, false);
      uncached = get(q, start, end, step, true);
    } catch (RuntimeException e) {
      throw new AssertionError(q + " [" + start + ", " + end + "] step " + step, e);
    }
    assertThat(cached).as("%s [%d, %d] step %d", q, start, end, step).isEqualTo(uncached);
    return cached;
  }

  static final List<String> QUERIES =
      List.of(
          "req_total",
          "rate(req_total[1m])",
          "sum by (job) (rate(req_total[5m]))",
          "topk(2, temp)",
          "temp offset 10m",
          "avg_over_time(temp[7m])",
          "max_over_time(rate(req_total[2m])[10m:1m])",
          "histogram_quantile(0.9, sum by (le) (rate(lat_bucket[5m])))",
          "count(temp > 21)",
          "time()",
          "absent(nothing)",
          "resets(req_total[20m])",
          "temp / on(i) group_left req_total",
          "sum(temp) - scalar(min(temp))",
          "label_replace(temp, \"x\", \"$1\", \"i\", \"(.*)\")",
          "deriv(temp[10m]) * step()");

  @Test
  void cachedAnswersEqualUncachedOnes() throws Exception {
    Random r = new Random(42);
    long[] steps = {15 * S, 60 * S, 7 * S, 300 * S};
    for (String q : QUERIES) {
      for (int round = 0; round < 6; round++) {
        long step = steps[r.nextInt(steps.length)];
        long span = step * (5 + r.nextInt(150));
        // some ranges end after now - 5m, some before; phases vary with the start
        long end = NOW - r.nextInt(3) * 20 * 60 * S + r.nextInt(1000) * 3;
        long start = Math.max(0, end - span);
        same(q, start, end, step);
        // the same range again, moved right, moved left, inside, around
        same(q, start, end, step);
        same(q, start + step * 7, end + step * 7, step);
        same(q, start - step * 11, end - step * 3, step);
        same(q, start + step, end - step, step);
        same(q, start - step * 20, end + step * 20, step);
      }
    }
    assertThat(api.cache().hits()).isGreaterThan(100);
    assertThat(api.cache().stepsCached()).isGreaterThan(1000);
  }

  @Test
  void aRangeMovedRightEvaluatesOnlyTheNewSteps() throws Exception {
    RangeResultCache c = api.cache();
    long step = 60 * S;
    long end = NOW - 3600 * S; // all steps old enough to keep
    long start = end - 120 * step;
    get("sum by (job) (rate(req_total[5m]))", start, end, step, false);
    assertThat(c.stepsEvaluated()).isEqualTo(121);
    assertThat(c.entries()).isEqualTo(1);
    same("sum by (job) (rate(req_total[5m]))", start + 10 * step, end + 10 * step, step);
    assertThat(c.stepsEvaluated()).as("only the 10 steps after the cached ones").isEqualTo(131);
    assertThat(c.stepsCached()).isEqualTo(111);
    // the extent grew: the whole union now comes from the cache
    same("sum by (job) (rate(req_total[5m]))", start, end + 10 * step, step);
    assertThat(c.stepsEvaluated()).isEqualTo(131);
    // a different phase is a different entry
    get("sum by (job) (rate(req_total[5m]))", start + 1, end + 1, step, false);
    assertThat(c.entries()).isEqualTo(2);
  }

  @Test
  void stepsNewerThanTheOffsetAreEvaluatedEachTime() throws Exception {
    RangeResultCache c = api.cache();
    long step = 60 * S;
    // the last 5 steps are within 5 minutes of now: never kept
    get("temp", NOW - 20 * step, NOW, step, false);
    double before = c.stepsEvaluated();
    same("temp", NOW - 20 * step, NOW, step);
    assertThat(c.stepsEvaluated() - before).isEqualTo(5);
  }

  @Test
  void aBackfilledOldSampleIsSeen() throws Exception {
    long step = 60 * S;
    long end = NOW - 3600 * S;
    long start = end - 60 * step;
    String q = "count(temp) * 1000 + sum(temp)";
    String first = same(q, start, end, step);
    double invalidations = api.cache().invalidations();
    // a new series with one old sample, in the middle of the cached range
    Appender a = storage.appender();
    a.append(0, Labels.of("__name__", "temp", "i", "late"), start + 30 * step, 100);
    a.commit();
    assertThat(api.cache().invalidations()).isEqualTo(invalidations + 1);
    String second = same(q, start, end, step);
    assertThat(second).isNotEqualTo(first);
  }

  @Test
  void aNewSampleAfterTheCachedStepsDropsNothing() throws Exception {
    long step = 60 * S;
    long end = NOW - 3600 * S;
    same("temp", end - 60 * step, end, step);
    Appender a = storage.appender();
    a.append(0, Labels.of("__name__", "temp", "i", "new"), NOW + 15 * S, 1);
    a.commit();
    assertThat(api.cache().invalidations()).isZero();
    assertThat(api.cache().entries()).isEqualTo(1);
  }

  @Test
  void atModifiersNegativeOffsetsAndRangeAreNeverCached() throws Exception {
    long step = 60 * S;
    long end = NOW - 3600 * S;
    long start = end - 60 * step;
    for (String q :
        List.of(
            "temp @ 3600",
            "temp @ start()",
            "rate(req_total[5m] @ end())",
            "temp offset -5m",
            "temp offset (-10m + 5m)",
            "max_over_time(temp[10m:1m] offset -1m)",
            "sum_over_time(temp[10m:1m] @ end())",
            "vector(range())",
            "temp * 0 + step()")) {
      assertThat(RangeResultCache.cacheable(Parser.parse(q)))
          .as(q)
          .isEqualTo(q.equals("temp * 0 + step()"));
    }
    double evaluated = api.cache().stepsEvaluated();
    same("temp @ start()", start, end, step);
    same("temp offset -5m", start, end, step);
    same("temp offset -5m", start, end, step);
    assertThat(api.cache().entries()).isZero();
    assertThat(api.cache().stepsEvaluated()).isEqualTo(evaluated); // they bypass the cache
  }

  @Test
  void nocacheNeitherReadsNorFills() throws Exception {
    long step = 60 * S;
    long end = NOW - 3600 * S;
    get("temp", end - 60 * step, end, step, true);
    assertThat(api.cache().entries()).isZero();
    assertThat(api.cache().stepsEvaluated()).isZero();
    get("temp", end - 60 * step, end, step, false);
    get("temp", end - 60 * step, end, step, true);
    assertThat(api.cache().stepsCached()).isZero();
  }

  @Test
  void offZeroAndBoundedByBytes() throws Exception {
    PrometheusApi off =
        new PrometheusApi(
            storage,
            QueryConfig.DEFAULTS.withResultsCacheOffset(Duration.ZERO),
            new SimpleMeterRegistry(),
            () -> NOW);
    assertThat(off.cache()).isNull();
    // entries of about 5 KB each in a cache of 40 KB: the least recently used go first
    PrometheusApi small =
        new PrometheusApi(
            storage,
            new QueryConfig(
                null, null, null, null, null, null, new dev.osprey.core.util.ByteSize(40_000)),
            new SimpleMeterRegistry(),
            () -> NOW);
    Router r = new Router();
    small.register(r);
    router = r;
    RangeResultCache c = small.cache();
    long step = 60 * S;
    long end = NOW - 3600 * S;
    for (int i = 0; i < 20; i++) {
      get("temp + " + i, end - 60 * step, end, step, false);
      get("temp + 0", end - 60 * step, end, step, false); // kept recently used
    }
    assertThat(c.entries()).isBetween(2, 19);
    assertThat(c.bytes()).isPositive().isLessThanOrEqualTo(40_000);
    double cached = c.stepsCached();
    get("temp + 0", end - 60 * step, end, step, false);
    assertThat(c.stepsCached() - cached).isEqualTo(61);
    get("temp + 1", end - 60 * step, end, step, false);
    assertThat(c.stepsCached() - cached).as("evicted long ago").isEqualTo(61);
  }
}
