package dev.osprey.pipeline;

import dev.osprey.core.labels.Labels;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;
import net.openhft.chronicle.bytes.Bytes;

/**
 * The versioned binary layout of spool records (see {@code pipeline/docs/format.md}).
 *
 * <pre>
 * u8  version (3; versions 1 and 2 are still read)
 * u8  type
 * i64 append time, ms since the epoch
 * ... payload (type-specific)
 * u32 CRC32C of every byte before it
 * </pre>
 *
 * Strings are a stop-bit encoded UTF-8 byte length followed by the UTF-8 bytes. Integers are
 * little-endian (Chronicle Bytes' native order).
 */
public final class RecordFormat {
  public static final int VERSION = 3;

  /**
   * The oldest version still decoded: version 1 had no log batches, version 2 wrote their entry
   * headers at a fixed width; otherwise the same.
   */
  public static final int OLDEST_READABLE_VERSION = 1;

  public static final int HEADER_BYTES = 10;
  public static final int TRAILER_BYTES = 4;

  /** A metric sample ({@link MetricSample}). */
  public static final int TYPE_METRIC_SAMPLE = 1;

  /** A log entry ({@link LogEntry}). */
  public static final int TYPE_LOG_ENTRY = 2;

  /** Positions of sources ({@link SourceCheckpoint}); not forwarded. */
  public static final int TYPE_SOURCE_CHECKPOINT = 3;

  /** Several log lines of one source ({@link LogBatch}); since version 2. */
  public static final int TYPE_LOG_BATCH = 4;

  /** The largest string accepted when decoding, a guard against corrupt lengths. */
  static final int MAX_STRING_BYTES = 64 << 20;

  private RecordFormat() {}

  public static void writeString(Bytes<?> out, String s) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    out.writeStopBit(utf8.length);
    out.write(utf8);
  }

  public static String readString(Bytes<?> in) {
    long n = in.readStopBit();
    if (n < 0 || n > MAX_STRING_BYTES || n > in.readRemaining()) {
      throw new CorruptRecordException(
          "cannot read string: length " + n + " at offset " + in.readPosition());
    }
    byte[] b = new byte[(int) n];
    in.read(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  public static void writeLabels(Bytes<?> out, Labels labels) {
    out.writeStopBit(labels.size());
    for (int i = 0; i < labels.size(); i++) {
      writeString(out, labels.name(i));
      writeString(out, labels.value(i));
    }
  }

  public static Labels readLabels(Bytes<?> in) {
    long n = in.readStopBit();
    if (n < 0 || n > in.readRemaining()) {
      throw new CorruptRecordException("cannot read labels: count " + n);
    }
    Labels.Builder b = Labels.builder();
    for (int i = 0; i < n; i++) {
      String name = readString(in);
      b.set(name, readString(in));
    }
    return b.build();
  }

  static int crc32c(byte[] data, int off, int len) {
    CRC32C crc = new CRC32C();
    crc.update(data, off, len);
    return (int) crc.getValue();
  }

  /** A record whose bytes do not decode: a bad checksum, version or length. */
  public static final class CorruptRecordException extends RuntimeException {
    public CorruptRecordException(String message) {
      super(message);
    }
  }
}
