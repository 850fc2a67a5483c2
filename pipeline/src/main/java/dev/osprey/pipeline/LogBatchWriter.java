package dev.osprey.pipeline;

import dev.osprey.core.labels.Labels;
import java.util.zip.CRC32C;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Writes one {@link LogBatch} at a time straight into a spool's Chronicle document: {@link #begin}
 * opens the document and writes the header, source and stream table; {@link #add} writes an entry
 * (its line bytes copied once, from the caller's array into the queue); {@link #commit} appends the
 * CRC32C and publishes the document. Until then readers do not see it, and a crash leaves nothing
 * (Chronicle never shows a document whose header is not complete). Used by one thread; while a
 * batch is open, other writers of the spool wait.
 */
public final class LogBatchWriter {
  private final Spool spool;
  private final CRC32C crc = new CRC32C();
  private final byte[] head = new byte[LogBatch.MAX_ENTRY_HEADER_BYTES];
  private final Bytes<byte[]> scratch = Bytes.allocateElasticOnHeap(1024);
  private DocumentContext dc;
  private Bytes<?> out;
  private int streams;
  private int entries;
  private long bytes;
  private long prevTs; // the previous entry's timestamp and next offset: headers are differences
  private long prevNext;

  LogBatchWriter(Spool spool) {
    this.spool = spool;
    scratch.singleThreadedCheckDisabled(true);
  }

  /** True between {@link #begin} and {@link #commit} or {@link #abort}. */
  public boolean isOpen() {
    return dc != null;
  }

  /** Entries added to the open batch. */
  public int entries() {
    return entries;
  }

  /** Bytes written into the open batch so far. */
  public long bytes() {
    return bytes;
  }

  /**
   * Opens a batch for one source.
   *
   * @param streams the stream label sets entries refer to by index (1 to 255)
   */
  public void begin(String sourceId, Labels[] streams) {
    if (dc != null) {
      throw new IllegalStateException("BUG: log batch begun while one is open");
    }
    if (streams.length == 0 || streams.length > 255) {
      throw new IllegalArgumentException("cannot begin log batch: " + streams.length + " streams");
    }
    scratch.clear();
    scratch.writeByte((byte) RecordFormat.VERSION);
    scratch.writeByte((byte) RecordFormat.TYPE_LOG_BATCH);
    scratch.writeLong(System.currentTimeMillis());
    RecordFormat.writeString(scratch, sourceId == null ? "" : sourceId);
    scratch.writeStopBit(streams.length);
    for (Labels l : streams) {
      RecordFormat.writeLabels(scratch, l);
    }
    this.streams = streams.length;
    entries = 0;
    bytes = 0;
    prevTs = 0;
    prevNext = 0;
    crc.reset();
    dc = spool.openDocument();
    try {
      out = dc.wire().bytes();
      put(scratch.underlyingObject(), 0, (int) scratch.writePosition());
    } catch (RuntimeException e) {
      abort();
      throw e;
    }
  }

  /** Adds one entry; {@code b[off, off+len)} must be valid UTF-8 (the forwarder ships it as is). */
  public void add(int stream, long ts, long offset, long next, byte[] b, int off, int len) {
    if (dc == null) {
      throw new IllegalStateException("BUG: log entry added with no batch open");
    }
    if (stream < 0 || stream >= streams) {
      throw new IllegalArgumentException("cannot add log entry: stream " + stream);
    }
    int h = LogBatch.putEntryHeader(head, stream, ts, offset, next, len, prevTs, prevNext);
    prevTs = ts;
    prevNext = next;
    put(head, 0, h);
    put(b, off, len);
    entries++;
  }

  private void put(byte[] b, int off, int len) {
    crc.update(b, off, len);
    out.write(b, off, len);
    bytes += len;
  }

  /** Publishes the batch; returns its index, or -1 when it held no entry (nothing is written). */
  public long commit() {
    if (dc == null) {
      return -1;
    }
    if (entries == 0) {
      abort();
      return -1;
    }
    try {
      out.writeInt((int) crc.getValue());
      dc.close();
    } finally {
      dc = null;
      out = null;
      spool.documentClosed(entries);
    }
    return spool.lastAppended();
  }

  /** Drops the open batch: nothing of it is ever visible. */
  public void abort() {
    if (dc == null) {
      return;
    }
    try {
      dc.rollbackOnClose();
      dc.close();
    } finally {
      dc = null;
      out = null;
      entries = 0;
      spool.documentClosed(0);
    }
  }
}
