package dev.osprey.query.promql;

/** A PromQL syntax or type error, carrying the byte position of the offending input. */
public final class ParseException extends RuntimeException {
  private final int pos;
  private final int endPos;

  public ParseException(int pos, int endPos, String message) {
    super(message);
    this.pos = pos;
    this.endPos = endPos;
  }

  public int pos() {
    return pos;
  }

  public int endPos() {
    return endPos;
  }

  /** The message with the position in upstream's form: {@code 1:5: parse error: ...}. */
  public String positioned(String input) {
    int line = 1;
    int col = 1;
    for (int i = 0; i < pos && i < input.length(); i++) {
      if (input.charAt(i) == '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    return line + ":" + col + ": parse error: " + getMessage();
  }
}
