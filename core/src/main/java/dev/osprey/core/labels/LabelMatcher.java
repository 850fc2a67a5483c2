package dev.osprey.core.labels;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A label matcher with Prometheus semantics: {@code =}, {@code !=}, {@code =~}, {@code !~}. Regular
 * expressions are RE2 (linear time, so no query can hang the server) and fully anchored, as
 * Prometheus anchors them: {@code ^(?s:pattern)$}. A missing label matches as the empty string.
 */
public final class LabelMatcher {
  public enum Type {
    EQUAL("="),
    NOT_EQUAL("!="),
    REGEX("=~"),
    NOT_REGEX("!~");

    private final String op;

    Type(String op) {
      this.op = op;
    }

    public String op() {
      return op;
    }
  }

  private final Type type;
  private final String name;
  private final String value;
  private final Pattern pattern; // null for EQUAL / NOT_EQUAL and for regexes with a fast path
  private final List<String> setMatches; // literal alternatives of a regex, or null
  private final boolean matchAllRegex; // ".*"
  private final boolean matchNonEmptyRegex; // ".+"
  private final String prefix; // a literal every match starts with, or null
  private final int afterPrefix; // PATTERN, ANY (prefix.*) or NON_EMPTY (prefix.+)

  private static final int PATTERN = 0;
  private static final int ANY = 1;
  private static final int NON_EMPTY = 2;

  private LabelMatcher(Type type, String name, String value) {
    this.type = Objects.requireNonNull(type);
    this.name = Objects.requireNonNull(name);
    this.value = Objects.requireNonNull(value);
    if (type == Type.REGEX || type == Type.NOT_REGEX) {
      this.matchAllRegex = value.equals(".*");
      this.matchNonEmptyRegex = value.equals(".+");
      this.setMatches = literalAlternatives(value);
      int[] split = literalPrefix(value);
      this.prefix = split == null ? null : unescape(value.substring(0, split[0]));
      String rest = split == null ? null : value.substring(split[0]);
      this.afterPrefix =
          rest == null
              ? PATTERN
              : rest.equals(".*") ? ANY : rest.equals(".+") ? NON_EMPTY : PATTERN;
      if (matchAllRegex
          || matchNonEmptyRegex
          || setMatches != null
          || (prefix != null && afterPrefix != PATTERN)) {
        this.pattern = null;
      } else {
        try {
          this.pattern = compile(value);
        } catch (PatternSyntaxException e) {
          throw new IllegalArgumentException(
              "invalid regular expression " + Labels.quote(value) + ": " + e.getDescription(), e);
        }
      }
    } else {
      this.pattern = null;
      this.prefix = null;
      this.afterPrefix = PATTERN;
      this.setMatches = null;
      this.matchAllRegex = false;
      this.matchNonEmptyRegex = false;
    }
  }

  /**
   * Patterns compiled before (they are immutable): dashboards send the same few again and again.
   */
  private static final ConcurrentHashMap<String, Pattern> COMPILED = new ConcurrentHashMap<>();

  private static final int MAX_COMPILED = 1024;

  private static Pattern compile(String re) {
    Pattern p = COMPILED.get(re);
    if (p == null) {
      p = Pattern.compile("^(?s:" + re + ")$");
      if (COMPILED.size() >= MAX_COMPILED) {
        COMPILED.clear(); // bounded; a workload of more distinct regexes compiles as before
      }
      COMPILED.put(re, p);
    }
    return p;
  }

  /**
   * Creates a matcher.
   *
   * @throws IllegalArgumentException when a regex does not compile; the message names the pattern
   */
  public static LabelMatcher of(Type type, String name, String value) {
    return new LabelMatcher(type, name, value);
  }

  public static LabelMatcher equal(String name, String value) {
    return new LabelMatcher(Type.EQUAL, name, value);
  }

  public static LabelMatcher notEqual(String name, String value) {
    return new LabelMatcher(Type.NOT_EQUAL, name, value);
  }

  public static LabelMatcher regex(String name, String value) {
    return new LabelMatcher(Type.REGEX, name, value);
  }

  public static LabelMatcher notRegex(String name, String value) {
    return new LabelMatcher(Type.NOT_REGEX, name, value);
  }

  public Type type() {
    return type;
  }

  public String name() {
    return name;
  }

  public String value() {
    return value;
  }

  public boolean matches(String v) {
    return switch (type) {
      case EQUAL -> value.equals(v);
      case NOT_EQUAL -> !value.equals(v);
      case REGEX -> regexMatches(v);
      case NOT_REGEX -> !regexMatches(v);
    };
  }

  private boolean regexMatches(String v) {
    if (matchAllRegex) {
      return true;
    }
    if (matchNonEmptyRegex) {
      return !v.isEmpty();
    }
    if (setMatches != null) {
      return setMatches.contains(v);
    }
    if (prefix != null) {
      if (!v.startsWith(prefix)) {
        return false;
      }
      if (afterPrefix == ANY) {
        return true;
      }
      if (afterPrefix == NON_EMPTY) {
        return v.length() > prefix.length();
      }
    }
    return pattern.matcher(v).matches();
  }

  /**
   * For {@code =~} and {@code !~}: a literal that every value the regex matches starts with ({@code
   * "app-"} for {@code app-.*}, {@code "ns-"} for {@code ns-[0-3]}), so that an index can look at
   * the values in that range of its sorted list only; null when there is none.
   */
  public String literalPrefix() {
    return prefix;
  }

  /** Whether this matcher accepts a series that lacks the label (the empty value). */
  public boolean matchesEmpty() {
    return matches("");
  }

  /**
   * For {@code =~} with a regex that is only literal alternatives ({@code a|b|c}) or a single
   * literal: those values, so an index can look them up directly. Otherwise null.
   */
  public List<String> setMatches() {
    return type == Type.REGEX ? setMatches : null;
  }

  /** True for {@code =~".*"}, which matches every value including absence. */
  public boolean isMatchAll() {
    return (type == Type.REGEX && matchAllRegex) || (type == Type.NOT_EQUAL && value.isEmpty());
  }

  private static List<String> literalAlternatives(String re) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (int i = 0; i < re.length(); i++) {
      char c = re.charAt(i);
      if (c == '|') {
        out.add(cur.toString());
        cur.setLength(0);
      } else if (c == '\\' && i + 1 < re.length() && isMeta(re.charAt(i + 1))) {
        cur.append(re.charAt(++i));
      } else if (isMeta(c)) {
        return null;
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString());
    return List.copyOf(out);
  }

  /**
   * The end (in the pattern) of the literal ASCII run a pattern starts with, whose every character
   * every match must have; null when there is no such run or the pattern has an alternation.
   */
  private static int[] literalPrefix(String re) {
    for (int i = 0; i < re.length(); i++) {
      if (re.charAt(i) == '\\') {
        i++;
      } else if (re.charAt(i) == '|') {
        return null; // a|b: neither side's prefix is required
      }
    }
    int i = 0;
    int lastStart = -1; // where the last literal of the run starts (escapes take two chars)
    while (i < re.length()) {
      char c = re.charAt(i);
      if (c == '\\' && i + 1 < re.length() && isMeta(re.charAt(i + 1))) {
        lastStart = i;
        i += 2;
      } else if (c < 0x80 && !isMeta(c)) {
        lastStart = i;
        i++;
      } else {
        break;
      }
    }
    if (i < re.length() && "*+?{".indexOf(re.charAt(i)) >= 0) {
      i = lastStart; // the last literal is quantified: it may be missing or repeated
    }
    return i <= 0 ? null : new int[] {i};
  }

  private static String unescape(String literal) {
    StringBuilder out = new StringBuilder(literal.length());
    for (int i = 0; i < literal.length(); i++) {
      char c = literal.charAt(i);
      out.append(c == '\\' && i + 1 < literal.length() ? literal.charAt(++i) : c);
    }
    return out.toString();
  }

  private static boolean isMeta(char c) {
    return "\\.+*?()[]{}^$|".indexOf(c) >= 0;
  }

  /** The PromQL form: {@code name="value"}. */
  @Override
  public String toString() {
    String n = Labels.isValidLabelName(name) ? name : Labels.quote(name);
    return n + type.op + Labels.quote(value);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LabelMatcher m
        && m.type == type
        && m.name.equals(name)
        && m.value.equals(value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, name, value);
  }
}
