package dev.osprey.pipeline;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.stream.Stream;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.TailerDirection;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.queue.rollcycles.TestRollCycles;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable spool for one signal: a Chronicle Queue of {@link SpoolRecord}s in the layout of {@code
 * pipeline/docs/format.md}. Writers {@link #append} (thread-safe); each destination reads through
 * its own named {@link SpoolCursor}, whose committed index lives in the queue's metadata file.
 *
 * <p>Disk stays bounded: a housekeeping thread deletes the cycles every cursor has passed and, over
 * {@link SpoolConfig#maxDiskBytes()}, either drops the oldest cycle (counted in {@code
 * osprey_pipeline_records_dropped_total}) or reports {@link #isFull()} so writers pause.
 */
public final class Spool implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Spool.class);
  private static final String CURSOR_PREFIX = "osprey.cursor.";

  static {
    // An agent on a node must not phone home; Chronicle's usage analytics stay off unless asked.
    if (System.getProperty("chronicle.analytics.disable") == null) {
      System.setProperty("chronicle.analytics.disable", "true");
    }
  }

  private final SpoolConfig config;
  private final SingleChronicleQueue queue;
  private final ExcerptAppender appender;
  private final Bytes<byte[]> encodeBuf = Bytes.allocateElasticOnHeap(512);

  /** Held while a document is being written: by {@link #append} and an open {@link LogBatch}. */
  private final ReentrantLock appendLock = new ReentrantLock();

  private final Map<String, LongValue> cursors = new ConcurrentHashMap<>();

  /** Readers to unpark when a record is published (forwarders waiting for records). */
  private final List<Thread> wakeOnAppend = new CopyOnWriteArrayList<>();

  private volatile long lastPublishedNanos;

  private final MeterRegistry registry;
  private final Counter queued;
  private final Counter dropped;
  private final Counter corrupt;
  private final AtomicLong diskBytes = new AtomicLong();
  private final DateTimeFormatter cycleFormat;
  private final ScheduledExecutorService housekeeper;
  private volatile boolean closed;
  private volatile long pinned;
  private volatile boolean behind;

  private Spool(SpoolConfig config, MeterRegistry registry) {
    this.config = config;
    this.registry = registry;
    RollCycle cycle = rollCycle(config.rollCycle());
    try {
      Files.createDirectories(config.dir());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create spool directory " + config.dir(), e);
    }
    this.queue =
        SingleChronicleQueueBuilder.binary(config.dir())
            .rollCycle(cycle)
            .blockSize(config.blockSize())
            .build();
    this.appender = queue.createAppender();
    appender.singleThreadedCheckDisabled(true);
    encodeBuf.singleThreadedCheckDisabled(true); // guarded by appendLock
    this.cycleFormat = DateTimeFormatter.ofPattern(cycle.format()).withZone(ZoneOffset.UTC);
    String s = config.name();
    this.queued =
        Counter.builder("osprey_pipeline_records_queued")
            .description("Records appended to the spool")
            .tag("spool", s)
            .register(registry);
    this.dropped =
        Counter.builder("osprey_pipeline_records_dropped")
            .description("Records deleted unsent because the spool was over its size limit")
            .tag("spool", s)
            .register(registry);
    this.corrupt =
        Counter.builder("osprey_pipeline_records_corrupt")
            .description("Records skipped because their checksum or layout was bad")
            .tag("spool", s)
            .register(registry);
    Gauge.builder("osprey_pipeline_disk_bytes", diskBytes, AtomicLong::get)
        .description("Bytes of spool files on disk")
        .tag("spool", s)
        .register(registry);
    refreshDiskBytes();
    this.housekeeper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "osprey-spool-housekeeper-" + s);
              t.setDaemon(true);
              return t;
            });
    long every = Math.max(10, config.housekeepInterval().toMillis());
    housekeeper.scheduleWithFixedDelay(this::housekeepSafely, every, every, TimeUnit.MILLISECONDS);
  }

  public static Spool open(SpoolConfig config, MeterRegistry registry) {
    return new Spool(config, registry);
  }

  static RollCycle rollCycle(String name) {
    for (RollCycles c : RollCycles.values()) {
      if (c.name().equals(name)) {
        return c;
      }
    }
    for (TestRollCycles c : TestRollCycles.values()) {
      if (c.name().equals(name)) {
        return c;
      }
    }
    throw new IllegalArgumentException("cannot configure spool: unknown roll cycle " + name);
  }

  public SpoolConfig config() {
    return config;
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Appends one record and returns its index. Thread-safe. */
  public long append(SpoolRecord record) {
    appendLock.lock();
    try {
      checkOpen();
      lastPublishedNanos = System.nanoTime(); // see openDocument
      Bytes<byte[]> b = encode(record);
      try (DocumentContext dc = appender.writingDocument()) {
        dc.wire().bytes().write(b, 0L, b.writePosition());
      }
      queued.increment(record instanceof LogBatch l ? l.size() : 1);
      return appender.lastIndexAppended();
    } finally {
      appendLock.unlock();
      // No wake-up per single record (a metrics spool appends one per sample): their readers poll.
      lastPublishedNanos = System.nanoTime();
    }
  }

  /**
   * Unparks {@code reader} ({@link LockSupport#unpark}) whenever a record is published, so a reader
   * can park until there is something to read instead of polling. Remove with {@link #stopWaking}.
   */
  public void wakeOnAppend(Thread reader) {
    wakeOnAppend.add(reader);
  }

  public void stopWaking(Thread reader) {
    wakeOnAppend.remove(reader);
  }

  /**
   * {@link System#nanoTime()} when a writer last began or published a record (0: none since this
   * spool opened); set before a record can be seen, so a reader never finds the writer quiet on a
   * record just written.
   */
  public long lastPublishedNanos() {
    return lastPublishedNanos;
  }

  private void published() {
    lastPublishedNanos = System.nanoTime();
    for (Thread t : wakeOnAppend) {
      LockSupport.unpark(t);
    }
  }

  /**
   * A writer of {@link LogBatch}es straight into this spool's documents (one per writing thread).
   * The largest batch worth writing is {@link #maxBatchBytes()}.
   */
  public LogBatchWriter logBatchWriter() {
    return new LogBatchWriter(this);
  }

  /**
   * Bytes after which a writer should commit its batch: Chronicle documents must stay well below
   * the block size, and a forwarder request carries whole records.
   */
  public long maxBatchBytes() {
    return Math.min(256 << 10, config.blockSize() / 8);
  }

  /** Locks out other writers and opens a document (released by {@link #documentClosed}). */
  DocumentContext openDocument() {
    appendLock.lock();
    try {
      checkOpen();
      // Before the document can be seen: a reader that sees it never takes the writer for quiet.
      lastPublishedNanos = System.nanoTime();
      return appender.writingDocument();
    } catch (RuntimeException e) {
      appendLock.unlock();
      throw e;
    }
  }

  void documentClosed(int entries) {
    try {
      if (entries > 0) {
        queued.increment(entries);
      }
    } finally {
      appendLock.unlock();
      if (entries > 0) {
        published();
      }
    }
  }

  long lastAppended() {
    return appender.lastIndexAppended();
  }

  /** Encodes one record (header, payload, CRC32C) into this spool's scratch buffer. */
  private Bytes<byte[]> encode(SpoolRecord record) {
    return encodeInto(encodeBuf, record);
  }

  static Bytes<byte[]> encodeInto(Bytes<byte[]> b, SpoolRecord record) {
    b.clear();
    b.writeByte((byte) RecordFormat.VERSION);
    b.writeByte((byte) record.type());
    b.writeLong(System.currentTimeMillis());
    record.writePayload(b);
    int len = (int) b.writePosition();
    b.writeInt(RecordFormat.crc32c(b.underlyingObject(), 0, len));
    return b;
  }

  /** Decodes one record's bytes (for tools and the dead-letter queue). */
  static SpoolEntry decode(byte[] arr, long index) {
    return new RecordDecoder().decode(arr, arr.length, index);
  }

  void countCorrupt(RecordFormat.CorruptRecordException e) {
    corrupt.increment();
    log.warn("event=corrupt_record spool={} cause=\"{}\"", config.name(), e.getMessage());
  }

  /**
   * A named cursor (one per destination). Its committed index is durable: a new cursor with the
   * same name resumes after the last committed record. Each cursor is used by one thread at a time.
   */
  public SpoolCursor cursor(String name) {
    checkOpen();
    LongValue committed = cursors.computeIfAbsent(name, n -> queue.indexForId(CURSOR_PREFIX + n));
    ExcerptTailer tailer = queue.createTailer();
    tailer.singleThreadedCheckDisabled(true);
    return new SpoolCursor(this, name, tailer, committed);
  }

  /**
   * Visits records from the newest backwards until {@code visitor} returns false or the oldest
   * record was visited. Corrupt records are counted and skipped.
   */
  public void scanBackwards(Predicate<SpoolEntry> visitor) {
    checkOpen();
    RecordDecoder decoder = new RecordDecoder();
    try (ExcerptTailer t = queue.createTailer()) {
      t.direction(TailerDirection.BACKWARD).toEnd();
      while (true) {
        try (DocumentContext dc = t.readingDocument()) {
          if (!dc.isPresent()) {
            return;
          }
          SpoolEntry e;
          try {
            e = decoder.decode(dc.wire().bytes(), dc.index());
          } catch (RecordFormat.CorruptRecordException ex) {
            countCorrupt(ex);
            continue;
          }
          if (!visitor.test(e)) {
            return;
          }
        }
      }
    }
  }

  /**
   * Keeps the cycle holding {@code index}, and every later one, from housekeeping deletion (the log
   * shipper pins its newest source checkpoint). 0 unpins.
   */
  public void pin(long index) {
    pinned = index;
  }

  /** The cycle a record index belongs to. */
  public int cycleOf(long index) {
    return queue.rollCycle().toCycle(index);
  }

  /** The cycle records appended now go to. */
  public int currentCycle() {
    return queue.cycle();
  }

  /** The index of the newest record, or -1 when the spool is empty. */
  public long lastIndex() {
    long i = queue.lastIndex();
    return i < 0 ? -1 : i;
  }

  /** The number of records after {@code index} up to the newest (0 when caught up). */
  long countAfter(long index) {
    long last = queue.lastIndex();
    if (last < 0) {
      return 0;
    }
    try {
      if (index == 0) {
        long first = queue.firstIndex();
        return first == Long.MAX_VALUE ? 0 : queue.countExcerpts(first, last) + 1;
      }
      return Math.max(0, queue.countExcerpts(index, last));
    } catch (RuntimeException e) {
      return -1;
    }
  }

  /**
   * True when the spool is over its size limit while some destination still has records to read
   * (writers of a PAUSE_WRITERS spool should wait). Cycles that only hold delivered records do not
   * make it full: they go as soon as housekeeping may delete them, and waiting for that would stall
   * a writer whose pause keeps the current cycle from ending.
   */
  public boolean isFull() {
    return diskBytes.get() > config.maxDiskBytes() && behind;
  }

  public long diskBytes() {
    return diskBytes.get();
  }

  void refreshDiskBytes() {
    long sum = 0;
    try (Stream<Path> files = Files.list(config.dir())) {
      for (Path p : (Iterable<Path>) files::iterator) {
        try {
          sum += Files.size(p);
        } catch (IOException ignored) {
          // deleted between list and stat: it takes no space any more
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list spool directory " + config.dir(), e);
    }
    diskBytes.set(sum);
  }

  private void housekeepSafely() {
    try {
      housekeep();
    } catch (RuntimeException e) {
      if (!closed) {
        log.error("event=housekeeping_failed spool={}", config.name(), e);
      }
    }
  }

  /**
   * Deletes cycles every cursor has passed, then enforces the size limit. Runs on the housekeeping
   * thread every {@link SpoolConfig#housekeepInterval()}; public so tests can run it at once.
   */
  public synchronized void housekeep() {
    if (closed) {
      return;
    }
    refreshDiskBytes();
    long newest = queue.lastIndex();
    boolean anyBehind = false;
    for (LongValue v : cursors.values()) {
      anyBehind |= newest >= 0 && v.getVolatileValue() < newest;
    }
    behind = anyBehind || (cursors.isEmpty() && newest >= 0);
    int first = queue.firstCycle();
    int last = queue.lastCycle();
    if (first == Integer.MAX_VALUE || last == Integer.MIN_VALUE || cursors.isEmpty()) {
      return;
    }
    RollCycle rc = queue.rollCycle();
    int current = queue.cycle();
    long lastIndex = queue.lastIndex();
    int lastIndexCycle = lastIndex < 0 ? last : rc.toCycle(lastIndex);
    int minCommittedCycle = Integer.MAX_VALUE;
    long minCommitted = Long.MAX_VALUE;
    for (LongValue v : cursors.values()) {
      long c = v.getVolatileValue();
      minCommitted = Math.min(minCommitted, c);
      minCommittedCycle = Math.min(minCommittedCycle, c == 0 ? Integer.MIN_VALUE : rc.toCycle(c));
    }
    boolean deleted = false;
    NavigableSet<Long> cycles = queue.listCyclesBetween(first, last);
    for (Long c : cycles) {
      int cycle = c.intValue();
      long pin = pinned;
      if (pin != 0 && cycle >= rc.toCycle(pin)) {
        continue;
      }
      if (cycle < minCommittedCycle && cycle < current && cycle < lastIndexCycle) {
        deleted |= deleteCycle(cycle);
      }
    }
    if (deleted) {
      queue.refreshDirectoryListing();
      refreshDiskBytes();
    }
    if (config.overflow() == SpoolConfig.Overflow.DROP_OLDEST) {
      while (diskBytes.get() > config.maxDiskBytes()) {
        int oldest = queue.firstCycle();
        if (oldest == Integer.MAX_VALUE || oldest >= current || oldest >= lastIndexCycle) {
          break;
        }
        long records;
        try (ExcerptTailer t = queue.createTailer()) {
          records = t.excerptsInCycle(oldest);
        }
        long passed =
            minCommitted != 0 && rc.toCycle(minCommitted) == oldest
                ? rc.toSequenceNumber(minCommitted) + 1
                : 0;
        if (!deleteCycle(oldest)) {
          break;
        }
        long lost = Math.max(0, records - passed);
        dropped.increment(lost);
        log.warn(
            "event=spool_over_limit spool={} dropped_cycle={} dropped_records={} limit_bytes={}",
            config.name(),
            oldest,
            lost,
            config.maxDiskBytes());
        queue.refreshDirectoryListing();
        refreshDiskBytes();
      }
    }
  }

  private boolean deleteCycle(int cycle) {
    long millis = (long) cycle * queue.rollCycle().lengthInMillis();
    Path file =
        config
            .dir()
            .resolve(
                cycleFormat.format(Instant.ofEpochMilli(millis)) + SingleChronicleQueue.SUFFIX);
    try {
      boolean gone = Files.deleteIfExists(file);
      if (gone) {
        log.debug("event=cycle_deleted spool={} file={}", config.name(), file.getFileName());
      }
      return gone;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete spool cycle " + file, e);
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("cannot use spool " + config.name() + ": closed");
    }
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    housekeeper.shutdownNow();
    try {
      housekeeper.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    appender.close();
    queue.close();
  }
}
