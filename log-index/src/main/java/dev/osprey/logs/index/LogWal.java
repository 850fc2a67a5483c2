package dev.osprey.logs.index;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write-ahead log of batches not yet committed to Lucene (format in docs/format/log-wal.md).
 * Segments {@code wal-<seq>.log}; each begins with the magic {@code OLWL} and a version byte, then
 * records {@code [u32 length][u32 crc32c][payload]} (little-endian). On open every segment is
 * replayed in order; a torn or corrupt record ends its segment, which is truncated there. After a
 * Lucene commit the segments older than the one cut before the commit are deleted.
 *
 * <p>Not thread-safe: the store serializes appends.
 */
final class LogWal implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LogWal.class);
  static final byte[] MAGIC = {'O', 'L', 'W', 'L'};
  static final byte VERSION = 1;
  static final int HEADER = 5;
  static final int MAX_RECORD = 256 << 20;

  private final Path dir;
  private FileChannel ch;
  private long seq;
  private final ByteBuffer head = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

  private LogWal(Path dir, long seq) throws IOException {
    this.dir = dir;
    this.seq = seq;
    this.ch = create(seq);
  }

  /**
   * Replays every segment under {@code dir} into {@code sink}, truncating torn tails, then opens a
   * fresh segment for appends.
   */
  static LogWal open(Path dir, Consumer<byte[]> sink) throws IOException {
    Files.createDirectories(dir);
    long last = 0;
    for (long s : segments(dir)) {
      replay(segment(dir, s), sink);
      last = Math.max(last, s);
    }
    return new LogWal(dir, last + 1);
  }

  private static Path segment(Path dir, long seq) {
    return dir.resolve(String.format("wal-%016d.log", seq));
  }

  static List<Long> segments(Path dir) throws IOException {
    List<Long> out = new ArrayList<>();
    try (Stream<Path> st = Files.list(dir)) {
      st.forEach(
          p -> {
            String n = p.getFileName().toString();
            if (n.startsWith("wal-") && n.endsWith(".log")) {
              out.add(Long.parseLong(n.substring(4, n.length() - 4)));
            }
          });
    }
    out.sort(null);
    return out;
  }

  private static void replay(Path p, Consumer<byte[]> sink) throws IOException {
    try (FileChannel c = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long size = c.size();
      ByteBuffer h = ByteBuffer.allocate(HEADER);
      if (size < HEADER || c.read(h, 0) != HEADER || !validHeader(h.array())) {
        log.warn("event=wal_bad_header file={} size={}", p, size);
        c.truncate(0);
        return;
      }
      long pos = HEADER;
      ByteBuffer rh = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      CRC32C crc = new CRC32C();
      while (pos < size) {
        rh.clear();
        if (size - pos < 8 || c.read(rh, pos) != 8) {
          break;
        }
        int len = rh.getInt(0);
        int sum = rh.getInt(4);
        if (len < 0 || len > MAX_RECORD || pos + 8 + len > size) {
          break;
        }
        ByteBuffer body = ByteBuffer.allocate(len);
        while (body.hasRemaining() && c.read(body, pos + 8 + body.position()) > 0) {}
        crc.reset();
        crc.update(body.array(), 0, len);
        if ((int) crc.getValue() != sum) {
          break;
        }
        sink.accept(body.array());
        pos += 8 + len;
      }
      if (pos < size) {
        log.warn("event=wal_torn_tail file={} truncate_at={} size={}", p, pos, size);
        c.truncate(pos);
      }
    }
  }

  private static boolean validHeader(byte[] h) {
    return h[0] == MAGIC[0]
        && h[1] == MAGIC[1]
        && h[2] == MAGIC[2]
        && h[3] == MAGIC[3]
        && h[4] == VERSION;
  }

  private FileChannel create(long s) throws IOException {
    FileChannel c =
        FileChannel.open(
            segment(dir, s),
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE,
            StandardOpenOption.READ);
    ByteBuffer h = ByteBuffer.allocate(HEADER);
    h.put(MAGIC).put(VERSION).flip();
    c.write(h, 0);
    c.position(HEADER);
    return c;
  }

  /** Appends one record (written to the OS, so it survives a kill -9 of the process). */
  void append(byte[] payload) throws IOException {
    CRC32C crc = new CRC32C();
    crc.update(payload, 0, payload.length);
    head.clear();
    head.putInt(payload.length).putInt((int) crc.getValue()).flip();
    ByteBuffer[] bufs = {head, ByteBuffer.wrap(payload)};
    long want = 8L + payload.length;
    long done = 0;
    while (done < want) {
      done += ch.write(bufs);
    }
  }

  /** Flushes to the device (on commit interval; appends themselves reach only the OS). */
  void sync() throws IOException {
    ch.force(false);
  }

  /** Starts a new segment; returns its sequence. Everything before it may go after a commit. */
  long cut() throws IOException {
    ch.force(false);
    ch.close();
    seq++;
    ch = create(seq);
    return seq;
  }

  /** Deletes the segments older than {@code keepFrom}. */
  void deleteBefore(long keepFrom) throws IOException {
    for (long s : segments(dir)) {
      if (s < keepFrom) {
        Files.deleteIfExists(segment(dir, s));
      }
    }
  }

  long sizeBytes() throws IOException {
    return ch.size();
  }

  @Override
  public void close() throws IOException {
    ch.close();
  }
}
