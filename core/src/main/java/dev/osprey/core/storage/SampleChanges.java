package dev.osprey.core.storage;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongConsumer;

/**
 * How a storage tells a results cache that answers it gave may have changed: a committed batch with
 * a sample at or before the newest time a cache watches, a deletion, a retention or downsampling
 * rewrite. A sample at time t can change a (non-negative offset, no {@code @}) query's answer only
 * at steps {@code >= t}, so listeners get the oldest changed time and keep what lies before it.
 *
 * <p>The storage's cost per commit is one comparison against a volatile long ({@link #committed});
 * listeners run only when a cache holds answers at or after the batch's oldest sample. The watched
 * time only grows (a listener that dropped everything leaves it; later old batches then cost a
 * listener call each, which is cheap and keeps the check race-free).
 */
public final class SampleChanges {
  /** Passed to listeners when everything may have changed. */
  public static final long ALL = Long.MIN_VALUE;

  private volatile long watched = Long.MIN_VALUE;
  private final CopyOnWriteArrayList<LongConsumer> listeners = new CopyOnWriteArrayList<>();

  /**
   * Registers a listener called with the oldest time whose answers may have changed ({@link #ALL}
   * for every time). It runs on the thread that made the change, after the change is visible to new
   * queriers.
   */
  public void listen(LongConsumer listener) {
    listeners.add(listener);
  }

  /**
   * Asks to be told about changes at or before {@code t}. A cache calls it before it reads the
   * storage for answers it will keep, so that a commit racing with that read is reported.
   */
  public void watchUpTo(long t) {
    if (t <= watched) {
      return;
    }
    synchronized (this) {
      if (t > watched) {
        watched = t;
      }
    }
  }

  /** The newest time watched, {@link Long#MIN_VALUE} while no one watches. */
  public long watched() {
    return watched;
  }

  /**
   * Called by the storage after a committed batch became visible, with its oldest accepted sample's
   * timestamp.
   */
  public void committed(long minT) {
    if (minT <= watched) {
      changed(minT);
    }
  }

  /** Everything at or after {@code from} ({@link #ALL}: everything) may have changed. */
  public void changed(long from) {
    for (LongConsumer l : listeners) {
      l.accept(from);
    }
  }
}
