package dev.osprey.query.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.histogram.FloatHistogram;
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

  /** The answer's body, or "status errorType: message" for a refused query. */
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
    HttpResponse res;
    try {
      res = m.route().handler().handle(req);
    } catch (dev.osprey.core.http.ApiException e) {
      return e.status() + " " + e.errorType() + ": " + e.getMessage();
    }
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

  /**
   * Queries whose answer at a step could seem to depend on more than the samples at or before it:
   * sample timestamps, absence, extrapolation to a later time, subqueries (with and without a step,
   * a step that does not divide the query's, an offset), offsets and ranges given by step(),
   * sorting and limiting functions (a range result is sorted by labels whatever they do). Each is
   * asked over ranges that overlap cached ones in every way, with and without the cache.
   */
  @Test
  void queriesNearTheEdgesOfExactnessEqualUncachedOnes() throws Exception {
    List<String> cacheable =
        List.of(
            "timestamp(temp)",
            "timestamp(sum(temp))",
            "minute(timestamp(temp)) + day_of_week()",
            "absent(temp{i=\"3\"})",
            "absent_over_time(temp{i=\"3\"}[10m])",
            "absent_over_time(nothing{a=\"b\"}[5m])",
            "predict_linear(temp[10m], 3600)",
            "predict_linear(req_total[15m], 600) - req_total",
            "max_over_time(temp[30m:7m])",
            "sum_over_time(temp[10m:])",
            "max_over_time(temp[10m:1m] offset 2m)",
            "rate(req_total[5m:30s] offset 1m)",
            "last_over_time(timestamp(temp)[20m:45s])",
            "rate(req_total[step() + 1m])",
            "sort_desc(temp)",
            "limitk(2, temp)",
            "bottomk(1, rate(req_total[3m]))",
            "count_values(\"v\", floor(temp))",
            "quantile_over_time(0.3, temp[10m])",
            "changes(temp[10m]) + irate(req_total[5m])");
    List<String> uncacheable =
        List.of(
            "temp offset step()",
            "temp offset -step()",
            "temp offset (step() - 5m)",
            "max_over_time(temp[10m:1m] offset -1m)",
            "timestamp(temp @ end())");
    for (String q : cacheable) {
      assertThat(RangeResultCache.cacheable(Parser.parse(q))).as(q).isTrue();
    }
    for (String q : uncacheable) {
      assertThat(RangeResultCache.cacheable(Parser.parse(q))).as(q).isFalse();
    }
    Random r = new Random(11);
    long[] steps = {15 * S, 60 * S, 7 * S, 300 * S};
    for (String q : concat(cacheable, uncacheable)) {
      for (int round = 0; round < 3; round++) {
        long step = steps[r.nextInt(steps.length)];
        long span = step * (5 + r.nextInt(150));
        long end = NOW - r.nextInt(3) * 20 * 60 * S + r.nextInt(1000) * 3;
        long start = Math.max(0, end - span);
        same(q, start, end, step);
        same(q, start + step * 7, end + step * 7, step);
        same(q, start - step * 11, end - step * 3, step);
        same(q, start + step, end - step, step);
        same(q, start - step * 20, end + step * 20, step);
      }
    }
    assertThat(api.cache().hits()).isGreaterThan(100);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> l = new java.util.ArrayList<>(a);
    l.addAll(b);
    return l;
  }

  /**
   * Annotations: an info that comes from some steps only (a gauge, whose name does not say counter,
   * that exists from 3h to 3h30) is in the answer exactly when the range reaches those steps, as
   * without the cache, also when the other steps come from the cache.
   */
  @Test
  void annotationsOfNewStepsAreThoseOfAnUncachedAnswer() throws Exception {
    Appender a = storage.appender();
    for (long t = 3 * 3600 * S; t <= 3 * 3600 * S + 1800 * S; t += 15 * S) {
      a.append(0, Labels.of("__name__", "queue_depth", "i", "0"), t, t / 1000.0);
    }
    a.commit();
    String q = "rate(queue_depth[5m]) or rate(req_total[5m])";
    long step = 60 * S;
    // before the gauge: no annotations, the steps are kept
    String before = same(q, 3600 * S, 2 * 3600 * S, step);
    assertThat(before).doesNotContain("infos");
    assertThat(api.cache().entries()).isEqualTo(1);
    double cached = api.cache().stepsCached();
    // reaching into the gauge's half hour: the info must be there, as without the cache
    String across = same(q, 3600 * S, 4 * 3600 * S, step);
    assertThat(across).contains("\"infos\"").contains("metric might not be a counter");
    assertThat(api.cache().stepsCached() - cached)
        .as("the first hour from the cache")
        .isEqualTo(61);
    // the range that had no annotations still has none; the whole range comes from the cache
    assertThat(same(q, 3600 * S, 2 * 3600 * S, step)).doesNotContain("infos");
    cached = api.cache().stepsCached();
    assertThat(same(q, 3600 * S, 4 * 3600 * S, step)).contains("metric might not be a counter");
    assertThat(api.cache().stepsCached() - cached).isEqualTo(181);
    // a gauge only in the last four minutes, newer than any kept step: its info is in the answer
    // that reaches them, and not in a later one over the kept steps alone
    a = storage.appender();
    for (long t = NOW - 240 * S; t <= NOW; t += 15 * S) {
      a.append(0, Labels.of("__name__", "late_depth", "i", "0"), t, t / 1000.0);
    }
    a.commit();
    String late = "rate(late_depth[5m]) or rate(req_total[5m])";
    assertThat(same(late, NOW - 3600 * S, NOW - 3000 * S, step)).doesNotContain("infos");
    assertThat(same(late, NOW - 3600 * S, NOW, step)).contains("metric might not be a counter");
    assertThat(same(late, NOW - 3600 * S, NOW - 300 * S, step)).doesNotContain("infos");
    assertThat(same(late, NOW - 3600 * S, NOW, step)).contains("metric might not be a counter");
  }

  /**
   * Annotated answers put together from cached steps equal uncached ones: infos and warnings that
   * come from some steps only (histogram buckets that are not monotonic from 2h to 2h20, a gauge
   * from 3h to 3h30), at every step, and more than one at once (then not cached: a merged list
   * could be ordered otherwise), over ranges that overlap cached ones in every way.
   */
  @Test
  void annotatedAnswersFromCachedStepsEqualUncachedOnes() throws Exception {
    Appender a = storage.appender();
    double c = 0;
    for (long t = 0; t <= NOW; t += 15 * S) {
      c += 10;
      boolean bad = t >= 2 * 3600 * S && t < 2 * 3600 * S + 1200 * S;
      a.append(0, Labels.of("__name__", "part_bucket", "le", "0.1"), t, c * 0.5);
      a.append(0, Labels.of("__name__", "part_bucket", "le", "1"), t, c * (bad ? 0.4 : 0.9));
      a.append(0, Labels.of("__name__", "part_bucket", "le", "+Inf"), t, c);
      // not monotonic at every step, as the bench's generated buckets are
      a.append(0, Labels.of("__name__", "skew_bucket", "le", "0.1"), t, c * 0.7);
      a.append(0, Labels.of("__name__", "skew_bucket", "le", "1"), t, c * 0.6);
      a.append(0, Labels.of("__name__", "skew_bucket", "le", "+Inf"), t, c);
      if (t >= 3 * 3600 * S && t <= 3 * 3600 * S + 1800 * S) {
        a.append(0, Labels.of("__name__", "queue_depth", "i", "0"), t, t / 1000.0);
      }
    }
    a.commit();
    List<String> queries =
        List.of(
            "histogram_quantile(0.9, rate(part_bucket[5m]))",
            "histogram_quantile(0.9, sum by (le) (rate(skew_bucket[5m])))",
            "rate(queue_depth[5m]) or rate(req_total[5m])",
            "histogram_quantile(0.9, temp)",
            "histogram_quantile(0.9, rate(part_bucket[5m])) or rate(queue_depth[5m])",
            "histogram_quantile(0.5, rate(skew_bucket[2m])) + on() group_left"
                + " histogram_quantile(0.9, rate(part_bucket[5m]))");
    Random r = new Random(5);
    long[] steps = {15 * S, 60 * S, 7 * S, 300 * S};
    for (String q : queries) {
      for (int round = 0; round < 8; round++) {
        long step = steps[r.nextInt(steps.length)];
        long span = step * (5 + r.nextInt(150));
        long end =
            round % 2 == 0
                ? NOW - r.nextInt(3) * 20 * 60 * S + r.nextInt(1000) * 3
                : 2 * 3600 * S + r.nextInt(2 * 3600) * S;
        long start = Math.max(0, end - span);
        same(q, start, end, step);
        same(q, start, end, step);
        same(q, start + step * 7, end + step * 7, step);
        same(q, start - step * 11, end - step * 3, step);
        same(q, start + step, end - step, step);
        same(q, start - step * 20, end + step * 20, step);
        same(q, start - step * 20, end + step * 20, step);
      }
    }
    // as in the bench: the same range again, its last steps within 5 minutes of now
    long step = 60 * S;
    double cached = api.cache().stepsCached();
    String q = "histogram_quantile(0.99, sum by (le) (rate(skew_bucket[5m])))";
    same(q, NOW - 3600 * S, NOW, step);
    String again = same(q, NOW - 3600 * S, NOW, step);
    assertThat(again).contains("input to histogram_quantile needed to be fixed for monotonicity");
    assertThat(api.cache().stepsCached() - cached).isEqualTo(56);
  }

  /**
   * Native histograms, and series that mix them with floats, merged from cached and new steps: the
   * same answer as without the cache.
   */
  @Test
  void histogramPointsMergeAsUncachedOnes() throws Exception {
    Appender a = storage.appender();
    for (long t = 0; t <= NOW; t += 30 * S) {
      double c = t / 1000.0;
      FloatHistogram h =
          FloatHistogram.of(
              0,
              0.001,
              1,
              c + 3,
              c * 2,
              new int[] {0, 2},
              new double[] {c, 2},
              new int[0],
              new double[0],
              null,
              null);
      a.appendHistogram(0, Labels.of("__name__", "nh", "k", "h"), t, h);
      if (t % (600 * S) < 300 * S) {
        a.appendHistogram(0, Labels.of("__name__", "nh", "k", "mixed"), t, h);
      } else {
        a.append(0, Labels.of("__name__", "nh", "k", "mixed"), t, c);
      }
    }
    a.commit();
    long step = 60 * S;
    for (String q : List.of("nh", "rate(nh[5m])", "histogram_count(nh)")) {
      same(q, NOW - 3 * 3600 * S, NOW - 3600 * S, step);
      same(q, NOW - 3 * 3600 * S, NOW, step);
      same(q, NOW - 4 * 3600 * S, NOW - 30 * step, step);
      String body = same(q, NOW - 4 * 3600 * S, NOW, step);
      assertThat(body).contains(q.equals("histogram_count(nh)") ? "\"values\"" : "\"histograms\"");
    }
    assertThat(api.cache().stepsCached()).isGreaterThan(500);
  }

  /**
   * Limits: the points of an answer put together from cached steps count against max_samples as an
   * uncached answer's do, and the 11,000 points cap refuses before the cache is asked.
   */
  @Test
  void limitsRefuseAsWithoutTheCache() throws Exception {
    PrometheusApi limited =
        new PrometheusApi(
            storage,
            new QueryConfig(null, 100L, null, null, null),
            new SimpleMeterRegistry(),
            () -> NOW);
    Router r = new Router();
    limited.register(r);
    router = r;
    long step = 60 * S;
    long end = NOW - 3600 * S;
    // 61 points, then 61 more right after: both fit, and the extent grows to 122 steps
    assertThat(same("vector(1)", end - 60 * step, end, step)).startsWith("{\"status\":\"success\"");
    same("vector(1)", end - 121 * step, end - 61 * step, step);
    assertThat(limited.cache().stepsCached()).isZero();
    // 122 points from the cache alone: over the limit, refused as the engine refuses them
    String refused = same("vector(1)", end - 121 * step, end, step);
    assertThat(refused).startsWith("422 execution: query processing would load too many samples");
    // 101 points, 100 of them cached: also refused
    assertThat(same("vector(1)", end - 100 * step, end, step)).startsWith("422 execution");
    // exactly 100 points fit, with or without the cache
    assertThat(same("vector(1)", end - 99 * step, end, step)).startsWith("{\"status\":\"success\"");
    assertThat(limited.cache().stepsCached()).isGreaterThan(100);
    // more than 11,000 points per series: refused before anything is evaluated or cached
    double evaluated = limited.cache().stepsEvaluated();
    assertThat(same("vector(1)", end - 11_001 * S, end, S)).startsWith("400 bad_data: exceeded");
    assertThat(limited.cache().stepsEvaluated()).isEqualTo(evaluated);
  }

  /**
   * Series order: merged answers list series by labels as the engine does, also when series exist
   * only in the cached steps, only in the new ones, or come and go, and with more series than any
   * one part has.
   */
  @Test
  void mergedSeriesAreOrderedAsTheEnginesAre() throws Exception {
    Appender a = storage.appender();
    // series with names and values that sort differently as bytes and as strings of labels
    String[] names = {"a", "B", "a_b", "ab", "z", "é", "A1", "a1"};
    for (int k = 0; k < names.length; k++) {
      long from = (k % 3) * 1800 * S + 3600 * S;
      long to = from + (1 + k % 4) * 1200 * S;
      for (long t = from; t <= to; t += 30 * S) {
        a.append(0, Labels.of("__name__", "churn", "k", names[k], "p", "" + (k % 2)), t, k);
      }
    }
    a.commit();
    long step = 60 * S;
    String q =
        "churn * on(k, p) group_left churn or label_replace(churn, \"k\", \"x$1\", \"k\", \"(.*)\")";
    for (long s = 3000 * S; s < 4 * 3600 * S; s += 1111 * S) {
      String body = same(q, s, s + 1500 * S, step);
      assertThat(body).startsWith("{\"status\":\"success\"");
    }
    same(q, 0, 5 * 3600 * S, step);
    String whole = same(q, 0, 5 * 3600 * S, step);
    assertThat(whole).contains("\"k\":\"A1\"").contains("\"k\":\"xa_b\"");
    assertThat(api.cache().stepsCached()).isGreaterThan(300);
  }
}
