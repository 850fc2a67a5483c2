package dev.osprey.logs.index;

import dev.osprey.core.labels.Labels;

/**
 * One log line of a stream.
 *
 * @param timestampNanos Unix time in nanoseconds
 * @param line the line, without its trailing newline
 * @param metadata Loki's structured metadata (not part of the stream identity); never null
 */
public record LogEntry(long timestampNanos, String line, Labels metadata) {
  public LogEntry {
    metadata = metadata != null ? metadata : Labels.EMPTY;
    if (line == null) {
      throw new IllegalArgumentException("cannot build log entry: line is null");
    }
  }

  public LogEntry(long timestampNanos, String line) {
    this(timestampNanos, line, Labels.EMPTY);
  }
}
