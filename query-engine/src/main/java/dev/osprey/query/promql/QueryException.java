package dev.osprey.query.promql;

/** An error while executing a query. {@code kind} maps to the API's error type. */
public final class QueryException extends RuntimeException {
  public enum Kind {
    EXECUTION,
    TIMEOUT,
    TOO_MANY_SAMPLES,
    BAD_DATA
  }

  private final Kind kind;

  public QueryException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public static QueryException exec(String message) {
    return new QueryException(Kind.EXECUTION, message);
  }

  public Kind kind() {
    return kind;
  }
}
