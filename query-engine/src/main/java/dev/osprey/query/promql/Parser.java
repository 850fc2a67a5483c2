package dev.osprey.query.promql;

import dev.osprey.core.labels.LabelMatcher;
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
import dev.osprey.query.promql.Ast.ValueType;
import dev.osprey.query.promql.Ast.VectorMatching;
import dev.osprey.query.promql.Ast.VectorSelector;
import dev.osprey.query.promql.Lexer.T;
import dev.osprey.query.promql.Lexer.Token;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A recursive-descent (precedence climbing) parser for the PromQL grammar of Prometheus 3.x. */
public final class Parser {
  /** Functions only valid inside duration expressions ({@code [..]}, offset, {@code @}). */
  static final Functions.Fn STEP = new Functions.Fn("step", List.of(), 0, ValueType.SCALAR);

  static final Functions.Fn RANGE = new Functions.Fn("range", List.of(), 0, ValueType.SCALAR);
  static final Functions.Fn MIN_OF =
      new Functions.Fn("min_of", List.of(ValueType.SCALAR, ValueType.SCALAR), 0, ValueType.SCALAR);
  static final Functions.Fn MAX_OF =
      new Functions.Fn("max_of", List.of(ValueType.SCALAR, ValueType.SCALAR), 0, ValueType.SCALAR);

  private final String input;
  private final List<Token> toks;
  private int i;
  private int durationDepth;
  private boolean bypassEmptyCheck;

  private Parser(String input) {
    this.input = input;
    this.toks = Lexer.lex(input);
  }

  /** Parses a whole expression; throws {@link ParseException} on errors. */
  public static Expr parse(String input) {
    Parser p = new Parser(input);
    if (p.peek().type() == T.EOF) {
      throw new ParseException(0, 0, "no expression found in input");
    }
    Expr e = p.expr(0);
    if (p.peek().type() != T.EOF) {
      Token t = p.peek();
      throw new ParseException(t.pos(), t.end(), "unexpected " + describe(t));
    }
    return e;
  }

  /** Parses a series selector as used by {@code match[]}. */
  public static List<LabelMatcher> parseMatchers(String input) {
    Expr e = parse(input);
    if (!(e instanceof VectorSelector vs)) {
      throw new ParseException(0, input.length(), "expected vector selector");
    }
    if (vs.mods.offsetExpr != null || vs.mods.hasAt()) {
      throw new ParseException(0, input.length(), "expected vector selector");
    }
    return vs.matchers;
  }

  private Token peek() {
    return toks.get(i);
  }

  private Token peek(int k) {
    return toks.get(Math.min(i + k, toks.size() - 1));
  }

  private Token next() {
    return toks.get(i++);
  }

  private static String describe(Token t) {
    return switch (t.type()) {
      case EOF -> "end of input";
      case IDENT -> "identifier \"" + t.text() + "\"";
      case NUMBER -> "number \"" + t.text() + "\"";
      case DURATION -> "duration \"" + t.text() + "\"";
      case STRING -> "string " + t.text();
      case COMMA -> "\",\"";
      case RPAREN -> "\")\"";
      case LPAREN -> "\"(\"";
      case RBRACE -> "\"}\"";
      case LBRACE -> "\"{\"";
      case RBRACKET -> "\"]\"";
      case LBRACKET -> "\"[\"";
      default -> "\"" + t.text() + "\"";
    };
  }

  private ParseException err(Token t, String msg) {
    return new ParseException(t.pos(), t.end(), msg);
  }

  private ParseException err(Expr e, String msg) {
    return new ParseException(e.pos, e.end, msg);
  }

  private Token expect(T type, String context) {
    Token t = next();
    if (t.type() != type) {
      throw err(t, "unexpected " + describe(t) + " in " + context);
    }
    return t;
  }

  private boolean isKeyword(Token t, String kw) {
    return t.type() == T.IDENT && t.text().equalsIgnoreCase(kw);
  }

  private Op binOp(Token t) {
    return switch (t.type()) {
      case ADD -> Op.ADD;
      case SUB -> Op.SUB;
      case MUL -> Op.MUL;
      case DIV -> Op.DIV;
      case MOD -> Op.MOD;
      case POW -> Op.POW;
      case TRIM_UPPER -> Op.TRIM_UPPER;
      case TRIM_LOWER -> Op.TRIM_LOWER;
      case EQLC -> Op.EQLC;
      case NEQ -> Op.NEQ;
      case GTR -> Op.GTR;
      case LSS -> Op.LSS;
      case GTE -> Op.GTE;
      case LTE -> Op.LTE;
      case IDENT -> {
        String s = t.text().toLowerCase(Locale.ROOT);
        yield switch (s) {
          case "and" -> Op.AND;
          case "or" -> Op.OR;
          case "unless" -> Op.UNLESS;
          case "atan2" -> Op.ATAN2;
          default -> null;
        };
      }
      default -> null;
    };
  }

  private Expr expr(int minPrec) {
    Expr lhs = unary();
    while (true) {
      Token t = peek();
      Op op = binOp(t);
      if (op == null || op.prec < minPrec) {
        return lhs;
      }
      next();
      boolean returnBool = false;
      VectorMatching vm = new VectorMatching();
      if (isKeyword(peek(), "bool")) {
        next();
        returnBool = true;
      }
      if (isKeyword(peek(), "on") || isKeyword(peek(), "ignoring")) {
        vm.on = isKeyword(next(), "on");
        vm.explicit = true;
        vm.matchingLabels = groupingLabels();
        if (isKeyword(peek(), "group_left") || isKeyword(peek(), "group_right")) {
          Token g = next();
          vm.card =
              isKeyword(g, "group_left")
                  ? VectorMatching.Card.MANY_TO_ONE
                  : VectorMatching.Card.ONE_TO_MANY;
          if (peek().type() == T.LPAREN) {
            vm.include = groupingLabels();
          }
        }
      }
      while ((isKeyword(peek(), "fill")
              || isKeyword(peek(), "fill_left")
              || isKeyword(peek(), "fill_right"))
          && peek(1).type() == T.LPAREN) {
        Token f = next();
        expect(T.LPAREN, "fill modifier");
        Expr v = expr(0);
        expect(T.RPAREN, "fill modifier");
        double val = constValue(v);
        String k = f.text().toLowerCase(Locale.ROOT);
        if (!k.equals("fill_right")) {
          vm.fillLeft = val;
        }
        if (!k.equals("fill_left")) {
          vm.fillRight = val;
        }
      }
      Expr rhs = expr(op == Op.POW ? op.prec : op.prec + 1);
      lhs = binary(op, lhs, rhs, returnBool, vm, t);
    }
  }

  private double constValue(Expr e) {
    if (e instanceof ParenExpr p) {
      return constValue(p.expr);
    }
    if (e instanceof NumberLiteral n) {
      return n.val;
    }
    if (e instanceof UnaryExpr u) {
      double v = constValue(u.expr);
      return u.minus ? -v : v;
    }
    throw err(e, "fill value must be a number literal");
  }

  private Expr binary(Op op, Expr lhs, Expr rhs, boolean returnBool, VectorMatching vm, Token t) {
    BinaryExpr b = new BinaryExpr(op, lhs, rhs);
    b.pos = lhs.pos;
    b.end = rhs.end;
    b.returnBool = returnBool;
    ValueType lt = lhs.type();
    ValueType rt = rhs.type();
    if (returnBool && !op.isComparison()) {
      throw err(b, "bool modifier can only be used on comparison operators");
    }
    if (op.isComparison() && !returnBool && lt == ValueType.SCALAR && rt == ValueType.SCALAR) {
      throw err(b, "comparisons between scalars must use BOOL modifier");
    }
    if ((lt != ValueType.SCALAR && lt != ValueType.VECTOR)
        || (rt != ValueType.SCALAR && rt != ValueType.VECTOR)) {
      throw err(b, "binary expression must contain only scalar and instant vector types");
    }
    boolean bothVec = lt == ValueType.VECTOR && rt == ValueType.VECTOR;
    if (op.isSetOp()) {
      if (lt == ValueType.SCALAR || rt == ValueType.SCALAR) {
        throw err(b, "set operator \"" + op.text + "\" not allowed in binary scalar expression");
      }
      if (vm.card == VectorMatching.Card.MANY_TO_ONE
          || vm.card == VectorMatching.Card.ONE_TO_MANY) {
        throw err(b, "no grouping allowed for \"" + op.text + "\" operation");
      }
      vm.card = VectorMatching.Card.MANY_TO_MANY;
    }
    if (!bothVec) {
      if (vm.explicit) {
        throw err(b, "vector matching only allowed between instant vectors");
      }
      b.matching = null;
    } else {
      if (vm.on) {
        for (String l : vm.matchingLabels) {
          if (vm.include.contains(l)) {
            throw err(b, "label \"" + l + "\" must not occur in ON and GROUP clause at once");
          }
        }
      }
      b.matching = vm;
    }
    return b;
  }

  private Expr unary() {
    Token t = peek();
    if (t.type() == T.ADD || t.type() == T.SUB) {
      next();
      Expr e = expr(Op.POW.prec);
      if (e.type() != ValueType.SCALAR && e.type() != ValueType.VECTOR) {
        throw err(
            e,
            "unary expression only allowed on expressions of type scalar or instant vector, got \""
                + e.type().text()
                + "\"");
      }
      if (e instanceof NumberLiteral n) {
        if (t.type() == T.SUB) {
          n.val = -n.val;
        }
        n.pos = t.pos();
        return n;
      }
      UnaryExpr u = new UnaryExpr(t.type() == T.SUB, e);
      u.pos = t.pos();
      u.end = e.end;
      if (t.type() == T.ADD) {
        // upstream keeps unary plus as a node only for printing; evaluation is the identity
        return u;
      }
      return u;
    }
    return postfix(primary());
  }

  private Expr postfix(Expr e) {
    while (true) {
      Token t = peek();
      if (t.type() == T.LBRACKET) {
        next();
        Expr range = durationExpr();
        if (peek().type() == T.COLON) {
          next();
          Expr step = null;
          if (peek().type() != T.RBRACKET) {
            step = durationExpr();
          }
          Token close = expect(T.RBRACKET, "subquery selector");
          if (e.type() != ValueType.VECTOR) {
            throw err(
                e,
                "subquery is only allowed on instant vector, got " + e.type().text() + " instead");
          }
          SubqueryExpr s = new SubqueryExpr(e, range, step);
          s.pos = e.pos;
          s.end = close.end();
          e = s;
        } else {
          Token close = expect(T.RBRACKET, "range selector");
          if (!(e instanceof VectorSelector vs)) {
            throw err(e, "ranges only allowed for vector selectors");
          }
          if (vs.mods.offsetExpr != null || vs.mods.hasAt()) {
            throw err(close, "no offset or @ modifiers allowed before range");
          }
          MatrixSelector m = new MatrixSelector(vs, range);
          m.pos = e.pos;
          m.end = close.end();
          while (isKeyword(peek(), "anchored") || isKeyword(peek(), "smoothed")) {
            Token k = next();
            if (isKeyword(k, "anchored")) {
              m.anchored = true;
            } else {
              m.smoothed = true;
            }
            m.end = k.end();
          }
          e = m;
        }
      } else if ((isKeyword(t, "smoothed") || isKeyword(t, "anchored"))
          && (e instanceof VectorSelector || e instanceof MatrixSelector)) {
        next();
        boolean sm = isKeyword(t, "smoothed");
        if (e instanceof VectorSelector vs) {
          if (sm) {
            vs.smoothed = true;
          } else {
            vs.anchored = true;
          }
        } else if (e instanceof MatrixSelector m) {
          if (sm) {
            m.smoothed = true;
          } else {
            m.anchored = true;
          }
        }
        e.end = t.end();
      } else if (isKeyword(t, "offset")) {
        next();
        Modifiers mods = modifiersOf(e, t, "offset");
        if (mods.offsetExpr != null) {
          throw err(t, "offset may not be set multiple times");
        }
        mods.offsetExpr = offsetDuration();
        e.end = toks.get(i - 1).end();
      } else if (t.type() == T.AT) {
        next();
        Modifiers mods = modifiersOf(e, t, "@");
        if (mods.hasAt()) {
          throw err(t, "@ <timestamp> may not be set multiple times");
        }
        Token a = peek();
        if ((isKeyword(a, "start") || isKeyword(a, "end")) && peek(1).type() == T.LPAREN) {
          next();
          next();
          expect(T.RPAREN, "@ modifier");
          mods.atStartEnd = isKeyword(a, "start") ? 1 : 2;
        } else {
          Expr v = offsetDuration();
          double secs = constValue(v);
          if (Double.isInfinite(secs) || Double.isNaN(secs)) {
            throw err(a, "timestamp out of bounds for @ modifier: " + secs);
          }
          mods.at = secs;
        }
        e.end = toks.get(i - 1).end();
      } else {
        return e;
      }
    }
  }

  private Modifiers modifiersOf(Expr e, Token t, String what) {
    if (e instanceof VectorSelector vs) {
      return vs.mods;
    }
    if (e instanceof MatrixSelector m) {
      return m.vs.mods;
    }
    if (e instanceof SubqueryExpr s) {
      return s.mods;
    }
    if (what.equals("offset")) {
      throw err(
          t,
          "offset modifier must be preceded by an instant vector selector or range vector"
              + " selector or a subquery");
    }
    throw err(
        t,
        "@ modifier must be preceded by an instant vector selector or range vector selector or a"
            + " subquery");
  }

  /** An offset / @ argument: an optional sign and one atom (number, duration, (...), step()...). */
  private Expr offsetDuration() {
    Token t = peek();
    durationDepth++;
    try {
      if (t.type() == T.ADD || t.type() == T.SUB) {
        next();
        Expr inner = durationAtom();
        if (inner instanceof NumberLiteral n) {
          if (t.type() == T.SUB) {
            n.val = -n.val;
          }
          return n;
        }
        UnaryExpr u = new UnaryExpr(t.type() == T.SUB, inner);
        u.pos = t.pos();
        u.end = inner.end;
        return u;
      }
      return durationAtom();
    } finally {
      durationDepth--;
    }
  }

  private Expr durationAtom() {
    Token t = peek();
    if (t.type() == T.NUMBER || t.type() == T.DURATION) {
      return primary();
    }
    if (t.type() == T.LPAREN) {
      return primary();
    }
    if (t.type() == T.IDENT && peek(1).type() == T.LPAREN) {
      return primary();
    }
    throw err(t, "unexpected " + describe(t) + " in offset, expected duration");
  }

  private Expr durationExpr() {
    durationDepth++;
    try {
      Expr e = expr(0);
      checkDuration(e);
      return e;
    } finally {
      durationDepth--;
    }
  }

  private void checkDuration(Expr e) {
    switch (e) {
      case NumberLiteral n -> {}
      case ParenExpr p -> checkDuration(p.expr);
      case UnaryExpr u -> checkDuration(u.expr);
      case BinaryExpr b -> {
        if (b.op.isComparison() || b.op.isSetOp() || b.op == Op.ATAN2) {
          throw err(b, "unexpected \"" + b.op.text + "\" in duration expression");
        }
        checkDuration(b.lhs);
        checkDuration(b.rhs);
      }
      case Call c -> {
        if (c.fn != STEP && c.fn != RANGE && c.fn != MIN_OF && c.fn != MAX_OF) {
          throw err(c, "unexpected function call in duration expression");
        }
        for (Expr a : c.args) {
          checkDuration(a);
        }
      }
      default -> throw err(e, "unexpected expression in duration");
    }
  }

  private Expr primary() {
    Token t = next();
    switch (t.type()) {
      case NUMBER -> {
        NumberLiteral n = new NumberLiteral(parseNumber(t));
        n.pos = t.pos();
        n.end = t.end();
        return n;
      }
      case DURATION -> {
        NumberLiteral n = new NumberLiteral(parseDurationMillis(t) / 1000.0);
        n.duration = true;
        n.pos = t.pos();
        n.end = t.end();
        return n;
      }
      case STRING -> {
        StringLiteral s = new StringLiteral(unquote(t));
        s.pos = t.pos();
        s.end = t.end();
        return s;
      }
      case LPAREN -> {
        Expr inner = expr(0);
        Token close = expect(T.RPAREN, "paren expression");
        ParenExpr p = new ParenExpr(inner);
        p.pos = t.pos();
        p.end = close.end();
        return p;
      }
      case LBRACE -> {
        i--;
        VectorSelector vs = new VectorSelector();
        vs.pos = t.pos();
        matchers(vs);
        checkSelector(vs);
        return vs;
      }
      case IDENT -> {
        return identifier(t);
      }
      default -> throw err(t, "unexpected " + describe(t));
    }
  }

  private Expr identifier(Token t) {
    String lower = t.text().toLowerCase(Locale.ROOT);
    if (lower.equals("inf") || lower.equals("nan")) {
      NumberLiteral n =
          new NumberLiteral(lower.equals("inf") ? Double.POSITIVE_INFINITY : Double.NaN);
      n.pos = t.pos();
      n.end = t.end();
      return n;
    }
    if (Functions.AGGREGATORS.containsKey(lower)
        && (peek().type() == T.LPAREN || isKeyword(peek(), "by") || isKeyword(peek(), "without"))) {
      return aggregate(t, lower);
    }
    if (peek().type() == T.LPAREN) {
      Functions.Fn fn = Functions.get(t.text());
      if (durationDepth > 0) {
        switch (lower) {
          case "step" -> fn = STEP;
          case "range" -> fn = RANGE;
          case "min_of" -> fn = MIN_OF;
          case "max_of" -> fn = MAX_OF;
          default -> {}
        }
      }
      if (fn == null) {
        throw err(t, "unknown function with name \"" + t.text() + "\"");
      }
      return call(t, fn);
    }
    if (Functions.AGGREGATORS.containsKey(lower) || isReservedKeyword(lower)) {
      throw err(t, "unexpected " + describe(t));
    }
    VectorSelector vs = new VectorSelector();
    vs.pos = t.pos();
    vs.end = t.end();
    vs.name = t.text();
    if (peek().type() == T.LBRACE && peek().pos() == t.end()) {
      matchers(vs);
    } else if (peek().type() == T.LBRACE) {
      matchers(vs);
    }
    for (LabelMatcher m : vs.matchers) {
      if (m.name().equals("__name__")) {
        throw err(
            t, "metric name must not be set twice: \"" + vs.name + "\" or \"" + m.value() + "\"");
      }
    }
    vs.matchers.add(0, LabelMatcher.equal("__name__", vs.name));
    checkSelector(vs);
    return vs;
  }

  private static boolean isReservedKeyword(String s) {
    return switch (s) {
      case "and",
          "or",
          "unless",
          "atan2",
          "bool",
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "offset" ->
          true;
      default -> false;
    };
  }

  private void checkSelector(VectorSelector vs) {
    if (bypassEmptyCheck) {
      return;
    }
    boolean nonEmpty = false;
    for (LabelMatcher m : vs.matchers) {
      if (!m.matchesEmpty()) {
        nonEmpty = true;
      }
    }
    if (!nonEmpty) {
      throw err(vs, "vector selector must contain at least one non-empty matcher");
    }
  }

  private void matchers(VectorSelector vs) {
    expect(T.LBRACE, "label matching");
    while (peek().type() != T.RBRACE) {
      Token name = next();
      String label;
      if (name.type() == T.STRING) {
        label = unquote(name);
        if (peek().type() == T.COMMA || peek().type() == T.RBRACE) {
          if (vs.name != null) {
            throw err(
                name,
                "metric name must not be set twice: \"" + vs.name + "\" or \"" + label + "\"");
          }
          vs.name = label;
          vs.matchers.add(LabelMatcher.equal("__name__", label));
          if (peek().type() == T.COMMA) {
            next();
          }
          continue;
        }
      } else if (name.type() == T.IDENT) {
        label = name.text();
      } else {
        throw err(name, "unexpected " + describe(name) + " in label matching, expected label");
      }
      Token op = next();
      LabelMatcher.Type type =
          switch (op.type()) {
            case ASSIGN -> LabelMatcher.Type.EQUAL;
            case NEQ -> LabelMatcher.Type.NOT_EQUAL;
            case EQL_REGEX -> LabelMatcher.Type.REGEX;
            case NEQ_REGEX -> LabelMatcher.Type.NOT_REGEX;
            default ->
                throw err(
                    op,
                    "unexpected "
                        + describe(op)
                        + " in label matching, expected one of \"=\", \"!=\", \"=~\" or \"!~\"");
          };
      Token val = next();
      if (val.type() != T.STRING) {
        throw err(val, "unexpected " + describe(val) + " in label matching, expected string");
      }
      try {
        vs.matchers.add(LabelMatcher.of(type, label, unquote(val)));
      } catch (RuntimeException e) {
        throw err(val, e.getMessage());
      }
      if (peek().type() == T.COMMA) {
        next();
      } else if (peek().type() != T.RBRACE) {
        Token bad = peek();
        throw err(
            bad, "unexpected " + describe(bad) + " in label matching, expected \",\" or \"}\"");
      }
    }
    Token close = next();
    vs.end = close.end();
    if (vs.name == null) {
      for (LabelMatcher m : vs.matchers) {
        if (m.name().equals("__name__") && m.type() == LabelMatcher.Type.EQUAL) {
          vs.name = null;
        }
      }
    }
  }

  private List<String> groupingLabels() {
    expect(T.LPAREN, "grouping opts");
    List<String> out = new ArrayList<>();
    while (peek().type() != T.RPAREN) {
      Token t = next();
      if (t.type() == T.IDENT) {
        out.add(t.text());
      } else if (t.type() == T.STRING) {
        out.add(unquote(t));
      } else {
        throw err(t, "unexpected " + describe(t) + " in grouping opts, expected label");
      }
      if (peek().type() == T.COMMA) {
        next();
      } else if (peek().type() != T.RPAREN) {
        Token bad = peek();
        throw err(
            bad, "unexpected " + describe(bad) + " in grouping opts, expected \")\" or \",\"");
      }
    }
    next();
    return out;
  }

  private Expr aggregate(Token t, String op) {
    List<String> grouping = List.of();
    boolean without = false;
    boolean given = false;
    if (isKeyword(peek(), "by") || isKeyword(peek(), "without")) {
      without = isKeyword(next(), "without");
      grouping = groupingLabels();
      given = true;
    }
    expect(T.LPAREN, "aggregation");
    List<Expr> args = new ArrayList<>();
    if (peek().type() != T.RPAREN) {
      args.add(expr(0));
      while (peek().type() == T.COMMA) {
        next();
        if (peek().type() == T.RPAREN) {
          break;
        }
        args.add(expr(0));
      }
    }
    Token close = expect(T.RPAREN, "aggregation");
    int end = close.end();
    if (isKeyword(peek(), "by") || isKeyword(peek(), "without")) {
      if (given) {
        throw err(peek(), "unexpected " + describe(peek()));
      }
      without = isKeyword(next(), "without");
      grouping = groupingLabels();
      given = true;
      end = toks.get(i - 1).end();
    }
    boolean hasParam = Functions.AGGREGATORS.get(op);
    if (args.isEmpty()) {
      throw err(t, "no arguments for aggregate expression provided");
    }
    int want = hasParam ? 2 : 1;
    if (args.size() != want) {
      throw err(
          t,
          "wrong number of arguments for aggregate expression provided, expected "
              + want
              + ", got "
              + args.size());
    }
    Expr param = hasParam ? args.get(0) : null;
    Expr e = args.get(args.size() - 1);
    AggregateExpr a = new AggregateExpr(op, e, param, grouping, without, given);
    a.pos = t.pos();
    a.end = end;
    if (e.type() != ValueType.VECTOR) {
      throw err(
          e, "expected type instant vector in aggregation expression, got " + e.type().text());
    }
    if (param != null) {
      ValueType want2 = op.equals("count_values") ? ValueType.STRING : ValueType.SCALAR;
      if (param.type() != want2) {
        throw err(
            param,
            "expected type "
                + want2.text()
                + " in aggregation parameter, got "
                + param.type().text());
      }
    }
    return a;
  }

  private Expr call(Token t, Functions.Fn fn) {
    expect(T.LPAREN, "function call");
    List<Expr> args = new ArrayList<>();
    if (peek().type() != T.RPAREN) {
      args.add(expr(0));
      while (peek().type() == T.COMMA) {
        next();
        if (peek().type() == T.RPAREN) {
          break;
        }
        boolean saved = bypassEmptyCheck;
        bypassEmptyCheck = fn.name().equals("info") && args.size() == 1;
        try {
          args.add(expr(0));
        } finally {
          bypassEmptyCheck = saved;
        }
      }
    }
    Token close = expect(T.RPAREN, "function call");
    Call c = new Call(fn, args);
    if (fn.name().equals("info") && args.size() > 1) {
      Expr sel = args.get(1);
      while (sel instanceof ParenExpr p) {
        sel = p.expr;
      }
      if (!(sel instanceof VectorSelector)) {
        throw err(sel, "expected label selectors as the second argument to \"info\" function");
      }
    }
    c.pos = t.pos();
    c.end = close.end();
    int n = fn.args().size();
    if (fn.variadic() == 0) {
      if (args.size() != n) {
        throw err(
            c,
            "expected " + n + " argument(s) in call to \"" + fn.name() + "\", got " + args.size());
      }
    } else if (fn.variadic() > 0) {
      int min = n - fn.variadic();
      if (args.size() < min) {
        throw err(
            c,
            "expected at least "
                + min
                + " argument(s) in call to \""
                + fn.name()
                + "\", got "
                + args.size());
      }
      if (args.size() > n) {
        throw err(
            c,
            "expected at most "
                + n
                + " argument(s) in call to \""
                + fn.name()
                + "\", got "
                + args.size());
      }
    } else {
      int min = n - 1;
      if (args.size() < min) {
        throw err(
            c,
            "expected at least "
                + min
                + " argument(s) in call to \""
                + fn.name()
                + "\", got "
                + args.size());
      }
    }
    for (int k = 0; k < args.size(); k++) {
      ValueType want = k < n ? fn.args().get(k) : fn.args().get(n - 1);
      if (fn.name().equals("histogram_quantiles") && k >= 2) {
        want = ValueType.SCALAR;
      }
      ValueType got = args.get(k).type();
      if (got != want) {
        throw err(
            args.get(k),
            "expected type "
                + want.text()
                + " in call to function \""
                + fn.name()
                + "\", got "
                + got.text());
      }
    }
    return c;
  }

  double parseNumber(Token t) {
    String s = t.text().replace("_", "");
    try {
      if (s.startsWith("0x") || s.startsWith("0X")) {
        return Long.parseUnsignedLong(s.substring(2), 16);
      }
      if (s.length() > 1
          && s.charAt(0) == '0'
          && s.chars().allMatch(ch -> ch >= '0' && ch <= '7')) {
        return Long.parseLong(s, 8);
      }
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      throw err(t, "bad number or duration syntax: \"" + t.text() + "\"");
    }
  }

  static long parseDurationMillis(Token t) {
    String s = t.text();
    long total = 0;
    int p = 0;
    int lastUnit = 100;
    while (p < s.length()) {
      int q = p;
      while (q < s.length() && Character.isDigit(s.charAt(q))) {
        q++;
      }
      long n = Long.parseLong(s.substring(p, q));
      int unitRank;
      long mult;
      if (s.startsWith("ms", q)) {
        unitRank = 0;
        mult = 1;
        q += 2;
      } else {
        char u = s.charAt(q++);
        switch (u) {
          case 's' -> {
            unitRank = 1;
            mult = 1000L;
          }
          case 'm' -> {
            unitRank = 2;
            mult = 60_000L;
          }
          case 'h' -> {
            unitRank = 3;
            mult = 3_600_000L;
          }
          case 'd' -> {
            unitRank = 4;
            mult = 86_400_000L;
          }
          case 'w' -> {
            unitRank = 5;
            mult = 7 * 86_400_000L;
          }
          default -> {
            unitRank = 6;
            mult = 365 * 86_400_000L;
          }
        }
      }
      if (unitRank >= lastUnit) {
        throw new ParseException(t.pos(), t.end(), "bad number or duration syntax: \"" + s + "\"");
      }
      lastUnit = unitRank;
      total += n * mult;
      p = q;
    }
    return total;
  }

  /** Go-style unquoting of a string token; {@code \xNN} bytes are decoded as UTF-8 if valid. */
  String unquote(Token t) {
    String s = t.text();
    char q = s.charAt(0);
    String body = s.substring(1, s.length() - 1);
    if (q == '`') {
      return body;
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (int k = 0; k < body.length(); k++) {
      char c = body.charAt(k);
      if (c != '\\') {
        if (c == q) {
          throw err(t, "invalid syntax");
        }
        int cp = body.codePointAt(k);
        if (Character.charCount(cp) == 2) {
          k++;
        }
        byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
        continue;
      }
      k++;
      if (k >= body.length()) {
        throw err(t, "invalid syntax");
      }
      char e = body.charAt(k);
      switch (e) {
        case 'a' -> out.write(7);
        case 'b' -> out.write(8);
        case 'f' -> out.write(12);
        case 'n' -> out.write('\n');
        case 'r' -> out.write('\r');
        case 't' -> out.write('\t');
        case 'v' -> out.write(11);
        case '\\' -> out.write('\\');
        case '\'', '"' -> {
          if (e != q) {
            throw err(t, "invalid syntax");
          }
          out.write(e);
        }
        case 'x' -> {
          out.write(Integer.parseInt(body.substring(k + 1, k + 3), 16));
          k += 2;
        }
        case 'u', 'U' -> {
          int len = e == 'u' ? 4 : 8;
          int cp = Integer.parseInt(body.substring(k + 1, k + 1 + len), 16);
          byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
          out.write(b, 0, b.length);
          k += len;
        }
        default -> {
          if (e >= '0' && e <= '7') {
            out.write(Integer.parseInt(body.substring(k, k + 3), 8));
            k += 2;
          } else {
            throw err(t, "invalid syntax");
          }
        }
      }
    }
    byte[] bytes = out.toByteArray();
    java.nio.charset.CharsetDecoder dec =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
            .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
    try {
      return dec.decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (java.nio.charset.CharacterCodingException ex) {
      // keep invalid bytes visible as Latin-1 chars marked by a private-use prefix
      StringBuilder sb = new StringBuilder();
      for (byte b : bytes) {
        int v = b & 0xff;
        if (v < 0x80) {
          sb.append((char) v);
        } else {
          sb.append((char) (0xDC00 + v)); // lone low surrogate: marks a raw byte
        }
      }
      return sb.toString();
    }
  }
}
