package dev.osprey.core.labels;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

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

  private LabelMatcher(Type type, String name, String value) {
    this.type = Objects.requireNonNull(type);
    this.name = Objects.requireNonNull(name);
    this.value = Objects.requireNonNull(value);
    if (type == Type.REGEX || type == Type.NOT_REGEX) {
      this.matchAllRegex = value.equals(".*");
      this.matchNonEmptyRegex = value.equals(".+");
      this.setMatches = literalAlternatives(value);
      if (matchAllRegex || matchNonEmptyRegex || setMatches != null) {
        this.pattern = null;
      } else {
        try {
          this.pattern = Pattern.compile("^(?s:" + value + ")$");
        } catch (PatternSyntaxException e) {
          throw new IllegalArgumentException(
              "invalid regular expression " + Labels.quote(value) + ": " + e.getDescription(), e);
        }
      }
    } else {
      this.pattern = null;
      this.setMatches = null;
      this.matchAllRegex = false;
      this.matchNonEmptyRegex = false;
    }
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
    return pattern.matcher(v).matches();
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
