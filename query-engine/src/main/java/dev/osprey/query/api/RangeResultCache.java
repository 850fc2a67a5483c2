package dev.osprey.query.api;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.SampleChanges;
import dev.osprey.query.promql.Ast;
import dev.osprey.query.promql.QueryException;
import dev.osprey.query.promql.QueryResult;
import dev.osprey.query.promql.Values.Series;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The results cache of {@code /api/v1/query_range}, as VictoriaMetrics' rollup result cache and
 * Cortex's query-frontend keep one: per query text, step and phase ({@code start mod step}) one
 * contiguous run of steps (an extent) with every series' points, holding only steps at least the
 * freshness offset older than now. A request reuses the cached steps inside its range and evaluates
 * at most one range before and one after them; the extent then grows.
 *
 * <p>Exactness: a query is cached only when its answer at a step depends on samples at or before
 * that step alone ({@link #cacheable}: no {@code @}, no negative offset, no smoothed selector, no
 * {@code range()}); a sample at time t then changes answers only at steps {@code >= t}. The storage
 * reports every commit with such a sample, deletions and retention through {@link SampleChanges};
 * extents reaching the changed time are dropped, and a generation counter keeps an evaluation that
 * raced with a change from being stored.
 *
 * <p>Annotations: an extent keeps the warnings and infos of evaluating exactly its steps, at most
 * one of each (with more, a merged list could be ordered otherwise than an uncached one; such a
 * query is evaluated uncached until the next change). An answer that uses the whole extent gets the
 * union of the extent's annotations and those of the steps evaluated around it; an answer using a
 * part of an annotated extent is evaluated uncached (which of its steps an annotation came from is
 * not kept). This relies on the annotations of a range being the union of those of its steps, as
 * upstream's engine reports them per step.
 */
final class RangeResultCache {
  /** A cache entry's identity: the query as written, its step and its phase. */
  record Key(String query, long step, long phase) {}

  /** Answers at the steps first..last (inclusive) of one key, series sorted by labels. */
  private record Extent(
      long first,
      long last,
      List<Series> series,
      List<String> warnings,
      List<String> infos,
      long bytes,
      boolean marker) {
    /**
     * Marks a key whose answers carry more than one warning or info: evaluated uncached until the
     * next change.
     */
    static Extent annotated(Key k) {
      return new Extent(
          Long.MAX_VALUE,
          Long.MAX_VALUE,
          List.of(),
          List.of(),
          List.of(),
          64 + 2L * k.query.length(),
          true);
    }
  }

  /** Evaluates the query over [start, end] at the request's step, uncached. */
  interface Evaluation {
    QueryResult range(long start, long end);
  }

  private final long offsetMs;
  private final long maxBytes;
  private final int maxEntries;
  private final long maxSamples;
  private final LongSupplier clock;
  private final SampleChanges changes;

  // access order: the first entry is the least recently used
  private final LinkedHashMap<Key, Extent> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long bytes;
  private long generation;

  private final Counter hits;
  private final Counter misses;
  private final Counter stepsEvaluated;
  private final Counter stepsCached;
  private final Counter invalidations;

  RangeResultCache(
      long offsetMs,
      long maxBytes,
      int maxEntries,
      long maxSamples,
      SampleChanges changes,
      LongSupplier clock,
      MeterRegistry registry) {
    this.offsetMs = offsetMs;
    this.maxBytes = maxBytes;
    this.maxEntries = maxEntries;
    this.maxSamples = maxSamples;
    this.changes = changes;
    this.clock = clock;
    hits =
        Counter.builder("osprey_query_cache_hits_total")
            .description("Range queries answered partly or wholly from the results cache")
            .register(registry);
    misses =
        Counter.builder("osprey_query_cache_misses_total")
            .description("Cacheable range queries the results cache had nothing for")
            .register(registry);
    stepsEvaluated =
        Counter.builder("osprey_query_cache_steps_evaluated_total")
            .description("Steps of cacheable range queries that were evaluated")
            .register(registry);
    stepsCached =
        Counter.builder("osprey_query_cache_steps_cached_total")
            .description("Steps of range queries answered from the results cache")
            .register(registry);
    invalidations =
        Counter.builder("osprey_query_cache_invalidations_total")
            .description("Changes to stored samples reported to the results cache")
            .register(registry);
    Gauge.builder("osprey_query_cache_entries", this, RangeResultCache::entries)
        .description("Queries the results cache holds answers for")
        .register(registry);
    Gauge.builder("osprey_query_cache_bytes", this, RangeResultCache::bytes)
        .description("Estimated memory the results cache holds")
        .register(registry);
    changes.listen(this::invalidate);
  }

  synchronized int entries() {
    return entries.size();
  }

  synchronized long bytes() {
    return bytes;
  }

  double stepsEvaluated() {
    return stepsEvaluated.count();
  }

  double stepsCached() {
    return stepsCached.count();
  }

  double hits() {
    return hits.count();
  }

  double invalidations() {
    return invalidations.count();
  }

  // ------------------------------------------------------------------ what may be cached

  /**
   * Whether the answer of {@code e} at a step depends only on samples at or before that step, the
   * step and the step width: no {@code @} (start() and end() included), no negative offset, no
   * smoothed selector (it interpolates with the sample after the step), no {@code range()}.
   */
  static boolean cacheable(Ast.Expr e) {
    return switch (e) {
      case Ast.NumberLiteral n -> true;
      case Ast.StringLiteral s -> true;
      case Ast.VectorSelector vs -> !vs.smoothed && cacheable(vs.mods);
      case Ast.MatrixSelector m -> !m.smoothed && cacheable(m.vs) && cacheable(m.range);
      case Ast.SubqueryExpr s ->
          cacheable(s.mods)
              && cacheable(s.expr)
              && cacheable(s.range)
              && (s.step == null || cacheable(s.step));
      case Ast.ParenExpr p -> cacheable(p.expr);
      case Ast.UnaryExpr u -> cacheable(u.expr);
      case Ast.BinaryExpr b -> cacheable(b.lhs) && cacheable(b.rhs);
      case Ast.Call c -> {
        if (c.fn.name().equals("range")) {
          yield false;
        }
        for (Ast.Expr a : c.args) {
          if (!cacheable(a)) {
            yield false;
          }
        }
        yield true;
      }
      case Ast.AggregateExpr a -> cacheable(a.expr) && (a.param == null || cacheable(a.param));
    };
  }

  private static boolean cacheable(Ast.Modifiers m) {
    if (m.hasAt()) {
      return false;
    }
    if (m.offsetExpr == null) {
      return true;
    }
    double off = constantSeconds(m.offsetExpr);
    return !Double.isNaN(off) && off >= 0;
  }

  /** A duration expression of literals in seconds; NaN when it has anything else (step()...). */
  private static double constantSeconds(Ast.Expr e) {
    return switch (e) {
      case Ast.NumberLiteral n -> n.val;
      case Ast.ParenExpr p -> constantSeconds(p.expr);
      case Ast.UnaryExpr u -> u.minus ? -constantSeconds(u.expr) : constantSeconds(u.expr);
      case Ast.BinaryExpr b -> {
        double l = constantSeconds(b.lhs);
        double r = constantSeconds(b.rhs);
        yield switch (b.op) {
          case ADD -> l + r;
          case SUB -> l - r;
          case MUL -> l * r;
          case DIV -> l / r;
          default -> Double.NaN;
        };
      }
      default -> Double.NaN;
    };
  }

  // ------------------------------------------------------------------ answering

  /**
   * Answers {@code query} (already checked {@link #cacheable}) at start, start + step, ... end from
   * the cache where it can, evaluating the rest with {@code eval}.
   */
  QueryResult query(String query, long start, long end, long step, Evaluation eval) {
    long cutoff = clock.getAsLong() - offsetMs;
    long last =
        cutoff < start ? Long.MIN_VALUE : start + (Math.min(end, cutoff) - start) / step * step;
    if (last == Long.MIN_VALUE) {
      misses.increment();
      return evaluate(eval, start, end, step); // nothing old enough to keep
    }
    Key key = new Key(query, step, Math.floorMod(start, step));
    Extent e;
    long gen;
    synchronized (this) {
      e = entries.get(key);
      gen = generation;
    }
    if (e != null && e.marker()) {
      misses.increment();
      return evaluate(eval, start, end, step);
    }
    // from here on, a commit with a sample at or before `last` is reported (and bumps generation)
    changes.watchUpTo(last);
    if (e == null || e.last() < start - step || e.first() > end + step) {
      misses.increment();
      QueryResult res = evaluate(eval, start, end, step);
      if (!annotated(res)) {
        store(key, extent(start, last, List.of(res.matrix()), start, last, NONE, NONE), gen);
      } else if (end - last < step) {
        // every step is old enough to keep: the answer's annotations are the extent's
        store(key, annotatedExtent(key, start, last, res), gen);
      } else {
        // which annotations came from the steps kept is not known: evaluate those alone, once
        QueryResult kept = evaluate(eval, start, last, step);
        store(key, annotatedExtent(key, start, last, kept), gen);
      }
      return res;
    }
    boolean wholeExtent = start <= e.first() && end >= e.last();
    if (!wholeExtent && (!e.warnings().isEmpty() || !e.infos().isEmpty())) {
      // the annotations of a part of the extent's steps are not known
      misses.increment();
      return evaluate(eval, start, end, step);
    }
    QueryResult left = start < e.first() ? evaluate(eval, start, e.first() - step, step) : null;
    // (end need not be a step: the steps after the extent, if any, start at e.last() + step)
    QueryResult right = end - e.last() >= step ? evaluate(eval, e.last() + step, end, step) : null;
    List<String> warnings = union(e.warnings(), warnings(left), warnings(right));
    List<String> infos = union(e.infos(), infos(left), infos(right));
    if (warnings.size() > 1 || infos.size() > 1) {
      // an uncached evaluation may list them in another order
      store(key, Extent.annotated(key), gen);
      return evaluate(eval, start, end, step);
    }
    hits.increment();
    long lo = Math.max(start, e.first());
    long hi = Math.min(end, e.last());
    if (lo <= hi) {
      stepsCached.increment((hi - lo) / step + 1);
    }
    List<List<Series>> parts = new ArrayList<>(3);
    List<List<Series>> kept = new ArrayList<>(3);
    if (left != null) {
      parts.add(left.matrix());
      kept.add(left.matrix());
    }
    parts.add(e.series());
    kept.add(e.series());
    // the extent's annotations after it grows: those of its steps, the left ones and the right
    // ones kept; when the right part also has fresh steps, its annotations count only if the
    // extent already has them (which of its steps they came from is not known)
    List<String> keptWarnings = union(e.warnings(), warnings(left), NONE);
    List<String> keptInfos = union(e.infos(), infos(left), NONE);
    long newLast = e.last();
    if (right != null) {
      boolean allKept = end - last < step;
      if (allKept
          || (keptWarnings.containsAll(warnings(right)) && keptInfos.containsAll(infos(right)))) {
        parts.add(right.matrix());
        kept.add(right.matrix());
        keptWarnings = warnings;
        keptInfos = infos;
        newLast = Math.max(e.last(), Math.min(last, end));
      } else {
        parts.add(right.matrix());
      }
    }
    // with nothing to add the extent stays as it is (marked used when it was read), not rebuilt
    if (left != null || newLast != e.last()) {
      store(
          key,
          extent(
              Math.min(start, e.first()),
              newLast,
              kept,
              Long.MIN_VALUE,
              newLast,
              keptWarnings,
              keptInfos),
          gen);
    }
    // an answer that is the whole extent and nothing else shares its series (they are only read)
    List<Series> out =
        parts.size() == 1 && start <= e.first() && end >= e.last()
            ? e.series()
            : merge(parts, start, end);
    long points = 0;
    for (Series s : out) {
      points += s.n;
    }
    if (points > maxSamples) {
      throw new QueryException(
          QueryException.Kind.TOO_MANY_SAMPLES,
          "query processing would load too many samples into memory in query execution");
    }
    return new QueryResult(QueryResult.Type.MATRIX, end, 0, null, null, out, warnings, infos);
  }

  private static final List<String> NONE = List.of();

  /**
   * The extent of steps first..last from {@code r}, an evaluation of exactly those steps, or the
   * marker when it has more than one warning or info (their order after a merge is not known).
   */
  private static Extent annotatedExtent(Key key, long first, long last, QueryResult res) {
    if (warnings(res).size() > 1 || infos(res).size() > 1) {
      return Extent.annotated(key);
    }
    return extent(first, last, List.of(res.matrix()), first, last, warnings(res), infos(res));
  }

  private static List<String> warnings(QueryResult r) {
    return r == null || r.warnings() == null ? NONE : r.warnings();
  }

  private static List<String> infos(QueryResult r) {
    return r == null || r.infos() == null ? NONE : r.infos();
  }

  /** The distinct strings of a, b and c in that order. */
  private static List<String> union(List<String> a, List<String> b, List<String> c) {
    if (b.isEmpty() && c.isEmpty()) {
      return a;
    }
    java.util.LinkedHashSet<String> s = new java.util.LinkedHashSet<>(a);
    s.addAll(b);
    s.addAll(c);
    return List.copyOf(s);
  }

  private QueryResult evaluate(Evaluation eval, long start, long end, long step) {
    QueryResult r = eval.range(start, end);
    stepsEvaluated.increment((end - start) / step + 1);
    return r;
  }

  private static boolean annotated(QueryResult r) {
    return r != null
        && ((r.warnings() != null && !r.warnings().isEmpty())
            || (r.infos() != null && !r.infos().isEmpty()));
  }

  /** An extent of steps first..last from the points of {@code parts} within [lo, hi]. */
  private static Extent extent(
      long first,
      long last,
      List<List<Series>> parts,
      long lo,
      long hi,
      List<String> warnings,
      List<String> infos) {
    List<Series> series = merge(parts, lo, hi);
    long b = 128;
    for (Series s : series) {
      b += bytesOf(s);
    }
    for (String a : union(warnings, infos, NONE)) {
      b += 48 + 2L * a.length();
    }
    return new Extent(first, last, series, warnings, infos, b, false);
  }

  /**
   * The series of {@code parts} (each sorted by labels, parts in time order and disjoint) merged by
   * label set, their points within [lo, hi], sorted by labels as the engine sorts a range result.
   */
  private static List<Series> merge(List<List<Series>> parts, long lo, long hi) {
    int k = parts.size();
    int[] at = new int[k];
    int[] from = new int[k];
    int[] to = new int[k];
    Series[] same = new Series[k];
    int total = 0;
    for (List<Series> p : parts) {
      total = Math.max(total, p.size());
    }
    List<Series> list = new ArrayList<>(total + total / 8);
    long end = hi == Long.MAX_VALUE ? hi : hi + 1;
    while (true) {
      // the smallest label set at the parts' heads, and every part that has it there
      Labels min = null;
      for (int i = 0; i < k; i++) {
        if (at[i] < parts.get(i).size()) {
          Labels l = parts.get(i).get(at[i]).labels;
          if (min == null || l.compareTo(min) < 0) {
            min = l;
          }
        }
      }
      if (min == null) {
        return list;
      }
      int points = 0;
      boolean histograms = false;
      for (int i = 0; i < k; i++) {
        same[i] = null;
        if (at[i] < parts.get(i).size() && parts.get(i).get(at[i]).labels.compareTo(min) == 0) {
          Series s = parts.get(i).get(at[i]++);
          from[i] = lowerBound(s, lo);
          to[i] = lowerBound(s, end);
          if (from[i] < to[i]) {
            same[i] = s;
            points += to[i] - from[i];
            histograms |= s.h != null;
          }
        }
      }
      if (points == 0) {
        continue;
      }
      Series m = new Series(min, points);
      for (int i = 0; i < k; i++) {
        Series s = same[i];
        if (s == null) {
          continue;
        }
        if (histograms) {
          for (int j = from[i]; j < to[i]; j++) {
            FloatHistogram h = s.histogram(j);
            if (h != null) {
              m.addHistogram(s.t[j], h);
            } else {
              m.add(s.t[j], s.v[j]);
            }
          }
        } else {
          System.arraycopy(s.t, from[i], m.t, m.n, to[i] - from[i]);
          System.arraycopy(s.v, from[i], m.v, m.n, to[i] - from[i]);
          m.n += to[i] - from[i];
        }
      }
      if (m.h != null && m.h.length != m.n) {
        m.h = Arrays.copyOf(m.h, m.n);
      }
      list.add(m);
    }
  }

  /** The first point index of {@code s} at or after {@code t}. */
  private static int lowerBound(Series s, long t) {
    int a = 0;
    int b = s.n;
    while (a < b) {
      int m = (a + b) >>> 1;
      if (s.t[m] < t) {
        a = m + 1;
      } else {
        b = m;
      }
    }
    return a;
  }

  private static long bytesOf(Series s) {
    long b = 96 + 16L * s.n;
    for (int i = 0; i < s.labels.size(); i++) {
      b += 80 + 2L * (s.labels.name(i).length() + s.labels.value(i).length());
    }
    if (s.h != null) {
      b += 8L * s.n;
      for (int i = 0; i < s.n; i++) {
        if (s.h[i] != null) {
          b += 64 + 16L * (s.h[i].positiveBuckets() + s.h[i].negativeBuckets());
        }
      }
    }
    return b;
  }

  // ------------------------------------------------------------------ keeping and dropping

  private synchronized void store(Key key, Extent e, long gen) {
    if (gen != generation) {
      return; // samples changed while this was evaluated: what it read may be stale
    }
    Extent old = entries.remove(key);
    if (old != null) {
      bytes -= old.bytes();
    }
    if (e.bytes() > maxBytes / 4) {
      return; // one query may take at most a quarter of the cache
    }
    entries.put(key, e);
    bytes += e.bytes();
    Iterator<Map.Entry<Key, Extent>> it = entries.entrySet().iterator();
    while ((bytes > maxBytes || entries.size() > maxEntries) && it.hasNext()) {
      Map.Entry<Key, Extent> eldest = it.next();
      bytes -= eldest.getValue().bytes();
      it.remove();
    }
  }

  /** Samples at or after {@code from} changed: drops every extent reaching it. */
  private synchronized void invalidate(long from) {
    generation++;
    invalidations.increment();
    Iterator<Extent> it = entries.values().iterator();
    while (it.hasNext()) {
      Extent e = it.next();
      if (from == SampleChanges.ALL || e.last() >= from) {
        bytes -= e.bytes();
        it.remove();
      }
    }
  }
}
