package dev.osprey.query.promql;

import dev.osprey.query.promql.Ast.ValueType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The signatures of PromQL functions (argument and return types), as upstream declares them. */
public final class Functions {
  private Functions() {}

  /**
   * A function signature. {@code variadic}: 0 exact arity, -1 the last argument repeats without
   * bound, n &gt; 0 the last n arguments are optional.
   */
  public record Fn(String name, List<ValueType> args, int variadic, ValueType ret) {}

  private static final Map<String, Fn> FNS = new HashMap<>();

  private static final ValueType S = ValueType.SCALAR;
  private static final ValueType V = ValueType.VECTOR;
  private static final ValueType M = ValueType.MATRIX;
  private static final ValueType STR = ValueType.STRING;

  private static void def(String name, ValueType ret, int variadic, ValueType... args) {
    FNS.put(name, new Fn(name, List.of(args), variadic, ret));
  }

  static {
    for (String f :
        List.of(
            "abs",
            "ceil",
            "exp",
            "floor",
            "ln",
            "log10",
            "log2",
            "sqrt",
            "sgn",
            "deg",
            "rad",
            "sin",
            "cos",
            "tan",
            "asin",
            "acos",
            "atan",
            "sinh",
            "cosh",
            "tanh",
            "asinh",
            "acosh",
            "atanh",
            "absent",
            "timestamp",
            "start_timestamp",
            "sort",
            "sort_desc",
            "histogram_avg",
            "histogram_count",
            "histogram_sum",
            "histogram_stddev",
            "histogram_stdvar")) {
      def(f, V, 0, V);
    }
    for (String f :
        List.of(
            "absent_over_time",
            "avg_over_time",
            "changes",
            "count_over_time",
            "delta",
            "deriv",
            "idelta",
            "increase",
            "irate",
            "last_over_time",
            "first_over_time",
            "mad_over_time",
            "max_over_time",
            "min_over_time",
            "present_over_time",
            "rate",
            "resets",
            "stddev_over_time",
            "stdvar_over_time",
            "sum_over_time",
            "ts_of_first_over_time",
            "ts_of_last_over_time",
            "ts_of_max_over_time",
            "ts_of_min_over_time")) {
      def(f, V, 0, M);
    }
    for (String f :
        List.of(
            "day_of_month",
            "day_of_week",
            "day_of_year",
            "days_in_month",
            "hour",
            "minute",
            "month",
            "year")) {
      def(f, V, 1, V);
    }
    def("clamp", V, 0, V, S, S);
    def("clamp_max", V, 0, V, S);
    def("clamp_min", V, 0, V, S);
    def("double_exponential_smoothing", V, 0, M, S, S);
    def("holt_winters", V, 0, M, S, S);
    def("histogram_fraction", V, 0, S, S, V);
    def("histogram_quantile", V, 0, S, V);
    def("histogram_quantiles", V, -1, V, STR, S);
    def("info", V, 1, V, V);
    def("label_join", V, -1, V, STR, STR, STR);
    def("label_replace", V, 0, V, STR, STR, STR, STR);
    def("pi", S, 0);
    def("predict_linear", V, 0, M, S);
    def("quantile_over_time", V, 0, S, M);
    def("round", V, 1, V, S);
    def("scalar", S, 0, V);
    def("sort_by_label", V, -1, V, STR);
    def("sort_by_label_desc", V, -1, V, STR);
    def("time", S, 0);
    def("min_of", S, 0, S, S);
    def("max_of", S, 0, S, S);
    def("start", S, 0);
    def("end", S, 0);
    def("range", S, 0);
    def("step", S, 0);
    def("vector", V, 0, S);
  }

  public static Fn get(String name) {
    return FNS.get(name);
  }

  /** Aggregation operators and whether they take a parameter. */
  static final Map<String, Boolean> AGGREGATORS =
      Map.ofEntries(
          Map.entry("sum", false),
          Map.entry("avg", false),
          Map.entry("count", false),
          Map.entry("min", false),
          Map.entry("max", false),
          Map.entry("group", false),
          Map.entry("stddev", false),
          Map.entry("stdvar", false),
          Map.entry("topk", true),
          Map.entry("bottomk", true),
          Map.entry("count_values", true),
          Map.entry("quantile", true),
          Map.entry("limitk", true),
          Map.entry("limit_ratio", true));
}
