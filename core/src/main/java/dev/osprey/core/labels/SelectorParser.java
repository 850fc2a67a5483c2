package dev.osprey.core.labels;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses a PromQL series selector ({@code name{label="value", ...}}) as the admin API's {@code
 * match[]} takes it. Errors name the byte offset.
 */
public final class SelectorParser {
  private final String s;
  private int pos;

  private SelectorParser(String s) {
    this.s = s;
  }

  public static LabelMatcher[] parse(String selector) {
    SelectorParser p = new SelectorParser(selector);
    List<LabelMatcher> out = p.selector();
    if (out.stream().allMatch(LabelMatcher::matchesEmpty)) {
      throw new IllegalArgumentException(
          "vector selector must contain at least one non-empty matcher");
    }
    return out.toArray(LabelMatcher[]::new);
  }

  private IllegalArgumentException error(String why) {
    return new IllegalArgumentException("cannot parse selector at offset " + pos + ": " + why);
  }

  private List<LabelMatcher> selector() {
    List<LabelMatcher> out = new ArrayList<>();
    skipSpaces();
    int start = pos;
    while (pos < s.length() && isNameChar(s.charAt(pos), pos == start, true)) {
      pos++;
    }
    if (pos > start) {
      out.add(LabelMatcher.equal(Labels.METRIC_NAME, s.substring(start, pos)));
    }
    skipSpaces();
    if (pos < s.length() && s.charAt(pos) == '{') {
      pos++;
      while (true) {
        skipSpaces();
        if (pos < s.length() && s.charAt(pos) == '}') {
          pos++;
          break;
        }
        out.add(matcher());
        skipSpaces();
        if (pos < s.length() && s.charAt(pos) == ',') {
          pos++;
        } else if (pos >= s.length() || s.charAt(pos) != '}') {
          throw error("expected , or }");
        }
      }
    }
    skipSpaces();
    if (pos != s.length()) {
      throw error("unexpected " + Labels.quote(s.substring(pos, pos + 1)));
    }
    if (out.isEmpty()) {
      throw error("empty selector");
    }
    return out;
  }

  private LabelMatcher matcher() {
    int start = pos;
    while (pos < s.length() && isNameChar(s.charAt(pos), pos == start, false)) {
      pos++;
    }
    if (pos == start) {
      throw error("expected a label name");
    }
    String name = s.substring(start, pos);
    skipSpaces();
    LabelMatcher.Type type;
    if (s.startsWith("=~", pos)) {
      type = LabelMatcher.Type.REGEX;
      pos += 2;
    } else if (s.startsWith("!~", pos)) {
      type = LabelMatcher.Type.NOT_REGEX;
      pos += 2;
    } else if (s.startsWith("!=", pos)) {
      type = LabelMatcher.Type.NOT_EQUAL;
      pos += 2;
    } else if (s.startsWith("=", pos)) {
      type = LabelMatcher.Type.EQUAL;
      pos += 1;
    } else {
      throw error("expected a matcher operator");
    }
    skipSpaces();
    String value = string();
    try {
      return LabelMatcher.of(type, name, value);
    } catch (IllegalArgumentException e) {
      throw error(e.getMessage());
    }
  }

  private String string() {
    if (pos >= s.length()) {
      throw error("expected a string");
    }
    char q = s.charAt(pos);
    if (q != '"' && q != '\'' && q != '`') {
      throw error("expected a string");
    }
    pos++;
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= s.length()) {
        throw error("unterminated string");
      }
      char c = s.charAt(pos++);
      if (c == q) {
        return sb.toString();
      }
      if (c == '\\' && q != '`') {
        if (pos >= s.length()) {
          throw error("unterminated string");
        }
        char e = s.charAt(pos++);
        switch (e) {
          case 'n' -> sb.append('\n');
          case 't' -> sb.append('\t');
          case 'r' -> sb.append('\r');
          case '\\', '"', '\'' -> sb.append(e);
          default -> throw error("unknown escape sequence \\" + e);
        }
      } else {
        sb.append(c);
      }
    }
  }

  private static boolean isNameChar(char c, boolean first, boolean colon) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || c == '_'
        || (colon && c == ':')
        || (!first && c >= '0' && c <= '9');
  }

  private void skipSpaces() {
    while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
      pos++;
    }
  }
}
