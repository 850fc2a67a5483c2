package dev.osprey.query.promql;

import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.StaleNaN;
import dev.osprey.core.util.Kahan;
import dev.osprey.query.promql.Aggregations.Group;
import dev.osprey.query.promql.Ast.AggregateExpr;
import dev.osprey.query.promql.Ast.Call;
import dev.osprey.query.promql.Ast.Expr;
import dev.osprey.query.promql.Ast.MatrixSelector;
import dev.osprey.query.promql.Ast.VectorSelector;
import dev.osprey.query.promql.Evaluator.Loaded;
import dev.osprey.query.promql.Values.Sample;
import dev.osprey.query.promql.Values.Series;
import dev.osprey.query.promql.Values.VectorV;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The common shapes of a range query, {@code agg(func(selector[r]))} and {@code agg(selector)},
 * evaluated series by series across all steps at once: a window slides over each series' samples
 * and every step's value goes straight into that step's group, with no per-step vectors, sample
 * objects or label-set lookups. The first step computes the whole table; each step then returns its
 * row.
 *
 * <p>Results equal the step-by-step path's exactly: the same window function code, groups fed in
 * the same order (series order within a step), the same sample accounting per step (charged when
 * the step is served) and the same annotations. It applies only to aggregations evaluated on a
 * fixed grid of times ({@link Evaluator#fusedGrids}: the range query's steps, or the steps of a
 * subquery that is not nested), without {@code @} or parameters, over the functions listed below;
 * anything else takes the step-by-step path.
 */
final class FusedAggregation {
  private FusedAggregation() {}

  private static final Set<String> FUNCS =
      Set.of(
          "rate",
          "increase",
          "delta",
          "irate",
          "idelta",
          "sum_over_time",
          "avg_over_time",
          "count_over_time",
          "min_over_time",
          "max_over_time",
          "last_over_time",
          "present_over_time",
          "stddev_over_time",
          "stdvar_over_time",
          "changes",
          "resets");

  private static final Set<String> OPS =
      Set.of("sum", "avg", "count", "group", "min", "max", "stddev", "stdvar");

  /** Beyond this many (step, group) cells the table is not worth its memory. */
  private static final long MAX_CELLS = 4_000_000;

  /** Beyond this many steps the step-by-step path (which keeps no table) is used. */
  private static final long MAX_STEPS = 1_000_000;

  private static final Object NOT_APPLICABLE = new Object();

  private static final class Table {
    final ArrayList<Group>[] groups; // per step, in first-seen order; null with a flat table
    final Flat flat; // sum, count and group while small enough; else null
    final ArrayList<Labels> keys;
    final boolean dropName;
    final long[] samples; // samples the step-by-step path would have loaded per step

    Table(
        ArrayList<Group>[] groups,
        Flat flat,
        ArrayList<Labels> keys,
        boolean dropName,
        long[] samples) {
      this.groups = groups;
      this.flat = flat;
      this.keys = keys;
      this.dropName = dropName;
      this.samples = samples;
    }

    List<Group> groups(int k, boolean dropName) {
      if (flat != null) {
        return flat.groups(k, keys, dropName);
      }
      return groups[k] == null ? List.of() : groups[k];
    }
  }

  /** Beyond this many (step, group) cells a flat table gives way to group objects. */
  static final int FLAT_MAX_CELLS = 1 << 20;

  /**
   * The (step, group) cells of sum, count and group in arrays, a group's steps side by side: a
   * series feeds its group at every step, so it writes one run of adjacent cells, where a {@link
   * Group} per cell (rows per step) scattered those writes over the heap. The sums are the same
   * Kahan sums {@link Aggregations#add} keeps; groups are made only for the step being served.
   */
  static final class Flat {
    final int steps;
    final boolean sum; // else count (and group): only the count is kept
    int groups; // capacity in groups
    double[] value;
    double[] kahan;
    private final double[] step = new double[2]; // Kahan.step's sum and compensation
    double[] count;
    final int[][] order; // per step, group ids in first-seen order
    final int[] orderN;

    Flat(int steps, boolean sum) {
      this.steps = steps;
      this.sum = sum;
      this.groups = Math.max(1, Math.min(16, FLAT_MAX_CELLS / steps));
      value = sum ? new double[groups * steps] : null;
      kahan = sum ? new double[groups * steps] : null;
      count = new double[groups * steps];
      order = new int[steps][];
      orderN = new int[steps];
    }

    /** Whether a group id fits, growing the arrays when it may; false past the size limit. */
    boolean fits(int id) {
      if (id < groups) {
        return true;
      }
      long cap = Math.max(id + 1L, groups * 2L);
      if (cap * steps > FLAT_MAX_CELLS) {
        cap = FLAT_MAX_CELLS / steps;
        if (id >= cap) {
          return false;
        }
      }
      groups = (int) cap;
      if (sum) {
        value = Arrays.copyOf(value, groups * steps);
        kahan = Arrays.copyOf(kahan, groups * steps);
      }
      count = Arrays.copyOf(count, groups * steps);
      return true;
    }

    void add(int id, int k, double f) {
      int i = id * steps + k;
      if (count[i] == 0) {
        int[] o = order[k];
        if (o == null) {
          o = order[k] = new int[16];
        } else if (orderN[k] == o.length) {
          o = order[k] = Arrays.copyOf(o, o.length * 2);
        }
        o[orderN[k]++] = id;
      }
      count[i]++;
      if (sum) { // as Aggregations.add
        Kahan.step(f, value[i], kahan[i], step);
        value[i] = step[0];
        kahan[i] = step[1];
      }
    }

    private Group group(int id, int k, ArrayList<Labels> keys, boolean dropName) {
      int i = id * steps + k;
      Group g = new Group();
      g.labels = keys.get(id);
      g.id = id;
      g.seen = true;
      g.dropName = dropName;
      g.count = count[i];
      if (sum) {
        g.value = value[i];
        g.kahanC = kahan[i];
      }
      return g;
    }

    /** Step k's groups in first-seen order. */
    List<Group> groups(int k, ArrayList<Labels> keys, boolean dropName) {
      int n = orderN[k];
      ArrayList<Group> out = new ArrayList<>(n);
      for (int j = 0; j < n; j++) {
        out.add(group(order[k][j], k, keys, dropName));
      }
      return out;
    }

    /** Moves every cell into group objects (rows per step), the table past the size limit. */
    void spill(Group[][] cells, ArrayList<Group>[] rows, ArrayList<Labels> keys, boolean dropName) {
      for (int k = 0; k < steps; k++) {
        int n = orderN[k];
        if (n == 0) {
          continue;
        }
        Group[] row = new Group[Math.max(16, keys.size())];
        cells[k] = row;
        rows[k] = new ArrayList<>(Math.min(row.length, 1024));
        for (int j = 0; j < n; j++) {
          int id = order[k][j];
          Group g = group(id, k, keys, dropName);
          row[id] = g;
          rows[k].add(g);
        }
      }
    }
  }

  /** The aggregation's result at step ts, or null when this path does not apply. */
  static VectorV at(Evaluator ev, AggregateExpr a, long ts) {
    long[] grid = ev.fusedGrids.get(a);
    if (grid == null
        || a.param != null
        || ts < grid[0]
        || ts > grid[2]
        || (ts - grid[0]) % grid[1] != 0) {
      return null;
    }
    Object o = ev.fused.get(a);
    if (o == NOT_APPLICABLE) {
      return null;
    }
    if (o == null) {
      Table t = build(ev, a, grid);
      ev.fused.put(a, t == null ? NOT_APPLICABLE : t);
      if (t == null) {
        return null;
      }
      o = t;
    }
    Table t = (Table) o;
    int k = (int) ((ts - grid[0]) / grid[1]);
    ev.addSamples(t.samples[k]);
    return new VectorV(Aggregations.emit(a.op, t.groups(k, t.dropName), ts, Double.NaN));
  }

  /** Feeds one series' value at step k into its group of that step. */
  private static void accumulate(Window w, int id, int k, double v) {
    Flat flat = w.flat[0];
    if (flat != null) {
      if (flat.fits(id)) {
        flat.add(id, k, v);
        return;
      }
      flat.spill(w.cells, w.order, w.keys, w.dropName);
      w.flat[0] = null;
    }
    accumulate(w.cells, w.order, w.keys, id, k, w.dropName, w.code, w.in1, v);
  }

  private static void accumulate(
      Group[][] cells,
      ArrayList<Group>[] order,
      ArrayList<Labels> keys,
      int id,
      int k,
      boolean dropName,
      int code,
      Sample in1,
      double v) {
    Group[] row = cells[k];
    if (row == null) {
      row = new Group[Math.max(16, keys.size())];
      cells[k] = row;
      order[k] = new ArrayList<>(Math.min(row.length, 1024));
    } else if (id >= row.length) {
      // groups are found as the series stream in: a row grows with them
      row = Arrays.copyOf(row, Math.max(id + 1, row.length * 2));
      cells[k] = row;
    }
    Group g = row[id];
    if (g == null) {
      g = new Group();
      g.labels = keys.get(id);
      g.id = id;
      row[id] = g;
      order[k].add(g);
    }
    if (dropName) {
      g.dropName = true;
    }
    in1.v = v;
    Aggregations.add(code, g, in1);
  }

  @SuppressWarnings("unchecked")
  private static Table build(Evaluator ev, AggregateExpr a, long[] grid) {
    if (!OPS.contains(a.op)) {
      return null;
    }
    Expr in = FunctionCalls.unwrap(a.expr);
    VectorSelector vs;
    MatrixSelector ms = null;
    Call call = null;
    String fn = null;
    if (in instanceof Call c
        && c.args.size() == 1
        && FUNCS.contains(c.fn.name())
        && FunctionCalls.unwrap(c.args.get(0)) instanceof MatrixSelector m
        && !m.anchored
        && !m.smoothed
        && !m.vs.smoothed
        && !m.vs.mods.hasAt()) {
      call = c;
      fn = c.fn.name();
      ms = m;
      vs = m.vs;
    } else if (in instanceof VectorSelector v && !v.smoothed && !v.mods.hasAt()) {
      vs = v;
    } else {
      return null;
    }
    long stepsL = (grid[2] - grid[0]) / grid[1] + 1;
    if (stepsL > MAX_STEPS) {
      return null;
    }
    int steps = (int) stepsL;
    if (ev.hasHistograms || ev.hasStartTimes) {
      return null; // the fused path sums floats only, and knows no start times
    }
    Set<String> groupSet = new HashSet<>(a.grouping);
    HashMap<Labels, Integer> ids = new HashMap<>();
    ArrayList<Labels> keys = new ArrayList<>();
    Group[][] cells = new Group[steps][];
    ArrayList<Group>[] order = new ArrayList[steps];
    long[] samples = new long[steps];
    int code = Aggregations.opCode(a.op);
    boolean counterFn = fn != null && (fn.equals("rate") || fn.equals("increase"));
    boolean dropName = fn != null && !(fn.equals("last_over_time") || fn.equals("first_over_time"));
    long off = ev.offsetMs(vs.mods);
    long rangeMs = ms == null ? 0 : ev.durMs(ms.range);
    // 1 rate, 2 increase, 3 delta: computed off the loaded arrays (extrapolatedRate)
    int extrapolated =
        fn == null
            ? 0
            : switch (fn) {
              case "rate" -> 1;
              case "increase" -> 2;
              case "delta" -> 3;
              default -> 0;
            };
    Window w =
        new Window(
            ev,
            grid,
            steps,
            off,
            ms,
            rangeMs,
            fn,
            extrapolated,
            samples,
            cells,
            order,
            keys,
            dropName,
            code,
            new Series(null, 16),
            new Sample(null, 0, 0, dropName),
            new Flat[] {
              code == Aggregations.SUM || code == Aggregations.COUNT
                  ? new Flat(steps, code == Aggregations.SUM)
                  : null
            });
    // Labels of the series a counter function saw, with the first step each had a value at.
    ArrayList<Labels> seen = new ArrayList<>();
    long[][] firstSteps = {new long[16]};
    // The series are streamed, each fed into the table and dropped: no per-series arrays stay.
    boolean complete =
        ev.stream(
            vs,
            (s, si) -> {
              Labels key = Aggregations.groupKey(s.labels, a.without, groupSet);
              Integer id = ids.get(key);
              if (id == null) {
                id = keys.size();
                keys.add(key);
                ids.put(key, id);
                if ((long) steps * keys.size() > MAX_CELLS) {
                  return false; // the table would not be worth its memory
                }
              }
              int first = feed(w, s, id);
              if (counterFn && first >= 0) {
                long[] fs = firstSteps[0];
                if (seen.size() == fs.length) {
                  fs = Arrays.copyOf(fs, fs.length * 2);
                  firstSteps[0] = fs;
                }
                fs[seen.size()] = ((long) first << 32) | seen.size();
                seen.add(s.labels);
              }
              return true;
            });
    if (!complete) {
      return null;
    }
    if (counterFn) {
      // The step-by-step path notes non-counters step by step, in series order within a step.
      // Sorting (first step, series index) pairs packed in longs keeps that order.
      long[] fs = firstSteps[0];
      int m = seen.size();
      Arrays.sort(fs, 0, m);
      for (int i = 0; i < m; i++) {
        Labels l = seen.get((int) fs[i]);
        FunctionCalls.counterCheck(ev, call, call.args.get(0), l);
      }
    }
    return new Table(order, w.flat[0], keys, dropName, samples);
  }

  /** What {@link #feed} needs from {@link #build}: the grid, the window and the output table. */
  private record Window(
      Evaluator ev,
      long[] grid,
      int steps,
      long off,
      MatrixSelector ms,
      long rangeMs,
      String fn,
      int extrapolated,
      long[] samples,
      Group[][] cells,
      ArrayList<Group>[] order,
      ArrayList<Labels> keys,
      boolean dropName,
      int code,
      Series buf,
      Sample in1,
      Flat[] flat) {} // flat[0]: the flat table, null once spilled or when not used

  /**
   * One series' values at every step into the table. A method of its own, not the body of the loop
   * in {@link #build}: the JIT compiles a small method per series instead of recompiling (and
   * on-stack replacing) one huge loop, which cost seconds of compiler time per query shape.
   */
  private static int feed(Window w, Loaded s, int id) {
    Evaluator ev = w.ev;
    long[] grid = w.grid;
    int steps = w.steps;
    long off = w.off;
    MatrixSelector ms = w.ms;
    long rangeMs = w.rangeMs;
    String fn = w.fn;
    int extrapolated = w.extrapolated;
    long[] samples = w.samples;
    Series buf = w.buf;
    boolean mayReset = false;
    if (extrapolated != 0) {
      for (int i = 1; i < s.n && !mayReset; i++) {
        mayReset = s.v[i] < s.v[i - 1];
      }
    }
    int lastHint = -1;
    int firstHint = -1;
    int firstStep = -1;
    for (int k = 0; k < steps; k++) {
      long ts = grid[0] + k * grid[1];
      long hi = ts - off;
      double v;
      if (ms != null) {
        long lo = hi - rangeMs;
        int last = Evaluator.seek(s.t, s.n, hi, lastHint);
        lastHint = last;
        int before = Evaluator.seek(s.t, s.n, lo, firstHint);
        firstHint = before;
        int first = before + 1;
        if (first > last) {
          continue;
        }
        int len = last - first + 1;
        if (extrapolated != 0 && !s.hasStale) {
          // rate/increase/delta straight off the loaded arrays: no window copy, and no
          // reset scan for a series that never decreases.
          samples[k] += len;
          if (len < 2) {
            continue; // NaN and no result, as for the copied window
          }
          v =
              FunctionCalls.extrapolatedRate(
                  s.t,
                  s.v,
                  first,
                  len,
                  hi - rangeMs,
                  hi,
                  rangeMs,
                  extrapolated != 3,
                  extrapolated == 1,
                  mayReset);
          if (firstStep < 0) {
            firstStep = k;
          }
          accumulate(w, id, k, v);
          continue;
        }
        if (buf.t.length < len) {
          int cap = Math.max(len, buf.t.length * 2);
          buf.t = new long[cap];
          buf.v = new double[cap];
        }
        if (!s.hasStale) {
          System.arraycopy(s.t, first, buf.t, 0, len);
          System.arraycopy(s.v, first, buf.v, 0, len);
          buf.n = len;
        } else {
          buf.n = 0;
          for (int i = first; i <= last; i++) {
            if (!StaleNaN.is(s.v[i])) {
              buf.t[buf.n] = s.t[i];
              buf.v[buf.n] = s.v[i];
              buf.n++;
            }
          }
        }
        if (buf.n == 0) {
          continue;
        }
        samples[k] += buf.n;
        v = FunctionCalls.windowValue(fn, buf, hi, rangeMs, ts, Double.NaN, Double.NaN);
        if (Double.isNaN(v) && FunctionCalls.noResult(fn, buf)) {
          continue;
        }
        if (firstStep < 0) {
          firstStep = k;
        }
      } else {
        int i = Evaluator.seek(s.t, s.n, hi, lastHint);
        lastHint = i;
        if (i < 0 || s.t[i] <= hi - ev.lookback) {
          continue;
        }
        v = s.v[i];
        if (StaleNaN.is(v)) {
          continue;
        }
        samples[k]++;
      }
      accumulate(w, id, k, v);
    }
    return firstStep;
  }
}
