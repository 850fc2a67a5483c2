package dev.osprey.query.logql;

import java.util.function.BiConsumer;

/**
 * The logfmt decoder of Loki's {@code | logfmt} parser (go-logfmt's, as Loki adapted it): {@code
 * key=value key="quoted \" value" flag}.
 *
 * <p>A key is the bytes up to {@code =} or whitespace; an empty key, a quote in a key, or {@code =}
 * or a quote inside an unquoted value is an error that skips to the next whitespace. A quoted value
 * takes JSON's escapes ({@code \" \\ \/ \' \b \f \n \r \t \\uXXXX}); any other escape, a control
 * character or a missing closing quote is an error. Without {@code --strict} an error skips that
 * pair and decoding goes on; with it, decoding stops and the error is reported. Empty values (a
 * bare key, {@code key=}, or a value holding U+FFFD) are dropped unless {@code --keep-empty}.
 */
final class Logfmt {
  private Logfmt() {}

  /**
   * Decodes a line, handing each pair to {@code out} in order (later keys win in the caller).
   *
   * @return null, or the first error as Loki words it ({@code logfmt syntax error at pos N : ...});
   *     with {@code strict} decoding stopped there
   */
  static String decode(
      String s, boolean strict, boolean keepEmpty, BiConsumer<String, String> out) {
    Decoder d = new Decoder(s);
    while (d.pos < s.length()) {
      if (!d.scan()) {
        if (strict && d.err != null) {
          break;
        }
        continue;
      }
      String v = d.value;
      if (v != null && v.indexOf('\uFFFD') >= 0) {
        v = null; // Prometheus refuses U+FFFD, so Loki drops the value
      }
      if (v == null || v.isEmpty()) {
        if (!keepEmpty) {
          continue;
        }
        v = "";
      }
      out.accept(d.key, v);
    }
    return d.err;
  }

  private static final class Decoder {
    final String line;
    int pos;
    String key;
    String value;
    String err;

    Decoder(String line) {
      this.line = line;
    }

    /** The next pair into key and value; false at the end or on an error (then err is set). */
    boolean scan() {
      key = null;
      value = null;
      int n = line.length();
      while (pos < n && line.charAt(pos) <= ' ') {
        pos++;
      }
      if (pos >= n) {
        return false;
      }
      int start = pos;
      while (pos < n) {
        char c = line.charAt(pos);
        if (c == '=') {
          if (pos == start) {
            return unexpected(c);
          }
          key = line.substring(start, pos);
          if (key.indexOf('\uFFFD') >= 0) {
            return error("invalid key") && skip();
          }
          return value();
        }
        if (c == '"') {
          return unexpected(c);
        }
        if (c <= ' ') {
          break;
        }
        pos++;
      }
      key = line.substring(start, pos);
      return key.indexOf('\uFFFD') < 0 || error("invalid key");
    }

    private boolean value() {
      pos++; // the '='
      int n = line.length();
      if (pos >= n || line.charAt(pos) <= ' ') {
        return true;
      }
      if (line.charAt(pos) == '"') {
        return quoted();
      }
      int start = pos;
      while (pos < n) {
        char c = line.charAt(pos);
        if (c == '=' || c == '"') {
          return unexpected(c);
        }
        if (c <= ' ') {
          break;
        }
        pos++;
      }
      value = line.substring(start, pos);
      return true;
    }

    /** A quoted value: the closing quote found first, escapes (if any) undone after, as Go does. */
    private boolean quoted() {
      int n = line.length();
      int i = pos + 1;
      boolean esc = false;
      boolean hasEsc = false;
      while (i < n) {
        char c = line.charAt(i);
        if (esc) {
          esc = false;
        } else if (c == '\\') {
          esc = true;
          hasEsc = true;
        } else if (c == '"') {
          break;
        }
        i++;
      }
      if (i >= n) {
        pos = n;
        return error("unterminated quoted value");
      }
      int start = pos + 1;
      pos = i + 1;
      value = hasEsc ? unquote(start, i) : line.substring(start, i);
      return value != null || error("invalid quoted value");
    }

    /** JSON's unescaping of {@code line[from, to)}, or null when an escape or a byte is invalid. */
    private String unquote(int from, int to) {
      StringBuilder b = new StringBuilder(to - from);
      int i = from;
      while (i < to) {
        char c = line.charAt(i);
        if (c < ' ') {
          return null;
        }
        if (c != '\\') {
          b.append(c);
          i++;
          continue;
        }
        char e = line.charAt(i + 1);
        i += 2;
        switch (e) {
          case '"', '\\', '/', '\'' -> b.append(e);
          case 'b' -> b.append('\b');
          case 'f' -> b.append('\f');
          case 'n' -> b.append('\n');
          case 'r' -> b.append('\r');
          case 't' -> b.append('\t');
          case 'u' -> {
            int cp = i + 4 <= to ? hex4(i) : -1;
            if (cp < 0) {
              return null;
            }
            b.append((char) cp); // a surrogate pair arrives as two escapes, joined by the String
            i += 4;
          }
          default -> {
            return null;
          }
        }
      }
      return b.toString();
    }

    private int hex4(int i) {
      int v = 0;
      for (int k = 0; k < 4; k++) {
        int d = Character.digit(line.charAt(i + k), 16);
        if (d < 0) {
          return -1;
        }
        v = v * 16 + d;
      }
      return v;
    }

    private boolean unexpected(char c) {
      error("unexpected '" + c + "'");
      return skip();
    }

    /** Skips the rest of a bad token, to the next whitespace. */
    private boolean skip() {
      while (pos < line.length() && line.charAt(pos) > ' ') {
        pos++;
      }
      return false;
    }

    private boolean error(String msg) {
      if (err == null) {
        err = "logfmt syntax error at pos " + (pos + 1) + " : " + msg;
      }
      return false;
    }
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
