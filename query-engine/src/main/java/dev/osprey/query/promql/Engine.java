package dev.osprey.query.promql;

import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.Storage;
import dev.osprey.query.promql.Ast.Expr;
import dev.osprey.query.promql.Values.MatrixV;
import dev.osprey.query.promql.Values.Sample;
import dev.osprey.query.promql.Values.ScalarV;
import dev.osprey.query.promql.Values.Series;
import dev.osprey.query.promql.Values.StringV;
import dev.osprey.query.promql.Values.Value;
import dev.osprey.query.promql.Values.VectorV;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/**
 * The PromQL engine: parses and evaluates instant and range queries against a {@link Storage}.
 * Thread-safe; each query opens its own querier.
 *
 * <p>Errors: {@link ParseException} for bad syntax (400 bad_data), {@link QueryException} for
 * execution failures, timeouts, the sample limit and the series limit.
 */
public final class Engine {
  private final Storage storage;
  private final long timeoutMs;
  private final long maxSamples;
  private final long maxSeries;
  private final long lookbackMs;
  private final long defaultSubqueryStepMs;

  public Engine(Storage storage, QueryConfig config) {
    this(
        storage,
        config.timeout().toMillis(),
        config.maxSamples(),
        config.lookbackDelta().toMillis(),
        60_000,
        config.maxSeries());
  }

  /** An engine without a series limit. */
  public Engine(
      Storage storage,
      long timeoutMs,
      long maxSamples,
      long lookbackMs,
      long defaultSubqueryStepMs) {
    this(storage, timeoutMs, maxSamples, lookbackMs, defaultSubqueryStepMs, 0);
  }

  /**
   * @param maxSamples most samples a query may hold at once, raw samples its selectors load
   *     included
   * @param maxSeries most series a query may load, summed over its selectors; 0 for no limit
   */
  public Engine(
      Storage storage,
      long timeoutMs,
      long maxSamples,
      long lookbackMs,
      long defaultSubqueryStepMs,
      long maxSeries) {
    this.storage = storage;
    this.timeoutMs = timeoutMs;
    this.maxSamples = maxSamples;
    this.maxSeries = maxSeries;
    this.lookbackMs = lookbackMs;
    this.defaultSubqueryStepMs = defaultSubqueryStepMs;
  }

  /** Evaluates {@code expr} at one instant (milliseconds since the epoch). */
  public QueryResult instantQuery(String expr, long timeMillis) {
    return instantQuery(Parser.parse(expr), expr, timeMillis);
  }

  /** Evaluates an already parsed (possibly rewritten) expression; {@code text} for positions. */
  QueryResult instantQuery(Expr e, String expr, long timeMillis) {
    try (Querier q = storage.querier()) {
      Evaluator ev = newEvaluator(q, timeMillis, timeMillis, 0);
      ev.query = expr;
      ev.computeBounds(e, timeMillis, timeMillis);
      Value v = ev.eval(e, timeMillis);
      return switch (v) {
        case ScalarV s ->
            new QueryResult(
                QueryResult.Type.SCALAR,
                timeMillis,
                s.v(),
                null,
                null,
                null,
                ev.warnings,
                ev.infos);
        case StringV s ->
            new QueryResult(
                QueryResult.Type.STRING, timeMillis, 0, s.s(), null, null, ev.warnings, ev.infos);
        case VectorV vec -> {
          List<Sample> out = new ArrayList<>(vec.samples().size());
          Set<Labels> seen = new HashSet<>();
          for (Sample s : vec.samples()) {
            Labels l = Evaluator.finalLabels(s.labels, s.dropName);
            if (!seen.add(l)) {
              throw QueryException.exec("vector cannot contain metrics with the same labelset");
            }
            Sample o = new Sample(l, s.v, timeMillis, false);
            o.h = s.h;
            out.add(o);
          }
          yield new QueryResult(
              QueryResult.Type.VECTOR, timeMillis, 0, null, out, null, ev.warnings, ev.infos);
        }
        case MatrixV m -> {
          List<Series> out = new ArrayList<>(m.series());
          Set<Labels> seen = new HashSet<>();
          for (Series s : out) {
            s.labels = Evaluator.finalLabels(s.labels, s.dropName);
            s.dropName = false;
            if (!seen.add(s.labels)) {
              throw QueryException.exec("vector cannot contain metrics with the same labelset");
            }
          }
          out.sort((a, b) -> a.labels.compareTo(b.labels));
          yield new QueryResult(
              QueryResult.Type.MATRIX, timeMillis, 0, null, null, out, ev.warnings, ev.infos);
        }
      };
    }
  }

  /** Evaluates {@code expr} at every step from start to end (inclusive), all in milliseconds. */
  public QueryResult rangeQuery(String expr, long startMillis, long endMillis, long stepMillis) {
    return rangeQuery(Parser.parse(expr), expr, startMillis, endMillis, stepMillis);
  }

  /**
   * Evaluates {@code e}, parsed from {@code expr} (for positions in messages), at every step from
   * start to end: for a caller that already parsed the text, such as the results cache, which
   * evaluates one parse for the steps before and after its cached ones. The evaluation does not
   * change {@code e}.
   */
  public QueryResult rangeQuery(
      Expr e, String expr, long startMillis, long endMillis, long stepMillis) {
    if (stepMillis <= 0) {
      throw new QueryException(
          QueryException.Kind.BAD_DATA,
          "zero or negative query resolution step widths are not accepted. Try a positive"
              + " integer");
    }
    if (endMillis < startMillis) {
      throw new QueryException(
          QueryException.Kind.BAD_DATA, "end timestamp must not be before start time");
    }
    Ast.ValueType t = e.type();
    if (t != Ast.ValueType.SCALAR && t != Ast.ValueType.VECTOR) {
      throw new QueryException(
          QueryException.Kind.BAD_DATA,
          "invalid expression type \""
              + t.text()
              + "\" for range query, must be Scalar or instant Vector");
    }
    try (Querier q = storage.querier()) {
      Evaluator ev = newEvaluator(q, startMillis, endMillis, stepMillis);
      ev.query = expr;
      ev.computeBounds(e, startMillis, endMillis);
      LinkedHashMap<Labels, Series> acc = new LinkedHashMap<>();
      long points = 0;
      for (long ts = startMillis; ts <= endMillis; ts += stepMillis) {
        ev.checkDeadline();
        long before = ev.currentSamples;
        Value v = ev.eval(e, ts);
        ev.currentSamples = before;
        if (v instanceof ScalarV s) {
          acc.computeIfAbsent(Labels.EMPTY, k -> new Series(k, 16)).add(ts, s.v());
          points++;
        } else if (v instanceof VectorV vec) {
          for (Sample s : vec.samples()) {
            Labels l = ev.resultLabels(s.labels, s.dropName);
            Series r = acc.get(l);
            if (r == null) {
              r = new Series(l, 16);
              acc.put(l, r);
            } else if (r.t[r.n - 1] == ts) {
              // steps only move forward: a point at this step means the label set came twice
              throw QueryException.exec("vector cannot contain metrics with the same labelset");
            }
            if (s.h != null) {
              r.addHistogram(ts, s.h);
            } else {
              r.add(ts, s.v);
            }
          }
          points += vec.samples().size();
        }
        ev.currentSamples += points;
        ev.addSamples(0);
        ev.currentSamples -= points;
        if (points > maxSamples) {
          throw new QueryException(
              QueryException.Kind.TOO_MANY_SAMPLES,
              "query processing would load too many samples into memory in query execution");
        }
      }
      List<Series> out = new ArrayList<>(acc.values());
      out.sort((a, b) -> a.labels.compareTo(b.labels));
      return new QueryResult(
          QueryResult.Type.MATRIX, endMillis, 0, null, null, out, ev.warnings, ev.infos);
    }
  }

  private Evaluator newEvaluator(Querier q, long start, long end, long step) {
    long deadline = timeoutMs > 0 ? System.nanoTime() + timeoutMs * 1_000_000L : 0;
    if (deadline == 0) {
      deadline = 1;
    }
    return new Evaluator(
        q,
        start,
        end,
        step,
        lookbackMs,
        defaultSubqueryStepMs,
        timeoutMs > 0 ? deadline : 0,
        maxSamples,
        maxSeries);
  }
}
