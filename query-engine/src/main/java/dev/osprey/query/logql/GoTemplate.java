package dev.osprey.query.logql;

import com.google.re2j.Pattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The subset of Go's text/template that {@code line_format} and {@code label_format} use: text,
 * {@code {{ }}} actions (with {@code {{-}} / {@code -}}} trimming) holding a pipeline of commands
 * separated by {@code |}; operands {@code .label}, string and number literals; functions {@code
 * __line__ __timestamp__ ToLower ToUpper lower upper title trim trimSpace TrimSpace trimPrefix
 * trimSuffix replace default contains len printf regexReplaceAll regexReplaceAllLiteral substr
 * repeat}. Control structures ({@code if}, {@code range}) are refused at parse time.
 */
final class GoTemplate {
  /** What a template sees: the labels, the line and its timestamp (ns). */
  record Ctx(Map<String, String> labels, String line, long ts) {}

  private sealed interface Node permits Text, Action {}

  private record Text(String s) implements Node {}

  private record Action(List<List<Object>> cmds) implements Node {}

  private record Field(String name) {}

  private record Ident(String name) {}

  private final List<Node> nodes;

  private GoTemplate(List<Node> nodes) {
    this.nodes = nodes;
  }

  private static final java.util.Set<String> FUNCS =
      java.util.Set.of(
          "__line__",
          "__timestamp__",
          "ToLower",
          "ToUpper",
          "lower",
          "upper",
          "title",
          "trim",
          "trimSpace",
          "TrimSpace",
          "trimPrefix",
          "trimSuffix",
          "replace",
          "Replace",
          "default",
          "contains",
          "len",
          "printf",
          "regexReplaceAll",
          "regexReplaceAllLiteral",
          "substr",
          "repeat");

  static GoTemplate compile(String t) {
    List<Node> nodes = new ArrayList<>();
    int i = 0;
    while (i < t.length()) {
      int open = t.indexOf("{{", i);
      if (open < 0) {
        nodes.add(new Text(t.substring(i)));
        break;
      }
      String text = t.substring(i, open);
      int close = t.indexOf("}}", open + 2);
      if (close < 0) {
        throw new IllegalArgumentException("invalid template: unclosed action");
      }
      String body = t.substring(open + 2, close);
      int after = close + 2;
      if (body.startsWith("-")) {
        text = text.stripTrailing();
        body = body.substring(1);
      }
      if (body.endsWith("-")) {
        body = body.substring(0, body.length() - 1);
        while (after < t.length() && Character.isWhitespace(t.charAt(after))) {
          after++;
        }
      }
      if (!text.isEmpty()) {
        nodes.add(new Text(text));
      }
      nodes.add(new Action(parseAction(body.trim())));
      i = after;
    }
    return new GoTemplate(nodes);
  }

  private static List<List<Object>> parseAction(String body) {
    List<List<Object>> cmds = new ArrayList<>();
    List<Object> cur = new ArrayList<>();
    int i = 0;
    while (i < body.length()) {
      char c = body.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '|') {
        cmds.add(cur);
        cur = new ArrayList<>();
        i++;
      } else if (c == '"' || c == '`') {
        StringBuilder b = new StringBuilder();
        i++;
        while (i < body.length() && body.charAt(i) != c) {
          char d = body.charAt(i++);
          if (d == '\\' && c == '"' && i < body.length()) {
            char e = body.charAt(i++);
            b.append(
                switch (e) {
                  case 'n' -> '\n';
                  case 't' -> '\t';
                  default -> e;
                });
          } else {
            b.append(d);
          }
        }
        if (i >= body.length()) {
          throw new IllegalArgumentException("invalid template: unterminated string");
        }
        i++;
        cur.add(b.toString());
      } else {
        int s = i;
        while (i < body.length()
            && !Character.isWhitespace(body.charAt(i))
            && body.charAt(i) != '|') {
          i++;
        }
        String w = body.substring(s, i);
        if (w.startsWith(".")) {
          cur.add(new Field(w.substring(1)));
        } else if (Character.isDigit(w.charAt(0)) || w.charAt(0) == '-') {
          try {
            cur.add(Double.parseDouble(w));
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid template: bad number " + w);
          }
        } else if (FUNCS.contains(w)) {
          cur.add(new Ident(w));
        } else {
          throw new IllegalArgumentException(
              "invalid template: function \"" + w + "\" not defined");
        }
      }
    }
    cmds.add(cur);
    for (List<Object> c : cmds) {
      if (c.isEmpty()) {
        throw new IllegalArgumentException("invalid template: missing value for command");
      }
    }
    return cmds;
  }

  String render(Ctx ctx) {
    StringBuilder out = new StringBuilder();
    for (Node n : nodes) {
      if (n instanceof Text t) {
        out.append(t.s());
      } else if (n instanceof Action a) {
        Object v = null;
        boolean piped = false;
        for (List<Object> cmd : a.cmds()) {
          v = eval(cmd, ctx, piped ? v : null, piped);
          piped = true;
        }
        out.append(str(v));
      }
    }
    return out.toString();
  }

  private static String str(Object v) {
    if (v == null) {
      return "";
    }
    if (v instanceof Double d) {
      return d == Math.rint(d) && !Double.isInfinite(d)
          ? Long.toString(d.longValue())
          : d.toString();
    }
    return v.toString();
  }

  private Object eval(List<Object> cmd, Ctx ctx, Object pipedIn, boolean piped) {
    Object head = cmd.get(0);
    if (!(head instanceof Ident fn)) {
      if (cmd.size() > 1 || piped) {
        throw new IllegalArgumentException("invalid template: can't give argument to non-function");
      }
      return operand(head, ctx);
    }
    List<String> args = new ArrayList<>();
    for (int i = 1; i < cmd.size(); i++) {
      args.add(str(operand(cmd.get(i), ctx)));
    }
    if (piped) {
      args.add(str(pipedIn));
    }
    String f = fn.name();
    return switch (f) {
      case "__line__" -> ctx.line();
      case "__timestamp__" -> java.time.Instant.ofEpochSecond(0, ctx.ts()).toString();
      case "ToLower", "lower" -> arg(args, 0, f).toLowerCase(Locale.ROOT);
      case "ToUpper", "upper" -> arg(args, 0, f).toUpperCase(Locale.ROOT);
      case "title" -> title(arg(args, 0, f));
      case "trim", "trimSpace", "TrimSpace" -> arg(args, 0, f).strip();
      case "trimPrefix" -> {
        String p = arg(args, 0, f);
        String s = arg(args, 1, f);
        yield s.startsWith(p) ? s.substring(p.length()) : s;
      }
      case "trimSuffix" -> {
        String p = arg(args, 0, f);
        String s = arg(args, 1, f);
        yield s.endsWith(p) ? s.substring(0, s.length() - p.length()) : s;
      }
      case "replace", "Replace" -> arg(args, 2, f).replace(arg(args, 0, f), arg(args, 1, f));
      case "default" -> {
        String d = arg(args, 0, f);
        String v = args.size() > 1 ? args.get(1) : "";
        yield v.isEmpty() ? d : v;
      }
      case "contains" -> Boolean.toString(arg(args, 1, f).contains(arg(args, 0, f)));
      case "len" -> (double) arg(args, 0, f).length();
      case "repeat" -> arg(args, 1, f).repeat((int) Double.parseDouble(arg(args, 0, f)));
      case "substr" -> {
        String s = arg(args, 2, f);
        int a = (int) Math.max(0, Double.parseDouble(arg(args, 0, f)));
        int b = (int) Math.min(s.length(), Double.parseDouble(arg(args, 1, f)));
        yield a >= b ? "" : s.substring(a, b);
      }
      case "printf" -> {
        String fmt = arg(args, 0, f).replace("%v", "%s").replace("%d", "%s");
        yield String.format(fmt, args.subList(1, args.size()).toArray());
      }
      case "regexReplaceAll" ->
          Pattern.compile(arg(args, 0, f))
              .matcher(arg(args, 2, f))
              .replaceAll(goReplacement(arg(args, 1, f)));
      case "regexReplaceAllLiteral" ->
          Pattern.compile(arg(args, 0, f))
              .matcher(arg(args, 2, f))
              .replaceAll(com.google.re2j.Matcher.quoteReplacement(arg(args, 1, f)));
      default -> throw new IllegalStateException("BUG: function " + f + " listed but not defined");
    };
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

  private static String title(String s) {
    StringBuilder b = new StringBuilder(s.length());
    boolean start = true;
    for (char c : s.toCharArray()) {
      b.append(start ? Character.toTitleCase(c) : c);
      start = !Character.isLetterOrDigit(c);
    }
    return b.toString();
  }

  private static String arg(List<String> args, int i, String f) {
    if (i >= args.size()) {
      throw new IllegalArgumentException("wrong number of args for " + f);
    }
    return args.get(i);
  }

  private static Object operand(Object o, Ctx ctx) {
    if (o instanceof Field fd) {
      String v = ctx.labels().get(fd.name());
      return v == null ? "" : v;
    }
    if (o instanceof Ident id) {
      return switch (id.name()) {
        case "__line__" -> ctx.line();
        case "__timestamp__" -> java.time.Instant.ofEpochSecond(0, ctx.ts()).toString();
        default ->
            throw new IllegalArgumentException("invalid template: " + id.name() + " needs args");
      };
    }
    return o;
  }
}
