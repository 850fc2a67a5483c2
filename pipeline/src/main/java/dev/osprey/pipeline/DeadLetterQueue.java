package dev.osprey.pipeline;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Batches a destination refused for good (a 4xx other than 429/408), kept for inspection in a
 * Chronicle Queue of their own. One excerpt per batch; layout in {@code pipeline/docs/format.md}.
 */
public final class DeadLetterQueue implements AutoCloseable {
  public static final int VERSION = 1;

  private final SingleChronicleQueue queue;
  private final ExcerptAppender appender;
  private final Bytes<byte[]> scratch = Bytes.allocateElasticOnHeap(512);

  public DeadLetterQueue(Path dir) {
    this.queue =
        SingleChronicleQueueBuilder.binary(dir)
            .rollCycle(RollCycles.FAST_DAILY)
            .blockSize(256 << 10)
            .build();
    this.appender = queue.createAppender();
    appender.singleThreadedCheckDisabled(true);
    scratch.singleThreadedCheckDisabled(true); // guarded by this object's monitor
  }

  /** A dead-lettered batch as read back. */
  public record Letter(int status, String destination, String reason, List<SpoolEntry> entries) {}

  public synchronized void write(
      int status, String destination, String reason, List<SpoolEntry> batch) {
    try (DocumentContext dc = appender.writingDocument()) {
      Bytes<?> out = dc.wire().bytes();
      out.writeByte((byte) VERSION);
      out.writeInt(status);
      RecordFormat.writeString(out, destination);
      RecordFormat.writeString(out, reason);
      out.writeStopBit(batch.size());
      for (SpoolEntry e : batch) {
        Bytes<byte[]> rec = Spool.encodeInto(scratch, e.record());
        out.writeStopBit(rec.writePosition());
        out.write(rec, 0L, rec.writePosition());
      }
    }
  }

  /** Reads every letter, oldest first (for tools and tests). */
  public synchronized List<Letter> readAll() {
    List<Letter> out = new ArrayList<>();
    try (ExcerptTailer t = queue.createTailer()) {
      while (true) {
        try (DocumentContext dc = t.readingDocument()) {
          if (!dc.isPresent()) {
            return out;
          }
          Bytes<?> in = dc.wire().bytes();
          int version = in.readUnsignedByte();
          if (version != VERSION) {
            throw new RecordFormat.CorruptRecordException(
                "cannot read dead letter: version " + version);
          }
          int status = in.readInt();
          String dest = RecordFormat.readString(in);
          String reason = RecordFormat.readString(in);
          long n = in.readStopBit();
          List<SpoolEntry> entries = new ArrayList<>();
          for (long i = 0; i < n; i++) {
            byte[] rec = new byte[(int) in.readStopBit()];
            in.read(rec);
            entries.add(Spool.decode(rec, dc.index()));
          }
          out.add(new Letter(status, dest, reason, entries));
        }
      }
    }
  }

  @Override
  public void close() {
    appender.close();
    queue.close();
  }
}
