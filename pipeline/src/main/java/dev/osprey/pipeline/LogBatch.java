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
 * Several log lines of one source in one spool record (type 4; see {@code
 * pipeline/docs/format.md}): the source identity and a table of stream label sets once, then per
 * entry the stream's index in that table, timestamp, byte offsets and the line's UTF-8 bytes. A
 * Chronicle document is atomic, so a batch is read whole or not at all.
 *
 * <p>Format version 3 writes each entry's header as varints of its differences from the entry
 * before (5-8 bytes for a log line instead of version 2's fixed 29: fewer spool pages for the
 * writer to fault in); version 2 batches are still read. Read back, a batch keeps its payload bytes
 * and the decoded headers in arrays, and reads entries by index: no object and no String per line.
 * Written by {@link LogBatchWriter} straight into the spool's document.
 */
public final class LogBatch implements SpoolRecord {
  /** Bytes before each entry's line in version 2: u8 stream, i64 ts, i64 offset, i64 next, u32. */
  static final int V2_ENTRY_HEADER_BYTES = 29;

  /**
   * The largest entry header of version 3: u8 stream, three 64-bit varints (10 bytes each) and the
   * length's (5).
   */
  static final int MAX_ENTRY_HEADER_BYTES = 36;

  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  private final String sourceId;
  private final Labels[] streams;
  private final int version;
  private final byte[] payload;
  private final int from;
  private final int entriesFrom;
  private final int to;
  private final Entries e;

  /** Decoded entry headers, one slot per entry. */
  private static final class Entries {
    int count;
    byte[] stream;
    long[] ts;
    long[] offset;
    long[] next;
    int[] lineAt;
    int[] lineLen;

    /** Room for an estimate of the entries in {@code bytes} of them (grown when short). */
    Entries(int bytes) {
      int n = Math.clamp(bytes / 96, 16, 1 << 16);
      stream = new byte[n];
      ts = new long[n];
      offset = new long[n];
      next = new long[n];
      lineAt = new int[n];
      lineLen = new int[n];
    }

    void add(int st, long t, long off, long nx, int at, int len) {
      if (count == ts.length) {
        int n = count * 2;
        stream = Arrays.copyOf(stream, n);
        ts = Arrays.copyOf(ts, n);
        offset = Arrays.copyOf(offset, n);
        next = Arrays.copyOf(next, n);
        lineAt = Arrays.copyOf(lineAt, n);
        lineLen = Arrays.copyOf(lineLen, n);
      }
      stream[count] = (byte) st;
      ts[count] = t;
      offset[count] = off;
      next[count] = nx;
      lineAt[count] = at;
      lineLen[count] = len;
      count++;
    }
  }

  private LogBatch(
      String sourceId,
      Labels[] streams,
      int version,
      byte[] payload,
      int from,
      int entriesFrom,
      int to,
      Entries e) {
    this.sourceId = sourceId;
    this.streams = streams;
    this.version = version;
    this.payload = payload;
    this.from = from;
    this.entriesFrom = entriesFrom;
    this.to = to;
    this.e = e;
  }

  /**
   * Parses the payload in {@code payload[from, to)} of a record of format {@code version} (2 or 3);
   * the array is kept (the caller gives it up), so reading a batch from the spool copies its bytes
   * once, from the queue into that array.
   */
  static LogBatch parse(byte[] payload, int from, int to, int version) {
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
    int entriesFrom = (int) in.readPosition();
    Entries e = new Entries(to - entriesFrom);
    if (version == 2) {
      parseV2(payload, entriesFrom, to, (int) n, e);
    } else if (version == 3) {
      parseV3(payload, entriesFrom, to, (int) n, e);
    } else {
      throw new RecordFormat.CorruptRecordException(
          "cannot read log batch: format version " + version);
    }
    return new LogBatch(source, streams, version, payload, from, entriesFrom, to, e);
  }

  private static void parseV2(byte[] payload, int p, int to, int n, Entries e) {
    while (p < to) {
      if (to - p < V2_ENTRY_HEADER_BYTES) {
        throw new RecordFormat.CorruptRecordException("cannot read log batch: entry at " + p);
      }
      int stream = payload[p] & 0xff;
      int len = (int) INT.get(payload, p + 25);
      if (stream >= n || len < 0 || len > to - p - V2_ENTRY_HEADER_BYTES) {
        throw new RecordFormat.CorruptRecordException(
            "cannot read log batch: entry at " + p + " stream " + stream + " length " + len);
      }
      e.add(
          stream,
          (long) LONG.get(payload, p + 1),
          (long) LONG.get(payload, p + 9),
          (long) LONG.get(payload, p + 17),
          p + V2_ENTRY_HEADER_BYTES,
          len);
      p += V2_ENTRY_HEADER_BYTES + len;
    }
  }

  /** Reads varints from {@code b[p, to)}, moving {@code p} past each. */
  private static final class VarintReader {
    final byte[] b;
    final int to;
    int p;

    VarintReader(byte[] b, int p, int to) {
      this.b = b;
      this.p = p;
      this.to = to;
    }

    long next() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (p >= to) {
          throw new RecordFormat.CorruptRecordException(
              "cannot read log batch: varint runs past the end at " + p);
        }
        byte x = b[p++];
        v |= (long) (x & 0x7f) << shift;
        if (x >= 0) {
          return v;
        }
      }
      throw new RecordFormat.CorruptRecordException(
          "cannot read log batch: varint longer than 10 bytes before " + p);
    }
  }

  private static void parseV3(byte[] payload, int p, int to, int n, Entries e) {
    VarintReader r = new VarintReader(payload, p, to);
    long ts = 0;
    long next = 0;
    while (r.p < to) {
      int at = r.p;
      int stream = payload[r.p++] & 0xff;
      ts += unzigzag(r.next());
      long offset = next + unzigzag(r.next());
      long len = r.next();
      next = offset + len + unzigzag(r.next());
      if (stream >= n || len < 0 || len > to - r.p) {
        throw new RecordFormat.CorruptRecordException(
            "cannot read log batch: entry at " + at + " stream " + stream + " length " + len);
      }
      e.add(stream, ts, offset, next, r.p, (int) len);
      r.p += (int) len;
    }
  }

  static long zigzag(long v) {
    return (v << 1) ^ (v >> 63);
  }

  static long unzigzag(long v) {
    return (v >>> 1) ^ -(v & 1);
  }

  /** Writes {@code v} as an unsigned varint at {@code b[p]}; returns the position after it. */
  static int putVarint(byte[] b, int p, long v) {
    while ((v & ~0x7FL) != 0) {
      b[p++] = (byte) (v | 0x80);
      v >>>= 7;
    }
    b[p++] = (byte) v;
    return p;
  }

  /**
   * Writes a version 3 entry header into {@code head} (at least {@link #MAX_ENTRY_HEADER_BYTES});
   * {@code prevTs} and {@code prevNext} are the previous entry's timestamp and next offset (0 for
   * the first). Returns the header's length.
   */
  static int putEntryHeader(
      byte[] head,
      int stream,
      long ts,
      long offset,
      long next,
      int len,
      long prevTs,
      long prevNext) {
    head[0] = (byte) stream;
    int h = putVarint(head, 1, zigzag(ts - prevTs));
    h = putVarint(head, h, zigzag(offset - prevNext));
    h = putVarint(head, h, len & 0xFFFFFFFFL);
    return putVarint(head, h, zigzag(next - offset - len));
  }

  @Override
  public int type() {
    return RecordFormat.TYPE_LOG_BATCH;
  }

  @Override
  public void writePayload(Bytes<?> out) {
    if (version == RecordFormat.VERSION) {
      out.write(payload, from, to - from);
      return;
    }
    // Read from an older version (the dead-letter queue re-spools what it reads): written again
    // in the current layout, which the record header will name.
    out.write(payload, from, entriesFrom - from);
    byte[] head = new byte[MAX_ENTRY_HEADER_BYTES];
    long prevTs = 0;
    long prevNext = 0;
    for (int i = 0; i < e.count; i++) {
      int h =
          putEntryHeader(
              head,
              streamIndex(i),
              e.ts[i],
              e.offset[i],
              e.next[i],
              e.lineLen[i],
              prevTs,
              prevNext);
      out.write(head, 0, h);
      out.write(payload, e.lineAt[i], e.lineLen[i]);
      prevTs = e.ts[i];
      prevNext = e.next[i];
    }
  }

  /** Identity of the source file every entry came from ({@code ""} when there is none). */
  public String sourceId() {
    return sourceId;
  }

  public int size() {
    return e.count;
  }

  /** The stream labels of entry {@code i}. */
  public Labels stream(int i) {
    return streams[streamIndex(i)];
  }

  /** The index of entry {@code i}'s stream in {@link #streams()}. */
  public int streamIndex(int i) {
    return e.stream[i] & 0xff;
  }

  /** The stream label sets of this batch (not a copy: do not modify). */
  public Labels[] streams() {
    return streams;
  }

  public long timestampNanos(int i) {
    return e.ts[i];
  }

  /** Byte offset in the source where entry {@code i} starts. */
  public long offset(int i) {
    return e.offset[i];
  }

  /** Where reading resumes after entry {@code i} (as {@link LogEntry#nextOffset()}). */
  public long nextOffset(int i) {
    return e.next[i];
  }

  /** The array holding the lines' bytes (see {@link #lineStart} and {@link #lineLength}). */
  public byte[] bytes() {
    return payload;
  }

  public int lineStart(int i) {
    return e.lineAt[i];
  }

  public int lineLength(int i) {
    return e.lineLen[i];
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
    List<LogEntry> out = new ArrayList<>(e.count);
    for (int i = 0; i < e.count; i++) {
      out.add(entry(i));
    }
    return out;
  }
}
