package dev.osprey.core.storage;

import java.util.List;

/**
 * Optional facts about a select that a storage may use to read less, as Prometheus's SelectHints.
 *
 * @param start query start (ms) including lookback and range
 * @param end query end (ms)
 * @param step evaluation step (ms), 0 for an instant query
 * @param func the function the selected series feed, or null
 * @param range the range of a range-vector selector (ms), 0 otherwise
 * @param grouping the labels of an enclosing aggregation, or empty
 * @param by whether {@code grouping} is a {@code by} (true) or {@code without} (false) list
 */
public record SelectHints(
    long start, long end, long step, String func, long range, List<String> grouping, boolean by) {
  public static SelectHints of(long start, long end) {
    return new SelectHints(start, end, 0, null, 0, List.of(), false);
  }
}
