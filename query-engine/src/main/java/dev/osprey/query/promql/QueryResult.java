package dev.osprey.query.promql;

import dev.osprey.query.promql.Values.Sample;
import dev.osprey.query.promql.Values.Series;
import java.util.List;

/**
 * The result of a query: exactly one of scalar, string, vector or matrix, with the annotations the
 * query produced. Labels are final (the metric name already removed where it was dropped).
 */
public record QueryResult(
    Type type,
    long time,
    double scalar,
    String string,
    List<Sample> vector,
    List<Series> matrix,
    List<String> warnings,
    List<String> infos) {

  public enum Type {
    SCALAR("scalar"),
    STRING("string"),
    VECTOR("vector"),
    MATRIX("matrix");

    private final String json;

    Type(String json) {
      this.json = json;
    }

    /** The resultType as the HTTP API writes it. */
    public String json() {
      return json;
    }
  }
}
