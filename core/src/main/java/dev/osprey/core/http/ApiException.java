package dev.osprey.core.http;

/**
 * An error a client caused or must be told about, rendered in Prometheus's envelope: {@code
 * {"status":"error","errorType":"bad_data","error":"..."}} with upstream's status code.
 */
public class ApiException extends RuntimeException {
  private final int status;
  private final String errorType;

  public ApiException(int status, String errorType, String message) {
    super(message, null, false, false);
    this.status = status;
    this.errorType = errorType;
  }

  public ApiException(int status, String errorType, String message, Throwable cause) {
    super(message, cause, false, false);
    this.status = status;
    this.errorType = errorType;
  }

  public int status() {
    return status;
  }

  public String errorType() {
    return errorType;
  }

  /** 400 bad_data: a malformed parameter, query or payload. */
  public static ApiException badData(String message) {
    return new ApiException(400, "bad_data", message);
  }

  /** 422 execution: a valid query that failed while running. */
  public static ApiException execution(String message) {
    return new ApiException(422, "execution", message);
  }

  /** 503 timeout: the query ran past its deadline. */
  public static ApiException timeout(String message) {
    return new ApiException(503, "timeout", message);
  }

  /** 503 unavailable: overloaded or not ready. */
  public static ApiException unavailable(String message) {
    return new ApiException(503, "unavailable", message);
  }

  /** 429 too many requests, for ingest rate limits. */
  public static ApiException tooManyRequests(String message) {
    return new ApiException(429, "unavailable", message);
  }

  public static ApiException notFound(String message) {
    return new ApiException(404, "not_found", message);
  }

  public static ApiException internal(String message, Throwable cause) {
    return new ApiException(500, "internal", message, cause);
  }
}
