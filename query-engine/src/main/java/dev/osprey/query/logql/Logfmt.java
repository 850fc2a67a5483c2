package dev.osprey.query.logql;

import java.util.LinkedHashMap;
import java.util.Map;

/** A lenient logfmt decoder: {@code key=value key="quoted \" value" flag}. */
final class Logfmt {
  private Logfmt() {}

  /** The pairs of a line in order (later keys win); null when a quote is left open. */
  static Map<String, String> parse(String s) {
    Map<String, String> out = new LinkedHashMap<>();
    int i = 0;
    int n = s.length();
    while (i < n) {
      while (i < n && s.charAt(i) <= ' ') {
        i++;
      }
      if (i >= n) {
        break;
      }
      int ks = i;
      while (i < n && s.charAt(i) > ' ' && s.charAt(i) != '=' && s.charAt(i) != '"') {
        i++;
      }
      String key = s.substring(ks, i);
      if (i < n && s.charAt(i) == '"') { // garbage quote in a key: skip the token
        i++;
        continue;
      }
      String val = "";
      if (i < n && s.charAt(i) == '=') {
        i++;
        if (i < n && s.charAt(i) == '"') {
          StringBuilder b = new StringBuilder();
          i++;
          boolean closed = false;
          while (i < n) {
            char c = s.charAt(i++);
            if (c == '"') {
              closed = true;
              break;
            }
            if (c == '\\' && i < n) {
              b.append(unescape(s.charAt(i++)));
            } else {
              b.append(c);
            }
          }
          if (!closed) {
            return null;
          }
          val = b.toString();
        } else {
          int vs = i;
          while (i < n && s.charAt(i) > ' ') {
            i++;
          }
          val = s.substring(vs, i);
        }
      }
      if (!key.isEmpty()) {
        out.put(key, val);
      }
    }
    return out;
  }

  /**
   * The character a backslash escape stands for in a quoted value: n, t and r as in C, else itself.
   */
  static char unescape(char e) {
    return switch (e) {
      case 'n' -> '\n';
      case 't' -> '\t';
      case 'r' -> '\r';
      default -> e;
    };
  }
}
