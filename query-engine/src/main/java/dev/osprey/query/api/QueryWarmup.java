package dev.osprey.query.api;

import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.SampleChanges;
import dev.osprey.core.storage.Storage;
import dev.osprey.query.promql.Ast;
import dev.osprey.query.promql.Engine;
import dev.osprey.query.promql.Parser;
import dev.osprey.query.promql.QueryException;
import dev.osprey.query.promql.QueryResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;

/**
 * Runs the common query shapes over a small synthetic data set once at server start, so that the
 * first queries a user sends are not the ones the JVM interprets and compiles: on a fresh server
 * the first range query took about a second and the same query 5-10 ms after some twenty runs
 * (bench/RESULTS.md, "query, 2026-12-03, session 2"). It goes through the same code a request does
 * (parser, evaluator, the storage's read path, the result JSON), against a scratch storage the
 * caller owns and discards; it never touches the user's data. Bounded in time: it stops at the
 * budget even mid-round.
 */
public final class QueryWarmup {
  private QueryWarmup() {}

  /** The shapes the query bench and Grafana's usual panels send. */
  static final List<String> QUERIES =
      List.of(
          "sum by (namespace) (rate(warmup_cpu_seconds_total{container!=\"\"}[5m]))",
          "histogram_quantile(0.99, sum by (le, namespace) (rate(warmup_duration_seconds_bucket[5m])))",
          "topk(5, sum by (namespace, pod) (warmup_memory_bytes{container!=\"\"}))",
          "sum by (namespace) (rate(warmup_cpu_seconds_total[5m])) / sum by (namespace)"
              + " (rate(warmup_cpu_seconds_total{container=\"c0\"}[5m]))",
          "count({__name__=~\"warmup_.+\"})",
          "sum(warmup_memory_bytes{pod=~\"p-1.*\", namespace=~\"ns-[0-1]\"})",
          "count by (pod) (warmup_memory_bytes)",
          "max_over_time(sum(rate(warmup_cpu_seconds_total[5m]))[30m:1m])",
          "sum(rate(warmup_cpu_seconds_total[1h]))",
          "avg_over_time(warmup_memory_bytes[5m]) > 0",
          "increase(warmup_cpu_seconds_total[5m])");

  /** The synthetic data's scrape interval. */
  public static final long STEP_MS = 15_000;

  private static final String[] LE = {"0.005", "0.01", "0.05", "0.1", "0.5", "1", "5", "+Inf"};

  /**
   * What a warm-up did, for the start log: full rounds, queries run, how many of them returned
   * series (all of them should: a query over no data warms little), wall time.
   */
  public record Report(int rounds, int queries, int nonEmpty, int cached, long millis) {}

  /** Scrapes of 15 s samples that {@link #load} can write: 1.5 h. */
  public static final int SCRAPES = 360;

  /**
   * Appends scrapes {@code [from, to)} of the synthetic data to {@code scratch} ({@code
   * podsPerNamespace} pods in each of four namespaces, {@link #SCRAPES} scrapes at 15 s ending at
   * {@code endMillis}), committing every 60 scrapes; stops early (committing what it wrote) once
   * {@code System.nanoTime()} passes {@code deadlineNanos}. Returns the scrapes written.
   */
  public static int load(
      Storage scratch, long endMillis, int podsPerNamespace, int from, int to, long deadlineNanos) {
    long start = endMillis - (SCRAPES - 1) * STEP_MS;
    java.util.ArrayList<Labels> series = new java.util.ArrayList<>();
    for (int ns = 0; ns < 4; ns++) {
      for (int p = 0; p < podsPerNamespace; p++) {
        String pod = "p-" + p;
        String n = "ns-" + ns;
        for (String c : new String[] {"c0", "c1"}) {
          series.add(
              Labels.of(
                  "__name__",
                  "warmup_cpu_seconds_total",
                  "namespace",
                  n,
                  "pod",
                  pod,
                  "container",
                  c));
          series.add(
              Labels.of(
                  "__name__", "warmup_memory_bytes", "namespace", n, "pod", pod, "container", c));
        }
        for (String le : LE) {
          series.add(
              Labels.of(
                  "__name__",
                  "warmup_duration_seconds_bucket",
                  "namespace",
                  n,
                  "pod",
                  pod,
                  "le",
                  le));
        }
      }
    }
    long[] refs = new long[series.size()];
    Appender app = scratch.appender();
    int k = from;
    for (; k < to; k++) {
      if (System.nanoTime() - deadlineNanos > 0) {
        break;
      }
      long t = start + k * STEP_MS;
      for (int i = 0; i < series.size(); i++) {
        String name = series.get(i).get("__name__");
        double v =
            name.endsWith("_bytes")
                ? 1e8 + ((i * 7919L + k * 104729L) % 1_000_000) * 16
                : k * (1 + i % 5) + (i % 3) * 0.25; // counters: never reset
        refs[i] = app.append(refs[i], series.get(i), t, v);
      }
      if ((k - from) % 60 == 59) {
        app.commit();
        app = scratch.appender();
      }
    }
    app.commit();
    return k - from;
  }

  /**
   * Runs {@link #QUERIES} as range queries over the last half hour of the data {@link #load} wrote,
   * uncached and through a results cache (the latter counted in {@link Report#cached}), and writes
   * each result as the API would, until {@code rounds} rounds are done or the budget is spent.
   */
  public static Report run(
      Storage storage, QueryConfig config, long endMillis, int rounds, Duration budget) {
    long t0 = System.nanoTime();
    long deadline = t0 + budget.toNanos();
    int done = 0;
    int queries = 0;
    int nonEmpty = 0;
    int cached = 0;
    // the results cache's path too, as a request whose newest steps are fresher than the offset
    // takes it (the cached steps merged with the evaluated newest ones): otherwise its code is
    // compiled while the first cached answers are measured, which made them slower than uncached
    long offsetMs = config.resultsCacheOffset().toMillis();
    RangeResultCache cache =
        offsetMs <= 0
            ? null
            : new RangeResultCache(
                offsetMs,
                64L << 20,
                QUERIES.size(),
                config.maxSamples(),
                storage.changes() != null ? storage.changes() : new SampleChanges(),
                () -> endMillis,
                new SimpleMeterRegistry());
    outer:
    for (int r = 0; r < rounds; r++) {
      for (String q : QUERIES) {
        long leftMs = (deadline - System.nanoTime()) / 1_000_000;
        if (leftMs <= 0) {
          break outer;
        }
        // the query's own timeout keeps one slow query within the budget too
        Engine engine =
            new Engine(
                storage,
                leftMs,
                config.maxSamples(),
                config.lookbackDelta().toMillis(),
                60_000,
                config.maxSeries());
        QueryResult res;
        try {
          Ast.Expr parsed = Parser.parse(q);
          res = engine.rangeQuery(parsed, q, endMillis - 1_800_000, endMillis, 60_000);
          if (cache != null && RangeResultCache.cacheable(parsed)) {
            ResultJson.write(
                cache.query(
                    q,
                    endMillis - 1_800_000,
                    endMillis,
                    60_000,
                    (s, e) -> engine.rangeQuery(parsed, q, s, e, 60_000)),
                0);
            cached++;
          }
        } catch (QueryException e) {
          if (e.kind() == QueryException.Kind.TIMEOUT) {
            break outer;
          }
          throw e;
        }
        ResultJson.write(res, 0);
        queries++;
        if (res.matrix() != null && !res.matrix().isEmpty()) {
          nonEmpty++;
        }
      }
      done++;
    }
    return new Report(done, queries, nonEmpty, cached, (System.nanoTime() - t0) / 1_000_000);
  }
}
