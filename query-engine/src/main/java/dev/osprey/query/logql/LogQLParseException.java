package dev.osprey.query.logql;

/** A LogQL syntax error, with Loki's message shape: {@code parse error at line L, col C: ...}. */
public final class LogQLParseException extends RuntimeException {
  public LogQLParseException(String input, int offset, String message) {
    super(format(input, offset, message), null, false, false);
  }

  private static String format(String input, int offset, String message) {
    int line = 1;
    int col = 1;
    for (int i = 0; i < Math.min(offset, input.length()); i++) {
      if (input.charAt(i) == '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    return "parse error at line " + line + ", col " + col + ": " + message;
  }
}
