package dev.osprey.query.promql;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import dev.osprey.core.storage.StaleNaN;
import dev.osprey.query.promql.Ast.AggregateExpr;
import dev.osprey.query.promql.Ast.BinaryExpr;
import dev.osprey.query.promql.Ast.Call;
import dev.osprey.query.promql.Ast.Expr;
import dev.osprey.query.promql.Ast.MatrixSelector;
import dev.osprey.query.promql.Ast.Modifiers;
import dev.osprey.query.promql.Ast.NumberLiteral;
import dev.osprey.query.promql.Ast.Op;
import dev.osprey.query.promql.Ast.ParenExpr;
import dev.osprey.query.promql.Ast.StringLiteral;
import dev.osprey.query.promql.Ast.SubqueryExpr;
import dev.osprey.query.promql.Ast.UnaryExpr;
import dev.osprey.query.promql.Ast.VectorMatching;
import dev.osprey.query.promql.Ast.VectorSelector;
import dev.osprey.query.promql.Values.MatrixV;
import dev.osprey.query.promql.Values.Sample;
import dev.osprey.query.promql.Values.ScalarV;
import dev.osprey.query.promql.Values.Series;
import dev.osprey.query.promql.Values.StringV;
import dev.osprey.query.promql.Values.Value;
import dev.osprey.query.promql.Values.VectorV;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Evaluates a syntax tree step by step. Series data of every selector is read once per query (over
 * the time range the whole query needs) and then looked up by binary search at each step.
 */
final class Evaluator {
  private final Querier querier;
  final long start;
  final long end;
  final long interval; // 0 for instant queries
  final long lookback;
  private final long defaultSubqueryStep;
  private final long deadlineNanos;
  private final long maxSamples;
  private final long maxSeries; // 0: no limit
  final List<String> warnings = new ArrayList<>();
  final List<String> infos = new ArrayList<>();
  String query = "";

  private final Map<VectorSelector, long[]> bounds = new IdentityHashMap<>();

  /**
   * The function a range selector feeds, told to storage (its downsampled data has one view each).
   */
  private final Map<VectorSelector, String> funcs = new IdentityHashMap<>();

  private final Map<VectorSelector, List<Loaded>> loaded = new IdentityHashMap<>();
  long currentSamples;

  /**
   * Raw samples and series the selectors have loaded: they stay in memory for the whole query, so
   * they count toward the limits at every step (currentSamples is reset from step to step).
   */
  private long loadedSamples;

  private long loadedSeries;

  /** The info-metric selectors of info() calls, per call, for this query. */
  final Map<Call, VectorSelector> infoSelectors = new IdentityHashMap<>();

  private final Map<MatrixSelector, Series[]> windowBuffers = new IdentityHashMap<>();
  private final IdentityHashMap<Labels, Labels> droppedNames = new IdentityHashMap<>();
  private final Map<SubqueryExpr, java.util.TreeMap<Long, Value>> subqueryResults =
      new IdentityHashMap<>();

  /**
   * Group ids of one aggregation for this query: each distinct grouping key gets a small integer,
   * and each input label set instance (series keep theirs from step to step) is mapped to its
   * group's id once, so a step neither rebuilds nor hashes label sets.
   */
  static final class GroupIds {
    Set<String> groupSet;
    private final IdentityHashMap<Labels, Integer> byInstance = new IdentityHashMap<>();
    private final HashMap<Labels, Integer> byKey = new HashMap<>();
    private final ArrayList<Labels> keys = new ArrayList<>();
    Aggregations.Group[] scratch = new Aggregations.Group[16];

    int idOf(Labels metric, boolean without) {
      Integer id = byInstance.get(metric);
      if (id == null) {
        if (byInstance.size() > 1_000_000) {
          byInstance.clear();
        }
        id = idOfKey(Aggregations.groupKey(metric, without, groupSet));
        byInstance.put(metric, id);
      }
      return id;
    }

    int idOfKey(Labels key) {
      Integer id = byKey.get(key);
      if (id == null) {
        id = keys.size();
        keys.add(key);
        byKey.put(key, id);
      }
      return id;
    }

    Labels key(int id) {
      return keys.get(id);
    }
  }

  private final Map<AggregateExpr, GroupIds> groupIds = new IdentityHashMap<>();

  private final Map<Call, IdentityHashMap<Labels, Histograms.Bucket>> bucketMemos =
      new IdentityHashMap<>();

  IdentityHashMap<Labels, Histograms.Bucket> bucketMemo(Call c) {
    return bucketMemos.computeIfAbsent(c, k -> new IdentityHashMap<>());
  }

  GroupIds groupIds(AggregateExpr a) {
    return groupIds.computeIfAbsent(a, k -> new GroupIds());
  }

  /** Labels as results show them, memoised per label set instance. */
  Labels resultLabels(Labels l, boolean dropName) {
    if (!dropName) {
      return l;
    }
    Labels out = droppedNames.get(l);
    if (out == null) {
      out = finalLabels(l, true);
      if (droppedNames.size() > 1_000_000) {
        droppedNames.clear();
      }
      droppedNames.put(l, out);
    }
    return out;
  }

  /** One selected series: every sample in the range the query needs. */
  static final class Loaded {
    final Labels labels;
    final long[] t;
    final double[] v;
    final int n;

    /** Whether any value is a staleness marker (windows without one are copied wholesale). */
    final boolean hasStale;

    /** Per sample its native histogram, or null for a float sample; null when all are floats. */
    final FloatHistogram[] h;

    /** Per sample its start time (0: unknown); null when storage reported none for the series. */
    long[] st;

    Loaded(Labels labels, long[] t, double[] v, int n, boolean hasStale) {
      this(labels, t, v, n, hasStale, null);
    }

    Loaded(Labels labels, long[] t, double[] v, int n, boolean hasStale, FloatHistogram[] h) {
      this.labels = labels;
      this.t = t;
      this.v = v;
      this.n = n;
      this.hasStale = hasStale;
      this.h = h;
    }
  }

  /**
   * Per-selector, per-series cursors: the index found at the previous evaluation time. Steps
   * usually move forward by less than a scrape interval or two, so the next lookup is a short
   * forward scan instead of a binary search over the whole loaded range.
   */
  private final Map<Object, int[]> cursors = new IdentityHashMap<>();

  int[] cursors(Object node, int n) {
    int[] c = cursors.get(node);
    if (c == null || c.length != n) {
      c = new int[n];
      Arrays.fill(c, -1);
      cursors.put(node, c);
    }
    return c;
  }

  /**
   * Index of the last sample with t &lt;= ts, or -1, starting from {@code hint} (a previous answer
   * for this series, or -1). Correct for any hint; fast when ts moved forward a little.
   */
  static int seek(long[] t, int n, long ts, int hint) {
    if (hint < 0 || hint >= n || t[hint] > ts) {
      return lastAtOrBefore(t, n, ts);
    }
    int i = hint;
    for (int k = 0; k < 8; k++) {
      if (i + 1 >= n || t[i + 1] > ts) {
        return i;
      }
      i++;
    }
    int lo = i + 1;
    int hi = n;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (t[mid] <= ts) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo - 1;
  }

  Evaluator(
      Querier querier,
      long start,
      long end,
      long interval,
      long lookback,
      long defaultSubqueryStep,
      long deadlineNanos,
      long maxSamples,
      long maxSeries) {
    this.querier = querier;
    this.start = start;
    this.end = end;
    this.interval = interval;
    this.lookback = lookback;
    this.defaultSubqueryStep = defaultSubqueryStep;
    this.deadlineNanos = deadlineNanos;
    this.maxSamples = maxSamples;
    this.maxSeries = maxSeries;
  }

  // ---------------------------------------------------------------- durations and bounds

  /** Evaluates a duration expression to milliseconds. */
  long durMs(Expr e) {
    return Math.round(durSec(e) * 1000);
  }

  private double durSec(Expr e) {
    return switch (e) {
      case NumberLiteral n -> n.val;
      case ParenExpr p -> durSec(p.expr);
      case UnaryExpr u -> u.minus ? -durSec(u.expr) : durSec(u.expr);
      case BinaryExpr b -> arith(b.op, durSec(b.lhs), durSec(b.rhs));
      case Call c -> {
        if (c.fn == Parser.STEP) {
          yield interval / 1000.0;
        } else if (c.fn == Parser.RANGE) {
          yield (end - start) / 1000.0;
        } else if (c.fn == Parser.MIN_OF) {
          yield Math.min(durSec(c.args.get(0)), durSec(c.args.get(1)));
        } else if (c.fn == Parser.MAX_OF) {
          yield Math.max(durSec(c.args.get(0)), durSec(c.args.get(1)));
        }
        throw QueryException.exec("unexpected function in duration: " + c.fn.name());
      }
      default -> throw QueryException.exec("unexpected expression in duration");
    };
  }

  long offsetMs(Modifiers m) {
    return m.offsetExpr == null ? 0 : durMs(m.offsetExpr);
  }

  /** The reference time of a selector or subquery at evaluation time ts, before its offset. */
  long refTime(Modifiers m, long ts) {
    if (m.at != null) {
      return Math.round(m.at * 1000);
    }
    if (m.atStartEnd == 1) {
      return start;
    }
    if (m.atStartEnd == 2) {
      return end;
    }
    return ts;
  }

  private int subqueryDepth;
  private long[] subqueryGrid;

  /**
   * The evaluation times {first, step, last} of aggregations evaluated on a fixed grid: the query's
   * own steps outside any subquery, or the steps of one (non-nested, no {@code @}) subquery.
   */
  final IdentityHashMap<AggregateExpr, long[]> fusedGrids = new IdentityHashMap<>();

  /** Whole-range results of fused aggregations (see {@link FusedAggregation}). */
  final IdentityHashMap<AggregateExpr, Object> fused = new IdentityHashMap<>();

  /** Computes the time range each selector needs (pre-pass before evaluation). */
  void computeBounds(Expr e, long mint, long maxt) {
    switch (e) {
      case VectorSelector vs ->
          addBounds(vs, vs.mods, mint, maxt, lookback, vs.smoothed ? lookback : 0);
      case MatrixSelector m -> {
        long extra = (m.anchored || m.smoothed) ? lookback : 0;
        addBounds(m.vs, m.vs.mods, mint, maxt, durMs(m.range) + extra, m.smoothed ? lookback : 0);
      }
      case SubqueryExpr s -> {
        long off = offsetMs(s.mods);
        long lo = s.mods.hasAt() ? refTime(s.mods, mint) : mint;
        long hi = s.mods.hasAt() ? refTime(s.mods, maxt) : maxt;
        long[] outerGrid = subqueryGrid;
        subqueryGrid = null;
        // Only when consecutive steps' subquery ranges leave no gap, so that every grid time is
        // really evaluated (annotations are those of exactly the evaluated times).
        if (subqueryDepth == 0 && !s.mods.hasAt() && interval <= durMs(s.range)) {
          // The times the subquery evaluates its expression at, over the whole query.
          long step = s.step == null ? defaultSubqueryStep : durMs(s.step);
          long first = lo - off - durMs(s.range);
          long g0 = Math.floorDiv(first, step) * step;
          if (g0 <= first) {
            g0 += step;
          }
          if (step > 0 && hi - off >= g0) {
            subqueryGrid = new long[] {g0, step, g0 + (hi - off - g0) / step * step};
          }
        }
        subqueryDepth++;
        // a subquery's histograms go through explicit reset detection, which needs the buckets
        boolean outerStats = statsDecoding;
        statsDecoding = false;
        computeBounds(s.expr, lo - off - durMs(s.range), hi - off);
        statsDecoding = outerStats;
        subqueryDepth--;
        subqueryGrid = outerGrid;
      }
      case ParenExpr p -> computeBounds(p.expr, mint, maxt);
      case UnaryExpr u -> computeBounds(u.expr, mint, maxt);
      case BinaryExpr b -> {
        boolean outerStats = statsDecoding;
        statsDecoding = false; // operators (trim, +, -) need the buckets
        computeBounds(b.lhs, mint, maxt);
        computeBounds(b.rhs, mint, maxt);
        statsDecoding = outerStats;
      }
      case Call c -> {
        boolean outerStats = statsDecoding;
        String fn = c.fn.name();
        if (fn.equals("histogram_count")
            || fn.equals("histogram_sum")
            || fn.equals("histogram_avg")) {
          statsDecoding = true;
        } else if (fn.equals("histogram_quantile") || fn.equals("histogram_fraction")) {
          statsDecoding = false;
        }
        for (Expr a : c.args) {
          if (a instanceof MatrixSelector m) {
            funcs.put(m.vs, c.fn.name());
          }
          computeBounds(a, mint, maxt);
        }
        statsDecoding = outerStats;
      }
      case AggregateExpr a -> {
        if (subqueryDepth == 0 && interval > 0) {
          fusedGrids.put(a, new long[] {mint, interval, maxt});
        } else if (subqueryDepth == 1 && subqueryGrid != null) {
          fusedGrids.put(a, subqueryGrid);
        }
        computeBounds(a.expr, mint, maxt);
        if (a.param != null) {
          computeBounds(a.param, mint, maxt);
        }
      }
      default -> {}
    }
  }

  /** Whether the selectors being visited only feed histogram_count/sum/avg. */
  private boolean statsDecoding;

  /** Selectors whose histograms are read as count and sum only (upstream's stats decoding). */
  private final Map<VectorSelector, Boolean> statsSelectors = new IdentityHashMap<>();

  private void addBounds(
      VectorSelector vs, Modifiers m, long mint, long maxt, long range, long after) {
    if (statsDecoding) {
      statsSelectors.put(vs, Boolean.TRUE);
    }
    long off = offsetMs(m);
    long lo = (m.hasAt() ? refTime(m, mint) : mint) - off - range;
    long hi = (m.hasAt() ? refTime(m, maxt) : maxt) - off + after;
    long[] b = bounds.get(vs);
    if (b == null) {
      bounds.put(vs, new long[] {lo, hi});
    } else {
      b[0] = Math.min(b[0], lo);
      b[1] = Math.max(b[1], hi);
    }
  }

  List<Loaded> loadSelector(VectorSelector vs) {
    return load(vs);
  }

  private List<Loaded> load(VectorSelector vs) {
    List<Loaded> l = loaded.get(vs);
    if (l != null) {
      return l;
    }
    long[] was = streamed.remove(vs);
    if (was != null) {
      loadedSamples -= was[0]; // read again below, and counted then
      loadedSeries -= was[1];
    }
    long[] b = bounds.getOrDefault(vs, new long[] {Long.MIN_VALUE / 4, Long.MAX_VALUE / 4});
    l = new ArrayList<>();
    SeriesSet ss =
        querier.select(
            b[0],
            b[1],
            new SelectHints(b[0], b[1], 0, funcs.get(vs), 0, List.of(), false),
            vs.matchers.toArray(new LabelMatcher[0]));
    SampleIterator reuse = null;
    int capacity = 16; // series of one selector tend to have alike sample counts
    while (ss.next()) {
      if (maxSeries > 0 && ++loadedSeries > maxSeries) {
        throw QueryException.tooManySeries(maxSeries);
      }
      SampleIterator it = ss.iterator(reuse);
      reuse = it;
      Loaded one = readSeries(ss.labels(), it, capacity);
      if (one != null && one.h != null && statsSelectors.containsKey(vs)) {
        statsOnly(one.h, one.n);
      }
      if (one != null) {
        l.add(one);
        capacity = Math.max(16, one.n + (one.n >> 3));
      }
      checkDeadline();
    }
    loaded.put(vs, l);
    return l;
  }

  /** What {@link #stream} hands each series to. */
  interface SeriesSink {
    /**
     * One series with samples in range; its arrays are reused for the next series.
     *
     * @return false to stop (the caller then takes the path that loads every series)
     */
    boolean accept(Loaded s, int index);
  }

  /**
   * Samples and series streamed by {@link #stream} and not kept: counted toward the limits as if
   * loaded, so that a later {@link #load} of the same selector replaces rather than adds them.
   */
  private final Map<VectorSelector, long[]> streamed = new IdentityHashMap<>();

  /**
   * Hands the selector's series, in order, to {@code sink} one at a time through arrays reused from
   * series to series, instead of keeping every series' samples for the whole query as {@link #load}
   * does. The limits see the same counts at the same points as {@link #load}. Returns false, having
   * taken its counts back, when a series holds histograms or start times (the flags are set as
   * {@link #load} sets them) or the sink stops; the caller then evaluates step by step, which loads
   * the selector.
   */
  boolean stream(VectorSelector vs, SeriesSink sink) {
    List<Loaded> done = loaded.get(vs);
    if (done != null) {
      for (int i = 0; i < done.size(); i++) {
        Loaded s = done.get(i);
        if (s.h != null || s.st != null || !sink.accept(s, i)) {
          return false;
        }
      }
      return true;
    }
    long samplesBefore = loadedSamples;
    long seriesBefore = loadedSeries;
    long[] b = bounds.getOrDefault(vs, new long[] {Long.MIN_VALUE / 4, Long.MAX_VALUE / 4});
    SeriesSet ss =
        querier.select(
            b[0],
            b[1],
            new SelectHints(b[0], b[1], 0, funcs.get(vs), 0, List.of(), false),
            vs.matchers.toArray(new LabelMatcher[0]));
    SampleIterator reuse = null;
    long[] t = new long[16];
    double[] v = new double[16];
    int index = 0;
    while (ss.next()) {
      if (maxSeries > 0 && ++loadedSeries > maxSeries) {
        throw QueryException.tooManySeries(maxSeries);
      }
      SampleIterator it = ss.iterator(reuse);
      reuse = it;
      Loaded one;
      if (it.mayHaveHistograms() || it.mayHaveStartTimes()) {
        one = readMixedSeries(ss.labels(), it, 16);
        if (one != null && (one.h != null || one.st != null)) {
          loadedSamples = samplesBefore;
          loadedSeries = seriesBefore;
          return false;
        }
      } else {
        one = readInto(ss.labels(), it, t, v);
        if (one != null) {
          t = one.t; // grown for a longer series: kept for the next
          v = one.v;
        }
      }
      if (one != null && !sink.accept(one, index++)) {
        loadedSamples = samplesBefore;
        loadedSeries = seriesBefore;
        return false;
      }
      checkDeadline();
    }
    streamed.put(vs, new long[] {loadedSamples - samplesBefore, loadedSeries - seriesBefore});
    return true;
  }

  /** {@link #readSeries} into the caller's arrays, grown as needed (the result holds them). */
  private Loaded readInto(Labels labels, SampleIterator it, long[] t, double[] v) {
    int n = it.read(t, v, 0, t.length);
    while (n == t.length) {
      if (currentSamples + loadedSamples + n > maxSamples) {
        tooManySamples();
      }
      t = Arrays.copyOf(t, n * 2);
      v = Arrays.copyOf(v, n * 2);
      n += it.read(t, v, n, t.length - n);
    }
    boolean stale = false;
    for (int i = 0; i < n; i++) {
      stale |= Double.doubleToRawLongBits(v[i]) == StaleNaN.BITS;
    }
    loadedSamples += n;
    checkSamples();
    return n > 0 ? new Loaded(labels, t, v, n, stale) : null;
  }

  /**
   * One series' samples, or null if it has none in range. A method of its own, not the body of the
   * loop in {@link #load}: the tsdb's whole read path inlines here, and the JIT then compiles this
   * small method once instead of recompiling (and on-stack replacing) the loop over all series,
   * which cost seconds of compiler time per query shape.
   */
  private Loaded readSeries(Labels labels, SampleIterator it, int capacity) {
    if (it.mayHaveHistograms() || it.mayHaveStartTimes()) {
      return readMixedSeries(labels, it, capacity);
    }
    long[] t = new long[capacity];
    double[] v = new double[capacity];
    // in bulk: the tsdb's chunk iterators decode straight into the arrays
    int n = it.read(t, v, 0, t.length);
    while (n == t.length) {
      if (currentSamples + loadedSamples + n > maxSamples) {
        tooManySamples(); // before growing the arrays of one long series further
      }
      t = Arrays.copyOf(t, n * 2);
      v = Arrays.copyOf(v, n * 2);
      n += it.read(t, v, n, t.length - n);
    }
    boolean stale = false;
    for (int i = 0; i < n; i++) {
      stale |= Double.doubleToRawLongBits(v[i]) == StaleNaN.BITS;
    }
    loadedSamples += n;
    checkSamples();
    return n > 0 ? new Loaded(labels, t, v, n, stale) : null;
  }

  /** A series that may hold histogram samples or start times: read one sample at a time. */
  private Loaded readMixedSeries(Labels labels, SampleIterator it, int capacity) {
    long[] t = new long[capacity];
    double[] v = new double[capacity];
    FloatHistogram[] h = new FloatHistogram[capacity];
    long[] st = it.mayHaveStartTimes() ? new long[capacity] : null;
    boolean anySt = false;
    int n = 0;
    boolean stale = false;
    boolean anyHist = false;
    while (it.next()) {
      if (n == t.length) {
        if (currentSamples + loadedSamples + n > maxSamples) {
          tooManySamples();
        }
        t = Arrays.copyOf(t, n * 2);
        v = Arrays.copyOf(v, n * 2);
        h = Arrays.copyOf(h, n * 2);
        if (st != null) {
          st = Arrays.copyOf(st, n * 2);
        }
      }
      if (st != null) {
        st[n] = it.st();
        anySt |= st[n] != SampleIterator.NO_START_TIME;
      }
      t[n] = it.t();
      FloatHistogram hist = it.histogram();
      if (hist != null && StaleNaN.is(hist.sum())) {
        // upstream's value.IsStaleNaN(h.Sum): a histogram whose sum is the stale NaN is a stale
        // marker; from here on it is the float marker, which every later step already skips
        hist = null;
        v[n] = StaleNaN.VALUE;
      } else {
        v[n] = hist == null ? it.v() : 0;
      }
      h[n] = hist;
      anyHist |= hist != null;
      stale |= hist == null && Double.doubleToRawLongBits(v[n]) == StaleNaN.BITS;
      n++;
    }
    loadedSamples += n;
    checkSamples();
    if (anyHist) {
      hasHistograms = true;
    }
    if (n == 0) {
      return null;
    }
    Loaded l = new Loaded(labels, t, v, n, stale, anyHist ? h : null);
    if (anySt) {
      l.st = st;
      hasStartTimes = true;
    }
    return l;
  }

  /**
   * Upstream's HistogramStatsIterator: histograms reduced to count and sum, and where storage
   * reported no counter-reset hint, the hint from comparing with the previous histogram (reset or
   * not), since the buckets that reset detection needs are gone afterwards.
   */
  private static void statsOnly(FloatHistogram[] h, int n) {
    FloatHistogram prev = null;
    for (int i = 0; i < n; i++) {
      FloatHistogram cur = h[i];
      if (cur == null) {
        continue;
      }
      FloatHistogram.CounterResetHint hint = cur.counterResetHint();
      if (hint == FloatHistogram.CounterResetHint.UNKNOWN && prev != null) {
        hint =
            cur.detectReset(prev)
                ? FloatHistogram.CounterResetHint.COUNTER_RESET
                : FloatHistogram.CounterResetHint.NOT_COUNTER_RESET;
      }
      h[i] =
          FloatHistogram.ofSparse(
              cur.schema(), // kept so that exponential and custom buckets still do not mix
              0,
              0,
              cur.count(),
              cur.sum(),
              new int[0],
              new double[0],
              new int[0],
              new double[0],
              cur.customValues(),
              hint);
      prev = cur;
    }
  }

  /** Whether any selector of this query loaded a histogram sample (fused paths then step aside). */
  boolean hasHistograms;

  /** Whether any selector of this query loaded a start time (fused paths then step aside). */
  boolean hasStartTimes;

  /** Records a warning annotation for the node, rendered as the HTTP API shows it. */
  void warn(Expr node, String msg) {
    String s = "PromQL warning: " + msg + " (" + position(node) + ")";
    if (!warnings.contains(s)) {
      warnings.add(s);
    }
  }

  private final IdentityHashMap<Expr, java.util.HashSet<String>> reported = new IdentityHashMap<>();
  private final IdentityHashMap<Expr, IdentityHashMap<Labels, Boolean>> seenLabels =
      new IdentityHashMap<>();

  /**
   * True the first time {@code key} is reported for {@code node} in this query: annotations are
   * deduplicated anyway, so callers skip building a message they already added.
   */
  boolean firstReport(Expr node, String key) {
    return reported.computeIfAbsent(node, k -> new java.util.HashSet<>()).add(key);
  }

  /** True the first time this label set instance is seen by {@code node} in this query. */
  boolean firstSeen(Expr node, Labels l) {
    IdentityHashMap<Labels, Boolean> m =
        seenLabels.computeIfAbsent(node, k -> new IdentityHashMap<>());
    if (m.size() > 1_000_000) {
      m.clear();
    }
    return m.put(l, Boolean.TRUE) == null;
  }

  void info(Expr node, String msg) {
    String s = "PromQL info: " + msg + " (" + position(node) + ")";
    if (!infos.contains(s)) {
      infos.add(s);
    }
  }

  private String position(Expr node) {
    int line = 1;
    int lineStart = 0;
    byte[] b = query.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int pos = Math.min(node.pos, query.length());
    int bytePos = query.substring(0, pos).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    for (int i = 0; i < bytePos && i < b.length; i++) {
      if (b[i] == '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    return line + ":" + (bytePos - lineStart + 1);
  }

  /** Prometheus's labels.String(): every label inside the braces, the name included. */
  static String labelsString(Labels l) {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < l.size(); i++) {
      if (i > 0) {
        sb.append(", ");
      }
      String n = l.name(i);
      sb.append(dev.osprey.core.labels.Labels.isValidLabelName(n) ? n : GoFloat.quote(n))
          .append('=')
          .append(GoFloat.quote(l.value(i)));
    }
    return sb.append('}').toString();
  }

  void checkDeadline() {
    if (deadlineNanos != 0 && System.nanoTime() - deadlineNanos > 0) {
      throw new QueryException(QueryException.Kind.TIMEOUT, "query timed out in query execution");
    }
  }

  void addSamples(long n) {
    currentSamples += n;
    checkSamples();
  }

  private void checkSamples() {
    if (currentSamples + loadedSamples > maxSamples) {
      tooManySamples();
    }
  }

  private static void tooManySamples() {
    throw new QueryException(
        QueryException.Kind.TOO_MANY_SAMPLES,
        "query processing would load too many samples into memory in query execution");
  }

  /** Index of the last sample with t &lt;= ts, or -1. */
  static int lastAtOrBefore(long[] t, int n, long ts) {
    int lo = 0;
    int hi = n;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (t[mid] <= ts) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo - 1;
  }

  // ---------------------------------------------------------------- evaluation

  Value eval(Expr e, long ts) {
    return switch (e) {
      case NumberLiteral n -> new ScalarV(n.val);
      case StringLiteral s -> new StringV(s.val);
      case ParenExpr p -> eval(p.expr, ts);
      case UnaryExpr u -> unary(u, ts);
      case VectorSelector vs -> new VectorV(instantSelect(vs, ts));
      case MatrixSelector m -> new MatrixV(rangeSelect(m, ts));
      case SubqueryExpr s -> new MatrixV(subquery(s, ts));
      case BinaryExpr b -> binary(b, ts);
      case Call c -> FunctionCalls.call(this, c, ts);
      case AggregateExpr a -> Aggregations.aggregate(this, a, ts);
    };
  }

  private Value unary(UnaryExpr u, long ts) {
    Value v = eval(u.expr, ts);
    if (!u.minus) {
      return v;
    }
    if (v instanceof ScalarV s) {
      return new ScalarV(-s.v());
    }
    ArrayList<Sample> in = ((VectorV) v).samples();
    for (Sample s : in) {
      if (s.h != null) {
        s.h = s.h.mul(-1).withHint(FloatHistogram.CounterResetHint.GAUGE);
      }
      s.v = -s.v;
      s.dropName = true;
    }
    return v;
  }

  ArrayList<Sample> instantSelect(VectorSelector vs, long ts) {
    List<Loaded> series = load(vs);
    long ref = refTime(vs.mods, ts) - offsetMs(vs.mods);
    ArrayList<Sample> out = new ArrayList<>();
    if (vs.smoothed) {
      for (Loaded s : series) {
        if (s.h != null) {
          Object hv = ExtendedRange.histogramValueAt(this, vs, s, ref, lookback);
          if (hv != ExtendedRange.FLOATS) {
            if (hv instanceof Sample smp) {
              out.add(smp);
            }
            continue;
          }
        }
        double v = ExtendedRange.valueAt(s, ref, lookback);
        if (!Double.isNaN(v) || ExtendedRange.hasNeighbour(s, ref, lookback)) {
          out.add(new Sample(s.labels, v, ref, false));
        }
      }
      addSamples(out.size());
      return out;
    }
    int[] cur = cursors(vs, series.size());
    out.ensureCapacity(series.size());
    for (int si = 0; si < series.size(); si++) {
      Loaded s = series.get(si);
      int i = seek(s.t, s.n, ref, cur[si]);
      cur[si] = i;
      if (i < 0 || s.t[i] <= ref - lookback) {
        continue;
      }
      if (s.h != null && s.h[i] != null) {
        out.add(new Sample(s.labels, s.h[i], s.t[i], false));
        continue;
      }
      double v = s.v[i];
      if (StaleNaN.is(v)) {
        continue;
      }
      out.add(new Sample(s.labels, v, s.t[i], false));
    }
    addSamples(out.size());
    return out;
  }

  ArrayList<Series> rangeSelect(MatrixSelector m, long ts) {
    List<Loaded> series = load(m.vs);
    long hi = refTime(m.vs.mods, ts) - offsetMs(m.vs.mods);
    long lo = hi - durMs(m.range);
    ArrayList<Series> out = new ArrayList<>(series.size());
    long total = 0;
    // Window buffers are reused from step to step: a range vector is consumed by its function
    // within the step that produced it (it can only be returned whole by an instant query).
    Series[] buffers = windowBuffers.computeIfAbsent(m, k -> new Series[series.size()]);
    int ns = series.size();
    int[] cur = cursors(m, 2 * ns); // [0, ns): first index of the window, [ns, 2ns): last
    for (int si = 0; si < ns; si++) {
      Loaded s = series.get(si);
      int last = seek(s.t, s.n, hi, cur[ns + si]);
      int first = seek(s.t, s.n, lo, cur[si] - 1) + 1;
      cur[ns + si] = last;
      cur[si] = first;
      if (first > last) {
        continue;
      }
      Series r = buffers[si];
      if (interval == 0 || r == null || r.t.length < last - first + 1) {
        r = new Series(s.labels, last - first + 1);
        buffers[si] = r;
      }
      r.labels = s.labels;
      r.n = 0;
      r.dropName = false;
      r.h = null;
      if (s.h != null) {
        for (int i = first; i <= last; i++) {
          if (s.h[i] != null) {
            r.addHistogram(s.t[i], s.h[i]);
          } else if (!StaleNaN.is(s.v[i])) {
            r.add(s.t[i], s.v[i]);
          }
        }
      } else if (!s.hasStale) {
        int len = last - first + 1;
        System.arraycopy(s.t, first, r.t, 0, len);
        System.arraycopy(s.v, first, r.v, 0, len);
        r.n = len;
      } else {
        for (int i = first; i <= last; i++) {
          if (!StaleNaN.is(s.v[i])) {
            r.t[r.n] = s.t[i];
            r.v[r.n] = s.v[i];
            r.n++;
          }
        }
      }
      r.st = s.st == null ? null : StartTimes.window(s, first, last, r.n);
      if (r.n > 0) {
        out.add(r);
        total += r.n;
      }
    }
    addSamples(total);
    return out;
  }

  ArrayList<Series> subquery(SubqueryExpr s, long ts) {
    long step = s.step == null ? defaultSubqueryStep : durMs(s.step);
    if (step <= 0) {
      throw QueryException.exec("zero or negative step in subquery");
    }
    long hi = refTime(s.mods, ts) - offsetMs(s.mods);
    long lo = hi - durMs(s.range);
    long first = Math.floorDiv(lo, step) * step;
    if (first <= lo) {
      first += step;
    }
    LinkedHashMap<Labels, Series> acc = new LinkedHashMap<>();
    // Inner evaluation times are multiples of the step, so consecutive outer steps share most of
    // them: evaluate each inner time once and keep the results while they are in range.
    java.util.TreeMap<Long, Value> cache =
        subqueryResults.computeIfAbsent(s, k -> new java.util.TreeMap<>());
    cache.headMap(first).clear();
    for (long t = first; t <= hi; t += step) {
      checkDeadline();
      Value v = cache.get(t);
      if (v == null) {
        v = eval(s.expr, t);
        cache.put(t, v);
      }
      if (v instanceof ScalarV sc) {
        acc.computeIfAbsent(Labels.EMPTY, k -> new Series(k, 8)).add(t, sc.v());
      } else if (v instanceof VectorV vv) {
        for (Sample smp : vv.samples()) {
          Series r = acc.computeIfAbsent(smp.labels, k -> new Series(k, 8));
          if (smp.h != null) {
            // the stored hints say nothing about the subquery's own sequence of samples (a reset
            // may lie between two steps, a sample may repeat): resets are detected afresh
            r.addHistogram(
                t,
                smp.h.counterResetHint() == FloatHistogram.CounterResetHint.GAUGE
                    ? smp.h
                    : smp.h.withHint(FloatHistogram.CounterResetHint.UNKNOWN));
          } else {
            r.add(t, smp.v);
          }
          if (smp.dropName) {
            r.dropName = true;
          }
        }
      }
    }
    ArrayList<Series> out = new ArrayList<>(acc.values());
    long total = 0;
    for (Series r : out) {
      total += r.n;
    }
    addSamples(total);
    return out;
  }

  // ---------------------------------------------------------------- binary operators

  static double arith(Op op, double l, double r) {
    return switch (op) {
      case ADD -> l + r;
      case SUB -> l - r;
      case MUL -> l * r;
      case DIV -> l / r;
      case MOD -> l % r;
      case POW -> goPow(l, r);
      case ATAN2 -> Math.atan2(l, r);
      case TRIM_UPPER, TRIM_LOWER -> l; // trimming only changes native histograms
      default -> throw new IllegalStateException("BUG: not arithmetic: " + op);
    };
  }

  static double goPow(double x, double y) {
    if (y == 0 || x == 1) {
      return 1;
    }
    if (Double.isInfinite(y) && x == -1) {
      return 1;
    }
    return Math.pow(x, y);
  }

  static boolean compare(Op op, double l, double r) {
    return switch (op) {
      case EQLC -> l == r;
      case NEQ -> l != r;
      case GTR -> l > r;
      case LSS -> l < r;
      case GTE -> l >= r;
      case LTE -> l <= r;
      default -> throw new IllegalStateException("BUG: not a comparison: " + op);
    };
  }

  private Value binary(BinaryExpr b, long ts) {
    Value lv = eval(b.lhs, ts);
    Value rv = eval(b.rhs, ts);
    if (lv instanceof ScalarV l && rv instanceof ScalarV r) {
      if (b.op.isComparison()) {
        return new ScalarV(compare(b.op, l.v(), r.v()) ? 1 : 0);
      }
      return new ScalarV(arith(b.op, l.v(), r.v()));
    }
    if (lv instanceof VectorV l && rv instanceof ScalarV r) {
      return new VectorV(vectorScalar(b, l.samples(), r.v(), false));
    }
    if (lv instanceof ScalarV l && rv instanceof VectorV r) {
      return new VectorV(vectorScalar(b, r.samples(), l.v(), true));
    }
    ArrayList<Sample> l = ((VectorV) lv).samples();
    ArrayList<Sample> r = ((VectorV) rv).samples();
    VectorMatching vm = b.matching;
    return switch (b.op) {
      case AND -> new VectorV(and(l, r, vm, false));
      case UNLESS -> new VectorV(and(l, r, vm, true));
      case OR -> new VectorV(or(l, r, vm));
      default -> new VectorV(vectorVector(b, l, r, vm));
    };
  }

  private ArrayList<Sample> vectorScalar(
      BinaryExpr b, ArrayList<Sample> vec, double scalar, boolean swap) {
    ArrayList<Sample> out = new ArrayList<>(vec.size());
    NativeHistograms.Elem e = null;
    for (Sample s : vec) {
      double l = swap ? scalar : s.v;
      double r = swap ? s.v : scalar;
      if (s.h != null) {
        if (e == null) {
          e = new NativeHistograms.Elem();
        }
        if (!NativeHistograms.binop(this, b, l, swap ? null : s.h, r, swap ? s.h : null, e)) {
          continue;
        }
        if (b.op.isComparison() && b.returnBool) {
          s.h = null;
          s.v = e.keep ? 1 : 0;
          s.dropName = true;
        } else if (!e.keep) {
          continue;
        } else if (!b.op.isComparison()) {
          s.h = e.h;
          s.dropName |= b.op != Op.TRIM_UPPER && b.op != Op.TRIM_LOWER;
        }
        out.add(s);
        continue;
      }
      if (b.op.isComparison()) {
        boolean keep = compare(b.op, l, r);
        if (b.returnBool) {
          s.v = keep ? 1 : 0;
          s.dropName = true;
        } else if (!keep) {
          continue;
        }
      } else {
        s.v = arith(b.op, l, r);
        s.dropName = true;
      }
      out.add(s);
    }
    return out;
  }

  /** The matching signature of a series: labels kept by on(...) or left after ignoring(...). */
  static Labels signature(Labels l, VectorMatching vm) {
    if (vm.on) {
      return l.keep(vm.matchingLabels);
    }
    Labels.Builder b = l.toBuilder();
    b.del(Labels.METRIC_NAME);
    for (String n : vm.matchingLabels) {
      b.del(n);
    }
    return b.build();
  }

  private ArrayList<Sample> and(
      ArrayList<Sample> l, ArrayList<Sample> r, VectorMatching vm, boolean unless) {
    Set<Labels> sigs = new java.util.HashSet<>();
    for (Sample s : r) {
      sigs.add(signature(s.labels, vm));
    }
    ArrayList<Sample> out = new ArrayList<>();
    for (Sample s : l) {
      if (sigs.contains(signature(s.labels, vm)) != unless) {
        out.add(s);
      }
    }
    return out;
  }

  private ArrayList<Sample> or(ArrayList<Sample> l, ArrayList<Sample> r, VectorMatching vm) {
    Set<Labels> sigs = new java.util.HashSet<>();
    ArrayList<Sample> out = new ArrayList<>(l);
    for (Sample s : l) {
      sigs.add(signature(s.labels, vm));
    }
    for (Sample s : r) {
      if (!sigs.contains(signature(s.labels, vm))) {
        out.add(s);
      }
    }
    return out;
  }

  private ArrayList<Sample> vectorVector(
      BinaryExpr b, ArrayList<Sample> lhs, ArrayList<Sample> rhs, VectorMatching vm) {
    boolean oneToMany = vm.card == VectorMatching.Card.ONE_TO_MANY;
    if (oneToMany) {
      ArrayList<Sample> tmp = lhs;
      lhs = rhs;
      rhs = tmp;
    }
    boolean fill = vm.fillLeft != null || vm.fillRight != null;
    Map<Labels, Sample> right = new HashMap<>();
    for (Sample s : rhs) {
      Labels sig = signature(s.labels, vm);
      Sample prev = right.put(sig, s);
      if (prev != null) {
        Labels a = prev.labels;
        Labels c = s.labels;
        if (a.compareTo(c) > 0) {
          Labels t = a;
          a = c;
          c = t;
        }
        throw QueryException.exec(
            "found duplicate series for the match group "
                + labelsString(sig)
                + " on the "
                + (oneToMany ? "left" : "right")
                + " hand-side of the operation: ["
                + labelsString(a)
                + ", "
                + labelsString(c)
                + "];many-to-many matching not allowed: matching labels must be unique on one side");
      }
    }
    Map<Labels, Set<Labels>> matched = new HashMap<>();
    if (vm.card == VectorMatching.Card.ONE_TO_ONE) {
      Map<Labels, Sample> left = new HashMap<>();
      for (Sample s : lhs) {
        Labels sig = signature(s.labels, vm);
        Sample prev = left.put(sig, s);
        if (prev != null && right.containsKey(sig)) {
          throw QueryException.exec(
              "found duplicate series for the match group "
                  + labelsString(sig)
                  + " on the left hand-side of the operation: ["
                  + labelsString(prev.labels)
                  + ", "
                  + labelsString(s.labels)
                  + "];many-to-many matching not allowed: matching labels must be unique on one"
                  + " side");
        }
      }
    }
    ArrayList<Sample> out = new ArrayList<>();
    Set<Labels> leftSigs = fill ? new java.util.HashSet<>() : null;
    if (vm.card == VectorMatching.Card.ONE_TO_ONE) {
      // duplicate detection on the left side happens through matched below
    }
    for (Sample ls : lhs) {
      Labels sig = signature(ls.labels, vm);
      Sample rs = right.get(sig);
      if (fill) {
        leftSigs.add(sig);
      }
      boolean filledRight = false;
      if (rs == null) {
        Double fv = vm.fillRight;
        if (fv == null) {
          continue;
        }
        rs = new Sample(sig, fv, ls.t, false);
        filledRight = true;
      }
      Sample res = combine(b, vm, ls, rs, oneToMany, sig, matched);
      if (res != null) {
        out.add(res);
      }
    }
    if (fill) {
      Double fv = vm.fillLeft;
      if (fv != null) {
        for (Map.Entry<Labels, Sample> en : right.entrySet()) {
          if (!leftSigs.contains(en.getKey())) {
            Sample rs = en.getValue();
            Sample ls = new Sample(en.getKey(), fv, rs.t, false);
            Sample res = combine(b, vm, ls, rs, oneToMany, en.getKey(), matched);
            if (res != null) {
              out.add(res);
            }
          }
        }
      }
    }
    return out;
  }

  private Sample combine(
      BinaryExpr b,
      VectorMatching vm,
      Sample ls,
      Sample rs,
      boolean oneToMany,
      Labels sig,
      Map<Labels, Set<Labels>> matched) {
    double fl = ls.v;
    double fr = rs.v;
    FloatHistogram hl = ls.h;
    FloatHistogram hr = rs.h;
    if (oneToMany) {
      fl = rs.v;
      fr = ls.v;
      hl = rs.h;
      hr = ls.h;
    }
    double value;
    boolean keep = true;
    FloatHistogram hv = null;
    if (hl != null || hr != null) {
      NativeHistograms.Elem e = new NativeHistograms.Elem();
      if (!NativeHistograms.binop(this, b, fl, hl, fr, hr, e)) {
        return null;
      }
      keep = e.keep;
      value = e.f;
      hv = e.h;
      if (b.op.isComparison() && b.returnBool) {
        value = keep ? 1 : 0;
        hv = null;
        keep = true;
      }
    } else if (b.op.isComparison()) {
      keep = compare(b.op, fl, fr);
      value = fl;
      if (b.returnBool) {
        value = keep ? 1 : 0;
        keep = true;
      }
    } else {
      value = arith(b.op, fl, fr);
    }
    if (!keep) {
      return null;
    }
    Labels metric = resultMetric(ls.labels, rs.labels, vm);
    Set<Labels> inserted = matched.get(sig);
    if (vm.card == VectorMatching.Card.ONE_TO_ONE) {
      if (inserted != null) {
        throw QueryException.exec(
            "multiple matches for labels: many-to-one matching must be explicit"
                + " (group_left/group_right)");
      }
      matched.put(sig, Set.of());
    } else {
      if (inserted == null) {
        inserted = new java.util.HashSet<>();
        matched.put(sig, inserted);
      } else if (inserted.contains(metric)) {
        throw QueryException.exec(
            "multiple matches for labels: grouping labels must ensure unique matches");
      }
      inserted.add(metric);
    }
    boolean drop = b.returnBool || !b.op.isComparison();
    Sample out = new Sample(metric, value, ls.t, drop || (b.op.isComparison() && ls.dropName));
    out.h = hv;
    return out;
  }

  private static Labels resultMetric(Labels lhs, Labels rhs, VectorMatching vm) {
    Labels.Builder lb = lhs.toBuilder();
    if (vm.card == VectorMatching.Card.ONE_TO_ONE) {
      if (vm.on) {
        Labels kept = lhs.keep(vm.matchingLabels);
        lb = kept.toBuilder();
      } else {
        for (String n : vm.matchingLabels) {
          lb.del(n);
        }
      }
    }
    for (String n : vm.include) {
      String v = rhs.get(n);
      if (!v.isEmpty()) {
        lb.set(n, v);
      } else {
        lb.del(n);
      }
    }
    return lb.build();
  }

  // ---------------------------------------------------------------- name dropping

  /** Labels as they appear in results: the metric name (and type/unit) removed when dropped. */
  static Labels finalLabels(Labels l, boolean dropName) {
    if (!dropName) {
      return l;
    }
    if (!l.has(Labels.METRIC_NAME) && !l.has("__type__") && !l.has("__unit__")) {
      return l;
    }
    return l.toBuilder().del(Labels.METRIC_NAME).del("__type__").del("__unit__").build();
  }
}
