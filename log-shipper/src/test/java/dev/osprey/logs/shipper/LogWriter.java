package dev.osprey.logs.shipper;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * Writes a container's CRI log the way the runtime does, as fast as it can, and rotates it the way
 * kubelet does (rename to {@code 0.log.<timestamp>}, create a new {@code 0.log}, gzip older rotated
 * files) or the way logrotate's copytruncate does (copy, then truncate in place).
 *
 * <p>Line {@code i} reads {@code "<name> <i> <padding>"}; every 7th line is written as three
 * partial ({@code P}) pieces and a final one, which the shipper must join.
 */
final class LogWriter implements Runnable {
  enum Rotation {
    KUBELET,
    COPYTRUNCATE
  }

  private static final DateTimeFormatter ROTATED =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss.SSSSSS").withZone(ZoneOffset.UTC);

  final Path file;
  final String name;
  final int lines;
  final int linesPerFile;
  final Rotation rotation;
  long gzipAfterNanos;
  volatile Throwable failure;
  private final List<Path> rotated = new ArrayList<>();
  private final List<Long> rotatedAt = new ArrayList<>();
  private int copies;
  private int pauseMillisPer10Lines;

  /** Rotated files older than this are gzipped and deleted (kubelet does it; 5 s by default). */
  LogWriter gzipAfter(java.time.Duration d) {
    this.gzipAfterNanos = d.toNanos();
    return this;
  }

  /** Sleeps this long after every 10 lines (copytruncate is only safe at a human pace). */
  LogWriter paced(int millis) {
    this.pauseMillisPer10Lines = millis;
    return this;
  }

  LogWriter(Path file, String name, int lines, int linesPerFile, Rotation rotation) {
    this.file = file;
    this.name = name;
    this.lines = lines;
    this.linesPerFile = linesPerFile;
    this.rotation = rotation;
    this.gzipAfterNanos = 5_000_000_000L;
  }

  static String expected(String name, int i) {
    return name + " " + i + " " + "p".repeat(40 + i % 60);
  }

  @Override
  public void run() {
    try {
      Files.createDirectories(file.getParent());
      FileChannel ch = open();
      StringBuilder batch = new StringBuilder();
      for (int i = 0; i < lines; i++) {
        String ts = Instant.now().toString();
        String msg = expected(name, i);
        if (i % 7 == 3) {
          int a = msg.length() / 3;
          batch.append(ts).append(" stdout P ").append(msg, 0, a).append('\n');
          batch.append(ts).append(" stdout P ").append(msg, a, 2 * a).append('\n');
          batch.append(ts).append(" stdout F ").append(msg, 2 * a, msg.length()).append('\n');
        } else {
          batch.append(ts).append(" stdout F ").append(msg).append('\n');
        }
        if (i % 10 == 9 || i == lines - 1) {
          write(ch, batch);
          batch.setLength(0);
          if (pauseMillisPer10Lines > 0) {
            Thread.sleep(pauseMillisPer10Lines);
          }
        }
        if (i % linesPerFile == linesPerFile - 1 && i != lines - 1) {
          write(ch, batch);
          batch.setLength(0);
          ch = rotate(ch);
        }
      }
      ch.close();
    } catch (Throwable t) {
      failure = t;
    }
  }

  private FileChannel open() throws IOException {
    return openAppend(file);
  }

  /** Opens a log file for appending, creating it, as a container runtime does. */
  static FileChannel openAppend(Path file) throws IOException {
    return FileChannel.open(
        file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
  }

  /** Writes all of {@code sb} (the caller clears it). */
  static void write(FileChannel ch, StringBuilder sb) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  private FileChannel rotate(FileChannel ch) throws IOException {
    if (rotation == Rotation.COPYTRUNCATE) {
      Files.copy(
          file,
          file.resolveSibling(file.getFileName() + "." + (++copies)),
          StandardCopyOption.REPLACE_EXISTING);
      ch.truncate(0);
      return ch;
    }
    ch.close();
    Path to = file.resolveSibling(file.getFileName() + "." + ROTATED.format(Instant.now()));
    Files.move(file, to);
    rotated.add(to);
    rotatedAt.add(System.nanoTime());
    gzipOld();
    return open();
  }

  /** Kubelet compresses older rotated files: gzip, then delete the original. */
  private void gzipOld() throws IOException {
    while (!rotated.isEmpty() && System.nanoTime() - rotatedAt.get(0) > gzipAfterNanos) {
      Path p = rotated.remove(0);
      rotatedAt.remove(0);
      try (OutputStream out =
          new GZIPOutputStream(Files.newOutputStream(p.resolveSibling(p.getFileName() + ".gz")))) {
        Files.copy(p, out);
      }
      Files.delete(p);
    }
  }
}
