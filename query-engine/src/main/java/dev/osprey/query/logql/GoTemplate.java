package dev.osprey.query.logql;

import com.google.re2j.Pattern;
import dev.osprey.core.util.GoFormat;
import dev.osprey.core.util.Utf8;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The part of Go's text/template (with the sprig and Loki functions) that {@code line_format} and
 * {@code label_format} use.
 *
 * <p>Text and {@code {{ }}} actions, with {@code {{- }} and {@code -}}} trimming the whitespace
 * next to them and {@code {{/* comments *\/}}}. Actions: a pipeline of commands separated by {@code
 * |} (the value of each is passed as the last argument of the next), {@code if} / {@code else if} /
 * {@code else} / {@code end}, {@code with} (which sets the dot), and {@code range} over a map (keys
 * in sorted order), a list or an integer, with {@code else} when there is nothing to visit.
 * Variables: {@code $} (the labels), {@code $x := pipeline}, {@code $x = pipeline}, {@code range
 * $i, $v := pipeline}, scoped to the enclosing control structure as in Go. Operands: {@code
 * .label}, {@code .a.b} (fields of JSON objects), {@code .} (the dot), {@code $x.a}, {@code
 * (pipeline).a}, string, raw string, number and boolean literals, parenthesised pipelines and
 * functions. Truth is Go's: false, 0, "", empty lists and maps, and nil are false.
 *
 * <p>Functions: {@code __line__ __timestamp__}; comparison {@code eq ne lt le gt ge and or not};
 * strings {@code ToLower ToUpper lower upper title trim trimSpace TrimSpace Trim TrimLeft TrimRight
 * TrimPrefix TrimSuffix trimAll trimPrefix trimSuffix hasPrefix hasSuffix replace Replace contains
 * default len repeat substr trunc indent nindent printf regexReplaceAll regexReplaceAllLiteral
 * count alignLeft alignRight urlencode urldecode b64enc b64dec}; conversions {@code int float64
 * bytes duration duration_seconds fromJson}; integer math {@code add sub mul div mod max min}
 * (arguments converted as sprig does: a string that is not a whole number is 0); float math {@code
 * addf subf mulf divf maxf minf ceil floor round}; dates ({@link GoTime}, Go layouts, the server's
 * zone is UTC) {@code date toDate toDateInZone now unixEpoch unixEpochMillis unixEpochNanos
 * unixToTime}. Not supported, refused when the template is parsed: {@code define}/{@code
 * template}/{@code block} and {@code break}/{@code continue}.
 */
final class GoTemplate {
  /** What a template sees: the labels, the line and its timestamp (ns). */
  record Ctx(Map<String, String> labels, String line, long ts) {}

  private sealed interface Node permits Text, Print, Cond, Range {}

  private record Text(String s) implements Node {}

  private record Print(Pipe pipe) implements Node {}

  /** {@code if} (or {@code with}, which also sets the dot to the pipeline's value). */
  private record Cond(Pipe pipe, boolean with, List<Node> then, List<Node> otherwise)
      implements Node {}

  /** {@code {{range}}}: the body once per element (the dot set to it), else when there are none. */
  private record Range(Pipe pipe, List<Node> body, List<Node> otherwise) implements Node {}

  /**
   * Commands separated by {@code |}, optionally declaring ({@code $x := }) or assigning ({@code $x
   * = }) variables; {@code range} may declare two ({@code $i, $v := }).
   */
  private record Pipe(List<String> decl, boolean assign, List<List<Object>> cmds) {}

  /** {@code .a.b}: fields of the dot; the empty path is the dot itself. */
  private record Field(List<String> path) {}

  /**
   * {@code $x.a.b}: a variable and fields of it; {@code $} is the data the template started with.
   */
  private record Var(String name, List<String> path) {}

  /** {@code (pipeline).a.b}. */
  private record Chain(Pipe base, List<String> path) {}

  private record Fn(String name) {}

  private static final Set<String> FUNCS =
      Set.of(
          "__line__",
          "__timestamp__",
          "eq",
          "ne",
          "lt",
          "le",
          "gt",
          "ge",
          "and",
          "or",
          "not",
          "ToLower",
          "ToUpper",
          "lower",
          "upper",
          "title",
          "trim",
          "trimSpace",
          "TrimSpace",
          "trimAll",
          "trimPrefix",
          "trimSuffix",
          "hasPrefix",
          "hasSuffix",
          "replace",
          "Replace",
          "default",
          "contains",
          "len",
          "printf",
          "regexReplaceAll",
          "regexReplaceAllLiteral",
          "substr",
          "trunc",
          "repeat",
          "count",
          "alignLeft",
          "alignRight",
          "urlencode",
          "urldecode",
          "b64enc",
          "b64dec",
          "add",
          "sub",
          "mul",
          "div",
          "mod",
          "max",
          "min",
          "addf",
          "subf",
          "mulf",
          "divf",
          "maxf",
          "minf",
          "ceil",
          "floor",
          "round",
          "int",
          "float64",
          "Trim",
          "TrimLeft",
          "TrimRight",
          "TrimPrefix",
          "TrimSuffix",
          "indent",
          "nindent",
          "bytes",
          "duration",
          "duration_seconds",
          "fromJson",
          "date",
          "toDate",
          "toDateInZone",
          "now",
          "unixEpoch",
          "unixEpochMillis",
          "unixEpochNanos",
          "unixToTime");

  private final List<Node> nodes;

  private GoTemplate(List<Node> nodes) {
    this.nodes = nodes;
  }

  /**
   * Parses a template.
   *
   * @throws IllegalArgumentException saying what is wrong ({@code invalid template: ...})
   */
  static GoTemplate compile(String t) {
    List<String> parts = split(t);
    int[] pos = {0};
    List<String> vars = new ArrayList<>(List.of("$"));
    List<Node> body = block(parts, pos, false, vars);
    if (pos[0] < parts.size()) {
      throw new IllegalArgumentException(
          "invalid template: unexpected {{" + parts.get(pos[0]) + "}}");
    }
    return new GoTemplate(body);
  }

  /**
   * The template as alternating text and action bodies: even indexes are text (trimmed as the
   * markers say), odd indexes the trimmed bodies of actions; comments are dropped.
   */
  private static List<String> split(String t) {
    List<String> parts = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    int i = 0;
    while (true) {
      int open = t.indexOf("{{", i);
      if (open < 0) {
        text.append(t, i, t.length());
        parts.add(text.toString());
        return parts;
      }
      text.append(t, i, open);
      int bodyStart = open + 2;
      if (t.startsWith("-", bodyStart)
          && bodyStart + 1 < t.length()
          && isSpace(t.charAt(bodyStart + 1))) {
        int e = text.length();
        while (e > 0 && isSpace(text.charAt(e - 1))) {
          e--;
        }
        text.setLength(e);
        bodyStart += 2;
      }
      int close = findClose(t, bodyStart);
      if (close < 0) {
        throw new IllegalArgumentException("invalid template: unclosed action");
      }
      int bodyEnd = close;
      int after = close + 2;
      if (bodyEnd - 2 >= bodyStart
          && t.charAt(bodyEnd - 1) == '-'
          && isSpace(t.charAt(bodyEnd - 2))) {
        bodyEnd -= 2;
        while (after < t.length() && isSpace(t.charAt(after))) {
          after++;
        }
      }
      String body = t.substring(bodyStart, bodyEnd).trim();
      if (body.startsWith("/*")) {
        if (!body.endsWith("*/")) {
          throw new IllegalArgumentException("invalid template: unclosed comment");
        }
      } else {
        parts.add(text.toString());
        text.setLength(0);
        parts.add(body);
      }
      i = after;
    }
  }

  /** The {@code }}} closing an action, skipping over quoted strings. */
  private static int findClose(String t, int from) {
    int i = from;
    while (i < t.length()) {
      char c = t.charAt(i);
      if (c == '"' || c == '`') {
        int j = i + 1;
        while (j < t.length() && t.charAt(j) != c) {
          j += (c == '"' && t.charAt(j) == '\\') ? 2 : 1;
        }
        i = j + 1;
      } else if (c == '}' && i + 1 < t.length() && t.charAt(i + 1) == '}') {
        return i;
      } else {
        i++;
      }
    }
    return -1;
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  }

  /**
   * Nodes up to an {@code else} or {@code end} (left at {@code pos[0]} for the caller) or the end
   * of the template. {@code parts[pos]} is always text.
   */
  private static List<Node> block(
      List<String> parts, int[] pos, boolean nested, List<String> vars) {
    List<Node> out = new ArrayList<>();
    while (true) {
      String text = parts.get(pos[0]++);
      if (!text.isEmpty()) {
        out.add(new Text(text));
      }
      if (pos[0] >= parts.size()) {
        if (nested) {
          throw new IllegalArgumentException("invalid template: unexpected EOF, missing {{end}}");
        }
        return out;
      }
      String action = parts.get(pos[0]);
      String word = firstWord(action);
      switch (word) {
        case "end", "else" -> {
          if (!nested) {
            throw new IllegalArgumentException("invalid template: unexpected {{" + word + "}}");
          }
          return out;
        }
        case "if", "with" -> {
          pos[0]++;
          out.add(
              cond(parts, pos, action.substring(word.length()).trim(), word.equals("with"), vars));
        }
        case "range" -> {
          pos[0]++;
          out.add(range(parts, pos, action.substring(5).trim(), vars));
        }
        case "define", "template", "block", "break", "continue" ->
            throw new IllegalArgumentException(
                "invalid template: {{" + word + "}} is not supported in line_format/label_format");
        default -> {
          pos[0]++;
          out.add(new Print(pipe(action, vars)));
        }
      }
    }
  }

  /** After {@code {{if p}}}: the branches up to the matching {@code {{end}}}. */
  private static Cond cond(
      List<String> parts, int[] pos, String pipeText, boolean with, List<String> vars) {
    if (pipeText.isEmpty()) {
      throw new IllegalArgumentException(
          "invalid template: missing value for " + (with ? "with" : "if"));
    }
    int mark = vars.size();
    Pipe p = pipe(pipeText, vars);
    List<Node> then = block(parts, pos, true, vars);
    String stop = parts.get(pos[0]++);
    List<Node> otherwise = List.of();
    if (firstWord(stop).equals("else")) {
      String rest = stop.substring(4).trim();
      if (firstWord(rest).equals("if") || firstWord(rest).equals("with")) {
        // else if: a nested conditional that shares this one's end
        String w = firstWord(rest);
        otherwise =
            List.of(cond(parts, pos, rest.substring(w.length()).trim(), w.equals("with"), vars));
        vars.subList(mark, vars.size()).clear();
        return new Cond(p, with, then, otherwise);
      }
      if (!rest.isEmpty()) {
        throw new IllegalArgumentException("invalid template: unexpected \"" + rest + "\" in else");
      }
      otherwise = block(parts, pos, true, vars);
      String end = parts.get(pos[0]++);
      if (!firstWord(end).equals("end")) {
        throw new IllegalArgumentException("invalid template: expected end; found {{" + end + "}}");
      }
    }
    vars.subList(mark, vars.size()).clear();
    return new Cond(p, with, then, otherwise);
  }

  /** After {@code {{range p}}}: the body and the else branch up to the matching {@code {{end}}}. */
  private static Range range(List<String> parts, int[] pos, String pipeText, List<String> vars) {
    if (pipeText.isEmpty()) {
      throw new IllegalArgumentException("invalid template: missing value for range");
    }
    int mark = vars.size();
    Pipe p = pipe(pipeText, vars);
    if (p.assign() || p.decl().size() > 2) {
      throw new IllegalArgumentException("invalid template: bad declaration in range");
    }
    List<Node> body = block(parts, pos, true, vars);
    String stop = parts.get(pos[0]++);
    List<Node> otherwise = List.of();
    if (firstWord(stop).equals("else")) {
      if (!stop.substring(4).trim().isEmpty()) {
        throw new IllegalArgumentException(
            "invalid template: unexpected \"" + stop + "\" in range");
      }
      otherwise = block(parts, pos, true, vars);
      String end = parts.get(pos[0]++);
      if (!firstWord(end).equals("end")) {
        throw new IllegalArgumentException("invalid template: expected end; found {{" + end + "}}");
      }
    }
    vars.subList(mark, vars.size()).clear();
    return new Range(p, body, otherwise);
  }

  private static String firstWord(String action) {
    int i = 0;
    while (i < action.length() && Character.isLetter(action.charAt(i))) {
      i++;
    }
    return i < action.length() && !isSpace(action.charAt(i)) && i > 0 ? "" : action.substring(0, i);
  }

  // ---------------------------------------------------------------- pipelines

  private static final Pattern DECL =
      Pattern.compile("^(\\$[\\p{L}\\p{N}_]*)(?:\\s*,\\s*(\\$[\\p{L}\\p{N}_]*))?\\s*(:=|=)");

  /**
   * An action's pipeline; a declaration adds its variables to {@code vars} (the names in scope), a
   * use of a name not in scope is refused as Go's parser refuses it.
   */
  private static Pipe pipe(String body, List<String> vars) {
    List<String> decl = new ArrayList<>(2);
    boolean assign = false;
    com.google.re2j.Matcher m = DECL.matcher(body);
    int[] pos = {0};
    if (m.find()) {
      decl.add(m.group(1));
      if (m.group(2) != null) {
        decl.add(m.group(2));
      }
      assign = m.group(3).equals("=");
      pos[0] = m.end();
      for (String v : decl) {
        if (assign) {
          checkVar(v, vars);
        } else {
          vars.add(v);
        }
      }
    }
    Pipe p = pipe(body, pos, vars);
    if (pos[0] < body.length()) {
      throw new IllegalArgumentException("invalid template: unexpected \")\" in command");
    }
    return new Pipe(decl, assign, p.cmds());
  }

  private static Pipe pipe(String body, int[] pos, List<String> vars) {
    List<List<Object>> cmds = new ArrayList<>();
    List<Object> cur = new ArrayList<>();
    while (pos[0] < body.length()) {
      char c = body.charAt(pos[0]);
      if (isSpace(c)) {
        pos[0]++;
      } else if (c == ')') {
        break;
      } else if (c == '|') {
        cmds.add(cur);
        cur = new ArrayList<>();
        pos[0]++;
      } else if (c == '(') {
        pos[0]++;
        Pipe inner = pipe(body, pos, vars);
        if (pos[0] >= body.length() || body.charAt(pos[0]) != ')') {
          throw new IllegalArgumentException("invalid template: unclosed left paren");
        }
        pos[0]++;
        if (pos[0] < body.length() && body.charAt(pos[0]) == '.') {
          int s = pos[0];
          pos[0] = wordEnd(body, s);
          cur.add(new Chain(inner, path(body.substring(s + 1, pos[0]))));
        } else {
          cur.add(inner);
        }
      } else if (c == '"' || c == '`') {
        cur.add(string(body, pos, c));
      } else if (c == '$') {
        int s = pos[0];
        pos[0] = wordEnd(body, s);
        String w = body.substring(s, pos[0]);
        int dot = w.indexOf('.');
        checkVar(dot < 0 ? w : w.substring(0, dot), vars);
        cur.add(
            dot < 0
                ? new Var(w, List.of())
                : new Var(w.substring(0, dot), path(w.substring(dot + 1))));
      } else {
        int s = pos[0];
        pos[0] = wordEnd(body, s);
        cur.add(word(body.substring(s, pos[0])));
      }
    }
    cmds.add(cur);
    for (List<Object> cmd : cmds) {
      if (cmd.isEmpty()) {
        throw new IllegalArgumentException("invalid template: missing value for command");
      }
    }
    return new Pipe(List.of(), false, cmds);
  }

  private static void checkVar(String name, List<String> vars) {
    if (!vars.contains(name)) {
      throw new IllegalArgumentException("invalid template: undefined variable \"" + name + "\"");
    }
  }

  private static int wordEnd(String body, int from) {
    int i = from;
    while (i < body.length() && !isSpace(body.charAt(i)) && "|()".indexOf(body.charAt(i)) < 0) {
      i++;
    }
    return i;
  }

  private static List<String> path(String fields) {
    if (fields.isEmpty()) {
      return List.of();
    }
    for (String f : fields.split("\\.", -1)) {
      if (f.isEmpty()) {
        throw new IllegalArgumentException(
            "invalid template: bad field syntax: \"." + fields + "\"");
      }
    }
    return List.of(fields.split("\\."));
  }

  private static String string(String body, int[] pos, char quote) {
    StringBuilder b = new StringBuilder();
    int i = pos[0] + 1;
    while (i < body.length() && body.charAt(i) != quote) {
      char d = body.charAt(i++);
      if (d == '\\' && quote == '"' && i < body.length()) {
        b.append(Logfmt.unescape(body.charAt(i++)));
      } else {
        b.append(d);
      }
    }
    if (i >= body.length()) {
      throw new IllegalArgumentException("invalid template: unterminated quoted string");
    }
    pos[0] = i + 1;
    return b.toString();
  }

  private static Object word(String w) {
    if (w.equals(".")) {
      return new Field(List.of());
    }
    if (w.startsWith(".") && !w.matches("\\.[0-9].*")) {
      return new Field(path(w.substring(1)));
    }
    if (w.equals("true") || w.equals("false")) {
      return Boolean.valueOf(w);
    }
    if (w.equals("nil")) {
      throw new IllegalArgumentException("invalid template: nil is not a command");
    }
    char c0 = w.charAt(0);
    if (Character.isDigit(c0) || c0 == '-' || c0 == '+' || c0 == '.') {
      try {
        return w.contains(".") || w.contains("e") || w.contains("E")
            ? (Object) Double.parseDouble(w)
            : (Object) Long.decode(w);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("invalid template: bad number syntax: \"" + w + "\"");
      }
    }
    if (FUNCS.contains(w)) {
      return new Fn(w);
    }
    throw new IllegalArgumentException("invalid template: function \"" + w + "\" not defined");
  }

  // ---------------------------------------------------------------- execution

  /**
   * Runs the template.
   *
   * @throws IllegalArgumentException when a function fails (wrong arguments, incomparable types)
   */
  String render(Ctx ctx) {
    StringBuilder out = new StringBuilder();
    State st = new State(ctx);
    st.declare("$", ctx.labels());
    run(nodes, st, ctx.labels(), out);
    return out.toString();
  }

  /** One execution: the line's context and the variables in scope, innermost last. */
  private static final class State {
    final Ctx ctx;
    final List<String> names = new ArrayList<>(4);
    final List<Object> values = new ArrayList<>(4);

    State(Ctx ctx) {
      this.ctx = ctx;
    }

    void declare(String name, Object v) {
      names.add(name);
      values.add(v);
    }

    void assign(String name, Object v) {
      values.set(index(name), v);
    }

    Object get(String name) {
      return values.get(index(name));
    }

    private int index(String name) {
      int i = names.lastIndexOf(name);
      if (i < 0) {
        throw new IllegalArgumentException("undefined variable: " + name);
      }
      return i;
    }

    /** Drops the variables declared since {@code mark} (the end of a control structure). */
    void pop(int mark) {
      names.subList(mark, names.size()).clear();
      values.subList(mark, values.size()).clear();
    }
  }

  private static void run(List<Node> nodes, State st, Object dot, StringBuilder out) {
    for (Node n : nodes) {
      switch (n) {
        case Text t -> out.append(t.s());
        case Print p -> {
          Object v = eval(p.pipe(), st, dot);
          if (p.pipe().decl().isEmpty()) {
            out.append(str(v));
          }
        }
        case Cond c -> {
          int mark = st.names.size();
          Object v = eval(c.pipe(), st, dot);
          if (truth(v)) {
            run(c.then(), st, c.with() ? v : dot, out);
          } else {
            run(c.otherwise(), st, dot, out);
          }
          st.pop(mark);
        }
        case Range r -> range(r, st, dot, out);
      }
    }
  }

  private static void range(Range r, State st, Object dot, StringBuilder out) {
    int mark = st.names.size();
    Pipe p = r.pipe();
    Object v = eval(new Pipe(List.of(), false, p.cmds()), st, dot);
    List<Object[]> items = new ArrayList<>(); // {key or index, element}
    switch (v) {
      case null -> {}
      case Map<?, ?> m -> {
        List<String> keys = new ArrayList<>();
        m.keySet().forEach(k -> keys.add(String.valueOf(k)));
        keys.sort(null); // Go visits map keys in sorted order
        for (String k : keys) {
          items.add(new Object[] {k, m.get(k)});
        }
      }
      case List<?> l -> {
        for (int i = 0; i < l.size(); i++) {
          items.add(new Object[] {(long) i, l.get(i)});
        }
      }
      case Long n -> {
        if (p.decl().size() > 1) {
          throw new IllegalArgumentException(
              "can't use " + n + " to iterate over more than one variable");
        }
        for (long i = 0; i < n; i++) {
          items.add(new Object[] {i, i});
        }
      }
      default -> throw new IllegalArgumentException("range can't iterate over " + str(v));
    }
    for (Object[] it : items) {
      int inner = st.names.size();
      if (p.decl().size() == 1) {
        st.declare(p.decl().get(0), it[1]);
      } else if (p.decl().size() == 2) {
        st.declare(p.decl().get(0), it[0]);
        st.declare(p.decl().get(1), it[1]);
      }
      run(r.body(), st, it[1], out);
      st.pop(inner);
    }
    if (items.isEmpty()) {
      run(r.otherwise(), st, dot, out);
    }
    st.pop(mark);
  }

  private static Object eval(Pipe p, State st, Object dot) {
    Object v = null;
    boolean piped = false;
    for (List<Object> cmd : p.cmds()) {
      v = command(cmd, st, dot, piped, v);
      piped = true;
    }
    if (!p.decl().isEmpty()) {
      if (p.assign()) {
        st.assign(p.decl().get(0), v);
      } else {
        st.declare(p.decl().get(0), v);
      }
    }
    return v;
  }

  private static Object command(List<Object> cmd, State st, Object dot, boolean piped, Object in) {
    Object head = cmd.get(0);
    if (!(head instanceof Fn fn)) {
      if (cmd.size() > 1 || piped) {
        throw new IllegalArgumentException("can't give argument to non-function " + str(head));
      }
      return operand(head, st, dot);
    }
    String f = fn.name();
    if (f.equals("and") || f.equals("or")) {
      // short-circuit: the first false (and) or true (or) argument, else the last
      List<Object> args = new ArrayList<>(cmd.subList(1, cmd.size()));
      if (piped) {
        args.add(new Literal(in));
      }
      if (args.isEmpty()) {
        throw new IllegalArgumentException("wrong number of args for " + f + ": want at least 1");
      }
      Object v = null;
      for (Object a : args) {
        v = a instanceof Literal l ? l.v() : operand(a, st, dot);
        if (truth(v) == f.equals("or")) {
          return v;
        }
      }
      return v;
    }
    List<Object> args = new ArrayList<>(cmd.size());
    for (int i = 1; i < cmd.size(); i++) {
      args.add(operand(cmd.get(i), st, dot));
    }
    if (piped) {
      args.add(in);
    }
    return call(f, args, st.ctx);
  }

  /** A value already evaluated (the piped one) among unevaluated operands. */
  private record Literal(Object v) {}

  private static Object operand(Object o, State st, Object dot) {
    return switch (o) {
      case Field fd -> fields(dot, fd.path(), dot);
      case Var v -> fields(st.get(v.name()), v.path(), dot);
      case Chain c -> fields(eval(c.base(), st, dot), c.path(), dot);
      case Fn fn -> call(fn.name(), List.of(), st.ctx);
      case Pipe p -> eval(p, st, dot);
      default -> o;
    };
  }

  /**
   * Fields of a value: a label map gives "" for a missing label (Loki's missingkey=zero over
   * strings), a JSON object nothing ({@code <no value>}).
   */
  private static Object fields(Object v, List<String> path, Object dot) {
    for (String name : path) {
      if (v instanceof Map<?, ?> m) {
        Object x = m.get(name);
        v = x == null && !(m instanceof JsonObject) ? "" : x;
      } else {
        throw new IllegalArgumentException(
            "can't evaluate field " + name + " in type " + goType(v));
      }
    }
    return v;
  }

  private static Object call(String f, List<Object> a, Ctx ctx) {
    return switch (f) {
      case "__line__" -> ctx.line();
      case "__timestamp__" -> GoTime.ofEpochNanos(ctx.ts());
      case "eq" -> {
        need(f, a, 2, Integer.MAX_VALUE);
        boolean any = false;
        for (int i = 1; i < a.size() && !any; i++) {
          any = compare(f, a.get(0), a.get(i)) == 0;
        }
        yield any;
      }
      case "ne" -> compare(f, two(f, a, 0), a.get(1)) != 0;
      case "lt" -> compare(f, two(f, a, 0), a.get(1)) < 0;
      case "le" -> compare(f, two(f, a, 0), a.get(1)) <= 0;
      case "gt" -> compare(f, two(f, a, 0), a.get(1)) > 0;
      case "ge" -> compare(f, two(f, a, 0), a.get(1)) >= 0;
      case "not" -> {
        need(f, a, 1, 1);
        yield !truth(a.get(0));
      }
      case "ToLower", "lower" -> s(f, a, 0, 1).toLowerCase(Locale.ROOT);
      case "ToUpper", "upper" -> s(f, a, 0, 1).toUpperCase(Locale.ROOT);
      case "title" -> title(s(f, a, 0, 1));
      case "trim", "trimSpace", "TrimSpace" -> s(f, a, 0, 1).strip();
      case "trimAll" -> trimAll(s(f, a, 0, 2), s(f, a, 1, 2));
      case "trimPrefix" -> {
        String p = s(f, a, 0, 2);
        String v = s(f, a, 1, 2);
        yield v.startsWith(p) ? v.substring(p.length()) : v;
      }
      case "trimSuffix" -> {
        String p = s(f, a, 0, 2);
        String v = s(f, a, 1, 2);
        yield v.endsWith(p) ? v.substring(0, v.length() - p.length()) : v;
      }
      case "hasPrefix" -> s(f, a, 1, 2).startsWith(s(f, a, 0, 2));
      case "hasSuffix" -> s(f, a, 1, 2).endsWith(s(f, a, 0, 2));
      case "replace", "Replace" -> s(f, a, 2, 3).replace(s(f, a, 0, 3), s(f, a, 1, 3));
      case "default" -> {
        need(f, a, 1, 2);
        yield a.size() < 2 || !truth(a.get(1)) ? a.get(0) : a.get(1);
      }
      case "contains" -> s(f, a, 1, 2).contains(s(f, a, 0, 2));
      case "len" -> {
        need(f, a, 1, 1);
        yield (long) Utf8.length(str(a.get(0)));
      }
      case "repeat" -> s(f, a, 1, 2).repeat((int) Math.max(0, toInt(a.get(0))));
      case "substr" -> {
        String v = s(f, a, 2, 3);
        long from = toInt(a.get(0));
        long to = toInt(a.get(1));
        if (from < 0) {
          yield v.substring(0, (int) Math.min(Math.max(to, 0), v.length()));
        }
        if (to < 0 || to > v.length()) {
          yield from > v.length() ? "" : v.substring((int) from);
        }
        yield from >= to ? "" : v.substring((int) from, (int) to);
      }
      case "trunc" -> {
        String v = s(f, a, 1, 2);
        long n = toInt(a.get(0));
        if (n < 0) {
          yield v.length() + n > 0 ? v.substring((int) (v.length() + n)) : v;
        }
        yield v.length() > n ? v.substring(0, (int) n) : v;
      }
      case "printf" -> {
        need(f, a, 1, Integer.MAX_VALUE);
        yield GoFormat.sprintf(str(a.get(0)), a.subList(1, a.size()));
      }
      case "regexReplaceAll" -> // sprig's order: regex, input, replacement
          regex(f, s(f, a, 0, 3)).matcher(s(f, a, 1, 3)).replaceAll(goReplacement(s(f, a, 2, 3)));
      case "regexReplaceAllLiteral" ->
          regex(f, s(f, a, 0, 3))
              .matcher(s(f, a, 1, 3))
              .replaceAll(com.google.re2j.Matcher.quoteReplacement(s(f, a, 2, 3)));
      case "count" -> {
        com.google.re2j.Matcher m = regex(f, s(f, a, 0, 2)).matcher(s(f, a, 1, 2));
        long n = 0;
        while (m.find()) {
          n++;
        }
        yield n;
      }
      case "alignLeft", "alignRight" -> {
        String v = s(f, a, 1, 2);
        int n = (int) toInt(a.get(0));
        int cps = v.codePointCount(0, v.length());
        if (n < 0) {
          throw new IllegalArgumentException(f + ": width must not be negative");
        }
        if (cps >= n) {
          yield v.substring(0, v.offsetByCodePoints(0, n));
        }
        String pad = " ".repeat(n - cps);
        yield f.equals("alignLeft") ? v + pad : pad + v;
      }
      case "urlencode" -> URLEncoder.encode(s(f, a, 0, 1), StandardCharsets.UTF_8);
      case "urldecode" -> URLDecoder.decode(s(f, a, 0, 1), StandardCharsets.UTF_8);
      case "b64enc" ->
          Base64.getEncoder().encodeToString(s(f, a, 0, 1).getBytes(StandardCharsets.UTF_8));
      case "b64dec" -> {
        try {
          yield new String(Base64.getDecoder().decode(s(f, a, 0, 1)), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          yield e.getMessage(); // sprig returns the error text
        }
      }
      case "add", "mul", "max", "min" -> {
        need(f, a, 1, Integer.MAX_VALUE);
        long r = toInt(a.get(0));
        for (int i = 1; i < a.size(); i++) {
          long x = toInt(a.get(i));
          r =
              switch (f) {
                case "add" -> r + x;
                case "mul" -> r * x;
                case "max" -> Math.max(r, x);
                default -> Math.min(r, x);
              };
        }
        yield r;
      }
      case "sub" -> toInt(two(f, a, 0)) - toInt(a.get(1));
      case "div", "mod" -> {
        long y = toInt(two(f, a, 1));
        if (y == 0) {
          throw new IllegalArgumentException(f + ": integer divide by zero");
        }
        yield f.equals("div") ? toInt(a.get(0)) / y : toInt(a.get(0)) % y;
      }
      case "addf", "mulf", "maxf", "minf" -> {
        need(f, a, 1, Integer.MAX_VALUE);
        double r = toFloat(a.get(0));
        for (int i = 1; i < a.size(); i++) {
          double x = toFloat(a.get(i));
          r =
              switch (f) {
                case "addf" -> r + x;
                case "mulf" -> r * x;
                case "maxf" -> Math.max(r, x);
                default -> Math.min(r, x);
              };
        }
        yield r;
      }
      case "subf" -> toFloat(two(f, a, 0)) - toFloat(a.get(1));
      case "divf" -> toFloat(two(f, a, 0)) / toFloat(a.get(1));
      case "ceil" -> Math.ceil(toFloat(one(f, a)));
      case "floor" -> Math.floor(toFloat(one(f, a)));
      case "int" -> toInt(one(f, a));
      case "float64" -> toFloat(one(f, a));
      case "Trim" -> trimAll(s(f, a, 1, 2), s(f, a, 0, 2)); // Go's strings.Trim(s, cutset)
      case "TrimLeft" -> trimLeft(s(f, a, 0, 2), s(f, a, 1, 2));
      case "TrimRight" -> trimRight(s(f, a, 0, 2), s(f, a, 1, 2));
      case "TrimPrefix" -> {
        String v = s(f, a, 0, 2);
        yield v.startsWith(s(f, a, 1, 2)) ? v.substring(s(f, a, 1, 2).length()) : v;
      }
      case "TrimSuffix" -> {
        String v = s(f, a, 0, 2);
        String x = s(f, a, 1, 2);
        yield v.endsWith(x) ? v.substring(0, v.length() - x.length()) : v;
      }
      case "indent", "nindent" -> {
        String pad = " ".repeat((int) Math.max(0, toInt(two(f, a, 0))));
        String v = pad + str(a.get(1)).replace("\n", "\n" + pad);
        yield f.equals("nindent") ? "\n" + v : v;
      }
      case "bytes" -> bytes(s(f, a, 0, 1));
      case "duration", "duration_seconds" -> durationSeconds(s(f, a, 0, 1));
      case "fromJson" -> fromJson(s(f, a, 0, 1));
      case "now" -> {
        need(f, a, 0, 0);
        Instant now = Instant.now();
        yield new GoTime(now, ZoneOffset.UTC, "UTC");
      }
      case "date" -> {
        // sprig: a time, or Unix seconds; anything else is now
        Object d = two(f, a, 1);
        GoTime t =
            switch (d) {
              case GoTime g -> g;
              case Long l -> GoTime.ofEpochSeconds(l);
              default -> new GoTime(Instant.now(), ZoneOffset.UTC, "UTC");
            };
        yield t.in(ZoneOffset.UTC).format(str(a.get(0)));
      }
      case "toDate" -> toDate(s(f, a, 0, 2), s(f, a, 1, 2), ZoneOffset.UTC);
      case "toDateInZone" -> {
        ZoneId z = GoTime.zone(s(f, a, 1, 3));
        yield toDate(s(f, a, 0, 3), s(f, a, 2, 3), z == null ? ZoneOffset.UTC : z);
      }
      case "unixEpoch" -> Long.toString(time(f, one(f, a)).instant().getEpochSecond());
      case "unixEpochMillis" -> Long.toString(time(f, one(f, a)).instant().toEpochMilli());
      case "unixEpochNanos" -> Long.toString(time(f, one(f, a)).unixNanos());
      case "unixToTime" -> unixToTime(s(f, a, 0, 1));
      case "round" -> {
        need(f, a, 1, 3);
        double v = toFloat(a.get(0));
        long places = a.size() > 1 ? toInt(a.get(1)) : 0;
        double pow = Math.pow(10, places);
        double x = v * pow;
        // sprig rounds half away from zero at 0.5
        double r = x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
        yield r / pow;
      }
      default -> throw new IllegalStateException("BUG: function " + f + " listed but not defined");
    };
  }

  private static void need(String f, List<Object> a, int min, int max) {
    if (a.size() < min || a.size() > max) {
      throw new IllegalArgumentException(
          "wrong number of args for " + f + ": want " + min + " got " + a.size());
    }
  }

  private static Object one(String f, List<Object> a) {
    need(f, a, 1, 1);
    return a.get(0);
  }

  private static Object two(String f, List<Object> a, int i) {
    need(f, a, 2, 2);
    return a.get(i);
  }

  private static String s(String f, List<Object> a, int i, int n) {
    need(f, a, n, n);
    return str(a.get(i));
  }

  private static Pattern regex(String f, String re) {
    try {
      return Pattern.compile(re);
    } catch (com.google.re2j.PatternSyntaxException e) {
      throw new IllegalArgumentException(f + ": invalid regular expression: " + re);
    }
  }

  /** Go's comparison of basic values: numbers with numbers, strings with strings, bools. */
  private static int compare(String f, Object x, Object y) {
    if (x instanceof Number a && y instanceof Number b) {
      return a instanceof Long && b instanceof Long
          ? Long.compare(a.longValue(), b.longValue())
          : Double.compare(a.doubleValue(), b.doubleValue());
    }
    if (x instanceof String a && y instanceof String b) {
      return a.compareTo(b);
    }
    if (x instanceof Boolean a && y instanceof Boolean b) {
      if (!f.equals("eq") && !f.equals("ne")) {
        throw new IllegalArgumentException("error calling " + f + ": invalid type for comparison");
      }
      return a.equals(b) ? 0 : 1;
    }
    throw new IllegalArgumentException(
        "error calling " + f + ": incompatible types for comparison");
  }

  /** Go's truth: false, 0, "" and nil are false. */
  private static boolean truth(Object v) {
    return switch (v) {
      case null -> false;
      case Boolean b -> b;
      case Long l -> l != 0;
      case Double d -> d != 0;
      case String s -> !s.isEmpty();
      case Map<?, ?> m -> !m.isEmpty();
      case List<?> l -> !l.isEmpty();
      default -> true;
    };
  }

  /** sprig's toInt64: numbers truncated, strings parsed as whole numbers (else 0), bools 0/1. */
  private static long toInt(Object v) {
    return switch (v) {
      case Long l -> l;
      case Double d -> (long) d.doubleValue();
      case Boolean b -> b ? 1 : 0;
      case String s -> {
        try {
          yield Long.decode(s.trim());
        } catch (NumberFormatException e) {
          yield 0;
        }
      }
      default -> 0;
    };
  }

  /** sprig's toFloat64: strings parsed as numbers (else 0). */
  private static double toFloat(Object v) {
    return switch (v) {
      case Long l -> l;
      case Double d -> d;
      case Boolean b -> b ? 1 : 0;
      case String s -> {
        try {
          yield Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
          yield 0;
        }
      }
      default -> 0;
    };
  }

  private static GoTime time(String f, Object v) {
    if (v instanceof GoTime t) {
      return t;
    }
    throw new IllegalArgumentException(
        "error calling " + f + ": wrong type for value; expected time.Time; got " + goType(v));
  }

  private static String goType(Object v) {
    return switch (v) {
      case null -> "<nil>";
      case String s -> "string";
      case Long l -> "int";
      case Double d -> "float64";
      case Boolean b -> "bool";
      case GoTime t -> "time.Time";
      case List<?> l -> "[]interface {}";
      default -> "map[string]interface {}";
    };
  }

  /** Go's ParseInLocation; a value that does not parse is the zero time, as sprig's toDate. */
  private static GoTime toDate(String layout, String v, ZoneId zone) {
    try {
      return GoTime.parse(layout, v, zone);
    } catch (IllegalArgumentException | java.time.DateTimeException e) {
      return GoTime.ZERO;
    }
  }

  /** Loki's unixToTime: the epoch's length says its unit (days, s, ms, us or ns). */
  private static GoTime unixToTime(String epoch) {
    long n;
    try {
      n = Long.parseLong(epoch);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "error calling unixToTime: unable to parse time '" + epoch + "'");
    }
    return switch (epoch.length()) {
      case 5 -> GoTime.ofEpochSeconds(n * 86400);
      case 10 -> GoTime.ofEpochSeconds(n);
      case 13 -> GoTime.ofEpochNanos(n * 1_000_000);
      case 16 -> GoTime.ofEpochNanos(n * 1_000);
      case 19 -> GoTime.ofEpochNanos(n);
      default ->
          throw new IllegalArgumentException(
              "error calling unixToTime: unable to parse time '" + epoch + "'");
    };
  }

  /** go-humanize's ParseBytes ("1.5 KiB", "42", "1,000 kB"), as a float64 of whole bytes. */
  private static double bytes(String v) {
    double b = Lexer.parseBytes(v.replace(",", ""));
    if (b < 0) {
      throw new IllegalArgumentException("error calling bytes: unhandled size: " + v);
    }
    return Math.floor(b);
  }

  private static final com.google.re2j.Pattern GO_DURATION =
      com.google.re2j.Pattern.compile("[-+]?(0|([0-9]*(\\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+)");

  /** Go's time.ParseDuration, in seconds. */
  private static double durationSeconds(String v) {
    if (!GO_DURATION.matches(v) || v.matches("[-+]?\\.?[a-zµμ].*")) {
      throw new IllegalArgumentException(
          "error calling duration: time: invalid duration \"" + v + "\"");
    }
    String body = v.replace('μ', 'µ');
    boolean neg = body.startsWith("-");
    body = body.startsWith("-") || body.startsWith("+") ? body.substring(1) : body;
    long ns = body.equals("0") ? 0 : Lexer.parseDuration(body);
    long sec = ns / 1_000_000_000L;
    double d = sec + (ns % 1_000_000_000L) / 1e9;
    return neg ? -d : d;
  }

  private static final com.fasterxml.jackson.core.JsonFactory JSON =
      new com.fasterxml.jackson.core.JsonFactory();

  /** A JSON object from {@code fromJson}: keys sorted, as Go prints and ranges over maps. */
  private static final class JsonObject extends java.util.TreeMap<String, Object> {}

  /** sprig's fromJson: objects, arrays, float64 numbers, strings, bools, nil; nil when invalid. */
  private static Object fromJson(String v) {
    try (com.fasterxml.jackson.core.JsonParser p = JSON.createParser(v)) {
      if (p.nextToken() == null) {
        return null;
      }
      Object o = jsonValue(p);
      return p.nextToken() == null ? o : null;
    } catch (java.io.IOException | RuntimeException e) {
      return null;
    }
  }

  private static Object jsonValue(com.fasterxml.jackson.core.JsonParser p)
      throws java.io.IOException {
    return switch (p.currentToken()) {
      case START_OBJECT -> {
        JsonObject m = new JsonObject();
        while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
          String k = p.currentName();
          p.nextToken();
          m.put(k, jsonValue(p));
        }
        yield m;
      }
      case START_ARRAY -> {
        List<Object> l = new ArrayList<>();
        while (p.nextToken() != com.fasterxml.jackson.core.JsonToken.END_ARRAY) {
          l.add(jsonValue(p));
        }
        yield l;
      }
      case VALUE_STRING -> p.getText();
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getDoubleValue();
      case VALUE_TRUE -> true;
      case VALUE_FALSE -> false;
      case VALUE_NULL -> null;
      default -> throw new java.io.IOException("unexpected " + p.currentToken());
    };
  }

  private static String trimLeft(String v, String cutset) {
    int s = 0;
    while (s < v.length() && cutset.indexOf(v.charAt(s)) >= 0) {
      s++;
    }
    return v.substring(s);
  }

  private static String trimRight(String v, String cutset) {
    int e = v.length();
    while (e > 0 && cutset.indexOf(v.charAt(e - 1)) >= 0) {
      e--;
    }
    return v.substring(0, e);
  }

  private static String trimAll(String cutset, String v) {
    return trimRight(trimLeft(v, cutset), cutset);
  }

  /** A value as Go's text/template prints it. */
  static String str(Object v) {
    return GoFormat.print(v);
  }

  /** Go's {@code ${1}} group references become RE2/J's {@code $1}. */
  private static String goReplacement(String r) {
    StringBuilder b = new StringBuilder(r.length());
    for (int i = 0; i < r.length(); i++) {
      char c = r.charAt(i);
      if (c == '$' && i + 1 < r.length() && r.charAt(i + 1) == '{') {
        int e = r.indexOf('}', i);
        String g = e > 0 ? r.substring(i + 2, e) : "";
        if (!g.isEmpty() && g.chars().allMatch(Character::isDigit)) {
          b.append('$').append(g);
          i = e;
          continue;
        }
      }
      b.append(c);
    }
    return b.toString();
  }

  private static String title(String v) {
    StringBuilder b = new StringBuilder(v.length());
    boolean start = true;
    for (char c : v.toCharArray()) {
      b.append(start ? Character.toTitleCase(c) : c);
      start = !Character.isLetterOrDigit(c);
    }
    return b.toString();
  }
}
