package dev.osprey.tsdb.query;

/**
 * An iterator that knows a bound on the samples it has left, so that a merge can copy all of them
 * in one bulk read when they all come before every other source's next sample.
 */
public interface Bounded {
  /** No sample after this timestamp is left (Long.MAX_VALUE when unknown). */
  long maxTime();

  /** {@code it}'s bound, or Long.MAX_VALUE when it does not know one. */
  static long of(dev.osprey.core.storage.SampleIterator it) {
    return it instanceof Bounded b ? b.maxTime() : Long.MAX_VALUE;
  }
}
