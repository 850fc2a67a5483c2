package dev.osprey.tsdb.wal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write-ahead log: numbered segment files, each with a magic and version header, holding
 * records framed by length and CRC32C. The layout is in {@code docs/format/wal.md}.
 *
 * <p>Records are gathered in a buffer and written to the file by {@link #flush}, which an appender
 * calls at commit: from then on a process crash cannot lose them. Whether they also survive a
 * machine crash depends on the fsync policy: {@code always} fsyncs at each flush, {@code interval}
 * when {@link #sync} is called by a timer, {@code never} only when a segment is closed.
 */
public final class Wal implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(Wal.class);

  public static final int MAGIC = 0x4F535057; // "OSPW"
  public static final int VERSION = 1;
  public static final int HEADER_SIZE = 8;
  public static final int RECORD_HEADER_SIZE = 8;
  public static final long DEFAULT_SEGMENT_SIZE = 128L << 20;

  /** Receives each intact record during replay. */
  @FunctionalInterface
  public interface RecordConsumer {
    void accept(byte[] payload, int len);
  }

  private final Path dir;
  private final String fsync;
  private final long segmentSize;
  private final Counter bytesWritten;
  private final Counter corruptions;
  private final Timer fsyncTimer;
  private final Buf pending = new Buf(1 << 16);
  private final CRC32C crc = new CRC32C();
  private FileChannel channel;
  private int segment;
  private long segmentBytes;
  private boolean dirty;
  private long written; // bytes handed to segment files since open (a position in the log)
  private final java.util.concurrent.atomic.AtomicLong synced =
      new java.util.concurrent.atomic.AtomicLong();
  private final Object syncLock = new Object();

  private Wal(Path dir, String fsync, long segmentSize, MeterRegistry registry) {
    this.dir = dir;
    this.fsync = fsync;
    this.segmentSize = segmentSize;
    this.bytesWritten =
        Counter.builder("osprey_tsdb_wal_bytes_total")
            .description("Bytes written to the tsdb write-ahead log")
            .register(registry);
    this.corruptions =
        Counter.builder("osprey_tsdb_wal_corruptions_total")
            .description("Torn or corrupt WAL tails truncated on open")
            .register(registry);
    this.fsyncTimer =
        Timer.builder("osprey_tsdb_wal_fsync_seconds")
            .description("Time spent in WAL fsync")
            .register(registry);
  }

  /**
   * Opens the WAL in {@code dir}: replays every intact record into {@code consumer}, truncates a
   * torn or corrupt tail (and drops any segment after it), then starts a new segment for writing.
   */
  public static Wal open(
      Path dir, String fsync, long segmentSize, MeterRegistry registry, RecordConsumer consumer)
      throws IOException {
    Files.createDirectories(dir);
    Wal wal = new Wal(dir, fsync, segmentSize, registry);
    int checkpoint = latestCheckpoint(dir);
    if (checkpoint >= 0) {
      Path cp = checkpointPath(dir, checkpoint);
      for (int seg : segments(cp)) {
        if (wal.replaySegment(segmentPath(cp, seg), consumer) >= 0) {
          throw new IOException("cannot replay WAL checkpoint " + cp + ": corrupt segment " + seg);
        }
      }
    }
    List<Integer> segments = new ArrayList<>(segments(dir));
    segments.removeIf(s -> s <= checkpoint);
    int last = Math.max(0, checkpoint);
    for (int i = 0; i < segments.size(); i++) {
      int seg = segments.get(i);
      last = seg;
      long good = wal.replaySegment(segmentPath(dir, seg), consumer);
      if (good >= 0) {
        wal.corruptions.increment();
        try (FileChannel ch = FileChannel.open(segmentPath(dir, seg), StandardOpenOption.WRITE)) {
          ch.truncate(good);
          ch.force(true);
        }
        for (int j = i + 1; j < segments.size(); j++) {
          log.warn("event=wal_segment_dropped segment={} reason=after_corruption", segments.get(j));
          Files.delete(segmentPath(dir, segments.get(j)));
        }
        break;
      }
    }
    wal.openSegment(last + 1);
    return wal;
  }

  public static final String CHECKPOINT_PREFIX = "checkpoint.";

  public static Path checkpointPath(Path dir, int upTo) {
    return dir.resolve(CHECKPOINT_PREFIX + String.format("%08d", upTo));
  }

  /**
   * The number of the newest complete checkpoint in {@code dir} (it replaces every segment up to
   * and including that number), or -1. Unfinished checkpoints ({@code .tmp}) are deleted.
   */
  public static int latestCheckpoint(Path dir) throws IOException {
    int best = -1;
    List<Path> tmps = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, CHECKPOINT_PREFIX + "*")) {
      for (Path p : ds) {
        String n = p.getFileName().toString().substring(CHECKPOINT_PREFIX.length());
        if (n.endsWith(".tmp")) {
          tmps.add(p);
        } else if (n.length() == 8 && n.chars().allMatch(Character::isDigit)) {
          best = Math.max(best, Integer.parseInt(n));
        }
      }
    }
    for (Path t : tmps) {
      deleteTree(t);
    }
    return best;
  }

  /**
   * Publishes the checkpoint written in {@code tmpDir} as covering every segment up to {@code
   * upTo}, then deletes those segments and older checkpoints.
   */
  public void publishCheckpoint(Path tmpDir, int upTo) throws IOException {
    Path dst = checkpointPath(dir, upTo);
    Files.move(tmpDir, dst, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    forceDir();
    deleteBefore(upTo + 1);
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, CHECKPOINT_PREFIX + "*")) {
      for (Path p : ds) {
        if (!p.equals(dst)) {
          deleteTree(p);
        }
      }
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (Files.isDirectory(p)) {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
        for (Path c : ds) {
          deleteTree(c);
        }
      }
    }
    Files.deleteIfExists(p);
  }

  /** Segment numbers present in {@code dir}, ascending. */
  public static List<Integer> segments(Path dir) throws IOException {
    List<Integer> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        if (name.length() == 8 && name.chars().allMatch(Character::isDigit)) {
          out.add(Integer.parseInt(name));
        }
      }
    }
    out.sort(null);
    return out;
  }

  public static Path segmentPath(Path dir, int segment) {
    return dir.resolve(String.format("%08d", segment));
  }

  /** Replays one segment; returns -1 when it is intact, else the length to truncate it to. */
  private long replaySegment(Path file, RecordConsumer consumer) throws IOException {
    long size = Files.size(file);
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      byte[] header = new byte[HEADER_SIZE];
      if (size < HEADER_SIZE || !readFully(in, header, HEADER_SIZE)) {
        log.warn("event=wal_torn_tail file={} offset=0 reason=short_header", file);
        return 0;
      }
      Dec h = new Dec(header, 0, HEADER_SIZE);
      int magic = h.getInt();
      int version = h.getByte();
      if (magic != MAGIC || version != VERSION) {
        throw new IOException(
            "cannot open WAL segment "
                + file
                + ": bad magic "
                + Integer.toHexString(magic)
                + " or version "
                + version);
      }
      long pos = HEADER_SIZE;
      byte[] rh = new byte[RECORD_HEADER_SIZE];
      byte[] payload = new byte[1 << 16];
      CRC32C c = new CRC32C();
      while (pos < size) {
        if (!readFully(in, rh, RECORD_HEADER_SIZE)) {
          log.warn("event=wal_torn_tail file={} offset={} reason=short_record_header", file, pos);
          return pos;
        }
        Dec d = new Dec(rh, 0, RECORD_HEADER_SIZE);
        int len = d.getInt();
        int sum = d.getInt();
        if (len <= 0 || len > size - pos - RECORD_HEADER_SIZE) {
          log.warn(
              "event=wal_torn_tail file={} offset={} reason=bad_length len={}", file, pos, len);
          return pos;
        }
        if (payload.length < len) {
          payload = new byte[Math.max(len, payload.length * 2)];
        }
        if (!readFully(in, payload, len)) {
          log.warn("event=wal_torn_tail file={} offset={} reason=short_record", file, pos);
          return pos;
        }
        c.reset();
        c.update(payload, 0, len);
        if ((int) c.getValue() != sum) {
          log.warn("event=wal_torn_tail file={} offset={} reason=crc_mismatch", file, pos);
          return pos;
        }
        consumer.accept(payload, len);
        pos += RECORD_HEADER_SIZE + len;
      }
      return -1;
    }
  }

  private static boolean readFully(InputStream in, byte[] b, int len) throws IOException {
    int off = 0;
    while (off < len) {
      int r = in.read(b, off, len - off);
      if (r < 0) {
        return false;
      }
      off += r;
    }
    return true;
  }

  private void openSegment(int seg) throws IOException {
    segment = seg;
    channel =
        FileChannel.open(
            segmentPath(dir, seg),
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE,
            StandardOpenOption.READ);
    ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE);
    h.putInt(MAGIC).put((byte) VERSION).put((byte) 0).put((byte) 0).put((byte) 0).flip();
    while (h.hasRemaining()) {
      channel.write(h);
    }
    channel.force(true);
    forceDir();
    segmentBytes = HEADER_SIZE;
  }

  private void forceDir() {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // some file systems cannot fsync a directory; the segment's own fsync still holds
      log.debug("event=wal_dir_fsync_unsupported dir={}", dir);
    }
  }

  /** Adds one record (its first byte is its type). Written to the file at the next flush. */
  public synchronized void log(byte[] payload, int len) {
    if (channel == null) {
      throw new IllegalStateException("BUG: WAL used after close");
    }
    try {
      if (segmentBytes + pending.length() + RECORD_HEADER_SIZE + len > segmentSize
          && segmentBytes + pending.length() > HEADER_SIZE) {
        flushLocked();
        cutSegment();
      }
      crc.reset();
      crc.update(payload, 0, len);
      pending.putInt(len).putInt((int) crc.getValue()).putBytes(payload, 0, len);
      if (pending.length() >= (1 << 20)) {
        flushLocked();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write WAL segment " + segment, e);
    }
  }

  /** Whether each commit must be fsynced before it is answered (policy {@code always}). */
  public boolean syncsEachCommit() {
    return fsync.equals("always");
  }

  /**
   * Writes buffered records to the file without fsync (a process crash can no longer lose them);
   * returns the log position after them, for {@link #syncTo}.
   */
  public synchronized long write() {
    try {
      flushLocked();
      return written;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write WAL segment " + segment, e);
    }
  }

  /**
   * Returns once everything up to log position {@code pos} is fsynced: group commit. One fsync at a
   * time; it covers everything written before it started, so commits that wait meanwhile usually
   * find their position covered and return without an fsync of their own. The WAL's lock is not
   * held during the fsync: other commits go on writing.
   */
  public void syncTo(long pos) {
    synchronized (syncLock) {
      if (synced.get() >= pos) {
        return;
      }
      FileChannel ch;
      long target;
      synchronized (this) {
        if (channel == null) {
          return; // closed: close() fsynced
        }
        try {
          flushLocked();
        } catch (IOException e) {
          throw new UncheckedIOException("cannot write WAL segment " + segment, e);
        }
        target = written;
        ch = channel;
        dirty = false;
      }
      forceOutsideLock(ch);
      synced.accumulateAndGet(target, Math::max);
    }
  }

  /** Writes buffered records to the file, and fsyncs when the policy is {@code always}. */
  public synchronized void flush() {
    try {
      flushLocked();
      if (fsync.equals("always") && dirty) {
        forceLocked();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write WAL segment " + segment, e);
    }
  }

  /**
   * Fsyncs what was written, if anything (the {@code interval} timer calls this). The fsync runs
   * outside the WAL's lock, so commits are not held up while the disk syncs.
   */
  public void sync() {
    FileChannel ch;
    synchronized (this) {
      if (channel == null) {
        return;
      }
      try {
        flushLocked();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write WAL segment " + segment, e);
      }
      if (!dirty) {
        return;
      }
      ch = channel;
      dirty = false;
    }
    forceOutsideLock(ch);
  }

  /**
   * Fsyncs {@code ch} without holding the WAL's lock; a channel closed meanwhile was fsynced by
   * whoever closed it (a segment cut or close), a failure marks the WAL dirty again.
   */
  private void forceOutsideLock(FileChannel ch) {
    long start = System.nanoTime();
    try {
      ch.force(false);
      fsyncTimer.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
    } catch (java.nio.channels.ClosedChannelException e) {
      // the segment was cut or the WAL closed meanwhile; both fsync before closing
    } catch (IOException e) {
      synchronized (this) {
        dirty = true;
      }
      throw new UncheckedIOException("cannot fsync WAL segment " + segment, e);
    }
  }

  private void flushLocked() throws IOException {
    if (pending.length() == 0) {
      return;
    }
    ByteBuffer bb = ByteBuffer.wrap(pending.array(), 0, pending.length());
    while (bb.hasRemaining()) {
      channel.write(bb);
    }
    segmentBytes += pending.length();
    written += pending.length();
    bytesWritten.increment(pending.length());
    pending.reset();
    dirty = true;
  }

  private void forceLocked() throws IOException {
    long start = System.nanoTime();
    channel.force(false);
    fsyncTimer.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
    dirty = false;
    synced.accumulateAndGet(written, Math::max);
  }

  private void cutSegment() throws IOException {
    forceLocked();
    channel.close();
    openSegment(segment + 1);
  }

  /** The segment being written. */
  public synchronized int currentSegment() {
    return segment;
  }

  /** Starts a new segment now; returns the number of the first segment not yet closed. */
  public synchronized int cut() {
    try {
      flushLocked();
      cutSegment();
      return segment;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot cut WAL segment " + segment, e);
    }
  }

  /** Deletes segments numbered below {@code segment} (after a checkpoint made them redundant). */
  public synchronized void deleteBefore(int seg) throws IOException {
    for (int s : segments(dir)) {
      if (s < seg && s != segment) {
        Files.delete(segmentPath(dir, s));
      }
    }
  }

  public Path dir() {
    return dir;
  }

  @Override
  public synchronized void close() {
    if (channel == null) {
      return;
    }
    try {
      flushLocked();
      if (!fsync.equals("never") || dirty) {
        forceLocked();
      }
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close WAL segment " + segment, e);
    } finally {
      channel = null;
    }
  }
}
