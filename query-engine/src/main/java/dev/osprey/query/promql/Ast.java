package dev.osprey.query.promql;

import dev.osprey.core.labels.LabelMatcher;
import java.util.ArrayList;
import java.util.List;

/** The PromQL syntax tree. Nodes carry the byte range of their source text. */
public final class Ast {
  private Ast() {}

  public enum ValueType {
    SCALAR("scalar"),
    VECTOR("instant vector"),
    MATRIX("range vector"),
    STRING("string");

    private final String text;

    ValueType(String text) {
      this.text = text;
    }

    public String text() {
      return text;
    }
  }

  /** An expression node. */
  public abstract static sealed class Expr
      permits NumberLiteral,
          StringLiteral,
          VectorSelector,
          MatrixSelector,
          SubqueryExpr,
          ParenExpr,
          UnaryExpr,
          BinaryExpr,
          Call,
          AggregateExpr {
    public int pos;
    public int end;

    public abstract ValueType type();
  }

  public static final class NumberLiteral extends Expr {
    public double val;
    public boolean duration; // written as a duration (printed back as one)

    public NumberLiteral(double val) {
      this.val = val;
    }

    @Override
    public ValueType type() {
      return ValueType.SCALAR;
    }
  }

  public static final class StringLiteral extends Expr {
    public final String val;

    public StringLiteral(String val) {
      this.val = val;
    }

    @Override
    public ValueType type() {
      return ValueType.STRING;
    }
  }

  /** Time modifiers shared by selectors and subqueries. */
  public static final class Modifiers {
    public Expr offsetExpr; // a duration expression (seconds), or null
    public Double at; // @ timestamp in seconds, or null
    public int atStartEnd; // 0 none, 1 start(), 2 end()

    public boolean hasAt() {
      return at != null || atStartEnd != 0;
    }
  }

  public static final class VectorSelector extends Expr {
    public String name; // may be null
    public final List<LabelMatcher> matchers = new ArrayList<>();
    public final Modifiers mods = new Modifiers();
    public boolean bypassEmptyMatcherCheck;
    public boolean smoothed;
    public boolean anchored;

    @Override
    public ValueType type() {
      return ValueType.VECTOR;
    }
  }

  public static final class MatrixSelector extends Expr {
    public final VectorSelector vs;
    public final Expr range; // duration expression, seconds
    public boolean anchored;
    public boolean smoothed;

    public MatrixSelector(VectorSelector vs, Expr range) {
      this.vs = vs;
      this.range = range;
    }

    @Override
    public ValueType type() {
      return ValueType.MATRIX;
    }
  }

  public static final class SubqueryExpr extends Expr {
    public final Expr expr;
    public final Expr range;
    public final Expr step; // may be null (default resolution)
    public final Modifiers mods = new Modifiers();

    public SubqueryExpr(Expr expr, Expr range, Expr step) {
      this.expr = expr;
      this.range = range;
      this.step = step;
    }

    @Override
    public ValueType type() {
      return ValueType.MATRIX;
    }
  }

  public static final class ParenExpr extends Expr {
    public final Expr expr;

    public ParenExpr(Expr expr) {
      this.expr = expr;
    }

    @Override
    public ValueType type() {
      return expr.type();
    }
  }

  public static final class UnaryExpr extends Expr {
    public final boolean minus;
    public final Expr expr;

    public UnaryExpr(boolean minus, Expr expr) {
      this.minus = minus;
      this.expr = expr;
    }

    @Override
    public ValueType type() {
      return expr.type();
    }
  }

  public enum Op {
    ADD("+", 4),
    SUB("-", 4),
    MUL("*", 5),
    DIV("/", 5),
    MOD("%", 5),
    ATAN2("atan2", 5),
    POW("^", 6),
    TRIM_UPPER("</", 5),
    TRIM_LOWER(">/", 5),
    EQLC("==", 3),
    NEQ("!=", 3),
    GTR(">", 3),
    LSS("<", 3),
    GTE(">=", 3),
    LTE("<=", 3),
    AND("and", 2),
    UNLESS("unless", 2),
    OR("or", 1);

    public final String text;
    public final int prec;

    Op(String text, int prec) {
      this.text = text;
      this.prec = prec;
    }

    public boolean isComparison() {
      return prec == 3;
    }

    public boolean isSetOp() {
      return this == AND || this == OR || this == UNLESS;
    }
  }

  public static final class VectorMatching {
    public enum Card {
      ONE_TO_ONE,
      MANY_TO_ONE,
      ONE_TO_MANY,
      MANY_TO_MANY
    }

    public Card card = Card.ONE_TO_ONE;
    public List<String> matchingLabels = new ArrayList<>();
    public boolean on; // on(...) given; otherwise ignoring(...) (possibly empty)
    public boolean explicit; // on/ignoring was written
    public List<String> include = new ArrayList<>();
    // fill modifiers (experimental): null when absent
    public Double fillLeft;
    public Double fillRight;
  }

  public static final class BinaryExpr extends Expr {
    public final Op op;
    public final Expr lhs;
    public final Expr rhs;
    public boolean returnBool;
    public VectorMatching matching; // null when either side is scalar

    public BinaryExpr(Op op, Expr lhs, Expr rhs) {
      this.op = op;
      this.lhs = lhs;
      this.rhs = rhs;
    }

    @Override
    public ValueType type() {
      if (lhs.type() == ValueType.SCALAR && rhs.type() == ValueType.SCALAR) {
        return ValueType.SCALAR;
      }
      return ValueType.VECTOR;
    }
  }

  public static final class Call extends Expr {
    public final Functions.Fn fn;
    public final List<Expr> args;

    public Call(Functions.Fn fn, List<Expr> args) {
      this.fn = fn;
      this.args = args;
    }

    @Override
    public ValueType type() {
      return fn.ret();
    }
  }

  public static final class AggregateExpr extends Expr {
    public final String op;
    public final Expr expr;
    public final Expr param; // may be null
    public final List<String> grouping;
    public final boolean without;
    public final boolean groupingGiven;

    public AggregateExpr(
        String op,
        Expr expr,
        Expr param,
        List<String> grouping,
        boolean without,
        boolean groupingGiven) {
      this.op = op;
      this.expr = expr;
      this.param = param;
      this.grouping = grouping;
      this.without = without;
      this.groupingGiven = groupingGiven;
    }

    @Override
    public ValueType type() {
      return ValueType.VECTOR;
    }
  }
}
