package dev.osprey.core.storage;

import dev.osprey.core.labels.LabelMatcher;
import java.util.List;

/**
 * Reads series from storage, as Prometheus's storage.Querier. Closing releases whatever the querier
 * pinned (memory-mapped blocks, head chunks).
 */
public interface Querier extends AutoCloseable {
  /**
   * Series matching all matchers that have samples in {@code [mint, maxt]} (milliseconds,
   * inclusive), sorted by labels. Sample iterators return only samples in that range.
   */
  SeriesSet select(long mint, long maxt, SelectHints hints, LabelMatcher... matchers);

  /** Sorted label names of the series matching all matchers (all series with no matchers). */
  List<String> labelNames(long mint, long maxt, LabelMatcher... matchers);

  /** Sorted values of label {@code name} among the series matching all matchers. */
  List<String> labelValues(long mint, long maxt, String name, LabelMatcher... matchers);

  @Override
  void close();
}
