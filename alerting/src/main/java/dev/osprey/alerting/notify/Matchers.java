package dev.osprey.alerting.notify;

import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import java.util.ArrayList;
import java.util.List;

/** Alertmanager's matcher syntax: {@code name="value"}, {@code =~}, {@code !=}, {@code !~}. */
public final class Matchers {
  private Matchers() {}

  /**
   * Parses one matcher or a braced, comma-separated list: {@code {a="b", c=~"d.*"}} or {@code a=b}.
   *
   * @throws IllegalArgumentException naming the input and what is wrong
   */
  public static List<LabelMatcher> parse(String input) {
    String s = input.strip();
    if (s.startsWith("{")) {
      if (!s.endsWith("}")) {
        throw new IllegalArgumentException("bad matcher format: " + input + ": missing }");
      }
      s = s.substring(1, s.length() - 1);
    }
    List<LabelMatcher> out = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      while (i < s.length() && (Character.isWhitespace(s.charAt(i)) || s.charAt(i) == ',')) {
        i++;
      }
      if (i >= s.length()) {
        break;
      }
      int ns = i;
      while (i < s.length() && "=!~".indexOf(s.charAt(i)) < 0) {
        i++;
      }
      String name = s.substring(ns, i).strip();
      if (name.startsWith("\"") && name.endsWith("\"") && name.length() >= 2) {
        name = name.substring(1, name.length() - 1);
      }
      if (name.isEmpty() || i >= s.length()) {
        throw new IllegalArgumentException("bad matcher format: " + input);
      }
      LabelMatcher.Type type;
      if (s.startsWith("=~", i)) {
        type = LabelMatcher.Type.REGEX;
        i += 2;
      } else if (s.startsWith("!~", i)) {
        type = LabelMatcher.Type.NOT_REGEX;
        i += 2;
      } else if (s.startsWith("!=", i)) {
        type = LabelMatcher.Type.NOT_EQUAL;
        i += 2;
      } else if (s.charAt(i) == '=') {
        type = LabelMatcher.Type.EQUAL;
        i += 1;
      } else {
        throw new IllegalArgumentException("bad matcher format: " + input);
      }
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      StringBuilder v = new StringBuilder();
      if (i < s.length() && s.charAt(i) == '"') {
        i++;
        boolean closed = false;
        while (i < s.length()) {
          char c = s.charAt(i++);
          if (c == '\\' && i < s.length()) {
            char e = s.charAt(i++);
            v.append(
                switch (e) {
                  case 'n' -> '\n';
                  case 't' -> '\t';
                  default -> e;
                });
          } else if (c == '"') {
            closed = true;
            break;
          } else {
            v.append(c);
          }
        }
        if (!closed) {
          throw new IllegalArgumentException(
              "bad matcher format: " + input + ": unterminated quote");
        }
      } else {
        while (i < s.length() && s.charAt(i) != ',') {
          v.append(s.charAt(i++));
        }
      }
      out.add(LabelMatcher.of(type, name, v.toString().strip()));
    }
    return out;
  }

  public static boolean matches(List<LabelMatcher> ms, Labels l) {
    for (LabelMatcher m : ms) {
      if (!m.matches(l.get(m.name()))) {
        return false;
      }
    }
    return true;
  }

  /** Alertmanager's Matchers.String(): {@code {a="b",c=~"d"}}. */
  public static String toString(List<LabelMatcher> ms) {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < ms.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      LabelMatcher m = ms.get(i);
      sb.append(m.name()).append(m.type().op()).append(Labels.quote(m.value()));
    }
    return sb.append('}').toString();
  }
}
