package dev.osprey.logs.shipper;

import dev.osprey.core.labels.Labels;
import dev.osprey.pipeline.Forwarder;
import dev.osprey.pipeline.ForwarderConfig;
import dev.osprey.pipeline.LogBatch;
import dev.osprey.pipeline.LogBatchWriter;
import dev.osprey.pipeline.LogEntry;
import dev.osprey.pipeline.SourceCheckpoint;
import dev.osprey.pipeline.Spool;
import dev.osprey.pipeline.SpoolConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tails every container log file matching the glob into the logs spool and ships it with the Loki
 * push API. Entry point of the {@code log-shipper} module.
 *
 * <p>One reader thread: discovery (WatchService wake-ups plus a stat poll), rotation (kubelet's
 * rename-and-create; a rotated file is read to its end before the new one, so each stream stays in
 * order), copytruncate (the copy's unread tail is read first), deletion (the file is read to its
 * end and closed). The queue is the checkpoint: every entry carries its file identity and byte
 * range, and source checkpoints are written into the same queue; on start the shipper reads the
 * queue backwards to find where each file stopped. When the spool is full, reading pauses.
 */
public final class LogShipper implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LogShipper.class);
  private static final int POLLS_PER_FILE_PER_ROUND = 16;

  /**
   * Spool bytes per push request (the forwarder stops adding spool records once a push holds this
   * much, so one push is at most this plus one log batch of {@link Spool#maxBatchBytes()}).
   * Promtail batches 1 MiB too, and Loki's default ingestion burst (6 MB) takes it whole. It is
   * also what a kill -9 can replay: the push in flight, delivered but not yet committed.
   */
  public static final long PUSH_MAX_BYTES = 1L << 20;

  private final ShipperConfig config;
  private final Spool spool;

  /**
   * Entries go into one open batch per file read (a spool record of many lines); it is committed
   * when another file's entries come, when it is full, before any checkpoint and at the end of each
   * round, so a checkpoint never names a position whose lines are not in the queue yet.
   */
  private final LogBatchWriter batch;

  private FileTailer batchSource;
  private final Forwarder forwarder;
  private final ShipperMetrics metrics;
  private final PodLabels podLabels;
  private final KubernetesStreamLabels kubernetes;
  private final PathMatcher matcher;
  private final Path root;
  private final int depth;
  private final WatchService watch;
  private final Set<Path> watchedDirs = new HashSet<>();
  private final Map<Path, FileTailer> active = new LinkedHashMap<>();
  private final List<FileTailer> draining = new ArrayList<>();
  private final Map<String, SourceCheckpoint.Position> recovered = new HashMap<>();
  private final Map<Path, String> lastRotatedName = new HashMap<>();

  /**
   * copytruncate paths whose file was empty when we last looked after a truncation: the last
   * content generation read (through its copy) and how far, so copies made before the file is
   * opened again are found (and survive a restart: written into every checkpoint).
   */
  private final Map<Path, Known> parked = new HashMap<>();

  private final Set<Path> seenPaths = new HashSet<>();
  private long unseenSinceMillis = System.currentTimeMillis();
  private final AtomicInteger openFiles = new AtomicInteger();
  private final Thread thread;
  private volatile boolean running;
  private volatile boolean paused;
  private int lastCheckpointCycle = Integer.MIN_VALUE;
  private boolean checkpointDue;
  private long lastCheckpointNanos;
  private boolean firstRound = true;

  /** Tests: runs between resuming the checkpointed files and the first scan. */
  Runnable afterResumeHook;

  /**
   * Tests: runs in {@link #openStable} between the stat of a path and its open, where a rotation
   * can slip in; set it to rotate a file at exactly that moment.
   */
  Consumer<Path> betweenStatAndOpen;

  private long lastScan;

  public LogShipper(ShipperConfig config, MeterRegistry registry) {
    this(config, registry, null);
  }

  /**
   * @param kubernetes adds pod labels, annotations and node name to stream labels, or null
   */
  public LogShipper(
      ShipperConfig config, MeterRegistry registry, KubernetesStreamLabels kubernetes) {
    this.kubernetes = kubernetes;
    this.config = config;
    this.metrics = new ShipperMetrics(registry);
    this.podLabels = new PodLabels(config);
    this.matcher = FileSystems.getDefault().getPathMatcher("glob:" + config.glob());
    Path[] rootAndDepth = splitGlob(config.glob());
    this.root = rootAndDepth[0];
    this.depth = rootAndDepth[1].getNameCount();
    SpoolConfig sc =
        new SpoolConfig(
            config.spoolDir(),
            "logs",
            config.spoolRollCycle(),
            0,
            config.spoolMaxBytes(),
            SpoolConfig.Overflow.PAUSE_WRITERS,
            null);
    this.spool = Spool.open(sc, registry);
    this.batch = spool.logBatchWriter();
    this.forwarder =
        Forwarder.lokiPush(
            spool,
            ForwarderConfig.of("loki", config.pushUri())
                .withBatch(config.batchRecords(), PUSH_MAX_BYTES, config.batchAge()),
            registry);
    try {
      this.watch = FileSystems.getDefault().newWatchService();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot create a watch service", e);
    }
    Gauge.builder("osprey_log_shipper_open_files", openFiles, AtomicInteger::get)
        .description("Files held open")
        .register(registry);
    Gauge.builder("osprey_log_shipper_paused", this, s -> s.paused ? 1 : 0)
        .description("1 while reading is paused because the spool is full")
        .register(registry);
    this.thread = new Thread(this::run, "osprey-log-shipper");
    thread.setDaemon(true);
  }

  /** The non-glob directory prefix of a glob, and the rest. */
  static Path[] splitGlob(String glob) {
    Path p = Path.of(glob);
    Path rootPath = p.getRoot() != null ? p.getRoot() : Path.of("");
    int i = 0;
    for (; i < p.getNameCount() - 1; i++) {
      String seg = p.getName(i).toString();
      if (seg.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{')) {
        break;
      }
      rootPath = rootPath.resolve(seg);
    }
    return new Path[] {rootPath, p.subpath(i, p.getNameCount())};
  }

  /** Recovers positions from the spool, then starts reading and forwarding. */
  public void start() {
    if (!recover()) {
      // First start on this spool: mark since when we watch (see drainRotatedAfter).
      writeCheckpoint(List.of());
    }
    running = true;
    forwarder.start();
    thread.start();
  }

  /** Reads positions from the spool; false when it holds no checkpoint (a first start). */
  private boolean recover() {
    Map<String, SourceCheckpoint.Position> pos = new HashMap<>();
    boolean[] found = {false};
    spool.scanBackwards(
        e -> {
          if (e.record() instanceof LogBatch b && !b.sourceId().isEmpty() && b.size() > 0) {
            pos.putIfAbsent(
                b.sourceId(),
                new SourceCheckpoint.Position(b.sourceId(), "", b.nextOffset(b.size() - 1), false));
            return true;
          }
          if (e.record() instanceof LogEntry l && !l.sourceId().isEmpty()) {
            pos.putIfAbsent(
                l.sourceId(),
                new SourceCheckpoint.Position(l.sourceId(), "", l.nextOffset(), false));
            return true;
          }
          if (e.record() instanceof SourceCheckpoint c) {
            // Checkpoints follow a scan within a poll interval: files rotated before this (less a
            // margin) were seen by the last run; later ones may not have been.
            found[0] = true;
            unseenSinceMillis = e.appendMillis() - config.pollInterval().toMillis() - 1000;
            for (SourceCheckpoint.Position p : c.positions()) {
              SourceCheckpoint.Position newer = pos.get(p.sourceId());
              pos.put(
                  p.sourceId(),
                  newer == null
                      ? p
                      : new SourceCheckpoint.Position(
                          p.sourceId(), p.path(), newer.offset(), false));
            }
            return false; // the newest checkpoint plus the entries after it say everything
          }
          return true;
        });
    pos.values().stream().filter(p -> !p.released()).forEach(p -> recovered.put(p.sourceId(), p));
    log.info("event=recovered sources={}", recovered.size());
    return found[0];
  }

  /**
   * Tests: recovers and forwards like {@link #start()}, but reads only when {@link #step()} is
   * called, so a test can place rotations and "crashes" (a close) between two exact rounds.
   */
  void startStepped() {
    if (!recover()) {
      writeCheckpoint(List.of());
    }
    running = true;
    forwarder.start();
  }

  /** Tests: one round of the reading loop with a scan; true when it read something. */
  boolean step() throws IOException {
    lastScan = 0;
    return round();
  }

  private void run() {
    try {
      while (running) {
        if (!round()) {
          waitForWork(Math.min(config.pollInterval().toNanos(), TimeUnit.MILLISECONDS.toNanos(50)));
        }
      }
    } catch (RuntimeException | IOException e) {
      if (running) {
        log.error("event=shipper_failed", e);
      }
    }
  }

  /** Scan when due, then read; true when something was read. */
  private boolean round() throws IOException {
    try {
      return readRound();
    } finally {
      commitBatch(); // what was read is in the queue before the reader waits or stops
    }
  }

  private boolean readRound() throws IOException {
    long pollNanos = config.pollInterval().toNanos();
    if (firstRound || checkpointDue || System.nanoTime() - lastScan >= pollNanos) {
      if (firstRound) {
        resumeFromCheckpoint();
        firstRound = false;
        if (afterResumeHook != null) {
          afterResumeHook.run();
        }
      }
      scan();
      checkFiles();
      if (checkpointDue) {
        writeCheckpoint(List.of()); // before reading: every newly opened file has its path
      }
      lastScan = System.nanoTime();
    }
    if (spool.isFull()) {
      if (!paused) {
        paused = true;
        metrics.pauses.increment();
        log.warn("event=spool_full action=pause_reading disk_bytes={}", spool.diskBytes());
      }
      return false; // the caller waits
    }
    if (paused) {
      paused = false;
      log.info("event=spool_drained action=resume_reading");
    }
    boolean didWork = readDraining(pollNanos);
    didWork |= readActive();
    if (!config.multiline().isEmpty()) {
      long now = System.nanoTime();
      active.values().forEach(t -> t.flushIdle(now));
      draining.forEach(t -> t.flushIdle(now));
    }
    if (checkpointDue || System.nanoTime() - lastCheckpointNanos > TimeUnit.SECONDS.toNanos(5)) {
      writeCheckpoint(List.of());
    }
    return didWork;
  }

  private boolean readDraining(long quietNanos) throws IOException {
    boolean did = false;
    Set<Path> first = new HashSet<>();
    for (FileTailer t : new ArrayList<>(draining)) {
      if (!first.add(t.path)) {
        continue; // an older file of the same path is still being read: order per stream
      }
      int n = 0;
      for (int i = 0; i < POLLS_PER_FILE_PER_ROUND && (n = t.poll()) > 0; i++) {
        did = true;
        t.eofStreak = 0;
      }
      if (n == 0) {
        if (t.file != null && quietSince(t.file, quietNanos) && t.poll() == 0) {
          release(t); // rotated or copied a while ago (a backlog): no need to watch it go quiet
          did = true;
        } else if (t.eofStreak == 0) {
          t.eofStreak = 1;
          t.quietSince = System.nanoTime();
        } else if (System.nanoTime() - t.quietSince >= quietNanos && t.poll() == 0) {
          release(t);
        }
      }
    }
    return did;
  }

  /** True when {@code f} was last modified at least {@code quietNanos} ago. */
  private static boolean quietSince(Path f, long quietNanos) {
    long m = modifiedMillis(f);
    return m != Long.MIN_VALUE
        && System.currentTimeMillis() - m >= TimeUnit.NANOSECONDS.toMillis(quietNanos);
  }

  private boolean readActive() throws IOException {
    boolean did = false;
    for (FileTailer t : List.copyOf(active.values())) {
      if (blocked(t.path)) {
        continue; // the rotated predecessor is read to its end first: order per stream
      }
      if (t.size() < t.readPosition()) {
        truncated(t);
        continue;
      }
      for (int i = 0; i < POLLS_PER_FILE_PER_ROUND; i++) {
        int n = t.poll(); // verifies the fingerprint after each read (copytruncate)
        if (n < 0) {
          truncated(t);
          break;
        }
        if (n == 0) {
          break;
        }
        did = true;
      }
    }
    return did;
  }

  private boolean blocked(Path p) {
    for (FileTailer d : draining) {
      if (d.path.equals(p)) {
        return true;
      }
    }
    return false;
  }

  private void release(FileTailer t) throws IOException {
    t.flushAtEnd();
    draining.remove(t);
    t.close();
    openFiles.decrementAndGet();
    log.debug("event=file_released path={} source={} offset={}", t.path, t.sourceId, t.position());
    Known p = parked.get(t.path);
    if (p != null && p.id().sourceId().equals(t.sourceId)) {
      // The newest copy of a path still empty: keep where it ended, copies after it come next.
      parked.put(t.path, new Known(p.id(), t.position()));
      writeCheckpoint(List.of());
      return;
    }
    writeCheckpoint(
        List.of(new SourceCheckpoint.Position(t.sourceId, t.path.toString(), t.position(), true)));
  }

  private void waitForWork(long nanos) {
    try {
      WatchKey key = watch.poll(nanos, TimeUnit.NANOSECONDS);
      while (key != null) {
        key.pollEvents();
        if (!key.reset()) {
          watchedDirs.remove((Path) key.watchable());
        }
        checkpointDue = true; // rescan now
        key = watch.poll();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    } catch (ClosedWatchServiceException e) {
      running = false;
    }
  }

  /** Finds matching files; opens new ones (resuming at a recovered position when there is one). */
  private void scan() throws IOException {
    if (!Files.isDirectory(root)) {
      return;
    }
    List<Path> found = new ArrayList<>();
    Files.walkFileTree(
        root,
        EnumSet.of(FileVisitOption.FOLLOW_LINKS),
        depth,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            if (watchedDirs.add(dir)) {
              try {
                dir.register(watch, StandardWatchEventKinds.ENTRY_CREATE);
              } catch (IOException e) {
                watchedDirs.remove(dir); // the stat poll still finds its files
              }
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            if (attrs.isRegularFile() && matcher.matches(file)) {
              found.add(file);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException exc) {
            return FileVisitResult.CONTINUE; // vanished while walking
          }
        });
    for (Path f : found) {
      Path real;
      try {
        real = f.toRealPath();
      } catch (IOException e) {
        continue;
      }
      if (active.containsKey(real)) {
        continue;
      }
      Labels base = podLabels.labelsFor(real);
      if (base == null) {
        continue;
      }
      long[] ino = FileIdentity.inode(real);
      if (ino == null || heldElsewhere(ino)) {
        continue;
      }
      drainRotatedAfter(real, null); // rotations we did not see come first
      open(real, ino, base);
    }
  }

  /** True when a tailer reads the file with this (device, inode). */
  private boolean heldElsewhere(long[] ino) {
    return holder(ino) != null;
  }

  private FileTailer holder(long[] ino) {
    for (FileTailer t : active.values()) {
      if (t.readsFile(ino[0], ino[1])) {
        return t;
      }
    }
    for (FileTailer t : draining) {
      if (t.readsFile(ino[0], ino[1])) {
        return t;
      }
    }
    return null;
  }

  /**
   * Opens the file at {@code file} as the active tailer of its path, from 0 unless it continues a
   * parked copytruncate generation; an empty file is left for a later look.
   */
  private void open(Path file, long[] ino, Labels base) throws IOException {
    Opened o = openStable(file);
    if (o == null) {
      return; // gone already
    }
    FileChannel ch = o.ch();
    if (!o.is(ino)) {
      // Rotated since the scan's stat: look again at the next scan, which reads the rotated file
      // first.
      ch.close();
      return;
    }
    if (ch.size() == 0) {
      ch.close(); // opened when it has bytes, so the fingerprint means something
      return;
    }
    FileIdentity id = FileIdentity.of(ino[0], ino[1], ch);
    long offset = 0;
    Known p = parked.remove(file);
    if (p != null && p.id().sameInode(ino[0], ino[1])) {
      if (p.id().fingerprintMatches(ch) && ch.size() >= p.offset()) {
        id = p.id();
        offset = p.offset();
      } else {
        // Written to and maybe truncated again since we parked it: copies after the parked one.
        lost(file, drainCopies(file, ino, List.of(p), id, base), "copy gone");
      }
    }
    activate(file, ch, id, offset, base);
  }

  /** A channel and the (device, inode) of the file it reads. */
  private record Opened(long[] ino, FileChannel ch) {
    boolean is(long[] other) {
      return other != null && ino[0] == other[0] && ino[1] == other[1];
    }
  }

  /**
   * Opens the file at {@code path} together with its (device, inode): stat, open, stat again, and
   * only when both stats agree is the channel known to read that inode. A path stat-ed and then
   * opened separately can be rotated in between (kubelet's rename and new file, a copy replaced by
   * logrotate), and a channel on the new file recorded under the old file's inode passes the old
   * file off as already held: its content is never read and the new one is read twice. When the
   * stats differ, looks again (a few times).
   *
   * @return null when there is no file at the path (or it keeps changing)
   */
  private Opened openStable(Path path) throws IOException {
    for (int attempt = 0; attempt < 5; attempt++) {
      long[] before = FileIdentity.inode(path);
      if (before == null) {
        return null;
      }
      Consumer<Path> hook = betweenStatAndOpen;
      if (hook != null) {
        hook.accept(path);
      }
      FileChannel ch;
      try {
        ch = FileTailer.openChannel(path);
      } catch (IOException e) {
        continue; // renamed or deleted in between: look again
      }
      Opened o = new Opened(before, ch);
      if (o.is(FileIdentity.inode(path))) {
        return o;
      }
      ch.close();
    }
    return null;
  }

  private void activate(Path file, FileChannel ch, FileIdentity id, long offset, Labels base) {
    FileTailer t = newTailer(file, ch, id, id.dev(), id.ino(), offset, base);
    t.verifyReads = true;
    active.put(file, t);
    seenPaths.add(file);
    openFiles.incrementAndGet();
    checkpointDue = true;
    log.debug("event=file_opened path={} source={} offset={}", file, id.sourceId(), offset);
  }

  private FileTailer newTailer(
      Path logical, FileChannel ch, FileIdentity id, long dev, long ino, long offset, Labels base) {
    return new FileTailer(
            logical, ch, id, dev, ino, offset, base, config.maxLineBytes(), this::entry, metrics)
        .multiline(config.multilineFor(base));
  }

  private void lost(Path path, List<Known> gone, String cause) {
    for (Known k : gone) {
      metrics.sourcesLost.increment();
      log.warn(
          "event=source_lost path={} source={} offset={} cause=\"{}\"",
          path,
          k.id().sourceId(),
          k.offset(),
          cause);
    }
  }

  /** Rotation, deletion and truncation of the active files. */
  private void checkFiles() throws IOException {
    for (FileTailer t : List.copyOf(active.values())) {
      long[] ino = FileIdentity.inode(t.path);
      if (ino == null || !t.id.sameInode(ino[0], ino[1])) {
        // Renamed away (kubelet rotation) or deleted: read it to its end, then let it go.
        active.remove(t.path);
        startDraining(t);
        metrics.rotations.increment();
        log.debug("event=rotated path={} read={}", t.path, t.readPosition());
        drainRotatedAfter(t.path, t.id);
        checkpointDue = true;
        continue;
      }
      FileChannel ch = t.channel();
      if (ch.size() < t.readPosition() || !t.id.fingerprintMatches(ch)) {
        truncated(t);
      }
    }
  }

  private void startDraining(FileTailer t) {
    t.draining = true;
    t.verifyReads = false;
    t.eofStreak = 0;
    draining.add(t);
    checkpointDue = true;
  }

  /**
   * copytruncate: the file was copied, then truncated. The bytes after our position are in the copy
   * (a sibling whose name starts with the file's and whose first bytes match); read them there
   * first, then copies made after it, then the truncated file from 0.
   */
  private void truncated(FileTailer t) throws IOException {
    metrics.truncations.increment();
    active.remove(t.path);
    Known was = new Known(t.id, t.position());
    Labels base = podLabels.labelsFor(t.path);
    t.close();
    openFiles.decrementAndGet();
    checkpointDue = true;
    if (base == null) {
      return;
    }
    long[] pathIno = {t.id.dev(), t.id.ino()};
    FileChannel ch = null;
    Opened o = openStable(t.path);
    if (o != null && o.is(pathIno)) {
      ch = o.ch();
    } else if (o != null) {
      o.ch().close(); // a new file at the path: the next scan opens it, after what is queued here
    }
    FileIdentity now =
        ch != null && ch.size() > 0 ? FileIdentity.of(pathIno[0], pathIno[1], ch) : null;
    lost(t.path, drainCopies(t.path, pathIno, List.of(was), now, base), "copy gone");
    if (ch == null && drainRenamed(t.path, pathIno, base)) {
      return;
    }
    afterCopies(t.path, ch, now, base);
  }

  /**
   * The truncated file is no longer at its path: renamed away as kubelet rotates. What was written
   * to it after the truncation is read from 0 under its new name (after the copies, before the file
   * now at the path), and rotated files after it as usual.
   *
   * @return true when it was found and queued
   */
  private boolean drainRenamed(Path logical, long[] ino, Labels base) throws IOException {
    Path found = null;
    try (DirectoryStream<Path> files =
        Files.newDirectoryStream(logical.getParent(), logical.getFileName() + ".*")) {
      for (Path f : files) {
        long[] i = FileIdentity.inode(f);
        if (i != null && i[0] == ino[0] && i[1] == ino[1] && !heldElsewhere(i)) {
          found = f;
          break;
        }
      }
    } catch (IOException e) {
      return false;
    }
    Opened o = found == null ? null : openStable(found);
    if (o == null || !o.is(ino) || o.ch().size() == 0) {
      if (o != null) {
        o.ch().close();
      }
      return false;
    }
    FileIdentity id = FileIdentity.of(ino[0], ino[1], o.ch());
    openFiles.incrementAndGet();
    startDraining(newTailer(logical, o.ch(), id, ino[0], ino[1], 0, base).readingFile(found));
    metrics.rotations.increment();
    log.debug("event=truncated_then_rotated path={} file={}", logical, found);
    drainRotatedAfter(logical, id);
    return true;
  }

  /** The truncated file: read it from 0, or, while it is empty, park the newest generation read. */
  private void afterCopies(Path file, FileChannel ch, FileIdentity now, Labels base)
      throws IOException {
    if (now != null) {
      activate(file, ch, now, 0, base);
      return;
    }
    if (ch != null) {
      ch.close();
    }
    for (int i = draining.size() - 1; i >= 0; i--) {
      FileTailer d = draining.get(i);
      if (d.path.equals(file)) {
        parked.put(file, new Known(d.id, d.position()));
        return;
      }
    }
  }

  /** A content generation of a copytruncate file and how far it was read. */
  record Known(FileIdentity id, long offset) {}

  /**
   * After copytruncate: finds each known generation's copy by the CRC of its first bytes (the copy
   * starts like the original did) and reads it from the known offset; copies made after the newest
   * one matched (or already being read), by modification time, hold generations never seen at the
   * path and are read from 0. A copy of the content now at the path ({@code current}) is left
   * alone. Reads are queued in that order, before the file at the path.
   *
   * @param pathIno (device, inode) of the file at the path; copies' sources carry it
   * @return the known generations whose copy is gone
   */
  private List<Known> drainCopies(
      Path logical, long[] pathIno, List<Known> known, FileIdentity current, Labels base)
      throws IOException {
    record Copy(Path path, long[] ino, long mtime) {}
    List<Copy> copies = new ArrayList<>();
    long anchor = Long.MIN_VALUE;
    String name = logical.getFileName().toString();
    try (DirectoryStream<Path> siblings =
        Files.newDirectoryStream(logical.getParent(), name + "?*")) {
      for (Path f : siblings) {
        long[] ino = FileIdentity.inode(f);
        if (ino == null
            || (ino[0] == pathIno[0] && ino[1] == pathIno[1])
            || f.getFileName().toString().endsWith(".gz")
            || !Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        FileTailer h = holder(ino);
        if (h != null) {
          if (h.path.equals(logical)) {
            anchor = Math.max(anchor, modifiedMillis(f)); // being read: later copies are newer
          }
          continue;
        }
        copies.add(new Copy(f, ino, modifiedMillis(f)));
      }
    } catch (IOException e) {
      return List.copyOf(known);
    }
    copies.sort(Comparator.comparingLong(Copy::mtime).thenComparing(c -> c.path().toString()));
    List<Known> missing = new ArrayList<>(known);
    for (Copy c : copies) {
      Opened o = openStable(c.path());
      if (o == null) {
        continue;
      }
      FileChannel ch = o.ch();
      if (!o.is(c.ino())) {
        ch.close(); // replaced since the listing (logrotate renumbers its copies): not this copy
        continue;
      }
      Known k = null;
      for (Known m : missing) {
        if (ch.size() >= m.offset() && m.id().fingerprintMatches(ch)) {
          k = m;
          break;
        }
      }
      if (k != null) {
        missing.remove(k);
        anchor = Math.max(anchor, c.mtime());
        openFiles.incrementAndGet();
        startDraining(
            newTailer(logical, ch, k.id(), c.ino()[0], c.ino()[1], k.offset(), base)
                .readingFile(c.path()));
        log.debug("event=copytruncate path={} copy={} offset={}", logical, c.path(), k.offset());
      } else if (anchor != Long.MIN_VALUE
          && c.mtime() >= anchor
          && (current == null || !current.fingerprintMatches(ch))
          && ch.size() > 0) {
        // A generation written and truncated between two looks: never seen at the path.
        FileIdentity copyId = FileIdentity.of(c.ino()[0], c.ino()[1], ch);
        FileIdentity gen = new FileIdentity(pathIno[0], pathIno[1], copyId.fpLen(), copyId.fpCrc());
        openFiles.incrementAndGet();
        startDraining(
            newTailer(logical, ch, gen, c.ino()[0], c.ino()[1], 0, base).readingFile(c.path()));
        anchor = Math.max(anchor, c.mtime());
        log.debug("event=copytruncate_unseen path={} copy={}", logical, c.path());
      } else {
        ch.close();
      }
    }
    return missing;
  }

  /**
   * Kubelet may rotate a file more than once between two looks, or before we first see a new
   * container's file. Rotated siblings ({@code 0.log.<timestamp>}; timestamps sort by name) newer
   * than the last one we handled for this path were never opened: read them from the start, oldest
   * first, before the file now at the path. For a path we have not handled yet, "newer" means
   * modified since the shipper last wrote to its queue (or since its first start).
   *
   * @param held the file just seen rotated away, or null
   */
  private void drainRotatedAfter(Path logical, FileIdentity held) throws IOException {
    Path dir = logical.getParent();
    String prefix = logical.getFileName() + ".";
    List<Path> siblings = new ArrayList<>();
    String bound = lastRotatedName.get(logical);
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, prefix + "*")) {
      for (Path f : files) {
        String n = f.getFileName().toString();
        if (n.endsWith(".gz") || !Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        long[] ino = FileIdentity.inode(f);
        if (ino != null && held != null && held.sameInode(ino[0], ino[1])) {
          bound = bound == null || ROTATED_ORDER.compare(n, bound) > 0 ? n : bound;
        }
        siblings.add(f);
      }
    } catch (IOException e) {
      return; // the directory is gone: nothing newer to read
    }
    if (bound == null && seenPaths.contains(logical)) {
      return; // a path we follow with no rename seen (copytruncate copies are not rotations)
    }
    siblings.sort(Comparator.comparing(f -> f.getFileName().toString(), ROTATED_ORDER));
    Labels base = podLabels.labelsFor(logical);
    for (Path f : siblings) {
      String n = f.getFileName().toString();
      if (base == null || (bound != null && ROTATED_ORDER.compare(n, bound) <= 0)) {
        continue;
      }
      if (bound == null && modifiedMillis(f) < unseenSinceMillis) {
        continue; // rotated before we were watching: not ours to ship
      }
      Opened o = openStable(f);
      if (o == null) {
        continue;
      }
      long[] ino = o.ino();
      FileChannel ch = o.ch();
      if (heldElsewhere(ino)) {
        ch.close();
        continue;
      }
      FileTailer t =
          newTailer(logical, ch, FileIdentity.of(ino[0], ino[1], ch), ino[0], ino[1], 0, base)
              .readingFile(f);
      openFiles.incrementAndGet();
      startDraining(t);
      metrics.rotations.increment();
      bound = n;
      log.debug("event=rotated_unseen path={} file={}", logical, n);
    }
    if (bound != null) {
      lastRotatedName.put(logical, bound);
    }
  }

  /**
   * Order of rotated files' names: kubelet's timestamps sort as text; numbered copies ({@code
   * 0.log.2} before {@code 0.log.10}) by number, where text order read generation 10 between 1 and
   * 2 (seen in the kill soak when the shipper first looked after ten copies existed).
   */
  static final Comparator<String> ROTATED_ORDER =
      (a, b) -> {
        int i = a.lastIndexOf('.');
        int j = b.lastIndexOf('.');
        String x = a.substring(i + 1);
        String y = b.substring(j + 1);
        if (i == j
            && a.regionMatches(0, b, 0, i)
            && !x.isEmpty()
            && !y.isEmpty()
            && x.length() < 10
            && y.length() < 10
            && x.chars().allMatch(Character::isDigit)
            && y.chars().allMatch(Character::isDigit)) {
          return Integer.compare(Integer.parseInt(x), Integer.parseInt(y));
        }
        return a.compareTo(b);
      };

  private static long modifiedMillis(Path f) {
    try {
      return Files.getLastModifiedTime(f).toMillis();
    } catch (IOException e) {
      return Long.MIN_VALUE;
    }
  }

  /**
   * Resumes every checkpointed source, before the first scan, holding each file open from then on
   * (so a rotation right after start cannot make us lose track of it). Per path: a source still at
   * its path resumes there; one whose inode is elsewhere in the directory (kubelet renamed it) is
   * read from its offset, oldest name first, then rotated files after it never opened; one whose
   * inode is still at the path but whose first bytes changed was truncated (copytruncate) and is
   * read from its copy. A source found nowhere is counted in {@code sources_lost}.
   */
  private void resumeFromCheckpoint() throws IOException {
    Map<Path, List<SourceCheckpoint.Position>> byPath = new LinkedHashMap<>();
    for (SourceCheckpoint.Position p : recovered.values()) {
      if (FileIdentity.parse(p.sourceId()) == null || p.path().isEmpty()) {
        metrics.sourcesLost.increment(); // BUG-class: every source is checkpointed before reading
        log.warn(
            "event=source_lost source={} offset={} cause=\"no path\"", p.sourceId(), p.offset());
        continue;
      }
      byPath.computeIfAbsent(Path.of(p.path()), k -> new ArrayList<>()).add(p);
    }
    recovered.clear();
    for (Map.Entry<Path, List<SourceCheckpoint.Position>> e : byPath.entrySet()) {
      resumePath(e.getKey(), e.getValue());
    }
    checkpointDue = true;
  }

  private void resumePath(Path path, List<SourceCheckpoint.Position> ps) throws IOException {
    Labels base = podLabels.labelsFor(path);
    if (base == null) {
      return; // filtered out by this run's settings
    }
    seenPaths.add(path);
    // Opened now, with its inode, so that the file classified as "still at the path" is the one
    // read: a rotation between a stat and a later open would read the new file as the old one.
    Opened opened = openStable(path);
    long[] atPath = opened == null ? null : opened.ino();
    List<Known> inPlace = new ArrayList<>();
    List<Found> found = new ArrayList<>();
    boolean movedLost = false;
    for (SourceCheckpoint.Position p : ps) {
      FileIdentity id = FileIdentity.parse(p.sourceId());
      if (atPath != null && id.sameInode(atPath[0], atPath[1])) {
        inPlace.add(new Known(id, p.offset()));
        continue;
      }
      Found f = findByInode(path, id, p.offset(), base);
      if (f == null) {
        lost(path, List.of(new Known(id, p.offset())), "gone before read to its end");
        movedLost = true;
        continue;
      }
      found.add(f);
      log.info("event=resume_rotated path={} file={} offset={}", path, f.file(), p.offset());
    }
    if (!found.isEmpty()) {
      found.sort(Comparator.comparing(f -> f.file().getFileName().toString(), ROTATED_ORDER));
      for (Found f : found) {
        openFiles.incrementAndGet();
        startDraining(f.tailer());
      }
      lastRotatedName.put(path, found.getLast().file().getFileName().toString());
      drainRotatedAfter(path, null);
    } else if (movedLost) {
      readUnseenSince(path);
    }
    if (inPlace.isEmpty()) {
      if (opened != null) {
        opened.ch().close();
      }
      return; // the file now at the path (if any) is new: the scan opens it from 0
    }
    FileChannel ch = opened.ch();
    Known cur = null;
    for (Known k : inPlace) {
      if (ch.size() >= k.offset() && k.id().fingerprintMatches(ch)) {
        cur = k;
      }
    }
    List<Known> older = new ArrayList<>(inPlace);
    older.remove(cur);
    FileIdentity now =
        cur != null ? cur.id() : ch.size() > 0 ? FileIdentity.of(atPath[0], atPath[1], ch) : null;
    if (!older.isEmpty()) {
      // Truncated (copytruncate) after the checkpoint, perhaps several times; or the file was
      // deleted and its inode reused by the new one (kubelet rotation, then gzip).
      metrics.truncations.increment();
      List<Known> gone = drainCopies(path, atPath, older, now, base);
      lost(path, gone, "copy gone");
      if (gone.size() == older.size()) {
        readUnseenSince(path);
      }
    }
    if (cur != null) {
      activate(path, ch, cur.id(), cur.offset(), base);
    } else {
      afterCopies(path, ch, now, base);
    }
  }

  private record Found(Path file, FileTailer tailer) {}

  /**
   * The file we were reading is gone, so nothing tells which rotated files after it we read: read
   * those modified since the last checkpoint (less a margin), as for a path never seen.
   */
  private void readUnseenSince(Path path) throws IOException {
    seenPaths.remove(path);
    drainRotatedAfter(path, null);
    seenPaths.add(path);
  }

  /** A rotated file by (device, inode) and first bytes in the directory of {@code path}. */
  private Found findByInode(Path path, FileIdentity id, long offset, Labels base)
      throws IOException {
    Path dir = path.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      return null;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        long[] ino = FileIdentity.inode(f);
        if (ino == null || !id.sameInode(ino[0], ino[1]) || heldElsewhere(ino)) {
          continue;
        }
        Opened o = openStable(f);
        if (o == null) {
          continue;
        }
        FileChannel ch = o.ch();
        if (!o.is(ino) || !id.fingerprintMatches(ch) || ch.size() < offset) {
          ch.close();
          continue;
        }
        return new Found(f, newTailer(path, ch, id, ino[0], ino[1], offset, base).readingFile(f));
      }
    }
    return null;
  }

  /** A tailer's entry: into the open batch of its file (see {@link #batch}). */
  private void entry(
      FileTailer t, int stream, long ts, byte[] b, int off, int len, long offset, long next) {
    if (batch.isOpen() && (batchSource != t || batch.bytes() + len > spool.maxBatchBytes())) {
      commitBatch();
    }
    if (!batch.isOpen()) {
      if (spool.currentCycle() != lastCheckpointCycle) {
        writeCheckpoint(List.of()); // every cycle starts with the positions of every source
      }
      Labels[] streams = t.streams();
      if (kubernetes != null) {
        streams = streams.clone();
        for (int i = 0; i < streams.length; i++) {
          streams[i] = kubernetes.labels(streams[i]);
        }
      }
      batch.begin(t.sourceId, streams);
      batchSource = t;
    }
    batch.add(stream, ts, offset, next, b, off, len);
  }

  private void commitBatch() {
    batchSource = null;
    batch.commit();
  }

  private void writeCheckpoint(List<SourceCheckpoint.Position> extra) {
    commitBatch(); // the positions below count the open batch's entries as written
    List<SourceCheckpoint.Position> ps = new ArrayList<>(extra);
    ps.addAll(recovered.values()); // known from the last run, not matched to a file yet
    Set<String> live = new HashSet<>();
    for (FileTailer t : draining) {
      ps.add(new SourceCheckpoint.Position(t.sourceId, t.path.toString(), t.position(), false));
      live.add(t.sourceId);
    }
    for (FileTailer t : active.values()) {
      ps.add(new SourceCheckpoint.Position(t.sourceId, t.path.toString(), t.position(), false));
      live.add(t.sourceId);
    }
    parked.forEach(
        (path, k) -> {
          if (!live.contains(k.id().sourceId())) {
            ps.add(
                new SourceCheckpoint.Position(
                    k.id().sourceId(), path.toString(), k.offset(), false));
          }
        });
    long idx = spool.append(new SourceCheckpoint(ps));
    spool.pin(idx);
    lastCheckpointCycle = spool.cycleOf(idx);
    lastCheckpointNanos = System.nanoTime();
    checkpointDue = false;
  }

  public boolean isPaused() {
    return paused;
  }

  Spool spool() {
    return spool;
  }

  /** Tests: files being read to their end (rotated, copies). */
  int drainingCount() {
    return draining.size();
  }

  /** Stops reading, then forwarding; what is spooled but unsent is sent after the next start. */
  @Override
  public void close() {
    running = false;
    try {
      watch.close();
    } catch (IOException e) {
      log.warn("event=close_failed what=watch_service", e);
    }
    try {
      thread.join(Duration.ofSeconds(30).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (FileTailer t : active.values()) {
      closeQuietly(t);
    }
    for (FileTailer t : draining) {
      closeQuietly(t);
    }
    forwarder.close();
    spool.close();
  }

  private static void closeQuietly(FileTailer t) {
    try {
      t.close();
    } catch (IOException e) {
      log.warn("event=close_failed path={}", t.path, e);
    }
  }
}
