package dev.osprey.query.logql;

import java.util.ArrayList;
import java.util.List;

/**
 * Loki's {@code pattern} parser: literals and {@code <name>} captures ({@code <_>} captures and
 * discards). Matching starts at the beginning of the line; a capture runs to the first occurrence
 * of the next literal; a last capture takes the rest of the line; text after a final literal is
 * ignored.
 */
final class PatternMatcher {
  private final List<String> literals = new ArrayList<>(); // literal before capture i; last = tail
  private final List<String> names = new ArrayList<>();

  private PatternMatcher() {}

  static PatternMatcher compile(String pattern) {
    PatternMatcher m = new PatternMatcher();
    StringBuilder lit = new StringBuilder();
    int i = 0;
    boolean lastWasCapture = false;
    int named = 0;
    while (i < pattern.length()) {
      char c = pattern.charAt(i);
      if (c == '<') {
        int e = pattern.indexOf('>', i);
        String name = e > 0 ? pattern.substring(i + 1, e) : "";
        if (e > 0 && isName(name)) {
          if (lastWasCapture && lit.isEmpty()) {
            throw new IllegalArgumentException(
                "invalid pattern " + pattern + ": consecutive capture");
          }
          m.literals.add(lit.toString());
          lit.setLength(0);
          m.names.add(name);
          if (!name.equals("_")) {
            named++;
          }
          lastWasCapture = true;
          i = e + 1;
          continue;
        }
      }
      lit.append(c);
      lastWasCapture = false;
      i++;
    }
    m.literals.add(lit.toString());
    if (named == 0) {
      throw new IllegalArgumentException(
          "invalid pattern " + pattern + ": at least one capture must be named");
    }
    return m;
  }

  /** A capture name: a letter or underscore, then letters, digits or underscores. */
  static boolean isName(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || c == '_'
              || (i > 0 && c >= '0' && c <= '9');
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** Calls {@code sink} with each named capture; returns false (and calls nothing) on no match. */
  boolean match(String line, java.util.function.BiConsumer<String, String> sink) {
    String[] vals = new String[names.size()];
    int pos = 0;
    String first = literals.get(0);
    if (!line.startsWith(first)) {
      return false;
    }
    pos = first.length();
    for (int c = 0; c < names.size(); c++) {
      String next = literals.get(c + 1);
      if (next.isEmpty()) { // last capture, rest of the line
        vals[c] = line.substring(pos);
        pos = line.length();
      } else {
        int at = line.indexOf(next, pos);
        if (at < 0) {
          return false;
        }
        vals[c] = line.substring(pos, at);
        pos = at + next.length();
      }
    }
    for (int c = 0; c < names.size(); c++) {
      if (!names.get(c).equals("_")) {
        sink.accept(names.get(c), vals[c]);
      }
    }
    return true;
  }
}
