package dev.osprey.logs.shipper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * Which file this is, independent of its name: (device, inode) plus a CRC32C fingerprint of its
 * first bytes, which tells a reused inode or a truncated-and-rewritten file apart.
 *
 * <p>Written as the spool's {@code source}: {@code <dev>:<ino>:<fingerprint length>:<crc hex>}.
 */
record FileIdentity(long dev, long ino, int fpLen, int fpCrc) {
  static final int FINGERPRINT_BYTES = 256;

  String sourceId() {
    return dev + ":" + ino + ":" + fpLen + ":" + Integer.toHexString(fpCrc);
  }

  boolean sameInode(long d, long i) {
    return dev == d && ino == i;
  }

  static FileIdentity parse(String sourceId) {
    String[] p = sourceId.split(":");
    if (p.length != 4) {
      return null;
    }
    try {
      return new FileIdentity(
          Long.parseLong(p[0]),
          Long.parseLong(p[1]),
          Integer.parseInt(p[2]),
          Integer.parseUnsignedInt(p[3], 16));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** (dev, ino) of a path, or null when it does not exist. */
  static long[] inode(Path p) {
    try {
      long dev =
          ((Number) Files.getAttribute(p, "unix:dev", LinkOption.NOFOLLOW_LINKS)).longValue();
      long ino =
          ((Number) Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS)).longValue();
      return new long[] {dev, ino};
    } catch (IOException e) {
      return null;
    }
  }

  /** Identity of an open file, fingerprinting up to {@link #FINGERPRINT_BYTES} present bytes. */
  static FileIdentity of(long dev, long ino, FileChannel ch) throws IOException {
    int len = (int) Math.min(FINGERPRINT_BYTES, ch.size());
    return new FileIdentity(dev, ino, len, crc(ch, len));
  }

  /** The CRC32C of the first {@code len} bytes, or -1 (never a match) when fewer are present. */
  static int crc(FileChannel ch, int len) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(len);
    while (buf.hasRemaining()) {
      if (ch.read(buf, buf.position()) < 0) {
        return -1;
      }
    }
    CRC32C c = new CRC32C();
    c.update(buf.flip());
    return (int) c.getValue();
  }

  /** True when the file behind {@code ch} still starts with the fingerprinted bytes. */
  boolean fingerprintMatches(FileChannel ch) throws IOException {
    if (ch.size() < fpLen) {
      return false;
    }
    int c = crc(ch, fpLen);
    return c == fpCrc;
  }
}
