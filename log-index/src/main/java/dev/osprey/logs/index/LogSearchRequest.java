package dev.osprey.logs.index;

import dev.osprey.core.labels.LabelMatcher;
import java.util.List;
import org.apache.lucene.search.Query;

/**
 * What to search.
 *
 * @param matchers stream selector; empty selects every stream
 * @param startNanos inclusive start
 * @param endNanos exclusive end
 * @param lineQuery a Lucene query over the {@code line} field (and {@code l.<name>} label fields)
 *     that every wanted line matches; null for all lines. Callers verify exact semantics on the
 *     line.
 * @param direction order of delivery
 * @param limit most lines delivered; 0 or less for no limit
 * @param needLine whether hits carry the line and metadata (false delivers only stream, time and
 *     the line's byte length, read from doc values: much cheaper)
 */
public record LogSearchRequest(
    List<LabelMatcher> matchers,
    long startNanos,
    long endNanos,
    Query lineQuery,
    Direction direction,
    int limit,
    boolean needLine) {
  public LogSearchRequest {
    matchers = List.copyOf(matchers);
    direction = direction != null ? direction : Direction.FORWARD;
  }

  /** Delivery order. */
  public enum Direction {
    FORWARD,
    BACKWARD
  }
}
