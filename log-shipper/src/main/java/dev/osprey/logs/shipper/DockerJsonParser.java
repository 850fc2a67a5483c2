package dev.osprey.logs.shipper;

/**
 * Parses one line of Docker's json-file driver: {@code
 * {"log":"...","stream":"stdout","time":"..."}}. A {@code log} value that does not end in a newline
 * is a partial line (Docker splits at 16 KiB). Hand-written: one pass, no regex, no tree.
 */
final class DockerJsonParser {
  private DockerJsonParser() {}

  /** A parsed line. */
  record Result(String log, boolean stderr, long timestampNanos, boolean partial) {}

  /** Returns the parsed line, or null when it is not a Docker json-file line. */
  static Result parse(String line) {
    Cursor c = new Cursor(line);
    String log = null;
    String stream = null;
    String time = null;
    c.ws();
    if (!c.eat('{')) {
      return null;
    }
    c.ws();
    if (!c.eat('}')) {
      while (true) {
        c.ws();
        String key = c.string();
        if (key == null) {
          return null;
        }
        c.ws();
        if (!c.eat(':')) {
          return null;
        }
        c.ws();
        if (c.peek() == '"') {
          String v = c.string();
          if (v == null) {
            return null;
          }
          switch (key) {
            case "log" -> log = v;
            case "stream" -> stream = v;
            case "time" -> time = v;
            default -> {}
          }
        } else if (!c.skipValue(0)) {
          return null;
        }
        c.ws();
        if (c.eat(',')) {
          continue;
        }
        if (c.eat('}')) {
          break;
        }
        return null;
      }
    }
    c.ws();
    if (!c.atEnd() || log == null || time == null) {
      return null;
    }
    long ts = Rfc3339.parseNanos(time);
    if (ts == Long.MIN_VALUE) {
      return null;
    }
    boolean partial = !log.endsWith("\n");
    String text = partial ? log : log.substring(0, log.length() - 1);
    return new Result(text, "stderr".equals(stream), ts, partial);
  }

  private static final class Cursor {
    final String s;
    int i;

    Cursor(String s) {
      this.s = s;
    }

    boolean atEnd() {
      return i >= s.length();
    }

    int peek() {
      return i < s.length() ? s.charAt(i) : -1;
    }

    boolean eat(char ch) {
      if (i < s.length() && s.charAt(i) == ch) {
        i++;
        return true;
      }
      return false;
    }

    void ws() {
      while (i < s.length()) {
        char ch = s.charAt(i);
        if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
          return;
        }
        i++;
      }
    }

    String string() {
      if (!eat('"')) {
        return null;
      }
      StringBuilder sb = null;
      int start = i;
      while (i < s.length()) {
        char ch = s.charAt(i);
        if (ch == '"') {
          String out = sb == null ? s.substring(start, i) : sb.append(s, start, i).toString();
          i++;
          return out;
        }
        if (ch < 0x20) {
          return null;
        }
        if (ch == '\\') {
          if (sb == null) {
            sb = new StringBuilder();
          }
          sb.append(s, start, i);
          i++;
          if (i >= s.length()) {
            return null;
          }
          char e = s.charAt(i++);
          switch (e) {
            case '"' -> sb.append('"');
            case '\\' -> sb.append('\\');
            case '/' -> sb.append('/');
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'n' -> sb.append('\n');
            case 'r' -> sb.append('\r');
            case 't' -> sb.append('\t');
            case 'u' -> {
              if (i + 4 > s.length()) {
                return null;
              }
              int cp = 0;
              for (int k = 0; k < 4; k++) {
                int d = Character.digit(s.charAt(i + k), 16);
                if (d < 0) {
                  return null;
                }
                cp = cp * 16 + d;
              }
              i += 4;
              sb.append((char) cp);
            }
            default -> {
              return null;
            }
          }
          start = i;
          continue;
        }
        i++;
      }
      return null;
    }

    /** Skips a number, literal, object or array (depth-bounded). */
    boolean skipValue(int depth) {
      if (depth > 64) {
        return false;
      }
      int ch = peek();
      if (ch == '"') {
        return string() != null;
      }
      if (ch == '{' || ch == '[') {
        char close = ch == '{' ? '}' : ']';
        i++;
        ws();
        if (eat(close)) {
          return true;
        }
        while (true) {
          ws();
          if (close == '}') {
            if (string() == null) {
              return false;
            }
            ws();
            if (!eat(':')) {
              return false;
            }
            ws();
          }
          if (!skipValue(depth + 1)) {
            return false;
          }
          ws();
          if (eat(',')) {
            continue;
          }
          return eat(close);
        }
      }
      int start = i;
      while (i < s.length() && "-+.eE0123456789truefalsn".indexOf(s.charAt(i)) >= 0) {
        i++;
      }
      return i > start;
    }
  }
}
