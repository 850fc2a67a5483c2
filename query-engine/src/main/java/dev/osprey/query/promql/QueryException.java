package dev.osprey.query.promql;

/** An error while executing a query. {@code kind} maps to the API's error type. */
public final class QueryException extends RuntimeException {
  public enum Kind {
    EXECUTION,
    TIMEOUT,
    TOO_MANY_SAMPLES,
    TOO_MANY_SERIES,
    BAD_DATA
  }

  private final Kind kind;

  public QueryException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  /** The query's selectors would load more than {@code limit} series. */
  public static QueryException tooManySeries(long limit) {
    return new QueryException(
        Kind.TOO_MANY_SERIES,
        "query processing would load too many series (limit "
            + limit
            + "); use a more selective selector or raise query.max_series");
  }

  public static QueryException exec(String message) {
    return new QueryException(Kind.EXECUTION, message);
  }

  public Kind kind() {
    return kind;
  }
}
