package dev.osprey.alerting.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A snapshot file of records (see docs/format/alerting-state.md): 4-byte magic, 1-byte version, 3
 * zero bytes, then records of [u32 length][u32 CRC32C of the payload][payload], big-endian. Written
 * to a temporary file, fsynced and published by an atomic rename, so a reader sees the old or the
 * new snapshot, never half of one. A record whose length or checksum is wrong ends the read: the
 * rest is ignored and reported, never silently used.
 */
public final class StateFile {
  private static final Logger log = LoggerFactory.getLogger(StateFile.class);
  private static final int MAX_RECORD = 64 << 20;

  private StateFile() {}

  public static void write(Path path, byte[] magic, int version, List<byte[]> records)
      throws IOException {
    int size = 8;
    for (byte[] r : records) {
      size += 8 + r.length;
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    b.put(magic).put((byte) version).put(new byte[3]);
    CRC32C crc = new CRC32C();
    for (byte[] r : records) {
      crc.reset();
      crc.update(r);
      b.putInt(r.length).putInt((int) crc.getValue()).put(r);
    }
    b.flip();
    Files.createDirectories(path.toAbsolutePath().getParent());
    Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
    try {
      Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot publish " + path + ": atomic rename not supported", e);
    }
    try (FileChannel dir = FileChannel.open(path.toAbsolutePath().getParent())) {
      dir.force(true);
    } catch (IOException e) {
      // some file systems cannot fsync a directory; the rename is still atomic
    }
  }

  /** Reads the records; an absent file is an empty list. */
  public static List<byte[]> read(Path path, byte[] magic, int version) throws IOException {
    if (!Files.exists(path)) {
      return List.of();
    }
    byte[] all = Files.readAllBytes(path);
    if (all.length < 8 || !Arrays.equals(Arrays.copyOf(all, 4), magic)) {
      throw new IOException(
          "cannot read " + path + ": bad magic, not an Osprey alerting state file");
    }
    if (all[4] != version) {
      throw new IOException(
          "cannot read " + path + ": version " + all[4] + " unsupported, want " + version);
    }
    ByteBuffer b = ByteBuffer.wrap(all, 8, all.length - 8);
    List<byte[]> out = new ArrayList<>();
    CRC32C crc = new CRC32C();
    while (b.remaining() > 0) {
      if (b.remaining() < 8) {
        log.warn("state file torn tail path={} offset={}", path, b.position());
        break;
      }
      int len = b.getInt();
      int sum = b.getInt();
      if (len < 0 || len > MAX_RECORD || len > b.remaining()) {
        log.warn("state file torn record path={} offset={} length={}", path, b.position(), len);
        break;
      }
      byte[] r = new byte[len];
      b.get(r);
      crc.reset();
      crc.update(r);
      if ((int) crc.getValue() != sum) {
        log.warn("state file checksum mismatch path={} offset={}", path, b.position() - len);
        break;
      }
      out.add(r);
    }
    return out;
  }
}
