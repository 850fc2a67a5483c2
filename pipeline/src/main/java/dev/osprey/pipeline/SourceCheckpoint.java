package dev.osprey.pipeline;

import java.util.List;
import java.util.Objects;
import net.openhft.chronicle.bytes.Bytes;

/**
 * The read positions of every open source, written into the logs spool by the log shipper (at the
 * start of each cycle and when a source is opened or released). Forwarders skip it; on restart the
 * shipper reads the queue backwards to the newest checkpoint and applies the log entries after it,
 * so the queue itself is the checkpoint.
 */
public record SourceCheckpoint(List<Position> positions) implements SpoolRecord {
  public SourceCheckpoint {
    positions = List.copyOf(positions);
  }

  /**
   * @param sourceId identity of the source (device, inode, fingerprint)
   * @param path the path where the source was last seen
   * @param offset the byte offset where reading resumes
   * @param released true when the source was read to its end and let go
   */
  public record Position(String sourceId, String path, long offset, boolean released) {
    public Position {
      Objects.requireNonNull(sourceId, "sourceId");
      Objects.requireNonNull(path, "path");
    }
  }

  @Override
  public int type() {
    return RecordFormat.TYPE_SOURCE_CHECKPOINT;
  }

  /** Payload: stop-bit count, then per position: string id, string path, i64 offset, u8 flags. */
  @Override
  public void writePayload(Bytes<?> out) {
    out.writeStopBit(positions.size());
    for (Position p : positions) {
      RecordFormat.writeString(out, p.sourceId());
      RecordFormat.writeString(out, p.path());
      out.writeLong(p.offset());
      out.writeByte((byte) (p.released() ? 1 : 0));
    }
  }

  public static SourceCheckpoint readPayload(Bytes<?> in) {
    long n = in.readStopBit();
    if (n < 0 || n > in.readRemaining()) {
      throw new RecordFormat.CorruptRecordException("cannot read checkpoint: count " + n);
    }
    Position[] ps = new Position[(int) n];
    for (int i = 0; i < n; i++) {
      String id = RecordFormat.readString(in);
      String path = RecordFormat.readString(in);
      long offset = in.readLong();
      boolean released = in.readByte() != 0;
      ps[i] = new Position(id, path, offset, released);
    }
    return new SourceCheckpoint(List.of(ps));
  }
}
