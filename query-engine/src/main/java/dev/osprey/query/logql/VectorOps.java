package dev.osprey.query.logql;

import dev.osprey.core.labels.Labels;
import dev.osprey.query.logql.Ast.Grouping;
import dev.osprey.query.logql.Ast.Matching;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Vector aggregations and binary operations on step series, with Prometheus semantics. Kept apart
 * from the LogQL evaluation so the PromQL engine can take this over.
 */
final class VectorOps {
  private VectorOps() {}

  static Labels group(Labels l, Grouping g) {
    if (g == null) {
      return Labels.EMPTY;
    }
    return g.without() ? l.drop(g.labels()) : l.keep(g.labels());
  }

  static List<StepSeries> aggregate(
      String op, Grouping g, Double param, List<StepSeries> in, int steps) {
    Map<Labels, List<StepSeries>> groups = new LinkedHashMap<>();
    for (StepSeries s : in) {
      groups.computeIfAbsent(group(s.labels(), g), k -> new ArrayList<>()).add(s);
    }
    List<StepSeries> out = new ArrayList<>();
    if (op.equals("topk") || op.equals("bottomk")) {
      int k = (int) (double) param;
      Map<StepSeries, double[]> kept = new LinkedHashMap<>();
      for (List<StepSeries> members : groups.values()) {
        for (int i = 0; i < steps; i++) {
          final int step = i;
          List<StepSeries> present = new ArrayList<>();
          for (StepSeries s : members) {
            if (!Double.isNaN(s.values()[i])) {
              present.add(s);
            }
          }
          present.sort(
              (a, b) ->
                  op.equals("topk")
                      ? Double.compare(b.values()[step], a.values()[step])
                      : Double.compare(a.values()[step], b.values()[step]));
          for (int j = 0; j < Math.min(k, present.size()); j++) {
            StepSeries s = present.get(j);
            double[] v =
                kept.computeIfAbsent(
                    s,
                    x -> {
                      double[] a = new double[steps];
                      Arrays.fill(a, Double.NaN);
                      return a;
                    });
            v[i] = s.values()[i];
          }
        }
      }
      kept.forEach((s, v) -> out.add(new StepSeries(s.labels(), v)));
      return out;
    }
    for (Map.Entry<Labels, List<StepSeries>> e : groups.entrySet()) {
      double[] v = new double[steps];
      boolean any = false;
      for (int i = 0; i < steps; i++) {
        int c = 0;
        double sum = 0;
        double min = Double.NaN;
        double max = Double.NaN;
        double mean = 0;
        double m2 = 0;
        for (StepSeries s : e.getValue()) {
          double x = s.values()[i];
          if (Double.isNaN(x)) {
            continue;
          }
          c++;
          sum += x;
          min = Double.isNaN(min) || x < min ? x : min;
          max = Double.isNaN(max) || x > max ? x : max;
          double d = x - mean;
          mean += d / c;
          m2 += d * (x - mean);
        }
        if (c == 0) {
          v[i] = Double.NaN;
          continue;
        }
        any = true;
        v[i] =
            switch (op) {
              case "sum" -> sum;
              case "avg" -> mean;
              case "min" -> min;
              case "max" -> max;
              case "count" -> c;
              case "stdvar" -> m2 / c;
              case "stddev" -> Math.sqrt(m2 / c);
              default -> throw new IllegalStateException("BUG: vector aggregation " + op);
            };
      }
      if (any) {
        out.add(new StepSeries(e.getKey(), v));
      }
    }
    return out;
  }

  static boolean isComparison(String op) {
    return switch (op) {
      case "==", "!=", ">", "<", ">=", "<=" -> true;
      default -> false;
    };
  }

  static double arith(String op, double a, double b) {
    return switch (op) {
      case "+" -> a + b;
      case "-" -> a - b;
      case "*" -> a * b;
      case "/" -> a / b;
      case "%" -> a % b;
      case "^" -> Math.pow(a, b);
      case "==" -> a == b ? 1 : 0;
      case "!=" -> a != b ? 1 : 0;
      case ">" -> a > b ? 1 : 0;
      case "<" -> a < b ? 1 : 0;
      case ">=" -> a >= b ? 1 : 0;
      case "<=" -> a <= b ? 1 : 0;
      default -> throw new IllegalStateException("BUG: operator " + op);
    };
  }

  /** vector op scalar (or scalar op vector when {@code scalarLeft}). */
  static List<StepSeries> withScalar(
      String op, boolean bool, List<StepSeries> vec, double sc, boolean scalarLeft, int steps) {
    List<StepSeries> out = new ArrayList<>();
    for (StepSeries s : vec) {
      double[] v = new double[steps];
      boolean any = false;
      for (int i = 0; i < steps; i++) {
        double x = s.values()[i];
        if (Double.isNaN(x)) {
          v[i] = Double.NaN;
          continue;
        }
        double a = scalarLeft ? sc : x;
        double b = scalarLeft ? x : sc;
        double r = arith(op, a, b);
        if (isComparison(op) && !bool) {
          v[i] = r == 1 ? x : Double.NaN;
        } else {
          v[i] = r;
        }
        any |= !Double.isNaN(v[i]);
      }
      if (any) {
        out.add(new StepSeries(s.labels(), v));
      }
    }
    return out;
  }

  private static Labels signature(Labels l, Matching m) {
    if (m == null) {
      return l;
    }
    return m.on() ? l.keep(m.labels()) : l.drop(m.labels());
  }

  /** vector op vector, one-to-one, or the set operators and/or/unless. */
  static List<StepSeries> vectors(
      String op, boolean bool, Matching m, List<StepSeries> l, List<StepSeries> r, int steps) {
    Map<Labels, List<StepSeries>> right = new HashMap<>();
    for (StepSeries s : r) {
      right.computeIfAbsent(signature(s.labels(), m), k -> new ArrayList<>()).add(s);
    }
    List<StepSeries> out = new ArrayList<>();
    switch (op) {
      case "and", "unless" -> {
        for (StepSeries s : l) {
          List<StepSeries> rs = right.getOrDefault(signature(s.labels(), m), List.of());
          double[] v = new double[steps];
          boolean any = false;
          for (int i = 0; i < steps; i++) {
            boolean present = false;
            for (StepSeries x : rs) {
              present |= !Double.isNaN(x.values()[i]);
            }
            boolean keep = op.equals("and") == present;
            v[i] = keep ? s.values()[i] : Double.NaN;
            any |= !Double.isNaN(v[i]);
          }
          if (any) {
            out.add(new StepSeries(s.labels(), v));
          }
        }
        return out;
      }
      case "or" -> {
        Map<Labels, boolean[]> leftSigs = new HashMap<>();
        for (StepSeries s : l) {
          out.add(s);
          boolean[] p = leftSigs.computeIfAbsent(signature(s.labels(), m), k -> new boolean[steps]);
          for (int i = 0; i < steps; i++) {
            p[i] |= !Double.isNaN(s.values()[i]);
          }
        }
        for (StepSeries s : r) {
          boolean[] p = leftSigs.get(signature(s.labels(), m));
          if (p == null) {
            out.add(s);
            continue;
          }
          double[] v = new double[steps];
          boolean any = false;
          for (int i = 0; i < steps; i++) {
            v[i] = p[i] ? Double.NaN : s.values()[i];
            any |= !Double.isNaN(v[i]);
          }
          if (any) {
            out.add(new StepSeries(s.labels(), v));
          }
        }
        return out;
      }
      default -> {
        Map<Labels, double[]> merged = new LinkedHashMap<>();
        for (StepSeries s : l) {
          List<StepSeries> rs = right.get(signature(s.labels(), m));
          if (rs == null) {
            continue;
          }
          Labels resultLabels =
              isComparison(op) && !bool
                  ? s.labels()
                  : (m == null
                      ? s.labels()
                      : m.on() ? s.labels().keep(m.labels()) : s.labels().drop(m.labels()));
          double[] v =
              merged.computeIfAbsent(
                  resultLabels,
                  k -> {
                    double[] a = new double[steps];
                    Arrays.fill(a, Double.NaN);
                    return a;
                  });
          for (int i = 0; i < steps; i++) {
            double x = s.values()[i];
            if (Double.isNaN(x)) {
              continue;
            }
            for (StepSeries y : rs) {
              double yv = y.values()[i];
              if (Double.isNaN(yv)) {
                continue;
              }
              double res = arith(op, x, yv);
              v[i] = isComparison(op) && !bool ? (res == 1 ? x : Double.NaN) : res;
              break;
            }
          }
        }
        merged.forEach(
            (k, v) -> {
              for (double x : v) {
                if (!Double.isNaN(x)) {
                  out.add(new StepSeries(k, v));
                  return;
                }
              }
            });
        return out;
      }
    }
  }
}
