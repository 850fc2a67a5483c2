package dev.osprey.collector.scrape;

/** Malformed exposition input; the message names the line and column (1-based). */
public final class ExpositionParseException extends Exception {
  private final int line;
  private final int column;

  public ExpositionParseException(int line, int column, String message) {
    super("cannot parse exposition at line " + line + ", column " + column + ": " + message);
    this.line = line;
    this.column = column;
  }

  public int line() {
    return line;
  }

  public int column() {
    return column;
  }
}
