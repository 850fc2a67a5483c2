package dev.osprey.logs.shipper;

import dev.osprey.core.labels.Labels;
import dev.osprey.pipeline.Forwarder;
import dev.osprey.pipeline.ForwarderConfig;
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

  private final ShipperConfig config;
  private final Spool spool;
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
  private final Set<Path> seenPaths = new HashSet<>();
  private long unseenSinceMillis = System.currentTimeMillis();
  private final AtomicInteger openFiles = new AtomicInteger();
  private final Thread thread;
  private volatile boolean running;
  private volatile boolean paused;
  private int lastCheckpointCycle = Integer.MIN_VALUE;
  private boolean checkpointDue;
  private long lastCheckpointNanos;

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
    this.forwarder =
        Forwarder.lokiPush(
            spool,
            ForwarderConfig.of("loki", config.pushUri())
                .withBatch(config.batchRecords(), 1L << 20, config.batchAge()),
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

  private void run() {
    long pollNanos = config.pollInterval().toNanos();
    long lastScan = 0;
    boolean first = true;
    try {
      while (running) {
        long now = System.nanoTime();
        if (first || checkpointDue || now - lastScan >= pollNanos) {
          if (first) {
            resumeRotatedWhileDown();
          }
          scan();
          checkFiles();
          if (first) {
            if (!recovered.isEmpty()) {
              log.info("event=checkpointed_files_not_found count={}", recovered.size());
              recovered.clear();
            }
            first = false;
          }
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
          waitForWork(pollNanos);
          continue;
        }
        if (paused) {
          paused = false;
          log.info("event=spool_drained action=resume_reading");
        }
        boolean didWork = readDraining(pollNanos);
        didWork |= readActive();
        if (checkpointDue
            || System.nanoTime() - lastCheckpointNanos > TimeUnit.SECONDS.toNanos(5)) {
          writeCheckpoint(List.of());
        }
        if (!didWork) {
          waitForWork(Math.min(pollNanos, TimeUnit.MILLISECONDS.toNanos(50)));
        }
      }
    } catch (RuntimeException | IOException e) {
      if (running) {
        log.error("event=shipper_failed", e);
      }
    }
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
        if (t.eofStreak == 0) {
          t.eofStreak = 1;
          t.quietSince = System.nanoTime();
        } else if (System.nanoTime() - t.quietSince >= quietNanos && t.poll() == 0) {
          release(t);
        }
      }
    }
    return did;
  }

  private boolean readActive() throws IOException {
    boolean did = false;
    for (FileTailer t : List.copyOf(active.values())) {
      if (blocked(t.path)) {
        continue; // the rotated predecessor is read to its end first: order per stream
      }
      FileChannel ch = t.channel();
      if (ch.size() < t.readPosition() || !t.id.fingerprintMatches(ch)) {
        truncated(t); // checked before reading, so bytes of the new content are never misread
        continue;
      }
      for (int i = 0; i < POLLS_PER_FILE_PER_ROUND && t.poll() > 0; i++) {
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
      open(real, real, ino, base);
    }
  }

  private boolean heldElsewhere(long[] ino) {
    for (FileTailer t : active.values()) {
      if (t.id.sameInode(ino[0], ino[1])) {
        return true;
      }
    }
    for (FileTailer t : draining) {
      if (t.id.sameInode(ino[0], ino[1])) {
        return true;
      }
    }
    return false;
  }

  /** Opens {@code file} (read through {@code channelPath}) as the active tailer of its path. */
  private void open(Path file, Path channelPath, long[] ino, Labels base) throws IOException {
    FileChannel ch;
    try {
      ch = FileTailer.openChannel(channelPath);
    } catch (IOException e) {
      return; // gone already
    }
    if (ch.size() == 0) {
      ch.close(); // opened when it has bytes, so the fingerprint means something
      return;
    }
    long offset = 0;
    FileIdentity id = null;
    for (SourceCheckpoint.Position p : List.copyOf(recovered.values())) {
      FileIdentity prev = FileIdentity.parse(p.sourceId());
      if (prev != null && prev.sameInode(ino[0], ino[1])) {
        recovered.remove(p.sourceId());
        if (prev.fingerprintMatches(ch) && ch.size() >= p.offset()) {
          id = prev;
          offset = p.offset();
        } else {
          // Same inode, other content: truncated while we were down (copytruncate).
          metrics.truncations.increment();
          drainCopies(file, prev, p.offset(), base);
        }
      }
    }
    if (id == null) {
      id = FileIdentity.of(ino[0], ino[1], ch);
    }
    FileTailer t =
        new FileTailer(file, ch, id, offset, base, config.maxLineBytes(), this::append, metrics);
    active.put(file, t);
    seenPaths.add(file);
    openFiles.incrementAndGet();
    checkpointDue = true;
    log.debug("event=file_opened path={} source={} offset={}", file, id.sourceId(), offset);
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
    t.eofStreak = 0;
    draining.add(t);
  }

  /**
   * copytruncate: the file was copied, then truncated. The bytes after our position are in the copy
   * (a sibling whose name starts with the file's and whose first bytes match); read them there
   * first, then the truncated file from 0.
   */
  private void truncated(FileTailer t) throws IOException {
    metrics.truncations.increment();
    active.remove(t.path);
    long resume = t.position();
    Labels base = podLabels.labelsFor(t.path);
    t.close();
    openFiles.decrementAndGet();
    drainCopies(t.path, t.id, resume, base);
    long[] ino = FileIdentity.inode(t.path);
    if (ino != null && base != null) {
      open(t.path, t.path, ino, base);
    }
    checkpointDue = true;
  }

  /**
   * After a copytruncate: the copy whose first bytes match {@code old} holds the bytes after {@code
   * resume}; copies made after it (newer modification time) were never read. Reads them in that
   * order, before the truncated file.
   */
  private void drainCopies(Path logical, FileIdentity old, long resume, Labels base)
      throws IOException {
    if (base == null) {
      return;
    }
    record Copy(Path path, long[] ino, long mtime) {}
    List<Copy> copies = new ArrayList<>();
    String name = logical.getFileName().toString();
    try (DirectoryStream<Path> siblings =
        Files.newDirectoryStream(logical.getParent(), name + "?*")) {
      for (Path f : siblings) {
        long[] ino = FileIdentity.inode(f);
        if (ino == null
            || old.sameInode(ino[0], ino[1])
            || f.getFileName().toString().endsWith(".gz")
            || !Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)
            || heldElsewhere(ino)) {
          continue;
        }
        copies.add(new Copy(f, ino, modifiedMillis(f)));
      }
    } catch (IOException e) {
      return;
    }
    copies.sort(Comparator.comparingLong(Copy::mtime));
    Copy match = null;
    for (Copy c : copies) {
      FileChannel ch = FileTailer.openChannel(c.path());
      if (match == null && ch.size() >= resume && old.fingerprintMatches(ch)) {
        match = c;
        drainFrom(logical, ch, c.ino(), resume, base);
        log.debug("event=copytruncate path={} copy={} offset={}", logical, c.path(), resume);
      } else if (match != null && c.mtime() >= match.mtime()) {
        drainFrom(logical, ch, c.ino(), 0, base);
        log.debug("event=copytruncate_unseen path={} copy={}", logical, c.path());
      } else {
        ch.close();
      }
    }
  }

  private void drainFrom(Path logical, FileChannel ch, long[] ino, long offset, Labels base)
      throws IOException {
    FileTailer t =
        new FileTailer(
            logical,
            ch,
            FileIdentity.of(ino[0], ino[1], ch),
            offset,
            base,
            config.maxLineBytes(),
            this::append,
            metrics);
    openFiles.incrementAndGet();
    startDraining(t);
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
          bound = bound == null || n.compareTo(bound) > 0 ? n : bound;
        }
        siblings.add(f);
      }
    } catch (IOException e) {
      return; // the directory is gone: nothing newer to read
    }
    if (bound == null && seenPaths.contains(logical)) {
      return; // a path we follow with no rename seen (copytruncate copies are not rotations)
    }
    siblings.sort(Comparator.comparing(f -> f.getFileName().toString()));
    Labels base = podLabels.labelsFor(logical);
    for (Path f : siblings) {
      String n = f.getFileName().toString();
      if (base == null || (bound != null && n.compareTo(bound) <= 0)) {
        continue;
      }
      if (bound == null && modifiedMillis(f) < unseenSinceMillis) {
        continue; // rotated before we were watching: not ours to ship
      }
      long[] ino = FileIdentity.inode(f);
      if (ino == null || heldElsewhere(ino)) {
        continue;
      }
      FileChannel ch;
      try {
        ch = FileTailer.openChannel(f);
      } catch (IOException e) {
        continue;
      }
      FileTailer t =
          new FileTailer(
              logical,
              ch,
              FileIdentity.of(ino[0], ino[1], ch),
              0,
              base,
              config.maxLineBytes(),
              this::append,
              metrics);
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

  private static long modifiedMillis(Path f) {
    try {
      return Files.getLastModifiedTime(f).toMillis();
    } catch (IOException e) {
      return Long.MIN_VALUE;
    }
  }

  /**
   * Checkpointed files no longer at their path (rotated while we were down): find them by inode in
   * their directory and read them from their offsets, oldest name first, then any rotated file
   * after them that was never opened.
   */
  private void resumeRotatedWhileDown() throws IOException {
    record Found(Path file, FileTailer tailer) {}
    Map<Path, List<Found>> byPath = new LinkedHashMap<>();
    for (SourceCheckpoint.Position p : List.copyOf(recovered.values())) {
      recovered.remove(p.sourceId());
      FileIdentity id = FileIdentity.parse(p.sourceId());
      if (id == null || p.path().isEmpty()) {
        continue;
      }
      Path orig = Path.of(p.path());
      long[] atPath = FileIdentity.inode(orig);
      if (atPath != null && id.sameInode(atPath[0], atPath[1])) {
        recovered.put(p.sourceId(), p); // still at its path: the scan resumes it
        seenPaths.add(orig);
        continue;
      }
      Path dir = orig.getParent();
      Found found = null;
      if (dir != null && Files.isDirectory(dir)) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
          for (Path f : files) {
            long[] ino = FileIdentity.inode(f);
            if (ino == null || !id.sameInode(ino[0], ino[1]) || heldElsewhere(ino)) {
              continue;
            }
            FileChannel ch = FileTailer.openChannel(f);
            Labels base = podLabels.labelsFor(orig);
            if (!id.fingerprintMatches(ch) || ch.size() < p.offset() || base == null) {
              ch.close();
              continue;
            }
            found =
                new Found(
                    f,
                    new FileTailer(
                        orig,
                        ch,
                        id,
                        p.offset(),
                        base,
                        config.maxLineBytes(),
                        this::append,
                        metrics));
            break;
          }
        }
      }
      if (found != null) {
        byPath.computeIfAbsent(orig, k -> new ArrayList<>()).add(found);
        log.info("event=resume_rotated path={} file={} offset={}", orig, found.file(), p.offset());
      } else {
        metrics.sourcesLost.increment();
        log.warn(
            "event=source_lost path={} source={} offset={} cause=\"gone before read to its end\"",
            p.path(),
            p.sourceId(),
            p.offset());
      }
    }
    for (Map.Entry<Path, List<Found>> e : byPath.entrySet()) {
      List<Found> fs = e.getValue();
      fs.sort(java.util.Comparator.comparing(f -> f.file().getFileName().toString()));
      seenPaths.add(e.getKey());
      for (Found f : fs) {
        openFiles.incrementAndGet();
        startDraining(f.tailer());
      }
      lastRotatedName.put(e.getKey(), fs.get(fs.size() - 1).file().getFileName().toString());
      drainRotatedAfter(e.getKey(), null);
    }
    checkpointDue = true;
  }

  private void append(LogEntry e) {
    e = kubernetes != null ? kubernetes.enrich(e) : e;
    if (spool.currentCycle() != lastCheckpointCycle) {
      writeCheckpoint(List.of()); // every cycle starts with the positions of every source
    }
    spool.append(e);
  }

  private void writeCheckpoint(List<SourceCheckpoint.Position> extra) {
    List<SourceCheckpoint.Position> ps = new ArrayList<>(extra);
    ps.addAll(recovered.values()); // known from the last run, not matched to a file yet
    for (FileTailer t : draining) {
      ps.add(new SourceCheckpoint.Position(t.sourceId, t.path.toString(), t.position(), false));
    }
    for (FileTailer t : active.values()) {
      ps.add(new SourceCheckpoint.Position(t.sourceId, t.path.toString(), t.position(), false));
    }
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
