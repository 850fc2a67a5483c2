package dev.osprey.logs.index.http;

import dev.osprey.core.labels.Labels;

/** Parses a stream's label string as the push protocol carries it: {@code {a="b", c="d"}}. */
public final class LabelsParser {
  private LabelsParser() {}

  /**
   * @throws IllegalArgumentException with the byte offset on malformed input
   */
  public static Labels parse(String s) {
    Labels.Builder b = Labels.builder();
    int i = skip(s, 0);
    if (i >= s.length() || s.charAt(i) != '{') {
      throw new IllegalArgumentException("expected '{' at offset " + i);
    }
    i = skip(s, i + 1);
    while (i < s.length() && s.charAt(i) != '}') {
      int ns = i;
      while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
        i++;
      }
      if (i == ns) {
        throw new IllegalArgumentException("expected label name at offset " + i);
      }
      String name = s.substring(ns, i);
      i = skip(s, i);
      if (i >= s.length() || s.charAt(i) != '=') {
        throw new IllegalArgumentException("expected '=' at offset " + i);
      }
      i = skip(s, i + 1);
      if (i >= s.length() || s.charAt(i) != '"') {
        throw new IllegalArgumentException("expected '\"' at offset " + i);
      }
      StringBuilder v = new StringBuilder();
      i++;
      while (true) {
        if (i >= s.length()) {
          throw new IllegalArgumentException("unterminated label value at offset " + i);
        }
        char c = s.charAt(i++);
        if (c == '"') {
          break;
        }
        if (c == '\\' && i < s.length()) {
          char e = s.charAt(i++);
          v.append(
              switch (e) {
                case 'n' -> '\n';
                case 't' -> '\t';
                default -> e;
              });
        } else {
          v.append(c);
        }
      }
      b.set(name, v.toString());
      i = skip(s, i);
      if (i < s.length() && s.charAt(i) == ',') {
        i = skip(s, i + 1);
      }
    }
    if (i >= s.length()) {
      throw new IllegalArgumentException("expected '}' at offset " + i);
    }
    return b.build();
  }

  private static int skip(String s, int i) {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
    return i;
  }
}
