package dev.osprey.query.logql;

import dev.osprey.core.labels.LabelMatcher;
import java.util.ArrayList;
import java.util.List;

/** The LogQL syntax tree. */
public final class Ast {
  private Ast() {}

  /** Any LogQL expression. */
  public sealed interface Expr permits LogExpr, MetricExpr {}

  /** A log query: stream selector and pipeline. An empty selector searches every stream. */
  public record LogExpr(List<LabelMatcher> matchers, List<Stage> stages) implements Expr {}

  /** A query that yields numbers. */
  public sealed interface MetricExpr extends Expr
      permits RangeAgg, VectorAgg, BinOp, NumberLit, VectorLit, Paren, Call {}

  /** Pipeline stages. */
  public sealed interface Stage
      permits LineFilter,
          JsonParser,
          LogfmtParser,
          RegexpParser,
          PatternParser,
          Unpack,
          LabelFilterStage,
          LineFormat,
          LabelFormat,
          DropKeep,
          Decolorize {}

  /** Line filter operators. */
  public enum FilterOp {
    CONTAINS("|="),
    NOT_CONTAINS("!="),
    REGEX("|~"),
    NOT_REGEX("!~"),
    PATTERN("|>"),
    NOT_PATTERN("!>"),
    /** {@code |= ip("...")}: the value is the pattern. */
    IP("|= ip"),
    NOT_IP("!= ip");

    final String op;

    FilterOp(String op) {
      this.op = op;
    }
  }

  /** {@code |= "a" or "b"}: matches when any alternative does (for != / !~, when none does). */
  public record LineFilter(FilterOp op, List<String> values) implements Stage {}

  /** {@code json} or {@code json a="x.y", b}. Empty params extract everything. */
  public record JsonParser(List<Extraction> params) implements Stage {}

  /** {@code logfmt}, optionally with extractions. */
  /** {@code | logfmt [--strict] [--keep-empty] [extractions]}. */
  public record LogfmtParser(List<Extraction> params, boolean strict, boolean keepEmpty)
      implements Stage {}

  public record Extraction(String label, String path) {}

  public record RegexpParser(String regex) implements Stage {}

  public record PatternParser(String pattern) implements Stage {}

  public record Unpack() implements Stage {}

  /** {@code decolorize}: strips ANSI color escape sequences from the line. */
  public record Decolorize() implements Stage {}

  public record LabelFilterStage(LabelFilter filter) implements Stage {}

  public record LineFormat(String template) implements Stage {}

  /** {@code dst=src} (rename) or {@code dst="template"}. */
  public record LabelFormat(List<LabelFmt> items) implements Stage {}

  public record LabelFmt(String dst, String src, boolean isTemplate) {}

  /** {@code drop} or {@code keep}: names, or matchers that select which labels. */
  public record DropKeep(boolean keep, List<String> names, List<LabelMatcher> matchers)
      implements Stage {}

  /** A label filter expression. */
  public sealed interface LabelFilter permits And, Or, StringFilter, NumberFilter, IpFilter {}

  public record And(LabelFilter l, LabelFilter r) implements LabelFilter {}

  public record Or(LabelFilter l, LabelFilter r) implements LabelFilter {}

  public record StringFilter(LabelMatcher matcher) implements LabelFilter {}

  /** {@code name = ip("...")} or {@code name != ip("...")}. */
  public record IpFilter(String name, boolean negate, IpMatcher matcher) implements LabelFilter {}

  /** Kinds of typed literals in numeric label filters. */
  public enum NumKind {
    NUMBER,
    DURATION,
    BYTES
  }

  /** {@code name op literal}, {@code op} one of == != > >= < <=. */
  public record NumberFilter(String name, String op, double value, NumKind kind)
      implements LabelFilter {}

  /** {@code [range] offset} with optional unwrap. */
  public record LogRange(
      LogExpr log,
      long rangeNanos,
      long offsetNanos,
      Unwrap unwrap,
      List<LabelFilter> postUnwrapFilters) {}

  /** {@code unwrap label}, {@code unwrap duration(label)}, {@code unwrap bytes(label)}. */
  public record Unwrap(String label, String conversion) {}

  /** {@code by (a, b)} or {@code without (a)}; null grouping means none given. */
  public record Grouping(boolean without, List<String> labels) {}

  public record RangeAgg(String fn, LogRange range, Double param, Grouping grouping)
      implements MetricExpr {}

  public record VectorAgg(String op, Grouping grouping, Double param, MetricExpr inner)
      implements MetricExpr {}

  /** Vector matching of a binary operation: null for plain one-to-one on all labels. */
  public record Matching(boolean on, List<String> labels) {}

  public record BinOp(String op, boolean returnBool, Matching matching, MetricExpr l, MetricExpr r)
      implements MetricExpr {}

  public record NumberLit(double value) implements MetricExpr {}

  /** {@code vector(1)}: one series without labels (Grafana's health check uses it). */
  public record VectorLit(double value) implements MetricExpr {}

  public record Paren(MetricExpr inner) implements MetricExpr {}

  /**
   * A function over a metric query: {@code label_replace(v, "dst", "replacement", "src", "regex")},
   * {@code sort(v)}, {@code sort_desc(v)}.
   */
  public record Call(String fn, MetricExpr inner, List<String> args) implements MetricExpr {}

  /**
   * The expression with {@code first} put before the matchers of every stream selector in it (a
   * tenant's matcher: see {@code Tenants}).
   */
  public static Expr withMatcher(Expr e, LabelMatcher first) {
    return switch (e) {
      case LogExpr l -> withMatcher(l, first);
      case MetricExpr m -> withMatcher(m, first);
    };
  }

  static LogExpr withMatcher(LogExpr l, LabelMatcher first) {
    List<LabelMatcher> ms = new ArrayList<>(l.matchers().size() + 1);
    ms.add(first);
    ms.addAll(l.matchers());
    return new LogExpr(List.copyOf(ms), l.stages());
  }

  static MetricExpr withMatcher(MetricExpr m, LabelMatcher first) {
    return switch (m) {
      case RangeAgg ra ->
          new RangeAgg(
              ra.fn(),
              new LogRange(
                  withMatcher(ra.range().log(), first),
                  ra.range().rangeNanos(),
                  ra.range().offsetNanos(),
                  ra.range().unwrap(),
                  ra.range().postUnwrapFilters()),
              ra.param(),
              ra.grouping());
      case VectorAgg va ->
          new VectorAgg(va.op(), va.grouping(), va.param(), withMatcher(va.inner(), first));
      case BinOp b ->
          new BinOp(
              b.op(),
              b.returnBool(),
              b.matching(),
              withMatcher(b.l(), first),
              withMatcher(b.r(), first));
      case Paren p -> new Paren(withMatcher(p.inner(), first));
      case Call c -> new Call(c.fn(), withMatcher(c.inner(), first), c.args());
      case NumberLit n -> n;
      case VectorLit v -> v;
    };
  }
}
