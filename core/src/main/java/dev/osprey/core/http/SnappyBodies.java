package dev.osprey.core.http;

import java.io.IOException;
import org.xerial.snappy.Snappy;

/**
 * The decoded length of a snappy block body (remote_write, Loki push), checked before anything is
 * allocated for it.
 *
 * <p>A snappy block starts with its decoded length as a varint, and a decoder allocates that many
 * bytes. The header is the sender's word: a 20-byte body that claims 2 GB would have the server
 * allocate 2 GB. No valid block can decode to more than about 21.4 times its own size (the largest
 * element, a copy with a 2-byte offset, is 3 bytes long and yields at most 64), so a claim above
 * that is refused as bad data before any allocation.
 */
public final class SnappyBodies {

  /** The most one byte of a valid snappy block can decode to, rounded up: 64 bytes from 3. */
  static final int MAX_EXPANSION = 22;

  private SnappyBodies() {}

  /**
   * The decoded length the body's header claims, if a block of this size can decode to it.
   *
   * @throws IOException when the header is damaged or claims more than the body can hold
   */
  public static int decodedLength(byte[] body) throws IOException {
    int n = Snappy.uncompressedLength(body);
    long most = (long) MAX_EXPANSION * body.length;
    if (n < 0 || n > most) {
      throw new IOException(
          "the header claims "
              + Integer.toUnsignedString(n)
              + " decoded bytes, more than a "
              + body.length
              + "-byte block can hold");
    }
    return n;
  }

  /** The body decoded, after {@link #decodedLength} accepted its header. */
  public static byte[] decode(byte[] body) throws IOException {
    byte[] raw = new byte[decodedLength(body)];
    if (Snappy.uncompress(body, 0, body.length, raw, 0) != raw.length) {
      throw new IOException("decoded length differs from the header's");
    }
    return raw;
  }
}
