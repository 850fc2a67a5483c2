package dev.osprey.query.logql;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonToken;
import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.template.Template;
import dev.osprey.query.logql.Ast.*;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A compiled log pipeline: runs the stages of a {@link LogExpr} on one line at a time. Stream
 * labels and structured metadata start as the line's labels; parsers add labels (a name taken by a
 * stream label gets the suffix {@code _extracted}); errors set {@code __error__} and {@code
 * __error_details__} and keep the line, as Loki does.
 */
final class Pipeline {
  static final String ERROR = "__error__";
  static final String ERROR_DETAILS = "__error_details__";
  private static final JsonFactory JSON = new JsonFactory();

  /** The working state of one line. */
  static final class State {
    final Labels stream;
    final Map<String, String> labels = new LinkedHashMap<>();
    String line;
    final long ts;

    State(Labels stream, Labels metadata, long ts, String line) {
      this.stream = stream;
      this.ts = ts;
      this.line = line;
      stream.forEach(labels::put);
      metadata.forEach(labels::put);
    }

    boolean hasErr() {
      String e = labels.get(ERROR);
      return e != null && !e.isEmpty();
    }

    void setErr(String err, String details) {
      if (!hasErr()) {
        labels.put(ERROR, err);
        labels.put(ERROR_DETAILS, details);
      }
    }

    void extracted(String name, String value) {
      String n = sanitize(name);
      if (n.isEmpty()) {
        return;
      }
      if (stream.has(n)) {
        n = n + "_extracted";
      }
      labels.put(n, value);
    }

    Labels labels() {
      Labels.Builder b = Labels.builder();
      labels.forEach(
          (k, v) -> {
            if (v != null && !v.isEmpty()) {
              b.set(k, v);
            }
          });
      return b.build();
    }

    String get(String name) {
      String v = labels.get(name);
      return v == null ? "" : v;
    }
  }

  @FunctionalInterface
  private interface Step {
    /** Returns false when the line is filtered out. */
    boolean apply(State s);
  }

  private final List<Step> steps;
  final boolean empty;

  private Pipeline(List<Step> steps) {
    this.steps = steps;
    this.empty = steps.isEmpty();
  }

  static Pipeline compile(List<Stage> stages) {
    List<Step> steps = new ArrayList<>();
    for (Stage st : stages) {
      steps.add(step(st));
    }
    return new Pipeline(steps);
  }

  /** Runs the line through; returns null when it is filtered out. */
  State process(Labels stream, Labels metadata, long ts, String line) {
    State s = new State(stream, metadata, ts, line);
    for (Step st : steps) {
      if (!st.apply(s)) {
        return null;
      }
    }
    return s;
  }

  static String sanitize(String name) {
    StringBuilder b = new StringBuilder(name.length());
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9');
      b.append(ok ? c : '_');
    }
    if (!b.isEmpty() && Character.isDigit(b.charAt(0))) {
      b.insert(0, '_');
    }
    return b.toString();
  }

  private static Step step(Stage st) {
    return switch (st) {
      case LineFilter f -> lineFilter(f);
      case JsonParser j -> j.params().isEmpty() ? Pipeline::jsonAll : jsonPaths(j.params());
      case LogfmtParser l -> logfmt(l);
      case RegexpParser r -> regexp(Pattern.compile(r.regex()));
      case PatternParser p -> {
        PatternMatcher m = PatternMatcher.compile(p.pattern());
        yield s -> {
          m.match(s.line, s::extracted);
          return true;
        };
      }
      case Unpack u -> Pipeline::unpack;
      case LabelFilterStage lf -> s -> labelFilter(lf.filter(), s);
      case LineFormat lf -> {
        Template t = LogTemplates.compile("line", lf.template());
        yield s -> {
          try {
            s.line = LogTemplates.render(t, new LogTemplates.Ctx(s.labels, s.line, s.ts));
          } catch (RuntimeException e) {
            s.setErr("TemplateFormatErr", String.valueOf(e.getMessage()));
          }
          return true;
        };
      }
      case LabelFormat lf -> labelFormat(lf);
      case DropKeep dk -> dropKeep(dk);
      case Decolorize d ->
          s -> {
            s.line = decolorize(s.line);
            return true;
          };
    };
  }

  /** Removes ANSI CSI sequences ({@code ESC [ params final-byte}). */
  static String decolorize(String line) {
    int esc = line.indexOf('\u001b');
    if (esc < 0) {
      return line;
    }
    StringBuilder b = new StringBuilder(line.length());
    int i = 0;
    while (i < line.length()) {
      char c = line.charAt(i);
      if (c == '\u001b' && i + 1 < line.length() && line.charAt(i + 1) == '[') {
        int j = i + 2;
        while (j < line.length() && (line.charAt(j) < '@' || line.charAt(j) > '~')) {
          j++;
        }
        i = j + 1;
        continue;
      }
      b.append(c);
      i++;
    }
    return b.toString();
  }

  // ------------------------------------------------------------------ line filters

  static Step lineFilter(LineFilter f) {
    Predicate<String> t = lineTest(f);
    return s -> t.test(s.line);
  }

  /** How many stages at the start of {@code stages} are line filters (which only read the line). */
  static int leadingLineFilters(List<Stage> stages) {
    int k = 0;
    while (k < stages.size() && stages.get(k) instanceof LineFilter) {
      k++;
    }
    return k;
  }

  /** The line filters as one test of the line (all must accept it); null when there are none. */
  static Predicate<String> lineTest(List<Stage> filters) {
    if (filters.isEmpty()) {
      return null;
    }
    List<Predicate<String>> ts = new ArrayList<>(filters.size());
    for (Stage st : filters) {
      ts.add(lineTest((LineFilter) st));
    }
    if (ts.size() == 1) {
      return ts.get(0);
    }
    Predicate<String>[] all = ts.toArray(new Predicate[0]);
    return l -> {
      for (Predicate<String> t : all) {
        if (!t.test(l)) {
          return false;
        }
      }
      return true;
    };
  }

  /** The labels a line of {@code stream} with {@code metadata} has before any stage. */
  static Labels labels(Labels stream, Labels metadata) {
    return metadata.isEmpty() ? stream : new State(stream, metadata, 0, "").labels();
  }

  static Predicate<String> lineTest(LineFilter f) {
    List<String> vals = f.values();
    return switch (f.op()) {
      case CONTAINS -> l -> anyContains(l, vals);
      case NOT_CONTAINS -> l -> !anyContains(l, vals);
      case PATTERN, NOT_PATTERN -> {
        List<List<String>> pats = new ArrayList<>();
        for (String v : vals) {
          pats.add(patternLiterals(v));
        }
        boolean neg = f.op() == FilterOp.NOT_PATTERN;
        yield l -> {
          boolean any = false;
          for (List<String> p : pats) {
            if (patternMatches(p, l)) {
              any = true;
              break;
            }
          }
          return any != neg;
        };
      }
      case IP, NOT_IP -> {
        IpMatcher m = IpMatcher.of(vals.get(0));
        boolean neg = f.op() == FilterOp.NOT_IP;
        yield l -> m.matches(l) != neg;
      }
      case REGEX, NOT_REGEX -> {
        List<Pattern> ps = new ArrayList<>();
        for (String v : vals) {
          ps.add(Pattern.compile(v));
        }
        boolean neg = f.op() == FilterOp.NOT_REGEX;
        yield l -> {
          boolean any = false;
          for (Pattern p : ps) {
            if (p.matcher(l).find()) {
              any = true;
              break;
            }
          }
          return any != neg;
        };
      }
    };
  }

  /**
   * The literals of a line-filter pattern ({@code |>}): text between {@code <...>} captures, which
   * match anything. The first and last literal are anchored at the line's ends (empty when the
   * pattern starts or ends with a capture).
   */
  static List<String> patternLiterals(String pattern) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    int i = 0;
    while (i < pattern.length()) {
      char c = pattern.charAt(i);
      int e = c == '<' ? pattern.indexOf('>', i) : -1;
      if (e > i + 1 && PatternMatcher.isName(pattern.substring(i + 1, e))) {
        out.add(cur.toString());
        cur.setLength(0);
        i = e + 1;
        continue;
      }
      cur.append(c);
      i++;
    }
    out.add(cur.toString());
    return out;
  }

  static boolean patternMatches(List<String> lits, String line) {
    if (lits.size() == 1) {
      return line.equals(lits.get(0));
    }
    String first = lits.get(0);
    String last = lits.get(lits.size() - 1);
    if (!line.startsWith(first)) {
      return false;
    }
    int pos = first.length();
    for (int j = 1; j < lits.size() - 1; j++) {
      int at = line.indexOf(lits.get(j), pos);
      if (at < 0) {
        return false;
      }
      pos = at + lits.get(j).length();
    }
    return line.length() - last.length() >= pos && line.endsWith(last);
  }

  private static boolean anyContains(String line, List<String> vals) {
    for (String v : vals) {
      if (line.contains(v)) {
        return true;
      }
    }
    return false;
  }

  // ------------------------------------------------------------------ parsers

  private static boolean jsonAll(State s) {
    try (com.fasterxml.jackson.core.JsonParser p = JSON.createParser(s.line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        s.setErr("JSONParserErr", "expected a JSON object");
        return true;
      }
      Map<String, String> out = new LinkedHashMap<>();
      flatten(p, "", null, (k, v, path) -> out.put(k, v));
      if (p.nextToken() != null) {
        s.setErr("JSONParserErr", "unexpected data after the JSON object");
        return true;
      }
      out.forEach(s::extracted);
    } catch (IOException e) {
      s.setErr("JSONParserErr", String.valueOf(e.getMessage()));
    }
    return true;
  }

  /** Receives the flattened fields of a JSON object: name, value, and the keys leading there. */
  @FunctionalInterface
  interface JsonFieldSink {
    /** {@code path} is null unless the caller asked for paths. */
    void accept(String name, String value, List<String> path);
  }

  /**
   * Flattens an object as {@code | json} does: nested keys joined with '_' (each sanitized), arrays
   * skipped, null as "". With a non-null {@code path} (the keys above this object), each field also
   * gets its own list of raw keys; with null none is built.
   */
  static void flatten(
      com.fasterxml.jackson.core.JsonParser p, String prefix, List<String> path, JsonFieldSink out)
      throws IOException {
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String raw = p.currentName();
      String key = prefix + sanitize(raw);
      List<String> here = null;
      if (path != null) {
        here = new ArrayList<>(path.size() + 1);
        here.addAll(path);
        here.add(raw);
      }
      JsonToken t = p.nextToken();
      switch (t) {
        case START_OBJECT -> flatten(p, key + "_", here, out);
        case START_ARRAY -> p.skipChildren();
        case VALUE_NULL -> out.accept(key, "", here);
        default -> out.accept(key, p.getText(), here);
      }
    }
  }

  private static Step jsonPaths(List<Extraction> params) {
    List<List<Object>> paths = new ArrayList<>();
    for (Extraction e : params) {
      paths.add(JsonPath.parse(e.path()));
    }
    return s -> {
      com.fasterxml.jackson.databind.JsonNode root;
      try {
        root = dev.osprey.core.http.Json.MAPPER.readTree(s.line);
      } catch (IOException e) {
        s.setErr("JSONParserErr", e.getMessage());
        return true;
      }
      if (root == null || !root.isObject()) {
        s.setErr("JSONParserErr", "expected a JSON object");
        return true;
      }
      for (int i = 0; i < params.size(); i++) {
        com.fasterxml.jackson.databind.JsonNode n = JsonPath.get(root, paths.get(i));
        String v = n == null || n.isNull() ? "" : n.isValueNode() ? n.asText() : n.toString();
        s.extracted(params.get(i).label(), v);
      }
      return true;
    };
  }

  private static boolean unpack(State s) {
    try (com.fasterxml.jackson.core.JsonParser p = JSON.createParser(s.line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        s.setErr("JSONParserErr", "expected a JSON object");
        return true;
      }
      String entry = null;
      Map<String, String> out = new LinkedHashMap<>();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String k = p.currentName();
        JsonToken t = p.nextToken();
        if (t == JsonToken.VALUE_STRING) {
          if (k.equals("_entry")) {
            entry = p.getText();
          } else {
            out.put(k, p.getText());
          }
        } else {
          p.skipChildren();
        }
      }
      out.forEach(s::extracted);
      if (entry != null) {
        s.line = entry;
      }
    } catch (IOException e) {
      s.setErr("JSONParserErr", e.getMessage());
    }
    return true;
  }

  /**
   * Loki's logfmt stage: every pair, or with extractions ({@code | logfmt a="key"}) the wanted keys
   * under their labels; only {@code --strict} turns a syntax error into {@code LogfmtParserErr}
   * (pairs before it kept).
   */
  private static Step logfmt(LogfmtParser l) {
    Map<String, List<String>> wanted = new LinkedHashMap<>();
    for (Extraction e : l.params()) {
      wanted.computeIfAbsent(e.path(), k -> new ArrayList<>()).add(e.label());
    }
    return s -> {
      String err =
          Logfmt.decode(
              s.line,
              l.strict(),
              l.keepEmpty(),
              wanted.isEmpty()
                  ? s::extracted
                  : (k, v) -> {
                    List<String> labels = wanted.get(k);
                    if (labels != null) {
                      labels.forEach(label -> s.extracted(label, v));
                    }
                  });
      if (err != null && l.strict()) {
        s.setErr("LogfmtParserErr", err);
      }
      return true;
    };
  }

  private static Step regexp(Pattern p) {
    Map<String, Integer> groups = p.namedGroups();
    return s -> {
      Matcher m = p.matcher(s.line);
      if (m.find()) {
        for (Map.Entry<String, Integer> g : groups.entrySet()) {
          String v = m.group(g.getValue());
          s.extracted(g.getKey(), v == null ? "" : v);
        }
      }
      return true;
    };
  }

  // ------------------------------------------------------------------ label stages

  static boolean labelFilter(LabelFilter f, State s) {
    return switch (f) {
      case And a -> labelFilter(a.l(), s) && labelFilter(a.r(), s);
      case Or o -> labelFilter(o.l(), s) || labelFilter(o.r(), s);
      case StringFilter sf -> sf.matcher().matches(s.get(sf.matcher().name()));
      case NumberFilter nf -> numberFilter(nf, s);
      case IpFilter ip -> ipFilter(ip, s);
    };
  }

  /** Loki's: a line with an error passes, a missing label does not. */
  private static boolean ipFilter(IpFilter f, State s) {
    if (s.hasErr()) {
      return true;
    }
    String v = s.labels.get(f.name());
    return v != null && f.matcher().matches(v) != f.negate();
  }

  private static boolean numberFilter(NumberFilter nf, State s) {
    if (s.hasErr()) {
      return true; // only string matchers filter lines in error
    }
    String v = s.labels.get(nf.name());
    if (v == null || v.isEmpty()) {
      return false;
    }
    double x = convert(v, nf.kind());
    if (Double.isNaN(x)) {
      s.setErr("LabelFilterErr", "cannot convert " + v + " to " + nf.kind());
      return true;
    }
    return switch (nf.op()) {
      case "==" -> x == nf.value();
      case "!=" -> x != nf.value();
      case ">" -> x > nf.value();
      case ">=" -> x >= nf.value();
      case "<" -> x < nf.value();
      case "<=" -> x <= nf.value();
      default -> throw new IllegalStateException("BUG: operator " + nf.op());
    };
  }

  /** A label value as a number, duration in seconds or bytes; NaN when it does not convert. */
  static double convert(String v, NumKind kind) {
    String t = v.strip();
    switch (kind) {
      case DURATION -> {
        long d = Lexer.parseDuration(t.startsWith("-") ? t.substring(1) : t);
        if (d < 0) {
          return Double.NaN;
        }
        return (t.startsWith("-") ? -d : d) / 1e9;
      }
      case BYTES -> {
        double b = Lexer.parseBytes(t.replace(" ", ""));
        return b < 0 ? Double.NaN : b;
      }
      default -> {
        try {
          return Double.parseDouble(t);
        } catch (NumberFormatException e) {
          return Double.NaN;
        }
      }
    }
  }

  private static Step labelFormat(LabelFormat lf) {
    List<Template> tpls = new ArrayList<>();
    for (LabelFmt i : lf.items()) {
      tpls.add(i.isTemplate() ? LogTemplates.compile("label", i.src()) : null);
    }
    return s -> {
      Map<String, String> snapshot = new LinkedHashMap<>(s.labels);
      for (int i = 0; i < lf.items().size(); i++) {
        LabelFmt it = lf.items().get(i);
        if (it.isTemplate()) {
          try {
            s.labels.put(
                it.dst(),
                LogTemplates.render(tpls.get(i), new LogTemplates.Ctx(snapshot, s.line, s.ts)));
          } catch (RuntimeException e) {
            s.setErr("TemplateFormatErr", String.valueOf(e.getMessage()));
          }
        } else {
          String v = snapshot.get(it.src());
          s.labels.remove(it.src());
          s.labels.put(it.dst(), v == null ? "" : v);
        }
      }
      return true;
    };
  }

  private static Step dropKeep(DropKeep dk) {
    return s -> {
      Iterator<Map.Entry<String, String>> it = s.labels.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<String, String> e = it.next();
        boolean listed = dk.names().contains(e.getKey());
        for (LabelMatcher m : dk.matchers()) {
          if (m.name().equals(e.getKey()) && m.matches(e.getValue())) {
            listed = true;
          }
        }
        if (listed != dk.keep()) {
          it.remove();
        }
      }
      return true;
    };
  }
}
