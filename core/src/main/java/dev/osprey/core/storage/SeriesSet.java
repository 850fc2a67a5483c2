package dev.osprey.core.storage;

import dev.osprey.core.labels.Labels;

/** A cursor over series. {@code next()} first, then {@link #labels()} and {@link #iterator}. */
public interface SeriesSet {
  SeriesSet EMPTY =
      new SeriesSet() {
        @Override
        public boolean next() {
          return false;
        }

        @Override
        public Labels labels() {
          throw new IllegalStateException("BUG: labels() on an empty series set");
        }

        @Override
        public SampleIterator iterator(SampleIterator reuse) {
          throw new IllegalStateException("BUG: iterator() on an empty series set");
        }
      };

  boolean next();

  /** The current series' labels. */
  Labels labels();

  /**
   * An iterator over the current series' samples, positioned before the first. Implementations may
   * reset and return {@code reuse} (when it is of their own kind) to avoid allocation.
   */
  SampleIterator iterator(SampleIterator reuse);
}
