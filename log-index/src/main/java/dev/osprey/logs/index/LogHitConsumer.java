package dev.osprey.logs.index;

import dev.osprey.core.labels.Labels;

/** Receives search hits one at a time; no object per hit is made by the store beyond the line. */
@FunctionalInterface
public interface LogHitConsumer {
  /**
   * One line.
   *
   * @param line the line, or null when the request did not ask for it
   * @param metadata structured metadata, or {@link Labels#EMPTY} when not asked for
   * @param lineBytes the line's length in UTF-8 bytes
   * @return false to stop the search
   */
  boolean accept(Labels stream, long timestampNanos, String line, Labels metadata, int lineBytes);
}
