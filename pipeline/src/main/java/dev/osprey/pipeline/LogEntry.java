package dev.osprey.pipeline;

import dev.osprey.core.labels.Labels;
import java.util.Objects;
import net.openhft.chronicle.bytes.Bytes;

/**
 * One log line, as it travels through the logs spool.
 *
 * @param stream the stream labels (namespace, pod, container, ...); never the line itself
 * @param timestampNanos nanoseconds since the epoch
 * @param line the log line, without its trailing newline
 * @param metadata structured metadata shipped beside the line (may be empty)
 * @param sourceId identity of the source file ({@code ""} when there is none)
 * @param offset byte offset in the source where this entry starts
 * @param nextOffset byte offset in the source just after this entry (where reading resumes)
 */
public record LogEntry(
    Labels stream,
    long timestampNanos,
    String line,
    Labels metadata,
    String sourceId,
    long offset,
    long nextOffset)
    implements SpoolRecord {
  public LogEntry {
    Objects.requireNonNull(stream, "stream");
    Objects.requireNonNull(line, "line");
    metadata = metadata != null ? metadata : Labels.EMPTY;
    sourceId = sourceId != null ? sourceId : "";
  }

  @Override
  public int type() {
    return RecordFormat.TYPE_LOG_ENTRY;
  }

  /** Payload: i64 ts ns, labels stream, string line, labels metadata, string source, i64, i64. */
  @Override
  public void writePayload(Bytes<?> out) {
    out.writeLong(timestampNanos);
    RecordFormat.writeLabels(out, stream);
    RecordFormat.writeString(out, line);
    RecordFormat.writeLabels(out, metadata);
    RecordFormat.writeString(out, sourceId);
    out.writeLong(offset);
    out.writeLong(nextOffset);
  }

  public static LogEntry readPayload(Bytes<?> in) {
    long ts = in.readLong();
    Labels stream = RecordFormat.readLabels(in);
    String line = RecordFormat.readString(in);
    Labels metadata = RecordFormat.readLabels(in);
    String source = RecordFormat.readString(in);
    long offset = in.readLong();
    long next = in.readLong();
    return new LogEntry(stream, ts, line, metadata, source, offset, next);
  }
}
