package dev.osprey.pipeline;

import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * A named reader of a {@link Spool}. {@link #next()} reads ahead; {@link #commit(long)} durably
 * records that everything up to an index was delivered; {@link #rewind()} goes back to just after
 * the committed index. The committed index is a value in the queue's metadata file, so it survives
 * a crash (kill -9 included) and is never ahead of what was delivered.
 */
public final class SpoolCursor implements AutoCloseable {
  private final Spool spool;
  private final String name;
  private final ExcerptTailer tailer;
  private final LongValue committed;
  private final RecordDecoder decoder = new RecordDecoder();

  SpoolCursor(Spool spool, String name, ExcerptTailer tailer, LongValue committed) {
    this.spool = spool;
    this.name = name;
    this.tailer = tailer;
    this.committed = committed;
    rewind();
  }

  public String name() {
    return name;
  }

  /** The index of the last committed record, or 0 when nothing was committed yet. */
  public long committed() {
    return committed.getVolatileValue();
  }

  /** Moves the read position to just after the committed record (or to the oldest record). */
  public void rewind() {
    long c = committed();
    if (c == 0 || !tailer.moveToIndex(c)) {
      // Never committed, or the committed record's cycle was dropped over the size limit.
      tailer.toStart();
      return;
    }
    // moveToIndex positions at c itself, which was delivered: step over it.
    try (DocumentContext dc = tailer.readingDocument()) {
      if (!dc.isPresent()) {
        throw new IllegalStateException("BUG: committed record " + c + " is not readable");
      }
    }
  }

  /** The next record, or null when there is none yet. Corrupt records are counted and skipped. */
  public SpoolEntry next() {
    while (true) {
      try (DocumentContext dc = tailer.readingDocument()) {
        if (!dc.isPresent()) {
          return null;
        }
        try {
          return decoder.decode(dc.wire().bytes(), dc.index());
        } catch (RecordFormat.CorruptRecordException e) {
          spool.countCorrupt(e);
        }
      }
    }
  }

  /** Records that every record up to and including {@code index} was delivered. */
  public void commit(long index) {
    long c = committed();
    if (index < c) {
      throw new IllegalStateException("BUG: commit moves backwards from " + c + " to " + index);
    }
    committed.setVolatileValue(index);
  }

  /** Records after the committed one (lag), or -1 when it cannot be computed. */
  public long lag() {
    return spool.countAfter(committed());
  }

  @Override
  public void close() {
    tailer.close();
  }
}
