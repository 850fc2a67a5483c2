package dev.osprey.tsdb;

import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.Storage;
import dev.osprey.tsdb.head.Head;
import dev.osprey.tsdb.wal.Wal;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The time-series database: a head in memory, fed through a write-ahead log that is replayed on
 * open. Directory layout: {@code lock} (held while open), {@code wal/} (segments, see {@code
 * docs/format/wal.md}).
 */
public final class Tsdb implements Storage {
  private static final Logger log = LoggerFactory.getLogger(Tsdb.class);

  private final Path dir;
  private final TsdbConfig config;
  private final Head head;
  private final Wal wal;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final ScheduledExecutorService syncer;
  private volatile boolean closed;

  private Tsdb(
      Path dir,
      TsdbConfig config,
      Head head,
      Wal wal,
      FileChannel lockChannel,
      FileLock lock,
      ScheduledExecutorService syncer) {
    this.dir = dir;
    this.config = config;
    this.head = head;
    this.wal = wal;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.syncer = syncer;
  }

  /**
   * Opens (or creates) the database in {@code dir}, replaying the WAL into the head.
   *
   * @throws UncheckedIOException when the directory cannot be used or another process holds it
   */
  public static Tsdb open(Path dir, TsdbConfig config, MeterRegistry registry) {
    FileChannel lockChannel = null;
    try {
      Files.createDirectories(dir);
      lockChannel =
          FileChannel.open(
              dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = lockChannel.tryLock();
      } catch (java.nio.channels.OverlappingFileLockException e) {
        lock = null; // this process holds it already
      }
      if (lock == null) {
        throw new IOException("another process holds " + dir.resolve("lock"));
      }
      long start = System.nanoTime();
      Head head =
          new Head(Head.DEFAULT_BLOCK_RANGE, config.outOfOrderWindow().toMillis(), registry);
      Wal wal =
          Wal.open(
              dir.resolve("wal"),
              config.walFsync(),
              Wal.DEFAULT_SEGMENT_SIZE,
              registry,
              head::replay);
      head.setWal(wal);
      log.info(
          "event=tsdb_opened dir={} series={} replay_ms={}",
          dir,
          head.numSeries(),
          (System.nanoTime() - start) / 1_000_000);
      ScheduledExecutorService syncer = null;
      if (config.walFsync().equals("interval")) {
        syncer =
            Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "osprey-tsdb-wal-sync");
                  t.setDaemon(true);
                  return t;
                });
        syncer.scheduleWithFixedDelay(
            () -> {
              try {
                wal.sync();
              } catch (RuntimeException e) {
                log.error("event=wal_sync_failed dir={} error={}", dir, e.toString());
              }
            },
            1,
            1,
            TimeUnit.SECONDS);
      }
      return new Tsdb(dir, config, head, wal, lockChannel, lock, syncer);
    } catch (IOException e) {
      closeQuietly(lockChannel);
      throw new UncheckedIOException("cannot open tsdb " + dir + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(lockChannel);
      throw e;
    }
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException suppressed) {
        log.debug("event=lock_close_failed error={}", suppressed.toString());
      }
    }
  }

  @Override
  public Appender appender() {
    checkOpen();
    return head.appender();
  }

  @Override
  public Querier querier() {
    checkOpen();
    return head.querier();
  }

  @Override
  public long minTime() {
    return head.minTime();
  }

  public Path dir() {
    return dir;
  }

  public TsdbConfig config() {
    return config;
  }

  /** The head, for statistics and the admin endpoints. */
  public Head head() {
    return head;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("BUG: tsdb " + dir + " used after close");
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (syncer != null) {
      syncer.shutdownNow();
    }
    try {
      wal.close();
    } finally {
      try {
        lock.release();
        lockChannel.close();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot release lock of tsdb " + dir, e);
      }
    }
  }
}
