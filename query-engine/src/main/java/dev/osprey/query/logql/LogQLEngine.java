package dev.osprey.query.logql;

import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.http.ApiException;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.util.Utf8;
import dev.osprey.logs.index.LogHitConsumer;
import dev.osprey.logs.index.LogSearchRequest;
import dev.osprey.logs.index.LogSearchRequest.Direction;
import dev.osprey.logs.index.LogStore;
import dev.osprey.logs.index.Tenants;
import dev.osprey.query.logql.Ast.*;
import dev.osprey.query.promql.LabelReplacement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.lucene.search.Query;

/**
 * Evaluates LogQL over a {@link LogStore}: log queries to streams, metric queries to step series.
 */
public final class LogQLEngine {
  /** Loki's limit on points per series. */
  public static final int MAX_POINTS = 11_000;

  /** Above this many steps per window, samples are kept and windows computed afterwards. */
  static final long MAX_FOLD_STEPS = 256;

  /** Loki's default {@code max_query_series}. */
  public static final int MAX_SERIES = 500;

  private final LogStore store;
  private final QueryConfig config;

  public LogQLEngine(LogStore store, QueryConfig config) {
    this.store = store;
    this.config = config;
  }

  /**
   * One line of a log query's result. With categorized labels, {@code metadata} is the structured
   * metadata the line still carries after the pipeline and {@code parsed} the labels the pipeline
   * added; otherwise {@code metadata} is what the line was stored with and {@code parsed} is empty.
   */
  public record Entry(long timestampNanos, String line, Labels metadata, Labels parsed) {}

  /** A stream of a log query's result: the labels after the pipeline and its lines. */
  public record Stream(Labels labels, List<Entry> entries) {}

  /** What a log query did, for the response's statistics. */
  public record LogResult(List<Stream> streams, long scanned, long matched) {}

  private long deadline() {
    return System.nanoTime() + config.timeout().toNanos();
  }

  private void checkDeadline(long deadline) {
    if (System.nanoTime() > deadline) {
      throw ApiException.timeout("query timed out after " + config.timeout());
    }
  }

  /**
   * The line filter as the store runs it: it sees every line read (delivered or not), so it counts
   * them in {@code scanned[0]} and checks the deadline, which the consumer, seeing only accepted
   * lines, cannot do when the filter rejects most of them. Null when {@code lf} is null.
   */
  private Predicate<String> scanning(Predicate<String> lf, long[] scanned, long deadline) {
    if (lf == null) {
      return null;
    }
    return l -> {
      if ((++scanned[0] & 1023) == 0) {
        checkDeadline(deadline);
      }
      return lf.test(l);
    };
  }

  /**
   * {@link #scanning} for a store that runs the filter on several threads at once ({@link
   * LogStore#searchUnordered}): the count is shared.
   */
  private Predicate<String> scanningShared(
      Predicate<String> lf, java.util.concurrent.atomic.AtomicLong scanned, long deadline) {
    if (lf == null) {
      return null;
    }
    return l -> {
      if ((scanned.incrementAndGet() & 1023) == 0) {
        checkDeadline(deadline);
      }
      return lf.test(l);
    };
  }

  /** Runs a log query over [start, end) in a direction, up to {@code limit} lines. */
  public LogResult logs(LogExpr e, long start, long end, Direction dir, int limit) {
    return logs(e, start, end, dir, limit, false);
  }

  /**
   * Runs a log query; with {@code categorize} (Loki's {@code categorize-labels} encoding flag)
   * lines are grouped by their stream labels alone and carry their structured metadata and parsed
   * labels apart.
   */
  public LogResult logs(
      LogExpr e, long start, long end, Direction dir, int limit, boolean categorize) {
    // the leading line filters run in the store, on the stored line, before anything is delivered
    int nf = Pipeline.leadingLineFilters(e.stages());
    Predicate<String> lf = Pipeline.lineTest(e.stages().subList(0, nf));
    Pipeline p = Pipeline.compile(e.stages().subList(nf, e.stages().size()));
    Query q = LineFilterQueries.of(e.stages());
    Map<Labels, List<Entry>> out = new LinkedHashMap<>();
    long[] counts = {0, 0};
    long deadline = deadline();
    store.search(
        new LogSearchRequest(
            e.matchers(), start, end, q, dir, 0, true, scanning(lf, counts, deadline)),
        (stream, ts, line, md, bytes) -> {
          if (lf == null && (++counts[0] & 1023) == 0) {
            checkDeadline(deadline);
          }
          Pipeline.State s = p.process(stream, md, ts, line);
          if (s == null) {
            return true;
          }
          if (!categorize) {
            out.computeIfAbsent(s.labels(), k -> new ArrayList<>())
                .add(new Entry(ts, s.line, md, Labels.EMPTY));
          } else {
            Labels.Builder streamB = Labels.builder();
            Labels.Builder metaB = Labels.builder();
            Labels.Builder parsedB = Labels.builder();
            s.labels.forEach(
                (k, v) -> {
                  if (v.equals(stream.get(k))) {
                    streamB.set(k, v);
                  } else if (v.equals(md.get(k))) {
                    metaB.set(k, v);
                  } else if (!v.isEmpty()) {
                    parsedB.set(k, v);
                  }
                });
            out.computeIfAbsent(streamB.build(), k -> new ArrayList<>())
                .add(new Entry(ts, s.line, metaB.build(), parsedB.build()));
          }
          return ++counts[1] < limit;
        });
    List<Stream> streams = new ArrayList<>(out.size());
    out.forEach((l, es) -> streams.add(new Stream(l, es)));
    return new LogResult(streams, counts[0], counts[1]);
  }

  /**
   * Evaluates a metric query at steps start, start+step, ..., end (ns); step 0 for an instant query
   * at {@code start}.
   */
  public MetricResult metric(MetricExpr e, long start, long end, long step) {
    checkResolution(start, end, step);
    MetricResult shape = new MetricResult(start, step > 0 ? end : start, step, null, List.of());
    Eval ev = new Eval(shape, deadline());
    Object r = ev.eval(e);
    if (r instanceof Double d) {
      return new MetricResult(shape.start(), shape.end(), step, d, List.of());
    }
    @SuppressWarnings("unchecked")
    List<StepSeries> series = (List<StepSeries>) r;
    for (StepSeries s : series) {
      String err = s.labels().get(Pipeline.ERROR);
      if (!err.isEmpty()) {
        throw ApiException.badData(
            "pipeline error: '" + err + "' for series: '" + s.labels() + "'.");
      }
    }
    if (series.size() > MAX_SERIES) {
      throw ApiException.badData(
          "maximum of series (" + MAX_SERIES + ") reached for a single query");
    }
    return new MetricResult(shape.start(), shape.end(), step, null, series);
  }

  /** Loki's limit of points per series for a range with a step (0: an instant, no limit). */
  static void checkResolution(long start, long end, long step) {
    if (step > 0 && (end - start) / step + 1 > MAX_POINTS) {
      throw ApiException.badData(
          "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query"
              + " resolution (?step=XX)");
    }
  }

  /** The evaluation of one metric query. */
  private final class Eval {
    final MetricResult shape;
    final int steps;
    final long deadline;
    long samples;

    Eval(MetricResult shape, long deadline) {
      this.shape = shape;
      this.steps = shape.steps();
      this.deadline = deadline;
    }

    /** Returns a Double (scalar) or a List of StepSeries. */
    Object eval(MetricExpr e) {
      return switch (e) {
        case NumberLit n -> n.value();
        case VectorLit v -> {
          double[] vals = new double[steps];
          Arrays.fill(vals, v.value());
          yield List.of(new StepSeries(Labels.EMPTY, vals));
        }
        case Paren p -> eval(p.inner());
        case RangeAgg ra -> range(ra);
        case VectorAgg va -> {
          Object in = eval(va.inner());
          if (in instanceof Double) {
            throw ApiException.badData("expected a vector in " + va.op() + ", got a scalar");
          }
          @SuppressWarnings("unchecked")
          List<StepSeries> v = (List<StepSeries>) in;
          yield VectorOps.aggregate(va.op(), va.grouping(), va.param(), v, steps);
        }
        case BinOp b -> binop(b);
        case Call c -> call(c);
      };
    }

    /** label_replace, sort and sort_desc. */
    private List<StepSeries> call(Call c) {
      Object in = eval(c.inner());
      if (in instanceof Double) {
        throw ApiException.badData("expected a vector in " + c.fn() + ", got a scalar");
      }
      @SuppressWarnings("unchecked")
      List<StepSeries> v = (List<StepSeries>) in;
      if (c.fn().equals("label_replace")) {
        LabelReplacement r;
        try {
          r =
              LabelReplacement.of(
                  c.args().get(0), c.args().get(1), c.args().get(2), c.args().get(3));
        } catch (IllegalArgumentException e) {
          throw ApiException.badData(e.getMessage());
        }
        Map<Labels, double[]> out = new LinkedHashMap<>();
        for (StepSeries s : v) {
          double[] vals = out.get(r.apply(s.labels()));
          if (vals == null) {
            out.put(r.apply(s.labels()), s.values().clone());
            continue;
          }
          // two series that now share labels may only meet where one of them has no value
          for (int i = 0; i < vals.length; i++) {
            if (!Double.isNaN(s.values()[i])) {
              if (!Double.isNaN(vals[i])) {
                throw ApiException.badData("vector cannot contain metrics with the same labelset");
              }
              vals[i] = s.values()[i];
            }
          }
        }
        List<StepSeries> res = new ArrayList<>(out.size());
        out.forEach((l, vals) -> res.add(new StepSeries(l, vals)));
        return res;
      }
      if (steps != 1) {
        return v; // a matrix is ordered by labels; sort applies to instant queries
      }
      List<StepSeries> res = new ArrayList<>(v);
      boolean desc = c.fn().equals("sort_desc");
      res.sort(
          (a, b) -> {
            double x = a.values()[0];
            double y = b.values()[0];
            if (Double.isNaN(x) || Double.isNaN(y)) {
              return Boolean.compare(Double.isNaN(x), Double.isNaN(y));
            }
            return desc ? Double.compare(y, x) : Double.compare(x, y);
          });
      return res;
    }

    @SuppressWarnings("unchecked")
    private Object binop(BinOp b) {
      Object l = eval(b.l());
      Object r = eval(b.r());
      boolean set = b.op().equals("and") || b.op().equals("or") || b.op().equals("unless");
      if (l instanceof Double x && r instanceof Double y) {
        if (set) {
          throw ApiException.badData("set operator " + b.op() + " not allowed between scalars");
        }
        if (VectorOps.isComparison(b.op()) && !b.returnBool()) {
          throw ApiException.badData("comparisons between scalars must use BOOL modifier");
        }
        return VectorOps.arith(b.op(), x, y);
      }
      if (l instanceof Double x) {
        return VectorOps.withScalar(b.op(), b.returnBool(), (List<StepSeries>) r, x, true, steps);
      }
      if (r instanceof Double y) {
        return VectorOps.withScalar(b.op(), b.returnBool(), (List<StepSeries>) l, y, false, steps);
      }
      return VectorOps.vectors(
          b.op(), b.returnBool(), b.matching(), (List<StepSeries>) l, (List<StepSeries>) r, steps);
    }

    /** Samples of one output series of a range aggregation, in time order. */
    private static final class Samples {
      long[] ts = new long[16];
      double[] vs = new double[16];
      int n;

      void add(long t, double v) {
        if (n == ts.length) {
          ts = Arrays.copyOf(ts, n * 2);
          vs = Arrays.copyOf(vs, n * 2);
        }
        ts[n] = t;
        vs[n++] = v;
      }
    }

    private List<StepSeries> range(RangeAgg ra) {
      LogRange lr = ra.range();
      LogExpr log = lr.log();
      // The leading line filters run in the store on the stored line: a line they reject is not
      // delivered, and with nothing after them no line is kept, only stream, time and length.
      int nf = Pipeline.leadingLineFilters(log.stages());
      Predicate<String> lf = Pipeline.lineTest(log.stages().subList(0, nf));
      Pipeline p = Pipeline.compile(log.stages().subList(nf, log.stages().size()));
      Query q = LineFilterQueries.of(log.stages());
      Unwrap uw = lr.unwrap();
      boolean bytes = ra.fn().startsWith("bytes_");
      boolean needLine = !p.empty || uw != null;
      long from = shape.start() - lr.rangeNanos() - lr.offsetNanos() + 1;
      long to = shape.end() - lr.offsetNanos() + 1;
      Map<Labels, Samples> series = new LinkedHashMap<>();
      Map<Labels, RangeAggregations.StepAccumulator> folded = new LinkedHashMap<>();
      // fold samples into steps unless a sample would land in too many of them
      boolean fold =
          RangeAggregations.streamable(ra.fn())
              && (shape.step() <= 0 || lr.rangeNanos() / shape.step() <= MAX_FOLD_STEPS);
      long max = config.maxSamples();
      long[] seen = {0};
      // A fold of counts, byte sums or extremes is the same in any order: the store may read
      // segments in parallel, and calls the consumer below one thread at a time. Sums of
      // unwrapped doubles (their rounding) and samples kept for windows computed afterwards take
      // time order.
      boolean unordered =
          fold
              && (uw == null || ra.fn().equals("min_over_time") || ra.fn().equals("max_over_time"));
      java.util.concurrent.atomic.AtomicLong scannedShared =
          new java.util.concurrent.atomic.AtomicLong();
      LogSearchRequest request =
          new LogSearchRequest(
              log.matchers(),
              from,
              to,
              q,
              Direction.FORWARD,
              0,
              needLine,
              unordered
                  ? scanningShared(lf, scannedShared, deadline)
                  : scanning(lf, seen, deadline));
      LogHitConsumer consumer =
          (stream, ts, line, md, nbytes) -> {
            if (lf == null && (++seen[0] & 1023) == 0) {
              checkDeadline(deadline);
            }
            Labels labels;
            double v = 1;
            if (p.empty && uw == null) {
              // metadata is read (with the line) only when a line filter ran in the store
              labels = Pipeline.labels(stream, md);
              if (bytes) {
                v = nbytes;
              }
            } else {
              Pipeline.State s = p.process(stream, md, ts, line);
              if (s == null) {
                return true;
              }
              if (bytes) {
                v = Utf8.length(s.line);
              }
              if (uw != null) {
                String raw = s.labels.get(uw.label());
                v = unwrap(raw, uw.conversion());
                s.labels.remove(uw.label());
                if (Double.isNaN(v)) {
                  v = 0;
                  s.setErr(
                      "SampleExtractionErr",
                      "cannot convert " + (raw == null ? "<missing>" : raw) + " of " + uw.label());
                }
                for (LabelFilter f : lr.postUnwrapFilters()) {
                  if (!Pipeline.labelFilter(f, s)) {
                    return true;
                  }
                }
              }
              labels = s.labels();
            }
            if (ra.grouping() != null) {
              labels = VectorOps.group(labels, ra.grouping());
            }
            if (fold) {
              folded
                  .computeIfAbsent(labels, k -> new RangeAggregations.StepAccumulator(steps))
                  .add(
                      ts, v, shape.start(), shape.step(), steps, lr.rangeNanos(), lr.offsetNanos());
              return true;
            }
            if (++samples > max) {
              throw ApiException.execution(
                  "query processing would load too many samples into memory in query execution");
            }
            series.computeIfAbsent(labels, k -> new Samples()).add(ts, v);
            return true;
          };
      if (unordered) {
        store.searchUnordered(request, consumer);
      } else {
        store.search(request, consumer);
      }
      List<StepSeries> out = new ArrayList<>();
      if (ra.fn().equals("absent_over_time")) {
        double[] v = new double[steps];
        Arrays.fill(v, 1);
        for (RangeAggregations.StepAccumulator a : folded.values()) {
          for (int i = 0; i < steps; i++) {
            if (a.count[i] > 0) {
              v[i] = Double.NaN;
            }
          }
        }
        for (Samples s : series.values()) {
          double[] c = new double[steps];
          RangeAggregations.evaluate(
              "count_over_time",
              null,
              s.ts,
              s.vs,
              s.n,
              shape.start(),
              shape.step(),
              steps,
              lr.rangeNanos(),
              lr.offsetNanos(),
              c);
          for (int i = 0; i < steps; i++) {
            if (!Double.isNaN(c[i])) {
              v[i] = Double.NaN;
            }
          }
        }
        boolean any = false;
        for (double x : v) {
          any |= !Double.isNaN(x);
        }
        if (any) {
          Labels.Builder b = Labels.builder();
          for (LabelMatcher m : log.matchers()) {
            if (m.type() == LabelMatcher.Type.EQUAL) {
              b.set(m.name(), m.value());
            }
          }
          out.add(new StepSeries(Tenants.strip(b.build()), v));
        }
        return out;
      }
      String fn = ra.fn();
      if (fn.equals("rate") && uw != null) {
        fn = "rate"; // sum of unwrapped values per second
      }
      List<Map.Entry<Labels, RangeAggregations.StepAccumulator>> accs =
          new ArrayList<>(folded.entrySet());
      if (unordered) {
        accs.sort(Map.Entry.comparingByKey()); // first seen is not first in time here
      }
      for (Map.Entry<Labels, RangeAggregations.StepAccumulator> e : accs) {
        double[] v = new double[steps];
        e.getValue().result(fn, lr.rangeNanos() / 1e9, v);
        for (double x : v) {
          if (!Double.isNaN(x)) {
            out.add(new StepSeries(e.getKey(), v));
            break;
          }
        }
      }
      for (Map.Entry<Labels, Samples> e : series.entrySet()) {
        Samples s = e.getValue();
        double[] v = new double[steps];
        RangeAggregations.evaluate(
            fn,
            ra.param(),
            s.ts,
            s.vs,
            s.n,
            shape.start(),
            shape.step(),
            steps,
            lr.rangeNanos(),
            lr.offsetNanos(),
            v);
        for (double x : v) {
          if (!Double.isNaN(x)) {
            out.add(new StepSeries(e.getKey(), v));
            break;
          }
        }
      }
      return out;
    }
  }

  static double unwrap(String raw, String conversion) {
    if (raw == null || raw.isEmpty()) {
      return Double.NaN;
    }
    return switch (conversion) {
      case "duration", "duration_seconds" -> Pipeline.convert(raw, NumKind.DURATION);
      case "bytes" -> Pipeline.convert(raw, NumKind.BYTES);
      default -> Pipeline.convert(raw, NumKind.NUMBER);
    };
  }
}
