package dev.osprey.query.promql;

import dev.osprey.core.labels.Labels;
import dev.osprey.query.promql.Ast.AggregateExpr;
import dev.osprey.query.promql.Values.Sample;
import dev.osprey.query.promql.Values.ScalarV;
import dev.osprey.query.promql.Values.StringV;
import dev.osprey.query.promql.Values.Value;
import dev.osprey.query.promql.Values.VectorV;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/** Aggregation operators over instant vectors. */
final class Aggregations {
  private Aggregations() {}

  private static final class Group {
    Labels labels;
    double value;
    double kahanC;
    double mean;
    double count;
    boolean incremental;
    boolean dropName;
    boolean seen;
    final ArrayList<Sample> samples = new ArrayList<>();
    double[] values;
    int nValues;
  }

  static Value aggregate(Evaluator ev, AggregateExpr a, long ts) {
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
      if (param > 1) {
        param = 1;
      } else if (param < -1) {
        param = -1;
      }
    }
    if (op.equals("count_values") && !FunctionCalls.validLabelName(valueLabel)) {
      throw QueryException.exec("invalid label name " + GoFloat.quote(valueLabel));
    }
    ArrayList<Sample> in = FunctionCalls.vec(ev, a.expr, ts);
    if (op.equals("quantile") && (param < 0 || param > 1 || Double.isNaN(param))) {
      ev.warn(a.param, "quantile value should be between 0 and 1, got " + GoFloat.formatG(param));
    }
    List<String> grouping = new ArrayList<>(a.grouping);
    Set<String> groupSet = new HashSet<>(grouping);
    if (op.equals("count_values")) {
      if (a.without) {
        groupSet.remove(valueLabel);
      } else {
        groupSet.add(valueLabel);
      }
    }
    LinkedHashMap<Labels, Group> groups = new LinkedHashMap<>();
    for (Sample s : in) {
      Labels metric = s.labels;
      if (op.equals("count_values")) {
        metric = metric.toBuilder().set(valueLabel, GoFloat.formatF(s.v)).build();
      }
      // series keep their Labels instance from step to step: memoise the grouping per instance
      java.util.IdentityHashMap<Labels, Labels> keys =
          op.equals("count_values") ? null : ev.groupKeys(a);
      Labels key = keys == null ? null : keys.get(metric);
      if (key == null) {
        if (a.without) {
          Labels.Builder b = metric.toBuilder();
          b.del(Labels.METRIC_NAME);
          for (String g : groupSet) {
            b.del(g);
          }
          key = b.build();
        } else {
          key = metric.keep(groupSet);
        }
        if (keys != null) {
          keys.put(metric, key);
        }
      }
      Group g = groups.get(key);
      if (g == null) {
        g = new Group();
        g.labels = key;
        groups.put(key, g);
      }
      if (s.dropName) {
        g.dropName = true;
      }
      add(op, g, s, param);
    }
    ArrayList<Sample> out = new ArrayList<>();
    for (Group g : groups.values()) {
      boolean drop = g.dropName && g.labels.has(Labels.METRIC_NAME);
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
          ArrayList<Sample> ss = GoHeap.select(g.samples, k, top);
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
          for (int i = 0; i < g.samples.size() && i < k; i++) {
            out.add(g.samples.get(i));
          }
        }
        case "limit_ratio" -> {
          for (Sample s : g.samples) {
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
    return new VectorV(out);
  }

  private static double unsignedFraction(Sample s) {
    long h = s.labels.hash();
    double d = (double) (h >>> 1) * 2.0;
    return d / 18446744073709551616.0;
  }

  private static void add(String op, Group g, Sample s, double param) {
    double f = s.v;
    boolean first = !g.seen;
    g.seen = true;
    switch (op) {
      case "sum" -> {
        double[] k = new double[2];
        FunctionCalls.kahan(f, g.value, g.kahanC, k);
        g.value = k[0];
        g.kahanC = k[1];
        g.count++;
      }
      case "avg" -> {
        g.count++;
        if (first) {
          g.value = f;
          return;
        }
        double[] k = new double[2];
        if (!g.incremental) {
          FunctionCalls.kahan(f, g.value, g.kahanC, k);
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
        FunctionCalls.kahan(f / g.count, q * g.mean, q * g.kahanC, k);
        g.mean = k[0];
        g.kahanC = k[1];
      }
      case "count", "count_values", "group" -> g.count++;
      case "max" -> {
        if (first || g.value < f || Double.isNaN(g.value)) {
          g.value = f;
        }
      }
      case "min" -> {
        if (first || g.value > f || Double.isNaN(g.value)) {
          g.value = f;
        }
      }
      case "stddev", "stdvar" -> {
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
        FunctionCalls.kahan(delta / g.count, g.mean, g.kahanC, k);
        g.mean = k[0];
        g.kahanC = k[1];
        g.value += delta * (f - (g.mean + g.kahanC));
      }
      case "quantile" -> {
        if (g.values == null) {
          g.values = new double[8];
        }
        if (g.nValues == g.values.length) {
          g.values = java.util.Arrays.copyOf(g.values, g.nValues * 2);
        }
        g.values[g.nValues++] = f;
      }
      default -> g.samples.add(s);
    }
  }
}
