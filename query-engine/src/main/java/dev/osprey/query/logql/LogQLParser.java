package dev.osprey.query.logql;

import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.query.logql.Ast.*;
import dev.osprey.query.logql.Lexer.T;
import dev.osprey.query.logql.Lexer.Tok;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** A recursive-descent parser of LogQL. */
public final class LogQLParser {
  static final Set<String> RANGE_FNS =
      Set.of(
          "count_over_time",
          "rate",
          "bytes_over_time",
          "bytes_rate",
          "absent_over_time",
          "sum_over_time",
          "avg_over_time",
          "min_over_time",
          "max_over_time",
          "stddev_over_time",
          "stdvar_over_time",
          "quantile_over_time",
          "first_over_time",
          "last_over_time",
          "rate_counter");
  static final Set<String> UNWRAP_FNS =
      Set.of(
          "sum_over_time",
          "avg_over_time",
          "min_over_time",
          "max_over_time",
          "stddev_over_time",
          "stdvar_over_time",
          "quantile_over_time",
          "first_over_time",
          "last_over_time",
          "rate_counter");
  static final Set<String> VECTOR_OPS =
      Set.of("sum", "avg", "min", "max", "count", "topk", "bottomk", "stddev", "stdvar");
  static final Set<String> CALLS = Set.of("label_replace", "sort", "sort_desc");

  private final String input;
  private final List<Tok> toks;
  private int p;

  private LogQLParser(String input) {
    this.input = input;
    this.toks = Lexer.lex(input);
  }

  /**
   * Parses a LogQL query.
   *
   * @throws LogQLParseException with line and column on a syntax error
   */
  public static Expr parse(String query) {
    LogQLParser ps = new LogQLParser(query);
    Expr e = ps.expr();
    if (ps.peek().type() != T.EOF) {
      throw ps.error("syntax error: unexpected " + ps.peek());
    }
    return e;
  }

  private Tok peek() {
    return toks.get(p);
  }

  private Tok peek(int k) {
    return toks.get(Math.min(p + k, toks.size() - 1));
  }

  private Tok next() {
    return toks.get(p++);
  }

  private LogQLParseException error(String msg) {
    return new LogQLParseException(input, peek().pos(), msg);
  }

  private Tok expect(String s) {
    if (!peek().is(s)) {
      throw error("syntax error: unexpected " + peek() + ", expecting " + s);
    }
    return next();
  }

  private String expectString() {
    if (peek().type() != T.STRING) {
      throw error("syntax error: unexpected " + peek() + ", expecting string");
    }
    return next().text();
  }

  private String expectIdent() {
    if (peek().type() != T.IDENT) {
      throw error("syntax error: unexpected " + peek() + ", expecting identifier");
    }
    return next().text();
  }

  // ------------------------------------------------------------------ expressions

  private static int prec(String op) {
    return switch (op) {
      case "or" -> 1;
      case "and", "unless" -> 2;
      case "==", "!=", ">", "<", ">=", "<=" -> 3;
      case "+", "-" -> 4;
      case "*", "/", "%" -> 5;
      case "^" -> 6;
      default -> -1;
    };
  }

  private Expr expr() {
    return binary(1);
  }

  private Expr binary(int minPrec) {
    Expr left = unary();
    while (true) {
      Tok t = peek();
      if (t.type() != T.OP && t.type() != T.IDENT) {
        return left;
      }
      int pr = prec(t.text());
      if (pr < minPrec) {
        return left;
      }
      next();
      boolean bool = false;
      if (peek().is("bool")) {
        next();
        bool = true;
      }
      Matching m = null;
      if (peek().is("on") || peek().is("ignoring")) {
        boolean on = next().text().equals("on");
        m = new Matching(on, labelList());
      }
      Expr right = binary(t.text().equals("^") ? pr : pr + 1);
      left = new BinOp(t.text(), bool, m, metric(left, t), metric(right, t));
    }
  }

  private MetricExpr metric(Expr e, Tok at) {
    if (e instanceof MetricExpr m) {
      return m;
    }
    throw new LogQLParseException(
        input, at.pos(), "unexpected log query in binary operation " + at.text());
  }

  private Expr unary() {
    Tok t = peek();
    if (t.is("-") && (peek(1).type() == T.NUMBER)) {
      next();
      return new NumberLit(-next().num());
    }
    if (t.is("(")) {
      next();
      Expr e = expr();
      expect(")");
      return e instanceof MetricExpr m ? new Paren(m) : e;
    }
    if (t.type() == T.NUMBER) {
      next();
      return new NumberLit(t.num());
    }
    if (t.is("vector") && peek(1).is("(")) {
      next();
      next();
      boolean neg = false;
      if (peek().is("-")) {
        next();
        neg = true;
      }
      if (peek().type() != T.NUMBER) {
        throw error("syntax error: unexpected " + peek() + ", expecting number");
      }
      double v = next().num();
      expect(")");
      return new VectorLit(neg ? -v : v);
    }
    if (t.type() == T.IDENT && RANGE_FNS.contains(t.text())) {
      return rangeAgg();
    }
    if (t.type() == T.IDENT && VECTOR_OPS.contains(t.text())) {
      return vectorAgg();
    }
    if (t.type() == T.IDENT && CALLS.contains(t.text()) && peek(1).is("(")) {
      return call();
    }
    if (t.is("{") || isStageStart()) {
      return logExpr();
    }
    throw error("syntax error: unexpected " + t);
  }

  private boolean isStageStart() {
    Tok t = peek();
    return t.is("|=")
        || t.is("|~")
        || t.is("!=")
        || t.is("!~")
        || t.is("|>")
        || t.is("!>")
        || t.is("|");
  }

  private List<String> labelList() {
    expect("(");
    List<String> out = new ArrayList<>();
    while (!peek().is(")")) {
      out.add(expectIdent());
      if (peek().is(",")) {
        next();
      } else {
        break;
      }
    }
    expect(")");
    return out;
  }

  private Grouping grouping() {
    if (peek().is("by") || peek().is("without")) {
      boolean without = next().text().equals("without");
      return new Grouping(without, labelList());
    }
    return null;
  }

  private Expr vectorAgg() {
    String op = next().text();
    Grouping g = grouping();
    expect("(");
    Double param = null;
    if (op.equals("topk") || op.equals("bottomk")) {
      if (peek().type() != T.NUMBER) {
        throw error("syntax error: unexpected " + peek() + ", expecting number");
      }
      param = next().num();
      expect(",");
    }
    Tok at = peek();
    Expr inner = expr();
    expect(")");
    Grouping g2 = grouping();
    if (g2 != null) {
      if (g != null) {
        throw error("syntax error: grouping given twice");
      }
      g = g2;
    }
    return new VectorAgg(op, g, param, metric(inner, at));
  }

  private Expr call() {
    String fn = next().text();
    expect("(");
    Tok at = peek();
    MetricExpr inner = metric(expr(), at);
    List<String> args = new ArrayList<>();
    if (fn.equals("label_replace")) {
      for (int i = 0; i < 4; i++) {
        expect(",");
        args.add(expectString());
      }
    }
    expect(")");
    return new Call(fn, inner, args);
  }

  private Expr rangeAgg() {
    Tok fnTok = next();
    String fn = fnTok.text();
    expect("(");
    Double param = null;
    if (fn.equals("quantile_over_time")) {
      if (peek().type() != T.NUMBER) {
        throw error("syntax error: unexpected " + peek() + ", expecting number");
      }
      param = next().num();
      expect(",");
    }
    LogRange r = logRange();
    expect(")");
    Grouping g = grouping();
    boolean needsUnwrap = UNWRAP_FNS.contains(fn);
    if (needsUnwrap && r.unwrap() == null) {
      throw new LogQLParseException(
          input, fnTok.pos(), "invalid aggregation " + fn + " without unwrap");
    }
    if (!needsUnwrap && r.unwrap() != null && !fn.equals("rate")) {
      throw new LogQLParseException(
          input, fnTok.pos(), "invalid aggregation " + fn + " with unwrap");
    }
    return new RangeAgg(fn, r, param, g);
  }

  private LogRange logRange() {
    boolean paren = false;
    if (peek().is("(")) {
      next();
      paren = true;
    }
    LogExpr log = logExprStopAtUnwrap();
    Unwrap unwrap = null;
    List<LabelFilter> post = new ArrayList<>();
    if (peek().is("|") && peek(1).is("unwrap")) {
      next();
      next();
      String name = expectIdent();
      String conv = "";
      if ((name.equals("duration") || name.equals("duration_seconds") || name.equals("bytes"))
          && peek().is("(")) {
        next();
        conv = name;
        name = expectIdent();
        expect(")");
      }
      unwrap = new Unwrap(name, conv);
      while (peek().is("|")) {
        next();
        post.add(labelFilterExpr());
      }
    }
    if (paren) {
      expect(")");
    }
    expect("[");
    Tok d = next();
    if (d.type() != T.DURATION) {
      throw new LogQLParseException(
          input, d.pos(), "syntax error: unexpected " + d + ", expecting duration");
    }
    expect("]");
    long offset = 0;
    if (peek().is("offset")) {
      next();
      Tok o = next();
      if (o.type() != T.DURATION) {
        throw new LogQLParseException(
            input, o.pos(), "syntax error: unexpected " + o + ", expecting duration");
      }
      offset = (long) o.num();
    }
    return new LogRange(log, (long) d.num(), offset, unwrap, post);
  }

  // ------------------------------------------------------------------ log queries

  private LogExpr logExpr() {
    return logExprStopAtUnwrap();
  }

  private LogExpr logExprStopAtUnwrap() {
    List<LabelMatcher> ms = new ArrayList<>();
    if (peek().is("{")) {
      next();
      while (!peek().is("}")) {
        String name = peek().type() == T.STRING ? next().text() : expectIdent();
        Tok op = next();
        String v = expectString();
        LabelMatcher.Type type =
            switch (op.text()) {
              case "=" -> LabelMatcher.Type.EQUAL;
              case "!=" -> LabelMatcher.Type.NOT_EQUAL;
              case "=~" -> LabelMatcher.Type.REGEX;
              case "!~" -> LabelMatcher.Type.NOT_REGEX;
              default ->
                  throw new LogQLParseException(
                      input, op.pos(), "syntax error: unexpected " + op + ", expecting = != =~ !~");
            };
        try {
          ms.add(LabelMatcher.of(type, name, v));
        } catch (IllegalArgumentException e) {
          throw new LogQLParseException(input, op.pos(), e.getMessage());
        }
        if (peek().is(",")) {
          next();
        } else {
          break;
        }
      }
      expect("}");
    }
    List<Stage> stages = new ArrayList<>();
    while (true) {
      Tok t = peek();
      if (t.is("|=") || t.is("|~") || t.is("!=") || t.is("!~") || t.is("|>") || t.is("!>")) {
        next();
        FilterOp op =
            switch (t.text()) {
              case "|=" -> FilterOp.CONTAINS;
              case "!=" -> FilterOp.NOT_CONTAINS;
              case "|~" -> FilterOp.REGEX;
              case "|>" -> FilterOp.PATTERN;
              case "!>" -> FilterOp.NOT_PATTERN;
              default -> FilterOp.NOT_REGEX;
            };
        if (peek().is("ip") && peek(1).is("(")) {
          next();
          next();
          Tok p = peek();
          String pattern = expectString();
          expect(")");
          if (op != FilterOp.CONTAINS && op != FilterOp.NOT_CONTAINS) {
            throw new LogQLParseException(
                input, t.pos(), "ip: invalid operation: only |= and != take ip(...)");
          }
          ipMatcher(pattern, p);
          stages.add(
              new LineFilter(
                  op == FilterOp.CONTAINS ? FilterOp.IP : FilterOp.NOT_IP, List.of(pattern)));
          continue;
        }
        List<String> vals = new ArrayList<>();
        vals.add(expectString());
        while (peek().is("or") && peek(1).type() == T.STRING) {
          next();
          vals.add(next().text());
        }
        if (op == FilterOp.REGEX || op == FilterOp.NOT_REGEX) {
          for (String v : vals) {
            try {
              com.google.re2j.Pattern.compile(v);
            } catch (com.google.re2j.PatternSyntaxException e) {
              throw new LogQLParseException(
                  input, t.pos(), "invalid regular expression " + v + ": " + e.getDescription());
            }
          }
        }
        stages.add(new LineFilter(op, vals));
        continue;
      }
      if (!t.is("|") || peek(1).is("unwrap")) {
        break;
      }
      next();
      stages.add(stage());
    }
    return new LogExpr(ms, stages);
  }

  private Stage stage() {
    Tok t = peek();
    if (t.type() == T.IDENT) {
      switch (t.text()) {
        case "json" -> {
          next();
          return new JsonParser(extractions());
        }
        case "logfmt" -> {
          next();
          boolean strict = false;
          boolean keepEmpty = false;
          while (peek().is("-") && peek(1).is("-")) {
            // a flag is the text up to the next blank: --keep-empty lexes as several tokens
            Tok f = peek();
            int end = f.pos();
            while (end < input.length()
                && !Character.isWhitespace(input.charAt(end))
                && input.charAt(end) != '|') {
              end++;
            }
            String flag = input.substring(f.pos(), end);
            switch (flag) {
              case "--strict" -> strict = true;
              case "--keep-empty" -> keepEmpty = true;
              default ->
                  throw new LogQLParseException(
                      input, f.pos(), "syntax error: unexpected logfmt flag " + flag);
            }
            while (peek().pos() < end && p < toks.size() - 1) {
              next();
            }
          }
          return new LogfmtParser(extractions(), strict, keepEmpty);
        }
        case "regexp" -> {
          next();
          Tok s = peek();
          String re = expectString();
          try {
            com.google.re2j.Pattern pat = com.google.re2j.Pattern.compile(re);
            if (pat.namedGroups().isEmpty()) {
              throw new LogQLParseException(
                  input, s.pos(), "at least one named capture must be supplied");
            }
          } catch (com.google.re2j.PatternSyntaxException e) {
            throw new LogQLParseException(
                input, s.pos(), "invalid regular expression " + re + ": " + e.getDescription());
          }
          return new RegexpParser(re);
        }
        case "pattern" -> {
          next();
          Tok s = peek();
          String pat = expectString();
          try {
            PatternMatcher.compile(pat);
          } catch (IllegalArgumentException e) {
            throw new LogQLParseException(input, s.pos(), e.getMessage());
          }
          return new PatternParser(pat);
        }
        case "unpack" -> {
          next();
          return new Unpack();
        }
        case "line_format" -> {
          next();
          Tok s = peek();
          String tpl = expectString();
          try {
            LogTemplates.compile("line", tpl);
          } catch (IllegalArgumentException e) {
            throw new LogQLParseException(input, s.pos(), e.getMessage());
          }
          return new LineFormat(tpl);
        }
        case "label_format" -> {
          next();
          List<LabelFmt> items = new ArrayList<>();
          do {
            if (peek().is(",")) {
              next();
            }
            String dst = expectIdent();
            expect("=");
            if (peek().type() == T.STRING) {
              Tok s = peek();
              String tpl = next().text();
              try {
                LogTemplates.compile("label", tpl);
              } catch (IllegalArgumentException e) {
                throw new LogQLParseException(input, s.pos(), e.getMessage());
              }
              items.add(new LabelFmt(dst, tpl, true));
            } else {
              items.add(new LabelFmt(dst, expectIdent(), false));
            }
          } while (peek().is(","));
          return new LabelFormat(items);
        }
        case "drop", "keep" -> {
          boolean keep = next().text().equals("keep");
          List<String> names = new ArrayList<>();
          List<LabelMatcher> ms = new ArrayList<>();
          do {
            if (peek().is(",")) {
              next();
            }
            String name = expectIdent();
            if (peek().is("=") || peek().is("!=") || peek().is("=~") || peek().is("!~")) {
              String op = next().text();
              String v = expectString();
              ms.add(
                  LabelMatcher.of(
                      switch (op) {
                        case "=" -> LabelMatcher.Type.EQUAL;
                        case "!=" -> LabelMatcher.Type.NOT_EQUAL;
                        case "=~" -> LabelMatcher.Type.REGEX;
                        default -> LabelMatcher.Type.NOT_REGEX;
                      },
                      name,
                      v));
            } else {
              names.add(name);
            }
          } while (peek().is(","));
          return new DropKeep(keep, names, ms);
        }
        case "decolorize" -> {
          next();
          return new Decolorize();
        }
        default -> {
          // a label filter
        }
      }
    }
    return new LabelFilterStage(labelFilterExpr());
  }

  private List<Extraction> extractions() {
    List<Extraction> out = new ArrayList<>();
    while (peek().type() == T.IDENT && !peek().is("unwrap")) {
      String label = next().text();
      String path = label;
      if (peek().is("=")) {
        next();
        path = expectString();
      }
      out.add(new Extraction(label, path));
      if (peek().is(",")) {
        next();
      } else {
        break;
      }
    }
    return out;
  }

  private IpMatcher ipMatcher(String pattern, Tok at) {
    try {
      return IpMatcher.of(pattern);
    } catch (IllegalArgumentException e) {
      throw new LogQLParseException(input, at.pos(), e.getMessage());
    }
  }

  private LabelFilter labelFilterExpr() {
    LabelFilter l = labelFilterAnd();
    while (peek().is("or")) {
      next();
      l = new Or(l, labelFilterAnd());
    }
    return l;
  }

  private LabelFilter labelFilterAnd() {
    LabelFilter l = labelFilterAtom();
    while (peek().is("and") || peek().is(",")) {
      next();
      l = new And(l, labelFilterAtom());
    }
    return l;
  }

  private LabelFilter labelFilterAtom() {
    if (peek().is("(")) {
      next();
      LabelFilter f = labelFilterExpr();
      expect(")");
      return f;
    }
    String name = expectIdent();
    Tok op = next();
    Tok v = peek();
    if (v.is("ip") && peek(1).is("(")) {
      next();
      next();
      Tok p = peek();
      String pattern = expectString();
      expect(")");
      if (!op.is("=") && !op.is("==") && !op.is("!=")) {
        throw new LogQLParseException(
            input, op.pos(), "ip: invalid operation: only = and != take ip(...)");
      }
      return new IpFilter(name, op.is("!="), ipMatcher(pattern, p));
    }
    if (v.type() == T.STRING) {
      next();
      LabelMatcher.Type type =
          switch (op.text()) {
            case "=", "==" -> LabelMatcher.Type.EQUAL;
            case "!=" -> LabelMatcher.Type.NOT_EQUAL;
            case "=~" -> LabelMatcher.Type.REGEX;
            case "!~" -> LabelMatcher.Type.NOT_REGEX;
            default ->
                throw new LogQLParseException(
                    input, op.pos(), "syntax error: unexpected " + op + " with a string");
          };
      try {
        return new StringFilter(LabelMatcher.of(type, name, v.text()));
      } catch (IllegalArgumentException e) {
        throw new LogQLParseException(input, v.pos(), e.getMessage());
      }
    }
    boolean neg = false;
    if (v.is("-")) {
      next();
      neg = true;
      v = peek();
    }
    NumKind kind =
        switch (v.type()) {
          case NUMBER -> NumKind.NUMBER;
          case DURATION -> NumKind.DURATION;
          case BYTES -> NumKind.BYTES;
          default -> throw error("syntax error: unexpected " + v + ", expecting string or number");
        };
    next();
    String o = op.text().equals("=") ? "==" : op.text();
    if (!Set.of("==", "!=", ">", ">=", "<", "<=").contains(o)) {
      throw new LogQLParseException(input, op.pos(), "syntax error: unexpected " + op);
    }
    double val = kind == NumKind.DURATION ? v.num() / 1e9 : v.num();
    return new NumberFilter(name, o, neg ? -val : val, kind);
  }
}
