package dev.osprey.logs.shipper;

import java.util.zip.CRC32C;

/**
 * Reads a Loki {@code PushRequest} in protobuf wire format field by field, without building message
 * objects: the throughput receiver's cheap check of what arrived.
 */
final class PushWalker {
  private PushWalker() {}

  /**
   * Returns {entries, sum of the CRC32C of every entry's line}.
   *
   * @throws IllegalArgumentException when the bytes are not a well-formed push request
   */
  static long[] countAndChecksum(byte[] b) {
    long entries = 0;
    long sum = 0;
    CRC32C crc = new CRC32C();
    int[] pos = {0};
    while (pos[0] < b.length) {
      int streamEnd = field(b, pos, 1, b.length); // PushRequest.streams = 1
      if (streamEnd < 0) {
        continue;
      }
      while (pos[0] < streamEnd) {
        int entryEnd = field(b, pos, 2, streamEnd); // StreamAdapter.entries = 2
        if (entryEnd < 0) {
          continue;
        }
        entries++;
        boolean line = false;
        while (pos[0] < entryEnd) {
          int lineEnd = field(b, pos, 2, entryEnd); // EntryAdapter.line = 2
          if (lineEnd >= 0) {
            crc.reset();
            crc.update(b, pos[0], lineEnd - pos[0]);
            sum += crc.getValue();
            pos[0] = lineEnd;
            line = true;
          }
        }
        if (!line) { // an empty line is omitted by proto3
          crc.reset();
          sum += crc.getValue();
        }
        pos[0] = entryEnd;
      }
    }
    return new long[] {entries, sum};
  }

  /**
   * Reads one field's tag at {@code pos}: when it is the length-delimited field {@code wanted},
   * leaves {@code pos} at its first byte and returns its end; otherwise skips the field and returns
   * -1.
   */
  private static int field(byte[] b, int[] pos, int wanted, int limit) {
    long tag = varint(b, pos, limit);
    int type = (int) (tag & 7);
    switch (type) {
      case 0 -> varint(b, pos, limit);
      case 1 -> pos[0] += 8;
      case 5 -> pos[0] += 4;
      case 2 -> {
        long len = varint(b, pos, limit);
        if (len < 0 || len > limit - pos[0]) {
          throw new IllegalArgumentException("length " + len + " at " + pos[0]);
        }
        int end = pos[0] + (int) len;
        if (tag >>> 3 == wanted) {
          return end;
        }
        pos[0] = end;
      }
      default -> throw new IllegalArgumentException("wire type " + type + " at " + pos[0]);
    }
    if (pos[0] > limit) {
      throw new IllegalArgumentException("field past its message at " + pos[0]);
    }
    return -1;
  }

  private static long varint(byte[] b, int[] pos, int limit) {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos[0] >= limit) {
        throw new IllegalArgumentException("truncated varint at " + pos[0]);
      }
      byte x = b[pos[0]++];
      v |= (long) (x & 0x7f) << shift;
      if (x >= 0) {
        return v;
      }
    }
    throw new IllegalArgumentException("varint too long at " + pos[0]);
  }
}
