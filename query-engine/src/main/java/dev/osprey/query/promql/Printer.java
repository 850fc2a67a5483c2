package dev.osprey.query.promql;

import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.util.PromDuration;
import dev.osprey.query.promql.Ast.AggregateExpr;
import dev.osprey.query.promql.Ast.BinaryExpr;
import dev.osprey.query.promql.Ast.Call;
import dev.osprey.query.promql.Ast.Expr;
import dev.osprey.query.promql.Ast.MatrixSelector;
import dev.osprey.query.promql.Ast.Modifiers;
import dev.osprey.query.promql.Ast.NumberLiteral;
import dev.osprey.query.promql.Ast.ParenExpr;
import dev.osprey.query.promql.Ast.StringLiteral;
import dev.osprey.query.promql.Ast.SubqueryExpr;
import dev.osprey.query.promql.Ast.UnaryExpr;
import dev.osprey.query.promql.Ast.VectorMatching;
import dev.osprey.query.promql.Ast.VectorSelector;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Prints a syntax tree back as PromQL text, in upstream's canonical single-line form. */
public final class Printer {
  private Printer() {}

  public static String print(Expr e) {
    StringBuilder sb = new StringBuilder();
    print(e, sb);
    return sb.toString();
  }

  private static void print(Expr e, StringBuilder sb) {
    switch (e) {
      case NumberLiteral n -> {
        if (n.duration && n.val >= 0 && n.val * 1000 == Math.rint(n.val * 1000)) {
          sb.append(PromDuration.format((long) (n.val * 1000)));
        } else {
          sb.append(GoFloat.formatG(n.val));
        }
      }
      case StringLiteral s -> sb.append(GoFloat.quote(s.val));
      case ParenExpr p -> {
        sb.append('(');
        print(p.expr, sb);
        sb.append(')');
      }
      case UnaryExpr u -> {
        sb.append(u.minus ? '-' : '+');
        print(u.expr, sb);
      }
      case VectorSelector vs -> {
        selector(vs, sb);
        mods(vs.mods, sb);
        if (vs.anchored) {
          sb.append(" anchored");
        }
        if (vs.smoothed) {
          sb.append(" smoothed");
        }
      }
      case MatrixSelector m -> {
        selector(m.vs, sb);
        sb.append('[');
        duration(m.range, sb);
        sb.append(']');
        if (m.anchored) {
          sb.append(" anchored");
        }
        if (m.smoothed) {
          sb.append(" smoothed");
        }
        mods(m.vs.mods, sb);
      }
      case SubqueryExpr s -> {
        print(s.expr, sb);
        sb.append('[');
        duration(s.range, sb);
        sb.append(':');
        if (s.step != null) {
          duration(s.step, sb);
        }
        sb.append(']');
        mods(s.mods, sb);
      }
      case BinaryExpr b -> {
        print(b.lhs, sb);
        sb.append(' ');
        operator(b, sb);
        sb.append(' ');
        print(b.rhs, sb);
      }
      case Call c -> {
        sb.append(c.fn.name()).append('(');
        for (int i = 0; i < c.args.size(); i++) {
          if (i > 0) {
            sb.append(", ");
          }
          print(c.args.get(i), sb);
        }
        sb.append(')');
      }
      case AggregateExpr a -> {
        aggregationHead(a, sb);
        sb.append('(');
        if (a.param != null) {
          print(a.param, sb);
          sb.append(", ");
        }
        print(a.expr, sb);
        sb.append(')');
      }
    }
  }

  /** The operator of a binary expression with its bool and vector-matching modifiers. */
  private static void operator(BinaryExpr b, StringBuilder sb) {
    sb.append(b.op.text);
    if (b.returnBool) {
      sb.append(" bool");
    }
    VectorMatching vm = b.matching;
    if (vm != null) {
      if (vm.explicit && (vm.on || !vm.matchingLabels.isEmpty())) {
        sb.append(vm.on ? " on" : " ignoring");
        labels(vm.matchingLabels, sb);
      }
      if (vm.card == VectorMatching.Card.MANY_TO_ONE
          || vm.card == VectorMatching.Card.ONE_TO_MANY) {
        sb.append(vm.card == VectorMatching.Card.MANY_TO_ONE ? " group_left" : " group_right");
        labels(vm.include, sb);
      }
    }
  }

  /** "sum", "sum by (a, b) " or "sum without (a) ": everything before the opening parenthesis. */
  private static void aggregationHead(AggregateExpr a, StringBuilder sb) {
    sb.append(a.op);
    // Upstream drops an empty "by ()": it groups exactly as no clause does.
    if (a.without || !a.grouping.isEmpty()) {
      sb.append(a.without ? " without" : " by");
      labels(a.grouping, sb);
      sb.append(' ');
    }
  }

  /**
   * Prints a syntax tree the way Prometheus's {@code /api/v1/format_query} does (upstream's
   * prettier): a node whose single-line form is longer than 100 bytes is split over lines, its
   * children indented by two spaces a level; anything shorter stays on one line.
   */
  public static String pretty(Expr e) {
    return pretty(e, 100);
  }

  static String pretty(Expr e, int maxLineBytes) {
    StringBuilder sb = new StringBuilder();
    pretty(e, 0, maxLineBytes, sb);
    return sb.toString();
  }

  private static void pretty(Expr e, int level, int max, StringBuilder sb) {
    String flat = print(e);
    // Go's len() counts bytes, so a line with non-ASCII text splits where upstream's does.
    boolean split = flat.getBytes(StandardCharsets.UTF_8).length > max;
    String indent = "  ".repeat(level);
    switch (e) {
      case AggregateExpr a when split -> {
        sb.append(indent);
        aggregationHead(a, sb);
        sb.append("(\n");
        if (a.param != null) {
          pretty(a.param, level + 1, max, sb);
          sb.append(",\n");
        }
        pretty(a.expr, level + 1, max, sb);
        sb.append('\n').append(indent).append(')');
      }
      case BinaryExpr b when split -> {
        pretty(b.lhs, level + 1, max, sb);
        sb.append('\n').append(indent);
        operator(b, sb);
        sb.append('\n');
        pretty(b.rhs, level + 1, max, sb);
      }
      case Call c when split -> {
        sb.append(indent).append(c.fn.name()).append("(\n");
        for (int i = 0; i < c.args.size(); i++) {
          if (i > 0) {
            sb.append(",\n");
          }
          pretty(c.args.get(i), level + 1, max, sb);
        }
        sb.append('\n').append(indent).append(')');
      }
      case ParenExpr p when split -> {
        sb.append(indent).append("(\n");
        pretty(p.expr, level + 1, max, sb);
        sb.append('\n').append(indent).append(')');
      }
      case SubqueryExpr s when split -> {
        pretty(s.expr, level, max, sb);
        String inner = print(s.expr);
        sb.append(flat, inner.length(), flat.length());
      }
      // Upstream prints a subquery that fits on one line without its indent; so do we.
      case SubqueryExpr s -> sb.append(flat);
      case UnaryExpr u -> {
        StringBuilder child = new StringBuilder();
        pretty(u.expr, level, max, child);
        sb.append(indent).append(u.minus ? '-' : '+').append(child.toString().strip());
      }
      default -> sb.append(indent).append(flat);
    }
  }

  private static void labels(List<String> ls, StringBuilder sb) {
    sb.append(" (");
    for (int i = 0; i < ls.size(); i++) {
      if (i > 0) {
        sb.append(", ");
      }
      String l = ls.get(i);
      sb.append(Labels.isValidLabelName(l) ? l : GoFloat.quote(l));
    }
    sb.append(')');
  }

  private static void duration(Expr d, StringBuilder sb) {
    print(d, sb);
  }

  private static void mods(Modifiers m, StringBuilder sb) {
    if (m.at != null) {
      sb.append(" @ ").append(GoFloat.formatF(m.at, 3));
    } else if (m.atStartEnd == 1) {
      sb.append(" @ start()");
    } else if (m.atStartEnd == 2) {
      sb.append(" @ end()");
    }
    if (m.offsetExpr != null) {
      if (m.offsetExpr instanceof NumberLiteral n && n.val < 0) {
        sb.append(" offset -").append(PromDuration.format((long) Math.round(-n.val * 1000)));
      } else if (m.offsetExpr instanceof NumberLiteral n) {
        sb.append(" offset ").append(PromDuration.format((long) Math.round(n.val * 1000)));
      } else {
        sb.append(" offset ");
        print(m.offsetExpr, sb);
      }
    }
  }

  private static void selector(VectorSelector vs, StringBuilder sb) {
    String name = vs.name;
    boolean nameLegacy = name != null && Labels.isValidMetricName(name);
    StringBuilder inner = new StringBuilder();
    boolean first = true;
    for (LabelMatcher m : vs.matchers) {
      if (nameLegacy
          && m.name().equals("__name__")
          && m.type() == LabelMatcher.Type.EQUAL
          && m.value().equals(name)) {
        continue;
      }
      if (!first) {
        inner.append(",");
      }
      first = false;
      inner
          .append(Labels.isValidLabelName(m.name()) ? m.name() : GoFloat.quote(m.name()))
          .append(m.type().op())
          .append(GoFloat.quote(m.value()));
    }
    if (nameLegacy) {
      sb.append(name);
      if (!first) {
        sb.append('{').append(inner).append('}');
      }
    } else {
      sb.append('{').append(inner).append('}');
    }
  }
}
