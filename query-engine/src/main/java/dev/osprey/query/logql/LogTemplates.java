package dev.osprey.query.logql;

import com.google.re2j.Pattern;
import dev.osprey.core.template.AnyMap;
import dev.osprey.core.template.Template;
import dev.osprey.core.template.TemplateException;
import dev.osprey.core.template.TemplateFunction;
import dev.osprey.core.util.GoFormat;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * LogQL's {@code line_format} and {@code label_format} templates: Go's text/template ({@link
 * Template}, with its builtins {@code and or not len index print printf println eq ne lt le gt ge
 * html js urlquery}) and the functions Loki adds from sprig and its own.
 *
 * <p>The dot and {@code $} are the labels (a missing label is ""); {@code .a.b} reaches into JSON
 * objects from {@code fromJson} (a missing key there is nil, printed {@code <no value>}).
 *
 * <p>Functions: {@code __line__ __timestamp__}; strings {@code ToLower ToUpper lower upper title
 * trim trimSpace TrimSpace Trim TrimLeft TrimRight TrimPrefix TrimSuffix trimAll trimPrefix
 * trimSuffix hasPrefix hasSuffix replace Replace contains default repeat substr trunc indent
 * nindent regexReplaceAll regexReplaceAllLiteral count alignLeft alignRight urlencode urldecode
 * b64enc b64dec}; conversions {@code int float64 bytes duration duration_seconds fromJson}; integer
 * math {@code add sub mul div mod max min} (arguments converted as sprig does: a string that is not
 * a whole number is 0); float math {@code addf subf mulf divf maxf minf ceil floor round}; dates
 * ({@link GoTime}, Go layouts, the server's zone is UTC) {@code date toDate toDateInZone now
 * unixEpoch unixEpochMillis unixEpochNanos unixToTime}.
 */
final class LogTemplates {
  /** What a template sees besides the labels: the line and its timestamp (ns). */
  record Ctx(Map<String, String> labels, String line, long ts) {}

  private static final Set<String> NAMES =
      Set.of(
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
          "trimAll",
          "trimPrefix",
          "trimSuffix",
          "hasPrefix",
          "hasSuffix",
          "replace",
          "Replace",
          "default",
          "contains",
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

  private static final Map<String, TemplateFunction> FUNCTIONS = functions();

  private LogTemplates() {}

  /**
   * Parses a template ({@code name} is Loki's: "line" or "label").
   *
   * @throws IllegalArgumentException saying what is wrong, as Go's parser words it
   */
  static Template compile(String name, String text) {
    try {
      return Template.parse(name, text, FUNCTIONS, Set.of());
    } catch (TemplateException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }

  /**
   * Runs a template over one line.
   *
   * @throws IllegalArgumentException when it fails (wrong arguments, incomparable types)
   */
  static String render(Template t, Ctx ctx) {
    try {
      return t.execute(ctx.labels(), Map.of(), ctx);
    } catch (TemplateException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }

  private static Map<String, TemplateFunction> functions() {
    Map<String, TemplateFunction> m = new HashMap<>();
    for (String n : NAMES) {
      m.put(
          n,
          new TemplateFunction() {
            @Override
            public Object call(List<Object> args) {
              return LogTemplates.call(n, args, null);
            }

            @Override
            public Object call(List<Object> args, Object env) {
              return LogTemplates.call(n, args, (Ctx) env);
            }
          });
    }
    return Map.copyOf(m);
  }

  private static Ctx context(String f, Ctx ctx) {
    if (ctx == null) {
      throw new IllegalStateException(f + " needs a log line");
    }
    return ctx;
  }

  static Object call(String f, List<Object> a, Ctx ctx) {
    return switch (f) {
      case "__line__" -> context(f, ctx).line();
      case "__timestamp__" -> GoTime.ofEpochNanos(context(f, ctx).ts());
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
        yield a.size() < 2 || !Template.truthy(a.get(1)) ? a.get(0) : a.get(1);
      }
      case "contains" -> s(f, a, 1, 2).contains(s(f, a, 0, 2));
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
        "wrong type for value; expected time.Time; got " + goType(v));
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
      throw new IllegalArgumentException("unable to parse time '" + epoch + "'");
    }
    return switch (epoch.length()) {
      case 5 -> GoTime.ofEpochSeconds(n * 86400);
      case 10 -> GoTime.ofEpochSeconds(n);
      case 13 -> GoTime.ofEpochNanos(n * 1_000_000);
      case 16 -> GoTime.ofEpochNanos(n * 1_000);
      case 19 -> GoTime.ofEpochNanos(n);
      default -> throw new IllegalArgumentException("unable to parse time '" + epoch + "'");
    };
  }

  /** go-humanize's ParseBytes ("1.5 KiB", "42", "1,000 kB"), as a float64 of whole bytes. */
  private static double bytes(String v) {
    double b = Lexer.parseBytes(v.replace(",", ""));
    if (b < 0) {
      throw new IllegalArgumentException("unhandled size: " + v);
    }
    return Math.floor(b);
  }

  private static final com.google.re2j.Pattern GO_DURATION =
      com.google.re2j.Pattern.compile("[-+]?(0|([0-9]*(\\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+)");

  /** Go's time.ParseDuration, in seconds. */
  private static double durationSeconds(String v) {
    if (!GO_DURATION.matches(v) || v.matches("[-+]?\\.?[a-zµμ].*")) {
      throw new IllegalArgumentException("time: invalid duration \"" + v + "\"");
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
        AnyMap m = new AnyMap();
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
