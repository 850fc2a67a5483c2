package dev.osprey.query.promql;

import java.util.ArrayList;
import java.util.List;

/** Splits a PromQL expression into tokens. Comments ({@code # ...}) are skipped. */
final class Lexer {
  enum T {
    NUMBER,
    DURATION,
    STRING,
    IDENT,
    LPAREN,
    RPAREN,
    LBRACE,
    RBRACE,
    LBRACKET,
    RBRACKET,
    COMMA,
    COLON,
    AT,
    ADD,
    SUB,
    MUL,
    DIV,
    MOD,
    POW,
    EQLC, // ==
    NEQ, // !=
    LSS,
    GTR,
    LTE,
    GTE,
    TRIM_UPPER, // </
    TRIM_LOWER, // >/
    ASSIGN, // =
    EQL_REGEX,
    NEQ_REGEX,
    EOF
  }

  record Token(T type, String text, int pos, int end) {
    @Override
    public String toString() {
      return type == T.EOF ? "EOF" : text;
    }
  }

  private final String in;
  private int p;
  private final List<Token> out = new ArrayList<>();

  private Lexer(String in) {
    this.in = in;
  }

  static List<Token> lex(String input) {
    Lexer l = new Lexer(input);
    l.run();
    return l.out;
  }

  private void add(T t, int start) {
    out.add(new Token(t, in.substring(start, p), start, p));
  }

  private ParseException err(int at, String msg) {
    return new ParseException(at, at, msg);
  }

  private void run() {
    int n = in.length();
    while (p < n) {
      char c = in.charAt(p);
      int s = p;
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        p++;
        continue;
      }
      if (c == '#') {
        while (p < n && in.charAt(p) != '\n') {
          p++;
        }
        continue;
      }
      switch (c) {
        case '(' -> {
          p++;
          add(T.LPAREN, s);
        }
        case ')' -> {
          p++;
          add(T.RPAREN, s);
        }
        case '{' -> {
          p++;
          add(T.LBRACE, s);
        }
        case '}' -> {
          p++;
          add(T.RBRACE, s);
        }
        case '[' -> {
          p++;
          add(T.LBRACKET, s);
        }
        case ']' -> {
          p++;
          add(T.RBRACKET, s);
        }
        case ',' -> {
          p++;
          add(T.COMMA, s);
        }
        case ':' -> {
          // a colon may start a metric name only outside brackets; inside brackets it separates
          if (p + 1 < n && isIdentStart(in.charAt(p + 1)) && !insideBracket()) {
            lexIdent();
          } else {
            p++;
            add(T.COLON, s);
          }
        }
        case '@' -> {
          p++;
          add(T.AT, s);
        }
        case '+' -> {
          p++;
          add(T.ADD, s);
        }
        case '-' -> {
          p++;
          add(T.SUB, s);
        }
        case '*' -> {
          p++;
          add(T.MUL, s);
        }
        case '/' -> {
          p++;
          add(T.DIV, s);
        }
        case '%' -> {
          p++;
          add(T.MOD, s);
        }
        case '^' -> {
          p++;
          add(T.POW, s);
        }
        case '=' -> {
          p++;
          if (p < n && in.charAt(p) == '=') {
            p++;
            add(T.EQLC, s);
          } else if (p < n && in.charAt(p) == '~') {
            p++;
            add(T.EQL_REGEX, s);
          } else {
            add(T.ASSIGN, s);
          }
        }
        case '!' -> {
          p++;
          if (p < n && in.charAt(p) == '=') {
            p++;
            add(T.NEQ, s);
          } else if (p < n && in.charAt(p) == '~') {
            p++;
            add(T.NEQ_REGEX, s);
          } else {
            throw err(s, "unexpected character after '!': " + quoteRune(p < n ? in.charAt(p) : 0));
          }
        }
        case '<' -> {
          p++;
          if (p < n && in.charAt(p) == '/') {
            p++;
            add(T.TRIM_UPPER, s);
          } else if (p < n && in.charAt(p) == '=') {
            p++;
            add(T.LTE, s);
          } else {
            add(T.LSS, s);
          }
        }
        case '>' -> {
          p++;
          if (p < n && in.charAt(p) == '/') {
            p++;
            add(T.TRIM_LOWER, s);
          } else if (p < n && in.charAt(p) == '=') {
            p++;
            add(T.GTE, s);
          } else {
            add(T.GTR, s);
          }
        }
        case '"', '\'', '`' -> lexString(c);
        default -> {
          if (isDigit(c) || (c == '.' && p + 1 < n && isDigit(in.charAt(p + 1)))) {
            lexNumber();
          } else if (isIdentStart(c)) {
            lexIdent();
          } else {
            throw err(s, "unexpected character: " + quoteRune(c));
          }
        }
      }
    }
    out.add(new Token(T.EOF, "", n, n));
  }

  private boolean insideBracket() {
    int depth = 0;
    for (Token t : out) {
      if (t.type == T.LBRACKET) {
        depth++;
      } else if (t.type == T.RBRACKET) {
        depth--;
      }
    }
    return depth > 0;
  }

  private static String quoteRune(char c) {
    return "'" + c + "'";
  }

  static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  static boolean isIdentStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  }

  private static boolean isAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || isDigit(c) || c == '.';
  }

  static boolean isIdentChar(char c) {
    return isIdentStart(c) || isDigit(c);
  }

  private void lexIdent() {
    int s = p;
    while (p < in.length() && isIdentChar(in.charAt(p))) {
      p++;
    }
    add(T.IDENT, s);
  }

  private void lexString(char q) {
    int s = p;
    p++;
    while (true) {
      if (p >= in.length()) {
        throw err(s, "unterminated quoted string");
      }
      char c = in.charAt(p);
      if (c == '\\' && q != '`') {
        p += 2;
        continue;
      }
      if (q != '`' && c == '\n') {
        throw err(s, "unterminated quoted string");
      }
      p++;
      if (c == q) {
        break;
      }
    }
    add(T.STRING, s);
  }

  private static boolean isUnit(char c) {
    return c == 's' || c == 'm' || c == 'h' || c == 'd' || c == 'w' || c == 'y';
  }

  private void lexNumber() {
    int s = p;
    int n = in.length();
    // hex
    if (in.charAt(p) == '0' && p + 1 < n && (in.charAt(p + 1) == 'x' || in.charAt(p + 1) == 'X')) {
      p += 2;
      while (p < n && (Character.digit(in.charAt(p), 16) >= 0 || in.charAt(p) == '_')) {
        p++;
      }
      checkNumberEnd(s);
      add(T.NUMBER, s);
      return;
    }
    // duration: digits followed by a unit
    int q = p;
    while (q < n && isDigit(in.charAt(q))) {
      q++;
    }
    if (q < n && q > p && isUnit(in.charAt(q))) {
      // read duration groups
      while (p < n && isDigit(in.charAt(p))) {
        while (p < n && isDigit(in.charAt(p))) {
          p++;
        }
        if (p < n && in.charAt(p) == 'm' && p + 1 < n && in.charAt(p + 1) == 's') {
          p += 2;
        } else if (p < n && isUnit(in.charAt(p))) {
          p++;
        } else {
          throw err(s, "bad number or duration syntax: \"" + in.substring(s, p) + "\"");
        }
      }
      checkNumberEnd(s);
      add(T.DURATION, s);
      return;
    }
    while (p < n && (isDigit(in.charAt(p)) || in.charAt(p) == '_')) {
      p++;
    }
    if (p < n && in.charAt(p) == '.') {
      p++;
      while (p < n && (isDigit(in.charAt(p)) || in.charAt(p) == '_')) {
        p++;
      }
    }
    if (p < n && (in.charAt(p) == 'e' || in.charAt(p) == 'E')) {
      int save = p;
      p++;
      if (p < n && (in.charAt(p) == '+' || in.charAt(p) == '-')) {
        p++;
      }
      if (p < n && isDigit(in.charAt(p))) {
        while (p < n && isDigit(in.charAt(p))) {
          p++;
        }
      } else {
        p = save;
      }
    }
    checkNumberEnd(s);
    add(T.NUMBER, s);
  }

  private void checkNumberEnd(int s) {
    if (p < in.length() && isAlnum(in.charAt(p))) {
      while (p < in.length() && (isAlnum(in.charAt(p)) || in.charAt(p) == '.')) {
        p++;
      }
      throw err(s, "bad number or duration syntax: \"" + in.substring(s, p) + "\"");
    }
  }
}
