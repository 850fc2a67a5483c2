package dev.osprey.logs.index;

import dev.osprey.core.labels.Labels;
import java.util.List;

/** A batch of entries of one stream, as a push request carries them. */
public record LogStream(Labels labels, List<LogEntry> entries) {
  public LogStream {
    if (labels == null || labels.isEmpty()) {
      throw new IllegalArgumentException("cannot build log stream: no labels");
    }
    entries = List.copyOf(entries);
  }
}
