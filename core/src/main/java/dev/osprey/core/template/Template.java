package dev.osprey.core.template;

import dev.osprey.core.util.GoFormat;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A template in the language of Go's text/template, for alerting (Prometheus's and Alertmanager's
 * templates) and for LogQL's {@code line_format}/{@code label_format}: text and actions with {@code
 * {{-}} / {@code -}}} trimming and comments; pipelines of commands with fields, variables,
 * constants, parentheses and functions; {@code if}/{@code else if}/{@code else}, {@code range}
 * (lists, maps in key order, integers) with {@code $i, $v :=}, {@code with}, {@code define} and
 * {@code template}; the builtins {@code and or not len index print printf println eq ne lt le gt ge
 * html js urlquery} ({@code and} and {@code or} stop at the first argument that decides, as Go does
 * since 1.18). A missing map key yields Go's zero value under {@code missingkey=zero}: the empty
 * string in a label map, nil in an {@link AnyMap}. Functions that need the execution's environment
 * (LogQL's {@code __line__}) get what {@link #execute(Object, Map, Object)} was given.
 *
 * <p>Written from the language's documentation; an instance is immutable and thread-safe.
 */
public final class Template {
  private static final int MAX_DEPTH = 100;
  private static final long MAX_RANGE = 1_000_000;

  private final String name;
  private final List<Node> root;
  private final Map<String, Defined> defines;
  private final Map<String, TemplateFunction> funcs;

  private record Defined(String name, List<Node> body) {}

  private Template(
      String name,
      List<Node> root,
      Map<String, Defined> defines,
      Map<String, TemplateFunction> funcs) {
    this.name = name;
    this.root = root;
    this.defines = defines;
    this.funcs = funcs;
  }

  /**
   * Parses a template.
   *
   * @param funcs the functions besides the builtins; a call to any other name is a parse error
   * @param predeclared variables the caller sets before execution (without the {@code $})
   */
  public static Template parse(
      String name, String text, Map<String, TemplateFunction> funcs, Set<String> predeclared)
      throws TemplateException {
    Map<String, Defined> defs = new HashMap<>();
    Parser p = new Parser(name, text, funcs, defs, predeclared);
    List<Node> root = p.parseAll();
    return new Template(name, root, Map.copyOf(defs), funcs);
  }

  /** A template that also knows the {@code define}d templates of other files. */
  public Template withDefinitions(Template other) {
    Map<String, Defined> d = new HashMap<>(other.defines);
    d.putAll(defines);
    return new Template(name, root, Map.copyOf(d), funcs);
  }

  public Set<String> definedNames() {
    return defines.keySet();
  }

  /** Executes with {@code dot} and the given variables. */
  public String execute(Object dot, Map<String, Object> vars) throws TemplateException {
    return execute(dot, vars, null);
  }

  /**
   * Executes with {@code dot}, the given variables and an environment passed to every function
   * ({@link TemplateFunction#call(List, Object)}).
   */
  public String execute(Object dot, Map<String, Object> vars, Object env) throws TemplateException {
    StringBuilder out = new StringBuilder();
    Exec e = new Exec(out, env);
    e.scope.add(new Var("$", dot));
    vars.forEach((k, v) -> e.scope.add(new Var("$" + k, v)));
    e.walk(root, dot, 0);
    return out.toString();
  }

  /** Executes a {@code define}d template by name. */
  public String executeDefined(String templateName, Object dot) throws TemplateException {
    Defined d = defines.get(templateName);
    if (d == null) {
      throw new TemplateException(
          "template: no template "
              + GoFormat.goQuote(templateName)
              + " associated with template "
              + GoFormat.goQuote(name));
    }
    StringBuilder out = new StringBuilder();
    Exec e = new Exec(out, null);
    e.scope.add(new Var("$", dot));
    e.walk(d.body, dot, 0);
    return out.toString();
  }

  // ---------------------------------------------------------------- nodes

  private sealed interface Node permits Text, Action, If, Range, With, Call {}

  private record Text(String text) implements Node {}

  private record Action(int line, Pipeline pipe) implements Node {}

  private record If(int line, Pipeline cond, List<Node> then, List<Node> otherwise)
      implements Node {}

  private record Range(int line, Pipeline pipe, List<Node> body, List<Node> otherwise)
      implements Node {}

  private record With(int line, Pipeline pipe, List<Node> body, List<Node> otherwise)
      implements Node {}

  private record Call(int line, String name, Pipeline pipe) implements Node {}

  private record Pipeline(String text, List<String> decl, boolean declare, List<Cmd> cmds) {}

  private record Cmd(List<Operand> args) {}

  private sealed interface Operand permits Dot, FieldOp, VarOp, Ident, Const, Paren {}

  private record Dot() implements Operand {}

  private record FieldOp(List<String> chain) implements Operand {}

  private record VarOp(String name, List<String> chain) implements Operand {}

  private record Ident(String name) implements Operand {}

  private record Const(Object value) implements Operand {}

  private record Paren(Pipeline pipe, List<String> chain) implements Operand {}

  // ---------------------------------------------------------------- lexing

  private enum T {
    STRING,
    NUMBER,
    IDENT,
    VAR,
    FIELD,
    DOT,
    LPAREN,
    RPAREN,
    PIPE,
    DECLARE,
    ASSIGN,
    COMMA
  }

  private record Tok(T type, String text, Object value, boolean spaceBefore) {}

  private static final Set<String> BUILTINS =
      Set.of(
          "and",
          "or",
          "not",
          "len",
          "index",
          "print",
          "printf",
          "println",
          "eq",
          "ne",
          "lt",
          "le",
          "gt",
          "ge",
          "html",
          "js",
          "urlquery");

  private static final class Parser {
    private final String name;
    private final String text;
    private final Map<String, TemplateFunction> funcs;
    private final Map<String, Defined> defs;
    private final Set<String> predeclared;
    private int pos;
    private int line = 1;
    private boolean trimNext;
    private final List<String> vars = new ArrayList<>();

    Parser(
        String name,
        String text,
        Map<String, TemplateFunction> funcs,
        Map<String, Defined> defs,
        Set<String> predeclared) {
      this.name = name;
      this.text = text;
      this.funcs = funcs;
      this.defs = defs;
      this.predeclared = predeclared;
    }

    TemplateException err(String msg) {
      return new TemplateException("template: " + name + ":" + line + ": " + msg);
    }

    List<Node> parseAll() throws TemplateException {
      vars.add("$");
      for (String v : predeclared) {
        vars.add("$" + v);
      }
      List<Node> out = new ArrayList<>();
      String end = parseList(out);
      if (end != null) {
        throw err("unexpected {{" + end + "}}");
      }
      return out;
    }

    /** Parses nodes up to an {{end}} / {{else...}}; returns that keyword's text or null at EOF. */
    private String parseList(List<Node> out) throws TemplateException {
      while (pos < text.length()) {
        int open = text.indexOf("{{", pos);
        String chunk = open < 0 ? text.substring(pos) : text.substring(pos, open);
        if (trimNext) {
          chunk = chunk.stripLeading();
          trimNext = false;
        }
        if (open < 0) {
          addText(out, chunk);
          line += count(text.substring(pos), '\n');
          pos = text.length();
          return null;
        }
        int actStart = open + 2;
        boolean trimLeft =
            actStart + 1 < text.length()
                && text.charAt(actStart) == '-'
                && Character.isWhitespace(text.charAt(actStart + 1));
        if (trimLeft) {
          chunk = chunk.stripTrailing();
          actStart += 2;
        }
        addText(out, chunk);
        line += count(text.substring(pos, open), '\n');
        int close = findClose(actStart);
        if (close < 0) {
          throw err("unclosed action");
        }
        int actEnd = close;
        boolean trimRight =
            actEnd - 2 >= actStart
                && text.charAt(actEnd - 1) == '-'
                && Character.isWhitespace(text.charAt(actEnd - 2));
        if (trimRight) {
          actEnd -= 2;
        }
        String action = text.substring(actStart, actEnd).strip();
        int actionLine = line;
        line += count(text.substring(open, close), '\n');
        pos = close + 2;
        trimNext = trimRight;
        if (action.startsWith("/*")) {
          if (!action.endsWith("*/")) {
            throw err("unclosed comment");
          }
          continue;
        }
        String kw = keyword(action);
        String rest = action.substring(kw.length()).strip();
        switch (kw) {
          case "end" -> {
            return "end";
          }
          case "else" -> {
            return action;
          }
          case "if" -> out.add(parseIf(actionLine, rest));
          case "range" -> {
            int mark = vars.size();
            Pipeline p = pipeline(rest, true);
            List<Node> body = new ArrayList<>();
            List<Node> other = new ArrayList<>();
            parseBlockWithElse(body, other, "range");
            truncate(mark);
            out.add(new Range(actionLine, p, body, other));
          }
          case "with" -> {
            int mark = vars.size();
            Pipeline p = pipeline(rest, false);
            List<Node> body = new ArrayList<>();
            List<Node> other = new ArrayList<>();
            parseBlockWithElse(body, other, "with");
            truncate(mark);
            out.add(new With(actionLine, p, body, other));
          }
          case "define" -> {
            List<Tok> toks = lex(rest);
            if (toks.size() != 1 || toks.get(0).type != T.STRING) {
              throw err("unexpected \"" + rest + "\" in define clause");
            }
            List<String> saved = new ArrayList<>(vars);
            vars.clear();
            vars.add("$");
            List<Node> body = new ArrayList<>();
            String end = parseList(body);
            vars.clear();
            vars.addAll(saved);
            if (!"end".equals(end)) {
              throw err("unexpected EOF in define clause");
            }
            String dn = (String) toks.get(0).value;
            defs.put(dn, new Defined(dn, body));
          }
          case "template" -> {
            List<Tok> toks = lex(rest);
            if (toks.isEmpty() || toks.get(0).type != T.STRING) {
              throw err("unexpected \"" + rest + "\" in template clause");
            }
            String tn = (String) toks.get(0).value;
            String after =
                rest.substring(rest.indexOf(toks.get(0).text) + toks.get(0).text.length());
            Pipeline p = after.isBlank() ? null : pipeline(after.strip(), false);
            out.add(new Call(actionLine, tn, p));
          }
          case "break", "continue" -> throw err("{{" + kw + "}} is not supported");
          case "block" -> throw err("{{block}} is not supported");
          default -> out.add(new Action(actionLine, pipeline(action, false)));
        }
      }
      return null;
    }

    private Node parseIf(int actionLine, String cond) throws TemplateException {
      int mark = vars.size();
      Pipeline p = pipeline(cond, false);
      List<Node> then = new ArrayList<>();
      String end = parseList(then);
      truncate(mark);
      List<Node> other = new ArrayList<>();
      if (end == null) {
        throw err("unexpected EOF");
      }
      if (!end.equals("end")) {
        String r = end.substring(4).strip();
        if (r.startsWith("if ") || r.startsWith("if(")) {
          // else if: the nested if consumes the shared {{end}}
          other.add(parseIf(line, r.substring(2).strip()));
        } else if (r.isEmpty()) {
          String end2 = parseList(other);
          truncate(mark);
          if (!"end".equals(end2)) {
            throw err("expected end; found " + (end2 == null ? "EOF" : end2));
          }
        } else {
          throw err("unexpected \"" + r + "\" in else");
        }
      }
      return new If(actionLine, p, then, other);
    }

    private void parseBlockWithElse(List<Node> body, List<Node> other, String what)
        throws TemplateException {
      String end = parseList(body);
      if (end == null) {
        throw err("unexpected EOF in " + what);
      }
      if (!end.equals("end")) {
        if (!end.strip().equals("else")) {
          throw err("unexpected \"" + end + "\" in " + what);
        }
        String end2 = parseList(other);
        if (!"end".equals(end2)) {
          throw err("unexpected EOF in " + what);
        }
      }
    }

    private void truncate(int mark) {
      while (vars.size() > mark) {
        vars.remove(vars.size() - 1);
      }
    }

    private static String keyword(String action) {
      int i = 0;
      while (i < action.length() && Character.isLetter(action.charAt(i))) {
        i++;
      }
      String w = action.substring(0, i);
      return switch (w) {
        case "if",
            "else",
            "end",
            "range",
            "with",
            "define",
            "template",
            "block",
            "break",
            "continue" ->
            w;
        default -> "";
      };
    }

    private void addText(List<Node> out, String s) {
      if (!s.isEmpty()) {
        out.add(new Text(s));
      }
    }

    private static int count(String s, char c) {
      int n = 0;
      for (int i = 0; i < s.length(); i++) {
        if (s.charAt(i) == c) {
          n++;
        }
      }
      return n;
    }

    private int findClose(int from) {
      char quote = 0;
      boolean comment = text.startsWith("/*", from) || text.startsWith("/*", from + 1);
      for (int i = from; i < text.length() - 1; i++) {
        char c = text.charAt(i);
        if (comment) {
          if (c == '*' && text.charAt(i + 1) == '/') {
            comment = false;
            i++;
          }
          continue;
        }
        if (quote != 0) {
          if (c == '\\' && quote != '`') {
            i++;
          } else if (c == quote) {
            quote = 0;
          }
          continue;
        }
        if (c == '"' || c == '`' || c == '\'') {
          quote = c;
        } else if (c == '}' && text.charAt(i + 1) == '}') {
          return i;
        }
      }
      return -1;
    }

    // ---- pipelines

    private Pipeline pipeline(String src, boolean range) throws TemplateException {
      List<Tok> toks = lex(src);
      int i = 0;
      List<String> decl = new ArrayList<>();
      boolean declare = false;
      if (toks.size() >= 2 && toks.get(0).type == T.VAR) {
        if (toks.get(1).type == T.DECLARE || toks.get(1).type == T.ASSIGN) {
          decl.add(toks.get(0).text);
          declare = toks.get(1).type == T.DECLARE;
          i = 2;
        } else if (range
            && toks.size() >= 4
            && toks.get(1).type == T.COMMA
            && toks.get(2).type == T.VAR
            && (toks.get(3).type == T.DECLARE || toks.get(3).type == T.ASSIGN)) {
          decl.add(toks.get(0).text);
          decl.add(toks.get(2).text);
          declare = toks.get(3).type == T.DECLARE;
          i = 4;
        }
      }
      List<Cmd> cmds = new ArrayList<>();
      int[] ip = {i};
      parseCmds(toks, ip, cmds, false);
      if (cmds.isEmpty()) {
        throw err("missing value for command");
      }
      for (String d : decl) {
        if (declare) {
          vars.add(d);
        } else if (!vars.contains(d)) {
          throw err("undefined variable \"" + d + "\"");
        }
      }
      return new Pipeline(src, decl, declare, cmds);
    }

    private void parseCmds(List<Tok> toks, int[] ip, List<Cmd> cmds, boolean inParen)
        throws TemplateException {
      List<Operand> cur = new ArrayList<>();
      while (ip[0] < toks.size()) {
        Tok t = toks.get(ip[0]);
        if (t.type == T.RPAREN) {
          if (!inParen) {
            throw err("unexpected right paren");
          }
          break;
        }
        if (t.type == T.PIPE) {
          if (cur.isEmpty()) {
            throw err("missing value for command");
          }
          cmds.add(new Cmd(cur));
          cur = new ArrayList<>();
          ip[0]++;
          continue;
        }
        cur.add(operand(toks, ip));
      }
      if (cur.isEmpty()) {
        if (!cmds.isEmpty()) {
          throw err("missing value for command");
        }
        return;
      }
      cmds.add(new Cmd(cur));
    }

    private Operand operand(List<Tok> toks, int[] ip) throws TemplateException {
      Tok t = toks.get(ip[0]++);
      Operand op;
      switch (t.type) {
        case STRING, NUMBER -> op = new Const(t.value);
        case DOT -> op = new Dot();
        case FIELD -> {
          List<String> chain = new ArrayList<>();
          chain.add(t.text.substring(1));
          chainFields(toks, ip, chain);
          return new FieldOp(chain);
        }
        case VAR -> {
          if (!vars.contains(t.text)) {
            throw err("undefined variable \"" + t.text + "\"");
          }
          List<String> chain = new ArrayList<>();
          chainFields(toks, ip, chain);
          return new VarOp(t.text, chain);
        }
        case IDENT -> {
          switch (t.text) {
            case "true" -> op = new Const(Boolean.TRUE);
            case "false" -> op = new Const(Boolean.FALSE);
            case "nil" -> op = new Const(null);
            default -> {
              if (!BUILTINS.contains(t.text) && !funcs.containsKey(t.text)) {
                throw err("function \"" + t.text + "\" not defined");
              }
              op = new Ident(t.text);
            }
          }
        }
        case LPAREN -> {
          List<Cmd> cmds = new ArrayList<>();
          parseCmds(toks, ip, cmds, true);
          if (ip[0] >= toks.size() || toks.get(ip[0]).type != T.RPAREN) {
            throw err("unclosed left paren");
          }
          ip[0]++;
          if (cmds.isEmpty()) {
            throw err("missing value for parenthesized pipeline");
          }
          List<String> chain = new ArrayList<>();
          chainFields(toks, ip, chain);
          return new Paren(new Pipeline("(...)", List.of(), false, cmds), chain);
        }
        default -> throw err("unexpected \"" + t.text + "\" in command");
      }
      return op;
    }

    private static void chainFields(List<Tok> toks, int[] ip, List<String> chain) {
      while (ip[0] < toks.size()
          && toks.get(ip[0]).type == T.FIELD
          && !toks.get(ip[0]).spaceBefore) {
        chain.add(toks.get(ip[0]++).text.substring(1));
      }
    }

    private List<Tok> lex(String s) throws TemplateException {
      List<Tok> out = new ArrayList<>();
      int i = 0;
      boolean space = true;
      while (i < s.length()) {
        char c = s.charAt(i);
        if (Character.isWhitespace(c)) {
          space = true;
          i++;
          continue;
        }
        int start = i;
        if (c == '"') {
          StringBuilder sb = new StringBuilder();
          i++;
          while (true) {
            if (i >= s.length()) {
              throw err("unterminated quoted string");
            }
            char d = s.charAt(i);
            if (d == '"') {
              i++;
              break;
            }
            if (d == '\\' && i + 1 < s.length()) {
              char e = s.charAt(i + 1);
              i += 2;
              switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case '\\' -> sb.append('\\');
                case '"' -> sb.append('"');
                case '\'' -> sb.append('\'');
                case 'u' -> {
                  sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                  i += 4;
                }
                case 'x' -> {
                  sb.append((char) Integer.parseInt(s.substring(i, i + 2), 16));
                  i += 2;
                }
                default -> throw err("invalid syntax: unknown escape \\" + e);
              }
            } else {
              sb.append(d);
              i++;
            }
          }
          out.add(new Tok(T.STRING, s.substring(start, i), sb.toString(), space));
        } else if (c == '`') {
          int e = s.indexOf('`', i + 1);
          if (e < 0) {
            throw err("unterminated raw quoted string");
          }
          out.add(new Tok(T.STRING, s.substring(i, e + 1), s.substring(i + 1, e), space));
          i = e + 1;
        } else if (c == '\'') {
          int e = s.indexOf('\'', i + 1);
          if (e < 0) {
            throw err("unterminated character constant");
          }
          String body = s.substring(i + 1, e);
          long v = body.startsWith("\\") ? unescapeChar(body) : body.codePointAt(0);
          out.add(new Tok(T.NUMBER, s.substring(i, e + 1), v, space));
          i = e + 1;
        } else if (Character.isDigit(c)
            || ((c == '-' || c == '+') && i + 1 < s.length() && isNumStart(s.charAt(i + 1)))
            || (c == '.' && i + 1 < s.length() && Character.isDigit(s.charAt(i + 1)))) {
          i++;
          while (i < s.length()
              && (Character.isLetterOrDigit(s.charAt(i))
                  || s.charAt(i) == '.'
                  || s.charAt(i) == '_'
                  || ((s.charAt(i) == '-' || s.charAt(i) == '+')
                      && (s.charAt(i - 1) == 'e' || s.charAt(i - 1) == 'E')))) {
            i++;
          }
          String num = s.substring(start, i).replace("_", "");
          out.add(new Tok(T.NUMBER, num, parseNumber(num), space));
        } else if (c == '$') {
          i++;
          while (i < s.length() && isIdentChar(s.charAt(i))) {
            i++;
          }
          out.add(new Tok(T.VAR, s.substring(start, i), null, space));
        } else if (c == '.') {
          i++;
          if (i < s.length() && isIdentChar(s.charAt(i))) {
            while (i < s.length() && isIdentChar(s.charAt(i))) {
              i++;
            }
            out.add(new Tok(T.FIELD, s.substring(start, i), null, space));
          } else {
            out.add(new Tok(T.DOT, ".", null, space));
          }
        } else if (isIdentChar(c)) {
          while (i < s.length() && isIdentChar(s.charAt(i))) {
            i++;
          }
          out.add(new Tok(T.IDENT, s.substring(start, i), null, space));
        } else if (c == '(') {
          out.add(new Tok(T.LPAREN, "(", null, space));
          i++;
        } else if (c == ')') {
          out.add(new Tok(T.RPAREN, ")", null, space));
          i++;
        } else if (c == '|') {
          out.add(new Tok(T.PIPE, "|", null, space));
          i++;
        } else if (c == ',') {
          out.add(new Tok(T.COMMA, ",", null, space));
          i++;
        } else if (c == ':' && i + 1 < s.length() && s.charAt(i + 1) == '=') {
          out.add(new Tok(T.DECLARE, ":=", null, space));
          i += 2;
        } else if (c == '=') {
          out.add(new Tok(T.ASSIGN, "=", null, space));
          i++;
        } else {
          throw err("unexpected \"" + c + "\" in command");
        }
        space = false;
      }
      return out;
    }

    private static boolean isNumStart(char c) {
      return Character.isDigit(c) || c == '.';
    }

    private long unescapeChar(String body) throws TemplateException {
      return switch (body) {
        case "\\n" -> '\n';
        case "\\t" -> '\t';
        case "\\\\" -> '\\';
        case "\\'" -> '\'';
        default -> throw err("invalid syntax: " + body);
      };
    }

    private Object parseNumber(String num) throws TemplateException {
      try {
        String n = num.startsWith("+") ? num.substring(1) : num;
        if (n.startsWith("0x") || n.startsWith("0X")) {
          return Long.parseLong(n.substring(2), 16);
        }
        if (n.startsWith("-0x") || n.startsWith("-0X")) {
          return -Long.parseLong(n.substring(3), 16);
        }
        if (n.contains(".") || n.contains("e") || n.contains("E")) {
          return Double.parseDouble(n);
        }
        return Long.parseLong(n);
      } catch (NumberFormatException e) {
        throw err("bad number syntax: \"" + num + "\"");
      }
    }

    private static boolean isIdentChar(char c) {
      return Character.isLetterOrDigit(c) || c == '_';
    }
  }

  // ---------------------------------------------------------------- execution

  private record Var(String name, Object value) {}

  private final class Exec {
    final StringBuilder out;
    final Object env;
    final List<Var> scope = new ArrayList<>();
    int line;
    String at = "";

    Exec(StringBuilder out, Object env) {
      this.out = out;
      this.env = env;
    }

    TemplateException err(String msg) {
      return new TemplateException(
          "template: "
              + name
              + ":"
              + line
              + ": executing "
              + GoFormat.goQuote(name)
              + " at <"
              + at
              + ">: "
              + msg);
    }

    void walk(List<Node> nodes, Object dot, int depth) throws TemplateException {
      if (depth > MAX_DEPTH) {
        throw err("exceeded maximum template depth (" + MAX_DEPTH + ")");
      }
      for (Node n : nodes) {
        switch (n) {
          case Text t -> out.append(t.text);
          case Action a -> {
            line = a.line;
            Object v = pipeline(a.pipe, dot);
            if (a.pipe.decl.isEmpty()) {
              out.append(printValue(v));
            }
          }
          case If f -> {
            line = f.line;
            int mark = scope.size();
            boolean truth = truthy(pipeline(f.cond, dot));
            walk(truth ? f.then : f.otherwise, dot, depth + 1);
            truncate(mark);
          }
          case With w -> {
            line = w.line;
            int mark = scope.size();
            Object v = pipeline(w.pipe, dot);
            if (truthy(v)) {
              walk(w.body, v, depth + 1);
            } else {
              walk(w.otherwise, dot, depth + 1);
            }
            truncate(mark);
          }
          case Range r -> range(r, dot, depth);
          case Call c -> {
            line = c.line;
            Defined d = defines.get(c.name);
            if (d == null) {
              at = "{{template " + GoFormat.goQuote(c.name) + "}}";
              throw err("template " + GoFormat.goQuote(c.name) + " not defined");
            }
            Object v = c.pipe == null ? null : pipeline(c.pipe, dot);
            List<Var> saved = new ArrayList<>(scope);
            scope.clear();
            scope.add(new Var("$", v));
            walk(d.body, v, depth + 1);
            scope.clear();
            scope.addAll(saved);
          }
        }
      }
    }

    private void range(Range r, Object dot, int depth) throws TemplateException {
      line = r.line;
      int mark = scope.size();
      Pipeline p = r.pipe;
      Object v = pipeline(new Pipeline(p.text, List.of(), false, p.cmds), dot);
      List<Object[]> items = new ArrayList<>();
      if (v instanceof List<?> l) {
        for (int i = 0; i < l.size(); i++) {
          items.add(new Object[] {(long) i, l.get(i)});
        }
      } else if (v instanceof Map<?, ?> m) {
        for (var e : new TreeMap<>(m).entrySet()) {
          items.add(new Object[] {e.getKey(), e.getValue()});
        }
      } else if (v instanceof Long n) {
        if (p.decl.size() > 1) {
          throw err("can't use " + n + " to iterate over more than one variable");
        }
        if (n > MAX_RANGE) {
          throw err("range over " + n + " is too large");
        }
        for (long i = 0; i < n; i++) {
          items.add(new Object[] {i, i});
        }
      } else if (v != null) {
        throw err("range can't iterate over " + GoFormat.print(v));
      }
      if (items.isEmpty()) {
        walk(r.otherwise, dot, depth + 1);
        truncate(mark);
        return;
      }
      for (Object[] it : items) {
        int m2 = scope.size();
        if (p.decl.size() == 1) {
          scope.add(new Var(p.decl.get(0), it[1]));
        } else if (p.decl.size() == 2) {
          scope.add(new Var(p.decl.get(0), it[0]));
          scope.add(new Var(p.decl.get(1), it[1]));
        }
        walk(r.body, it[1], depth + 1);
        truncate(m2);
      }
      truncate(mark);
    }

    private void truncate(int mark) {
      while (scope.size() > mark) {
        scope.remove(scope.size() - 1);
      }
    }

    private Object pipeline(Pipeline p, Object dot) throws TemplateException {
      Object v = null;
      boolean first = true;
      for (Cmd c : p.cmds) {
        v = command(c, dot, first ? Missing.INSTANCE : v);
        first = false;
      }
      for (String d : p.decl) {
        if (p.declare) {
          scope.add(new Var(d, v));
        } else {
          for (int i = scope.size() - 1; i >= 0; i--) {
            if (scope.get(i).name.equals(d)) {
              scope.set(i, new Var(d, v));
              break;
            }
          }
        }
      }
      return v;
    }

    private Object command(Cmd c, Object dot, Object fin) throws TemplateException {
      Operand head = c.args.get(0);
      if (head instanceof Ident id) {
        if (id.name.equals("and") || id.name.equals("or")) {
          return andOr(id.name, c, dot, fin);
        }
        List<Object> args = new ArrayList<>();
        for (int i = 1; i < c.args.size(); i++) {
          args.add(operand(c.args.get(i), dot));
        }
        if (fin != Missing.INSTANCE) {
          args.add(fin);
        }
        at = id.name;
        return call(id.name, args);
      }
      if (c.args.size() > 1 || fin != Missing.INSTANCE) {
        at = describe(head);
        List<String> chain =
            head instanceof FieldOp f ? f.chain : head instanceof VarOp v ? v.chain : List.of();
        if (!chain.isEmpty()) {
          // a method call with arguments: the receiver is the chain without its last name
          Object recv =
              head instanceof FieldOp
                  ? fields(dot, chain.subList(0, chain.size() - 1), at)
                  : fields(lookup(((VarOp) head).name), chain.subList(0, chain.size() - 1), at);
          if (recv instanceof Methods m) {
            List<Object> args = new ArrayList<>();
            for (int i = 1; i < c.args.size(); i++) {
              args.add(operand(c.args.get(i), dot));
            }
            if (fin != Missing.INSTANCE) {
              args.add(fin);
            }
            try {
              return m.call(chain.get(chain.size() - 1), args);
            } catch (IllegalArgumentException e) {
              throw err(e.getMessage());
            }
          }
        }
        throw err("can't give argument to non-function " + describe(head));
      }
      return operand(head, dot);
    }

    /** {@code and}/{@code or}: the first argument that decides, later ones not evaluated. */
    private Object andOr(String fn, Cmd c, Object dot, Object fin) throws TemplateException {
      int n = c.args.size() - 1 + (fin != Missing.INSTANCE ? 1 : 0);
      if (n < 1) {
        at = fn;
        throw err("wrong number of args for " + fn + ": want at least 1 got 0");
      }
      Object v = null;
      for (int i = 1; i <= n; i++) {
        v = i < c.args.size() ? operand(c.args.get(i), dot) : fin;
        if (truthy(v) == fn.equals("or")) {
          return v;
        }
      }
      return v;
    }

    private Object operand(Operand op, Object dot) throws TemplateException {
      return switch (op) {
        case Dot d -> dot;
        case Const k -> k.value;
        case FieldOp f -> fields(dot, f.chain, describe(op));
        case VarOp v -> fields(lookup(v.name), v.chain, describe(op));
        case Paren p -> fields(pipeline(p.pipe, dot), p.chain, describe(op));
        case Ident id -> {
          at = id.name;
          yield call(id.name, new ArrayList<>());
        }
      };
    }

    private Object lookup(String var) throws TemplateException {
      for (int i = scope.size() - 1; i >= 0; i--) {
        if (scope.get(i).name.equals(var)) {
          return scope.get(i).value;
        }
      }
      throw err("undefined variable: " + var);
    }

    private Object fields(Object v, List<String> chain, String desc) throws TemplateException {
      for (String f : chain) {
        at = desc;
        if (v instanceof Fields fs) {
          try {
            v = fs.field(f);
          } catch (IllegalArgumentException e) {
            throw err("can't evaluate field " + f + " in type " + GoFormat.typeName(v));
          }
        } else if (v instanceof Map<?, ?> m) {
          Object x = m.get(f);
          v = x == null && !(m instanceof AnyMap) ? "" : x;
        } else if (v == null) {
          throw err("nil pointer evaluating interface {}." + f);
        } else {
          throw err("can't evaluate field " + f + " in type " + GoFormat.typeName(v));
        }
      }
      return v;
    }

    private Object call(String fn, List<Object> args) throws TemplateException {
      try {
        TemplateFunction f = funcs.get(fn);
        if (f != null) {
          return f.call(args, env);
        }
        return builtin(fn, args);
      } catch (TemplateException e) {
        throw e;
      } catch (Exception e) {
        throw err("error calling " + fn + ": " + e.getMessage());
      }
    }
  }

  private enum Missing {
    INSTANCE
  }

  private static String describe(Operand op) {
    return switch (op) {
      case Dot d -> ".";
      case Const k -> k.value instanceof String s ? GoFormat.goQuote(s) : String.valueOf(k.value);
      case FieldOp f -> "." + String.join(".", f.chain);
      case VarOp v -> v.name + (v.chain.isEmpty() ? "" : "." + String.join(".", v.chain));
      case Paren p -> "(...)" + (p.chain.isEmpty() ? "" : "." + String.join(".", p.chain));
      case Ident id -> id.name;
    };
  }

  private static String printValue(Object v) {
    return GoFormat.print(v);
  }

  /** Go's truth: false, 0, nil and empty strings or collections are false. */
  public static boolean truthy(Object v) {
    if (v == null) {
      return false;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof Number n) {
      return n.doubleValue() != 0;
    }
    if (v instanceof String s) {
      return !s.isEmpty();
    }
    if (v instanceof java.util.Collection<?> c) {
      return !c.isEmpty();
    }
    if (v instanceof Map<?, ?> m) {
      return !m.isEmpty();
    }
    return true;
  }

  private static Object builtin(String fn, List<Object> a) throws Exception {
    switch (fn) {
      case "and" -> {
        need(fn, a, 1);
        for (Object x : a) {
          if (!truthy(x)) {
            return x;
          }
        }
        return a.get(a.size() - 1);
      }
      case "or" -> {
        need(fn, a, 1);
        for (Object x : a) {
          if (truthy(x)) {
            return x;
          }
        }
        return a.get(a.size() - 1);
      }
      case "not" -> {
        exactly(fn, a, 1);
        return !truthy(a.get(0));
      }
      case "len" -> {
        exactly(fn, a, 1);
        Object x = a.get(0);
        if (x instanceof String s) {
          return (long) s.getBytes(StandardCharsets.UTF_8).length;
        }
        if (x instanceof java.util.Collection<?> c) {
          return (long) c.size();
        }
        if (x instanceof Map<?, ?> m) {
          return (long) m.size();
        }
        throw new IllegalArgumentException("len of type " + GoFormat.typeName(x));
      }
      case "index" -> {
        need(fn, a, 1);
        Object x = a.get(0);
        for (int i = 1; i < a.size(); i++) {
          Object k = a.get(i);
          if (x instanceof Map<?, ?> m) {
            Object y = m.get(k);
            x = y == null ? "" : y;
          } else if (x instanceof List<?> l && k instanceof Number n) {
            int idx = n.intValue();
            if (idx < 0 || idx >= l.size()) {
              throw new IllegalArgumentException("index out of range: " + idx);
            }
            x = l.get(idx);
          } else {
            throw new IllegalArgumentException("can't index item of type " + GoFormat.typeName(x));
          }
        }
        return x;
      }
      case "print" -> {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < a.size(); i++) {
          if (i > 0 && !(a.get(i) instanceof String) && !(a.get(i - 1) instanceof String)) {
            sb.append(' ');
          }
          sb.append(GoFormat.print(a.get(i)));
        }
        return sb.toString();
      }
      case "println" -> {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < a.size(); i++) {
          if (i > 0) {
            sb.append(' ');
          }
          sb.append(GoFormat.print(a.get(i)));
        }
        return sb.append('\n').toString();
      }
      case "printf" -> {
        need(fn, a, 1);
        if (!(a.get(0) instanceof String f)) {
          throw new IllegalArgumentException("wrong type for value; expected string");
        }
        return GoFormat.sprintf(f, a.subList(1, a.size()));
      }
      case "eq" -> {
        need(fn, a, 2);
        for (int i = 1; i < a.size(); i++) {
          if (compare(a.get(0), a.get(i), true) == 0) {
            return true;
          }
        }
        return false;
      }
      case "ne" -> {
        exactly(fn, a, 2);
        return compare(a.get(0), a.get(1), true) != 0;
      }
      case "lt" -> {
        exactly(fn, a, 2);
        return compare(a.get(0), a.get(1), false) < 0;
      }
      case "le" -> {
        exactly(fn, a, 2);
        return compare(a.get(0), a.get(1), false) <= 0;
      }
      case "gt" -> {
        exactly(fn, a, 2);
        return compare(a.get(0), a.get(1), false) > 0;
      }
      case "ge" -> {
        exactly(fn, a, 2);
        return compare(a.get(0), a.get(1), false) >= 0;
      }
      case "html" -> {
        return htmlEscape(joinArgs(a));
      }
      case "js" -> {
        return jsEscape(joinArgs(a));
      }
      case "urlquery" -> {
        return queryEscape(joinArgs(a));
      }
      default -> throw new IllegalStateException("BUG: unknown builtin " + fn);
    }
  }

  private static String joinArgs(List<Object> a) {
    StringBuilder sb = new StringBuilder();
    for (Object x : a) {
      sb.append(GoFormat.print(x));
    }
    return sb.toString();
  }

  private static void need(String fn, List<Object> a, int n) {
    if (a.size() < n) {
      throw new IllegalArgumentException(
          "wrong number of args for " + fn + ": want at least " + n + " got " + a.size());
    }
  }

  private static void exactly(String fn, List<Object> a, int n) {
    if (a.size() != n) {
      throw new IllegalArgumentException(
          "wrong number of args for " + fn + ": want " + n + " got " + a.size());
    }
  }

  private static int compare(Object x, Object y, boolean equalityOnly) {
    if (x instanceof Number a && y instanceof Number b) {
      if ((x instanceof Long || x instanceof Integer)
          && (y instanceof Long || y instanceof Integer)) {
        return Long.compare(a.longValue(), b.longValue());
      }
      return Double.compare(a.doubleValue(), b.doubleValue());
    }
    if (x instanceof String a && y instanceof String b) {
      return a.compareTo(b);
    }
    if (x instanceof Boolean a && y instanceof Boolean b) {
      if (!equalityOnly) {
        throw new IllegalArgumentException("invalid type for comparison");
      }
      return a.equals(b) ? 0 : 1;
    }
    if (equalityOnly) {
      if (x == null || y == null) {
        return x == y ? 0 : 1;
      }
    }
    throw new IllegalArgumentException("incompatible types for comparison");
  }

  /** Go's template.HTMLEscapeString. */
  public static String htmlEscape(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("&#34;");
        case '\'' -> sb.append("&#39;");
        case '&' -> sb.append("&amp;");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case 0 -> sb.append("\uFFFD");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }

  private static String jsEscape(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '\'' -> sb.append("\\'");
        case '"' -> sb.append("\\\"");
        case '<' -> sb.append("\\u003C");
        case '>' -> sb.append("\\u003E");
        case '&' -> sb.append("\\u0026");
        case '=' -> sb.append("\\u003D");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }

  /** Go's url.QueryEscape. */
  public static String queryEscape(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("*", "%2A").replace("%7E", "~");
  }

  /** The names of the functions every template knows. */
  public static Set<String> builtinNames() {
    return new HashSet<>(BUILTINS);
  }
}
