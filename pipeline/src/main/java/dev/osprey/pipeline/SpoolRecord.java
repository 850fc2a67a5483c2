package dev.osprey.pipeline;

import net.openhft.chronicle.bytes.Bytes;

/**
 * A record that can be written into a {@link Spool}. The spool adds the common header (version,
 * type, append time) and the trailing CRC32C; the record writes only its payload. The layouts are
 * in {@code pipeline/docs/format.md}.
 */
public interface SpoolRecord {
  /** The record type byte, one of {@link RecordFormat}'s {@code TYPE_*} constants. */
  int type();

  /** Writes this record's payload (without header and checksum). */
  void writePayload(Bytes<?> out);
}
