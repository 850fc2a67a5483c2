package dev.osprey.pipeline;

import dev.osprey.core.labels.Labels;
import java.util.Arrays;
import net.openhft.chronicle.bytes.Bytes;

/**
 * Decodes spool records for one reader (not thread-safe). Reuses one scratch buffer, and reuses the
 * last decoded label set when the next record's label bytes are identical (consecutive records of
 * one stream or series), which spares a sort and a hash per record.
 */
final class RecordDecoder {
  private byte[] buf = new byte[4096];
  private byte[] cur = buf; // the array being decoded, which {@link #in} reads
  private Bytes<byte[]> in = wrap(buf);
  private byte[] lastLabelsRaw = new byte[256];
  private int lastLabelsLen = -1;
  private Labels lastLabels;

  private static Bytes<byte[]> wrap(byte[] b) {
    Bytes<byte[]> w = Bytes.wrapForRead(b);
    w.singleThreadedCheckDisabled(true);
    return w;
  }

  SpoolEntry decode(Bytes<?> doc, long index) {
    int len = (int) doc.readRemaining();
    if (len < RecordFormat.HEADER_BYTES + RecordFormat.TRAILER_BYTES) {
      throw new RecordFormat.CorruptRecordException(
          "cannot decode record " + Long.toHexString(index) + ": only " + len + " bytes");
    }
    if (doc.readUnsignedByte(doc.readPosition() + 1) == RecordFormat.TYPE_LOG_BATCH) {
      // A log batch outlives this call (the forwarder gathers several): read it into an array of
      // its own, which the batch keeps, instead of into the scratch buffer and copying it again.
      byte[] own = new byte[len];
      doc.read(own, 0, len);
      return decode(own, len, index, true);
    }
    if (len > buf.length) {
      buf = new byte[Math.max(len, buf.length * 2)];
    }
    doc.read(buf, 0, len);
    return decode(buf, len, index, false);
  }

  SpoolEntry decode(byte[] arr, int len, long index) {
    return decode(arr, len, index, false);
  }

  /**
   * Decodes {@code arr[0, len)}; with {@code owned}, the array is handed over and a log batch keeps
   * it, otherwise a log batch copies its payload out (the array is reused).
   */
  private SpoolEntry decode(byte[] arr, int len, long index, boolean owned) {
    if (len < RecordFormat.HEADER_BYTES + RecordFormat.TRAILER_BYTES) {
      throw new RecordFormat.CorruptRecordException(
          "cannot decode record " + Long.toHexString(index) + ": only " + len + " bytes");
    }
    if (cur != arr) {
      cur = arr;
      in = wrap(arr);
    }
    int c = len - RecordFormat.TRAILER_BYTES;
    int stored =
        (arr[c] & 0xff) | (arr[c + 1] & 0xff) << 8 | (arr[c + 2] & 0xff) << 16 | (arr[c + 3] << 24);
    if (stored != RecordFormat.crc32c(arr, 0, c)) {
      throw new RecordFormat.CorruptRecordException(
          "cannot decode record " + Long.toHexString(index) + ": checksum mismatch");
    }
    in.readPosition(0);
    in.readLimit(c);
    int version = in.readUnsignedByte();
    if (version < RecordFormat.OLDEST_READABLE_VERSION || version > RecordFormat.VERSION) {
      throw new RecordFormat.CorruptRecordException(
          "cannot decode record "
              + Long.toHexString(index)
              + ": format version "
              + version
              + " (this build reads "
              + RecordFormat.OLDEST_READABLE_VERSION
              + " to "
              + RecordFormat.VERSION
              + ")");
    }
    int type = in.readUnsignedByte();
    long appendMillis = in.readLong();
    SpoolRecord r =
        switch (type) {
          case RecordFormat.TYPE_METRIC_SAMPLE -> {
            long t = in.readLong();
            double v = Double.longBitsToDouble(in.readLong());
            yield new MetricSample(labels(), t, v);
          }
          case RecordFormat.TYPE_LOG_ENTRY -> {
            long ts = in.readLong();
            Labels stream = labels();
            String line = RecordFormat.readString(in);
            Labels metadata = RecordFormat.readLabels(in);
            String source = RecordFormat.readString(in);
            long offset = in.readLong();
            long next = in.readLong();
            yield new LogEntry(stream, ts, line, metadata, source, offset, next);
          }
          case RecordFormat.TYPE_SOURCE_CHECKPOINT -> SourceCheckpoint.readPayload(in);
          case RecordFormat.TYPE_LOG_BATCH -> {
            if (version < 2) {
              throw new RecordFormat.CorruptRecordException(
                  "cannot decode record " + Long.toHexString(index) + ": log batch in version 1");
            }
            int p = (int) in.readPosition();
            LogBatch b =
                owned
                    ? LogBatch.parse(arr, p, c, version)
                    : LogBatch.parse(Arrays.copyOfRange(arr, p, c), 0, c - p, version);
            in.readPosition(c);
            yield b;
          }
          default ->
              throw new RecordFormat.CorruptRecordException(
                  "cannot decode record " + Long.toHexString(index) + ": type " + type);
        };
    return new SpoolEntry(index, appendMillis, len, r);
  }

  /** Reads a label set, reusing the previous one when its bytes are the same. */
  private Labels labels() {
    int start = (int) in.readPosition();
    int end = labelsEnd(start);
    int n = end - start;
    if (n == lastLabelsLen && Arrays.equals(cur, start, end, lastLabelsRaw, 0, n)) {
      in.readPosition(end);
      return lastLabels;
    }
    Labels l = RecordFormat.readLabels(in);
    if (n > lastLabelsRaw.length) {
      lastLabelsRaw = new byte[Math.max(n, lastLabelsRaw.length * 2)];
    }
    System.arraycopy(cur, start, lastLabelsRaw, 0, n);
    lastLabelsLen = n;
    lastLabels = l;
    return l;
  }

  /** Where the label section starting at {@code start} ends, without decoding strings. */
  private int labelsEnd(int start) {
    long count = in.readStopBit();
    if (count < 0 || count > in.readRemaining()) {
      throw new RecordFormat.CorruptRecordException("cannot read labels: count " + count);
    }
    for (long i = 0; i < 2 * count; i++) {
      long len = in.readStopBit();
      if (len < 0 || len > in.readRemaining()) {
        throw new RecordFormat.CorruptRecordException("cannot read labels: length " + len);
      }
      in.readSkip(len);
    }
    int end = (int) in.readPosition();
    in.readPosition(start);
    return end;
  }
}
