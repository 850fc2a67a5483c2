package dev.osprey.pipeline;

/**
 * A record read back from a spool.
 *
 * @param index its Chronicle index
 * @param appendMillis when it was appended (ms since the epoch)
 * @param sizeBytes its size on disk (header, payload and checksum)
 * @param record the decoded record
 */
public record SpoolEntry(long index, long appendMillis, int sizeBytes, SpoolRecord record) {}
