package dev.osprey.pipeline;

import dev.osprey.core.labels.Labels;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.openhft.chronicle.bytes.Bytes;

/**
 * Several log lines of one source in one spool record (type 4, format version 2; see {@code
 * pipeline/docs/format.md}): the source identity and a table of stream label sets once, then per
 * entry the stream's index in that table, timestamp, byte offsets and the line's UTF-8 bytes. A
 * Chronicle document is atomic, so a batch is read whole or not at all.
 *
 * <p>Read back, a batch keeps its payload bytes and reads entries by index: no object and no String
 * per line. Written by {@link LogBatchWriter} straight into the spool's document.
 */
public final class LogBatch implements SpoolRecord {
  /** Bytes before each entry's line: u8 stream, i64 ts, i64 offset, i64 next, u32 length. */
  static final int ENTRY_HEADER_BYTES = 29;

  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  private final String sourceId;
  private final Labels[] streams;
  private final byte[] payload;
  private final int from;
  private final int to;
  private final int[] entryAt;
  private final int count;

  private LogBatch(
      String sourceId,
      Labels[] streams,
      byte[] payload,
      int from,
      int to,
      int[] entryAt,
      int count) {
    this.sourceId = sourceId;
    this.streams = streams;
    this.payload = payload;
    this.from = from;
    this.to = to;
    this.entryAt = entryAt;
    this.count = count;
  }

  /**
   * Parses a payload (the bytes between the record header and its checksum); the array is kept.
   *
   * @throws RecordFormat.CorruptRecordException when a length or stream index does not check out
   */
  static LogBatch parse(byte[] payload) {
    return parse(payload, 0, payload.length);
  }

  /**
   * Parses the payload in {@code payload[from, to)}; the array is kept (the caller gives it up), so
   * reading a batch from the spool copies its bytes once, from the queue into that array.
   */
  static LogBatch parse(byte[] payload, int from, int to) {
    Bytes<byte[]> in = Bytes.wrapForRead(payload);
    in.singleThreadedCheckDisabled(true);
    in.readPosition(from);
    in.readLimit(to);
    String source = RecordFormat.readString(in);
    long n = in.readStopBit();
    if (n <= 0 || n > 255 || n > in.readRemaining()) {
      throw new RecordFormat.CorruptRecordException("cannot read log batch: stream count " + n);
    }
    Labels[] streams = new Labels[(int) n];
    for (int i = 0; i < n; i++) {
      streams[i] = RecordFormat.readLabels(in);
    }
    int p = (int) in.readPosition();
    int[] at = new int[16];
    int count = 0;
    while (p < to) {
      if (to - p < ENTRY_HEADER_BYTES) {
        throw new RecordFormat.CorruptRecordException("cannot read log batch: entry at " + p);
      }
      int stream = payload[p] & 0xff;
      int len = (int) INT.get(payload, p + 25);
      if (stream >= n || len < 0 || len > to - p - ENTRY_HEADER_BYTES) {
        throw new RecordFormat.CorruptRecordException(
            "cannot read log batch: entry at " + p + " stream " + stream + " length " + len);
      }
      if (count == at.length) {
        at = Arrays.copyOf(at, count * 2);
      }
      at[count++] = p;
      p += ENTRY_HEADER_BYTES + len;
    }
    return new LogBatch(source, streams, payload, from, to, at, count);
  }

  @Override
  public int type() {
    return RecordFormat.TYPE_LOG_BATCH;
  }

  @Override
  public void writePayload(Bytes<?> out) {
    out.write(payload, from, to - from);
  }

  /** Identity of the source file every entry came from ({@code ""} when there is none). */
  public String sourceId() {
    return sourceId;
  }

  public int size() {
    return count;
  }

  /** The stream labels of entry {@code i}. */
  public Labels stream(int i) {
    return streams[streamIndex(i)];
  }

  /** The index of entry {@code i}'s stream in {@link #streams()}. */
  public int streamIndex(int i) {
    return payload[entryAt[i]] & 0xff;
  }

  /** The stream label sets of this batch (not a copy: do not modify). */
  public Labels[] streams() {
    return streams;
  }

  public long timestampNanos(int i) {
    return (long) LONG.get(payload, entryAt[i] + 1);
  }

  /** Byte offset in the source where entry {@code i} starts. */
  public long offset(int i) {
    return (long) LONG.get(payload, entryAt[i] + 9);
  }

  /** Where reading resumes after entry {@code i} (as {@link LogEntry#nextOffset()}). */
  public long nextOffset(int i) {
    return (long) LONG.get(payload, entryAt[i] + 17);
  }

  /** The array holding the lines' bytes (see {@link #lineStart} and {@link #lineLength}). */
  public byte[] bytes() {
    return payload;
  }

  public int lineStart(int i) {
    return entryAt[i] + ENTRY_HEADER_BYTES;
  }

  public int lineLength(int i) {
    return (int) INT.get(payload, entryAt[i] + 25);
  }

  public String line(int i) {
    return new String(payload, lineStart(i), lineLength(i), StandardCharsets.UTF_8);
  }

  /** Entry {@code i} as a {@link LogEntry} (tools and tests; allocates). */
  public LogEntry entry(int i) {
    return new LogEntry(
        stream(i), timestampNanos(i), line(i), Labels.EMPTY, sourceId, offset(i), nextOffset(i));
  }

  public List<LogEntry> entries() {
    List<LogEntry> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      out.add(entry(i));
    }
    return out;
  }
}
