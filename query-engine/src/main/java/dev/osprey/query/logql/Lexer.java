package dev.osprey.query.logql;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Splits LogQL into tokens. */
final class Lexer {
  enum T {
    IDENT,
    STRING,
    NUMBER,
    DURATION,
    BYTES,
    OP,
    EOF
  }

  record Tok(T type, String text, double num, int pos) {
    boolean is(String s) {
      return (type == T.OP || type == T.IDENT) && text.equals(s);
    }

    @Override
    public String toString() {
      return type == T.EOF ? "end of input" : type == T.STRING ? "\"" + text + "\"" : text;
    }
  }

  private static final String[] OPS = {
    "|=", "|~", "|>", "!>", "!=", "!~", "=~", "==", ">=", "<=", "|", "=", ">", "<", "{", "}", "(",
    ")", "[", "]", ",", "+", "-", "*", "/", "%", "^"
  };

  static List<Tok> lex(String s) {
    List<Tok> out = new ArrayList<>();
    int i = 0;
    int n = s.length();
    outer:
    while (i < n) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
        continue;
      }
      if (c == '#') { // comment to end of line
        while (i < n && s.charAt(i) != '\n') {
          i++;
        }
        continue;
      }
      int start = i;
      if (c == '"' || c == '`') {
        StringBuilder b = new StringBuilder();
        i++;
        while (true) {
          if (i >= n) {
            throw new LogQLParseException(s, start, "syntax error: unterminated string");
          }
          char d = s.charAt(i++);
          if (d == c) {
            break;
          }
          if (d == '\\' && c == '"') {
            if (i >= n) {
              throw new LogQLParseException(s, start, "syntax error: unterminated string");
            }
            char e = s.charAt(i++);
            switch (e) {
              case 'n' -> b.append('\n');
              case 't' -> b.append('\t');
              case 'r' -> b.append('\r');
              case '\\', '"', '\'' -> b.append(e);
              case 'u' -> {
                if (i + 4 > n) {
                  throw new LogQLParseException(s, i, "syntax error: invalid escape");
                }
                b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                i += 4;
              }
              default ->
                  throw new LogQLParseException(
                      s, i - 2, "syntax error: invalid escape sequence \\" + e);
            }
          } else {
            b.append(d);
          }
        }
        out.add(new Tok(T.STRING, b.toString(), 0, start));
        continue;
      }
      if (Character.isDigit(c) || (c == '.' && i + 1 < n && Character.isDigit(s.charAt(i + 1)))) {
        while (i < n && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.')) {
          i++;
        }
        String text = s.substring(start, i);
        out.add(number(s, start, text));
        continue;
      }
      if (Character.isLetter(c) || c == '_') {
        while (i < n && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
          i++;
        }
        out.add(new Tok(T.IDENT, s.substring(start, i), 0, start));
        continue;
      }
      for (String op : OPS) {
        if (s.startsWith(op, i)) {
          out.add(new Tok(T.OP, op, 0, start));
          i += op.length();
          continue outer;
        }
      }
      throw new LogQLParseException(s, i, "syntax error: unexpected character '" + c + "'");
    }
    out.add(new Tok(T.EOF, "", 0, n));
    return out;
  }

  private static Tok number(String s, int pos, String text) {
    try {
      return new Tok(T.NUMBER, text, Double.parseDouble(text), pos);
    } catch (NumberFormatException ignored) {
      // not a plain number: a duration or a byte size
    }
    if (text.startsWith("0x")) {
      return new Tok(T.NUMBER, text, Long.parseLong(text.substring(2), 16), pos);
    }
    long d = parseDuration(text);
    if (d >= 0) {
      return new Tok(T.DURATION, text, d, pos);
    }
    double b = parseBytes(text);
    if (b >= 0) {
      return new Tok(T.BYTES, text, b, pos);
    }
    throw new LogQLParseException(s, pos, "syntax error: invalid number or duration " + text);
  }

  /** A Go/Prometheus duration ({@code 1h30m}, {@code 250ms}, {@code 1.5s}) in ns, or -1. */
  static long parseDuration(String text) {
    int i = 0;
    int n = text.length();
    double total = 0;
    if (n == 0) {
      return -1;
    }
    while (i < n) {
      int s = i;
      while (i < n && (Character.isDigit(text.charAt(i)) || text.charAt(i) == '.')) {
        i++;
      }
      if (s == i) {
        return -1;
      }
      double v;
      try {
        v = Double.parseDouble(text.substring(s, i));
      } catch (NumberFormatException e) {
        return -1;
      }
      int u = i;
      while (i < n && (Character.isLetter(text.charAt(i)) || text.charAt(i) == 'µ')) {
        i++;
      }
      double mult =
          switch (text.substring(u, i)) {
            case "ns" -> 1;
            case "us", "µs" -> 1e3;
            case "ms" -> 1e6;
            case "s" -> 1e9;
            case "m" -> 60e9;
            case "h" -> 3600e9;
            case "d" -> 86400e9;
            case "w" -> 7 * 86400e9;
            case "y" -> 365 * 86400e9;
            default -> -1;
          };
      if (mult < 0) {
        return -1;
      }
      total += v * mult;
    }
    return (long) total;
  }

  /** A byte size ({@code 10KB}, {@code 5MiB}, {@code 20b}) or -1. */
  static double parseBytes(String text) {
    int i = 0;
    while (i < text.length() && (Character.isDigit(text.charAt(i)) || text.charAt(i) == '.')) {
      i++;
    }
    if (i == 0) {
      return -1;
    }
    double v;
    try {
      v = Double.parseDouble(text.substring(0, i));
    } catch (NumberFormatException e) {
      return -1;
    }
    String u = text.substring(i).trim().toLowerCase(Locale.ROOT);
    double m =
        switch (u) {
          case "b", "" -> 1;
          case "kb", "k" -> 1e3;
          case "kib", "ki" -> 1024;
          case "mb", "m" -> 1e6;
          case "mib", "mi" -> 1 << 20;
          case "gb", "g" -> 1e9;
          case "gib", "gi" -> 1 << 30;
          case "tb", "t" -> 1e12;
          case "tib", "ti" -> Math.pow(2, 40);
          case "pb", "p" -> 1e15;
          case "pib", "pi" -> Math.pow(2, 50);
          default -> -1;
        };
    return m < 0 ? -1 : v * m;
  }
}
