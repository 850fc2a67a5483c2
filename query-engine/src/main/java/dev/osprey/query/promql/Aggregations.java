package dev.osprey.query.promql;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.util.Kahan;
import dev.osprey.query.promql.Ast.AggregateExpr;
import dev.osprey.query.promql.Values.Sample;
import dev.osprey.query.promql.Values.ScalarV;
import dev.osprey.query.promql.Values.StringV;
import dev.osprey.query.promql.Values.Value;
import dev.osprey.query.promql.Values.VectorV;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Aggregation operators over instant vectors. */
final class Aggregations {
  private Aggregations() {}

  static final class Group {
    Labels labels;
    FloatHistogram hist; // sum of the group's histograms (avg: until the sum overflows)
    FloatHistogram histC; // its Kahan compensation (null: none yet)
    FloatHistogram histMean; // avg after the sum overflowed: the incremental mean
    int nHist;
    int nFloat;
    boolean histFailed;
    Sample firstHist;
    double value;
    double kahanC;
    double mean;
    double count;
    boolean incremental;
    boolean dropName;
    boolean seen;
    int id;

    /** The samples of topk, bottomk, limitk and limit_ratio; null until the first. */
    ArrayList<Sample> samples;

    ArrayList<Sample> samples() {
      if (samples == null) {
        samples = new ArrayList<>();
      }
      return samples;
    }

    double[] values;
    int nValues;
  }

  static Value aggregate(Evaluator ev, AggregateExpr a, long ts) {
    VectorV fused = FusedAggregation.at(ev, a, ts);
    if (fused != null) {
      return fused;
    }
    String op = a.op;
    double param = Double.NaN;
    String valueLabel = null;
    if (a.param != null) {
      Value pv = ev.eval(a.param, ts);
      if (pv instanceof StringV s) {
        valueLabel = s.s();
      } else {
        param = ((ScalarV) pv).v();
      }
    }
    if (op.equals("topk") || op.equals("bottomk") || op.equals("limitk")) {
      if (Double.isNaN(param)) {
        throw QueryException.exec("Parameter value is NaN");
      }
      if (param > Long.MAX_VALUE || param < Long.MIN_VALUE) {
        throw QueryException.exec("Scalar value " + GoFloat.formatG(param) + " overflows int64");
      }
    }
    if (op.equals("limit_ratio")) {
      if (Double.isNaN(param)) {
        throw QueryException.exec("Ratio value is NaN");
      }
      if (param > 1 || param < -1) {
        double capped = param > 1 ? 1 : -1;
        ev.warn(
            a.param,
            "ratio value should be between -1 and 1, got "
                + GoFloat.formatG(param)
                + ", capping to "
                + GoFloat.formatG(capped));
        param = capped;
      }
    }
    if (op.equals("count_values") && !FunctionCalls.validLabelName(valueLabel)) {
      throw QueryException.exec("invalid label name " + GoFloat.quote(valueLabel));
    }
    ArrayList<Sample> in = FunctionCalls.vec(ev, a.expr, ts);
    if (op.equals("quantile") && (param < 0 || param > 1 || Double.isNaN(param))) {
      ev.warn(a.param, "quantile value should be between 0 and 1, got " + GoFloat.formatG(param));
    }
    boolean countValues = op.equals("count_values");
    int code = opCode(op);
    Evaluator.GroupIds ids = ev.groupIds(a);
    if (countValues) {
      Set<String> groupSet = new HashSet<>(a.grouping);
      if (a.without) {
        groupSet.remove(valueLabel);
      } else {
        groupSet.add(valueLabel);
      }
      ids.groupSet = groupSet;
    } else if (ids.groupSet == null) {
      ids.groupSet = new HashSet<>(a.grouping);
    }
    // Groups of this step, in first-seen order (the order results come out in).
    Group[] byId = ids.scratch;
    ArrayList<Group> groups = new ArrayList<>();
    FloatHistogram.Notes notes = new FloatHistogram.Notes();
    try {
      for (Sample s : in) {
        if (s.h != null
            && (code == MAX
                || code == MIN
                || code == STD
                || code == QUANTILE
                || op.equals("topk")
                || op.equals("bottomk"))) {
          ev.info(a.expr, "ignored histogram in " + op + " aggregation");
          continue;
        }
        int id;
        if (countValues) {
          String value = s.h != null ? NativeHistograms.goString(s.h) : GoFloat.formatF(s.v);
          Labels metric = s.labels.toBuilder().set(valueLabel, value).build();
          id = ids.idOfKey(groupKey(metric, a.without, ids.groupSet));
        } else {
          id = ids.idOf(s.labels, a.without);
        }
        if (id >= byId.length) {
          byId = java.util.Arrays.copyOf(byId, Math.max(id + 1, byId.length * 2));
          ids.scratch = byId;
        }
        Group g = byId[id];
        if (g == null) {
          g = new Group();
          g.labels = ids.key(id);
          byId[id] = g;
          g.id = id;
          groups.add(g);
        }
        if (s.dropName) {
          g.dropName = true;
        }
        if ((code == SUM || code == AVG)) {
          if (s.h != null) {
            addHistogram(ev, a, g, s, code == AVG, notes);
            continue;
          }
          g.nFloat++;
        }
        add(code, g, s);
      }
      if (code == SUM || code == AVG) {
        groups.removeIf(
            g -> {
              if (g.nHist == 0) {
                return false;
              }
              if (g.nFloat > 0) {
                ev.warn(a.expr, "encountered a mix of histograms and floats for aggregation");
                return true;
              }
              return g.histFailed;
            });
        NativeHistograms.annotate(ev, a, a.expr, notes, "aggregation");
      }
    } finally {
      for (Group g : groups) {
        byId[g.id] = null;
      }
    }
    return new VectorV(emit(op, groups, ts, param));
  }

  /** The results of an aggregation's groups, in the order given. */
  static ArrayList<Sample> emit(String op, List<Group> groups, long ts, double param) {
    ArrayList<Sample> out = new ArrayList<>(groups.size());
    for (Group g : groups) {
      boolean drop = g.dropName && g.labels.has(Labels.METRIC_NAME);
      if (g.hist != null && g.nFloat == 0) {
        out.add(new Sample(g.labels, histogramResult(op, g), ts, drop));
        continue;
      }
      switch (op) {
        case "sum" -> out.add(new Sample(g.labels, g.value + g.kahanC, ts, drop));
        case "avg" -> {
          double v = g.incremental ? g.mean + g.kahanC : g.value / g.count + g.kahanC / g.count;
          out.add(new Sample(g.labels, v, ts, drop));
        }
        case "count", "count_values" -> out.add(new Sample(g.labels, g.count, ts, drop));
        case "group" -> out.add(new Sample(g.labels, 1, ts, drop));
        case "min", "max" -> out.add(new Sample(g.labels, g.value, ts, drop));
        case "stdvar" -> out.add(new Sample(g.labels, g.value / g.count, ts, drop));
        case "stddev" -> out.add(new Sample(g.labels, Math.sqrt(g.value / g.count), ts, drop));
        case "quantile" ->
            out.add(
                new Sample(
                    g.labels,
                    FunctionCalls.quantile(param, java.util.Arrays.copyOf(g.values, g.nValues)),
                    ts,
                    drop));
        case "topk", "bottomk" -> {
          long k = (long) param;
          if (k < 1) {
            break;
          }
          boolean top = op.equals("topk");
          ArrayList<Sample> ss = GoHeap.select(g.samples(), k, top);
          ss.sort(
              (x, y) -> {
                boolean xn = Double.isNaN(x.v);
                boolean yn = Double.isNaN(y.v);
                if (xn || yn) {
                  return Boolean.compare(xn, yn);
                }
                return top ? Double.compare(y.v, x.v) : Double.compare(x.v, y.v);
              });
          for (int i = 0; i < ss.size() && i < k; i++) {
            out.add(ss.get(i));
          }
        }
        case "limitk" -> {
          long k = (long) param;
          for (int i = 0; i < g.samples().size() && i < k; i++) {
            out.add(g.samples().get(i));
          }
        }
        case "limit_ratio" -> {
          for (Sample s : g.samples()) {
            double off = Long.toUnsignedString(s.labels.hash()).isEmpty() ? 0 : unsignedFraction(s);
            boolean keep = param >= 0 ? off < param : off >= 1 + param;
            if (keep) {
              out.add(s);
            }
          }
        }
        default -> throw QueryException.exec("unknown aggregation " + op);
      }
    }
    return out;
  }

  private static double unsignedFraction(Sample s) {
    long h = s.labels.hash();
    double d = (double) (h >>> 1) * 2.0;
    return d / 18446744073709551616.0;
  }

  static final int SUM = 0;
  static final int AVG = 1;
  static final int COUNT = 2;
  static final int MAX = 3;
  static final int MIN = 4;
  static final int STD = 5;
  static final int QUANTILE = 6;
  static final int OTHER = 7;

  static int opCode(String op) {
    return switch (op) {
      case "sum" -> SUM;
      case "avg" -> AVG;
      case "count", "count_values", "group" -> COUNT;
      case "max" -> MAX;
      case "min" -> MIN;
      case "stddev", "stdvar" -> STD;
      case "quantile" -> QUANTILE;
      default -> OTHER;
    };
  }

  /** The grouping key of a series' labels: by(...) keeps, without(...) drops (and the name). */
  static Labels groupKey(Labels metric, boolean without, Set<String> groupSet) {
    if (without) {
      Labels.Builder b = metric.toBuilder();
      b.del(Labels.METRIC_NAME);
      for (String g : groupSet) {
        b.del(g);
      }
      return b.build();
    }
    return metric.keep(groupSet);
  }

  /** A histogram group's sum or average with its compensation added, as upstream ends them. */
  private static FloatHistogram histogramResult(String op, Group g) {
    if (!op.equals("avg")) {
      return new FloatHistogram.Compensated(g.hist, g.histC).value();
    }
    if (g.histMean != null) {
      return new FloatHistogram.Compensated(g.histMean, g.histC).value();
    }
    double n = g.nHist;
    return new FloatHistogram.Compensated(g.hist.div(n), g.histC == null ? null : g.histC.div(n))
        .value();
  }

  /**
   * sum/avg of histograms with Kahan compensation; avg sums until the sum overflows and then
   * switches to the incremental mean (upstream's order of operations).
   */
  private static void addHistogram(
      Evaluator ev, AggregateExpr a, Group g, Sample s, boolean avg, FloatHistogram.Notes notes) {
    g.nHist++;
    if (g.histFailed) {
      return;
    }
    if (g.hist == null) {
      g.hist = s.h;
      g.firstHist = s;
      return;
    }
    try {
      if (avg && g.histMean == null) {
        FloatHistogram.Compensated k = g.hist.kahanAdd(s.h, g.histC, notes);
        if (!k.sum().hasOverflow()) {
          g.hist = k.sum();
          g.histC = k.compensation();
          return;
        }
        // the sum overflows: from here on the incremental mean, as upstream
        g.histMean = g.hist.div(g.nHist - 1);
        if (g.histC != null) {
          g.histC = g.histC.div(g.nHist - 1);
        }
      }
      if (avg) {
        double n = g.nHist;
        double q = (n - 1) / n;
        FloatHistogram.Compensated k =
            g.histMean.mul(q).kahanAdd(s.h.div(n), g.histC == null ? null : g.histC.mul(q), notes);
        g.histMean = k.sum();
        g.histC = k.compensation();
      } else {
        FloatHistogram.Compensated k = g.hist.kahanAdd(s.h, g.histC, notes);
        g.hist = k.sum();
        g.histC = k.compensation();
      }
    } catch (FloatHistogram.IncompatibleSchemaException e) {
      g.histFailed = true;
      ev.warn(a.expr, NativeHistograms.schemaMixMessage(g.firstHist.labels.metricName()));
    }
  }

  static void add(int op, Group g, Sample s) {
    double f = s.v;
    boolean first = !g.seen;
    g.seen = true;
    switch (op) {
      case SUM -> {
        double sum = g.value;
        double t = sum + f;
        double c = g.kahanC;
        if (Double.isInfinite(t)) {
          c = 0;
        } else if (Math.abs(sum) >= Math.abs(f)) {
          c += (sum - t) + f;
        } else {
          c += (f - t) + sum;
        }
        g.value = t;
        g.kahanC = c;
        g.count++;
      }
      case AVG -> {
        g.count++;
        if (first) {
          g.value = f;
          return;
        }
        double[] k = new double[2];
        if (!g.incremental) {
          Kahan.step(f, g.value, g.kahanC, k);
          if (!Double.isInfinite(k[0])) {
            g.value = k[0];
            g.kahanC = k[1];
            return;
          }
          g.incremental = true;
          g.mean = g.value / (g.count - 1);
          g.kahanC /= (g.count - 1);
        }
        double q = (g.count - 1) / g.count;
        Kahan.step(f / g.count, q * g.mean, q * g.kahanC, k);
        g.mean = k[0];
        g.kahanC = k[1];
      }
      case COUNT -> g.count++;
      case MAX -> {
        if (first || g.value < f || Double.isNaN(g.value)) {
          g.value = f;
        }
      }
      case MIN -> {
        if (first || g.value > f || Double.isNaN(g.value)) {
          g.value = f;
        }
      }
      case STD -> {
        g.count++;
        if (first) {
          g.mean = f;
          g.value = (Double.isNaN(f) || Double.isInfinite(f)) ? Double.NaN : 0;
          return;
        }
        if (Double.isNaN(f) || Double.isInfinite(f)) {
          g.value = Double.NaN;
          return;
        }
        double delta = f - (g.mean + g.kahanC);
        double[] k = new double[2];
        Kahan.step(delta / g.count, g.mean, g.kahanC, k);
        g.mean = k[0];
        g.kahanC = k[1];
        g.value += delta * (f - (g.mean + g.kahanC));
      }
      case QUANTILE -> {
        if (g.values == null) {
          g.values = new double[8];
        }
        if (g.nValues == g.values.length) {
          g.values = java.util.Arrays.copyOf(g.values, g.nValues * 2);
        }
        g.values[g.nValues++] = f;
      }
      default -> g.samples().add(s);
    }
  }
}
