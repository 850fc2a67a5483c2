package dev.osprey.logs.index;

import dev.osprey.core.labels.LabelMatcher;
import java.util.List;
import java.util.function.Predicate;
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
 * @param lineFilter when not null, only lines it accepts are delivered (and counted against the
 *     limit): the stored line is read for it even when {@code needLine} is false, but then the line
 *     is not delivered; the structured metadata is delivered for the lines it accepts. Cheaper than
 *     filtering in the consumer: a rejected line costs no delivery, and with {@code needLine} false
 *     no string is kept.
 */
public record LogSearchRequest(
    List<LabelMatcher> matchers,
    long startNanos,
    long endNanos,
    Query lineQuery,
    Direction direction,
    int limit,
    boolean needLine,
    Predicate<String> lineFilter) {
  public LogSearchRequest {
    matchers = List.copyOf(matchers);
    direction = direction != null ? direction : Direction.FORWARD;
  }

  /** A request without a line filter. */
  public LogSearchRequest(
      List<LabelMatcher> matchers,
      long startNanos,
      long endNanos,
      Query lineQuery,
      Direction direction,
      int limit,
      boolean needLine) {
    this(matchers, startNanos, endNanos, lineQuery, direction, limit, needLine, null);
  }

  /** Delivery order. */
  public enum Direction {
    FORWARD,
    BACKWARD
  }
}
