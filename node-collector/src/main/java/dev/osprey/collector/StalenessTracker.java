package dev.osprey.collector;

import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.StaleNaN;
import java.util.HashSet;
import java.util.Set;

/**
 * Remembers which series one source produced in its last batch and, at the end of the next, writes
 * a staleness marker for each series that did not come again (a container that went away, a metric
 * a target stopped exposing), as Prometheus's scrape loop does. Not thread-safe: one per source,
 * used by one thread at a time.
 */
public final class StalenessTracker {
  private Set<Labels> previous = new HashSet<>();
  private Set<Labels> current = new HashSet<>();

  /** Notes that {@code labels} was produced in the batch being built. */
  public void seen(Labels labels) {
    current.add(labels);
  }

  /**
   * Ends the batch: stale markers at {@code t} for series of the previous batch not seen in this
   * one. Returns how many were written.
   */
  public int endBatch(long t, SampleSink sink) {
    int n = 0;
    for (Labels l : previous) {
      if (!current.contains(l)) {
        sink.accept(l, t, StaleNaN.VALUE);
        n++;
      }
    }
    Set<Labels> tmp = previous;
    previous = current;
    tmp.clear();
    current = tmp;
    return n;
  }

  /** Everything of the last batch goes stale (the source is gone or failed). */
  public int allStale(long t, SampleSink sink) {
    current.clear();
    return endBatch(t, sink);
  }

  public int size() {
    return previous.size();
  }
}
