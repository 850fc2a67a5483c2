package dev.osprey.tsdb;

import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.Storage;
import dev.osprey.tsdb.block.BlockQuerier;
import dev.osprey.tsdb.block.BlockReader;
import dev.osprey.tsdb.block.BlockWriter;
import dev.osprey.tsdb.block.Compactor;
import dev.osprey.tsdb.downsample.DownsampledQuerier;
import dev.osprey.tsdb.downsample.RetentionApplier;
import dev.osprey.tsdb.downsample.RetentionPolicy;
import dev.osprey.tsdb.head.Head;
import dev.osprey.tsdb.query.MergeQuerier;
import dev.osprey.tsdb.wal.Wal;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The time-series database: a head in memory fed through a write-ahead log, and immutable blocks on
 * disk cut from the head's older part, compacted into larger blocks and deleted by retention.
 *
 * <p>Directory layout: {@code lock} (held while open), {@code wal/} (segments and checkpoints, see
 * {@code docs/format/wal.md}), one directory per block named by its ULID ({@code
 * docs/format/block.md}), raw or downsampled ({@code docs/format/downsampled.md}); retention rules
 * ({@code docs/retention.md}) decide per series how long raw samples and aggregates stay.
 */
public final class Tsdb implements Storage {
  private static final Logger log = LoggerFactory.getLogger(Tsdb.class);

  private final Path dir;
  private final TsdbConfig config;
  private final RetentionPolicy policy;
  private final long blockRange;
  private final Head head;
  private final Wal wal;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Object compactionLock = new Object();
  private final Object listsLock = new Object(); // held while both block lists are swapped
  private final Timer compactionTimer;
  private volatile List<BlockReader> blocks; // raw samples, sorted by minTime, disjoint
  private volatile List<BlockReader> downsampled; // aggregates, sorted by minTime
  private ScheduledExecutorService background;
  private volatile boolean closed;

  private Tsdb(
      Path dir,
      TsdbConfig config,
      long blockRange,
      Head head,
      Wal wal,
      List<BlockReader> blocks,
      List<BlockReader> downsampled,
      FileChannel lockChannel,
      FileLock lock,
      MeterRegistry registry) {
    this.dir = dir;
    this.config = config;
    this.policy = RetentionPolicy.of(config);
    this.blockRange = blockRange;
    this.head = head;
    this.wal = wal;
    this.blocks = blocks;
    this.downsampled = downsampled;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.compactionTimer =
        Timer.builder("osprey_tsdb_compaction_seconds")
            .description("Time spent cutting the head into blocks and compacting blocks")
            .register(registry);
    Gauge.builder("osprey_tsdb_blocks", this, t -> t.blocks.size())
        .description("Blocks on disk")
        .register(registry);
    Gauge.builder("osprey_tsdb_blocks_bytes", this, Tsdb::blocksBytes)
        .description("Bytes of block files on disk, raw and downsampled")
        .register(registry);
    Gauge.builder("osprey_tsdb_downsampled_blocks", this, t -> t.downsampled.size())
        .description("Downsampled blocks on disk")
        .register(registry);
    Gauge.builder("osprey_tsdb_blocks_bytes_per_sample", this, Tsdb::bytesPerSample)
        .description("Bytes of block files per sample they hold")
        .register(registry);
  }

  /**
   * Opens (or creates) the database in {@code dir}: loads its blocks, replays the WAL into the
   * head, and starts the background work (WAL fsync when the policy is {@code interval}; cutting
   * the head into blocks, compaction and retention once a minute).
   *
   * @throws UncheckedIOException when the directory cannot be used or another process holds it
   */
  public static Tsdb open(Path dir, TsdbConfig config, MeterRegistry registry) {
    Tsdb db = open(dir, config, registry, Head.DEFAULT_BLOCK_RANGE);
    db.startBackground();
    return db;
  }

  /** Opens without background work and with another block range; for tests and tools. */
  static Tsdb open(Path dir, TsdbConfig config, MeterRegistry registry, long blockRange) {
    FileChannel lockChannel = null;
    try {
      Files.createDirectories(dir);
      lockChannel =
          FileChannel.open(
              dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = lockChannel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null; // this process holds it already
      }
      if (lock == null) {
        throw new IOException("another process holds " + dir.resolve("lock"));
      }
      long start = System.nanoTime();
      List<BlockReader> all = loadBlocks(dir);
      List<BlockReader> blocks = new ArrayList<>();
      List<BlockReader> downsampled = new ArrayList<>();
      for (BlockReader b : all) {
        (b.meta().downsampled() ? downsampled : blocks).add(b);
      }
      Head head = new Head(blockRange, config.outOfOrderWindow().toMillis(), registry);
      long floor = Long.MIN_VALUE;
      for (BlockReader b : all) {
        floor = Math.max(floor, b.meta().maxTime());
      }
      if (floor != Long.MIN_VALUE) {
        head.setMinValidTime(floor);
      }
      Wal wal =
          Wal.open(
              dir.resolve("wal"),
              config.walFsync(),
              Wal.DEFAULT_SEGMENT_SIZE,
              registry,
              head::replay);
      head.setWal(wal);
      log.info(
          "event=tsdb_opened dir={} blocks={} downsampled_blocks={} head_series={} open_ms={}",
          dir,
          blocks.size(),
          downsampled.size(),
          head.numSeries(),
          (System.nanoTime() - start) / 1_000_000);
      return new Tsdb(
          dir,
          config,
          blockRange,
          head,
          wal,
          List.copyOf(blocks),
          List.copyOf(downsampled),
          lockChannel,
          lock,
          registry);
    } catch (IOException e) {
      closeQuietly(lockChannel);
      throw new UncheckedIOException("cannot open tsdb " + dir + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(lockChannel);
      throw e;
    }
  }

  private static List<BlockReader> loadBlocks(Path dir) throws IOException {
    List<BlockReader> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        if (!Files.isDirectory(p)) {
          continue;
        }
        if (name.endsWith(".tmp")) {
          Compactor.deleteTree(p); // a block or compaction that did not finish
        } else if (Files.exists(p.resolve("meta.json"))) {
          out.add(BlockReader.open(p));
        }
      }
    }
    out.sort(Comparator.comparingLong(b -> b.meta().minTime()));
    // a compaction that published its result but died before deleting its sources, checked among
    // raw and among downsampled blocks of one resolution
    java.util.Map<Long, List<BlockReader>> byResolution = new java.util.TreeMap<>();
    for (BlockReader b : out) {
      byResolution.computeIfAbsent(b.meta().resolution(), r -> new ArrayList<>()).add(b);
    }
    List<BlockReader> superseded = new ArrayList<>();
    for (List<BlockReader> same : byResolution.values()) {
      superseded.addAll(Compactor.superseded(same));
    }
    for (BlockReader b : superseded) {
      log.info("event=block_deleted block={} reason=compacted", b.dir().getFileName());
      Compactor.deleteTree(b.dir());
    }
    out.removeAll(superseded);
    // downsampling that published its blocks but died before replacing its source block: redone
    java.util.Set<String> raw = new java.util.HashSet<>();
    for (BlockReader b : out) {
      raw.add(b.meta().ulid());
    }
    List<BlockReader> undone = new ArrayList<>();
    for (BlockReader b : out) {
      if (b.meta().downsampled() && raw.contains(b.meta().downsampledFrom())) {
        log.info("event=block_deleted block={} reason=unfinished_downsampling", b.meta().ulid());
        Compactor.deleteTree(b.dir());
        undone.add(b);
      }
    }
    out.removeAll(undone);
    return out;
  }

  private void startBackground() {
    // two threads: a long compaction must not delay the WAL fsync timer
    background =
        Executors.newScheduledThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "osprey-tsdb-background");
              t.setDaemon(true);
              return t;
            });
    if (config.walFsync().equals("interval")) {
      background.scheduleWithFixedDelay(
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
    background.scheduleWithFixedDelay(
        () -> {
          try {
            compact();
          } catch (RuntimeException e) {
            log.error("event=compaction_failed dir={} error={}", dir, e.toString(), e);
          }
        },
        1,
        1,
        TimeUnit.MINUTES);
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

  /**
   * An appender for bulk imports ({@code /api/v1/import/prometheus}): it accepts samples older than
   * the head's usual bound (one hour behind its newest sample), down to the end of the newest
   * block, so that a file holding hours of history series by series (as OpenMetrics requires) can
   * be imported. Each series must still be in time order.
   */
  public Appender backfillAppender() {
    checkOpen();
    return head.backfillAppender();
  }

  @Override
  public Querier querier() {
    checkOpen();
    List<BlockReader> bs;
    List<BlockReader> ds;
    synchronized (listsLock) { // a series' raw blocks and aggregates from the same moment
      bs = blocks;
      ds = downsampled;
    }
    if (bs.isEmpty() && ds.isEmpty()) {
      return head.querier();
    }
    List<Querier> qs = new ArrayList<>(bs.size() + ds.size() + 1);
    // a series' aggregates cover only where its raw samples were removed, so the two never overlap
    for (BlockReader b : ds) {
      qs.add(new DownsampledQuerier(b));
    }
    for (BlockReader b : bs) {
      qs.add(new BlockQuerier(b));
    }
    qs.add(head.querier());
    return new MergeQuerier(qs);
  }

  /**
   * Reports commits to the head with old samples (out of order, backfill), deletions and
   * retention's drops and rewrites, for the query results cache.
   */
  @Override
  public dev.osprey.core.storage.SampleChanges changes() {
    return head.changes();
  }

  @Override
  public long minTime() {
    List<BlockReader> bs = blocks;
    long m = head.minTime();
    if (!bs.isEmpty()) {
      m = Math.min(m, bs.get(0).meta().minTime());
    }
    List<BlockReader> ds = downsampled;
    if (!ds.isEmpty()) {
      m = Math.min(m, ds.get(0).meta().minTime());
    }
    return m;
  }

  public Path dir() {
    return dir;
  }

  public TsdbConfig config() {
    return config;
  }

  /** The head, for statistics. */
  public Head head() {
    return head;
  }

  /** The blocks of raw samples on disk, oldest first. */
  public List<BlockReader> blocks() {
    return blocks;
  }

  /** The downsampled blocks on disk, oldest first. */
  public List<BlockReader> downsampledBlocks() {
    return downsampled;
  }

  private double bytesPerSample() {
    long bytes = 0;
    long samples = 0;
    for (BlockReader b : blocks) {
      bytes += b.sizeBytes();
      samples += b.meta().stats().numSamples();
    }
    return samples == 0 ? Double.NaN : (double) bytes / samples;
  }

  /** Bytes of the block files on disk, raw and downsampled. */
  public long blocksBytes() {
    long n = 0;
    for (BlockReader b : blocks) {
      n += b.sizeBytes();
    }
    for (BlockReader b : downsampled) {
      n += b.sizeBytes();
    }
    return n;
  }

  /**
   * Cuts the head's older part into blocks (while it spans more than 1.5 block ranges), then
   * compacts blocks and applies retention. Returns when done.
   */
  public void compact() {
    synchronized (compactionLock) {
      checkOpen();
      long start = System.nanoTime();
      try {
        boolean cut = false;
        while (head.minTime() != Long.MAX_VALUE
            && head.maxTime() - head.minTime() > blockRange / 2 * 3) {
          long mint = Math.floorDiv(head.minTime(), blockRange) * blockRange;
          cutHead(mint, mint + blockRange);
          cut = true;
        }
        if (cut) {
          checkpoint();
        }
        compactBlocks();
        List<BlockReader> rawBefore = blocks;
        List<BlockReader> downsampledBefore = downsampled;
        try {
          applyRetention();
        } finally {
          if (blocks != rawBefore || downsampled != downsampledBefore) {
            // blocks dropped, or series downsampled and removed from raw blocks
            head.changes().changed(dev.osprey.core.storage.SampleChanges.ALL);
          }
        }
        compactDownsampled();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot compact tsdb " + dir + ": " + e.getMessage(), e);
      } finally {
        compactionTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      }
    }
  }

  /** Cuts the whole head into blocks now ({@code POST /api/v1/admin/tsdb/flush}). */
  public void flush() {
    synchronized (compactionLock) {
      checkOpen();
      long start = System.nanoTime();
      try {
        if (head.minTime() == Long.MAX_VALUE) {
          return;
        }
        long end = head.maxTime() + 1;
        long mint = Math.floorDiv(head.minTime(), blockRange) * blockRange;
        while (mint < end) {
          cutHead(mint, Math.min(end, mint + blockRange));
          mint += blockRange;
        }
        checkpoint();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot flush tsdb head " + dir + ": " + e.getMessage(), e);
      } finally {
        compactionTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      }
    }
  }

  /**
   * Deletes the samples in {@code [mint, maxt]} of every series matching one of the matcher sets
   * ({@code POST /api/v1/admin/tsdb/delete_series}), in the head (logged to the WAL) and in the
   * blocks (rewritten at once, so there are no tombstones to clean). Returns when done.
   */
  public void deleteSeries(long mint, long maxt, List<dev.osprey.core.labels.LabelMatcher[]> sets) {
    synchronized (compactionLock) {
      checkOpen();
      try {
        for (dev.osprey.core.labels.LabelMatcher[] ms : sets) {
          head.deleteSeries(mint, maxt, ms);
        }
        blocks = deleteIn(blocks, mint, maxt, sets);
        downsampled = deleteIn(downsampled, mint, maxt, sets);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete series in " + dir + ": " + e.getMessage(), e);
      } finally {
        head.changes().changed(mint); // answers from mint on, once head and blocks are rewritten
      }
    }
  }

  private List<BlockReader> deleteIn(
      List<BlockReader> list,
      long mint,
      long maxt,
      List<dev.osprey.core.labels.LabelMatcher[]> sets)
      throws IOException {
    for (BlockReader b : list) {
      if (b.meta().maxTime() <= mint || b.meta().minTime() > maxt) {
        continue;
      }
      org.roaringbitmap.RoaringBitmap ordinals = new org.roaringbitmap.RoaringBitmap();
      for (dev.osprey.core.labels.LabelMatcher[] ms : sets) {
        ordinals.or(dev.osprey.tsdb.index.PostingsSource.select(b, ms));
      }
      if (ordinals.isEmpty()) {
        continue;
      }
      BlockReader rewritten = Compactor.rewriteWithout(dir, b, ordinals, mint, maxt);
      list = replace(list, List.of(b), rewritten == null ? List.of() : List.of(rewritten));
      Compactor.deleteTree(b.dir());
      log.info(
          "event=block_rewritten block={} replaces={} reason=delete_series",
          rewritten == null ? "none" : rewritten.meta().ulid(),
          b.meta().ulid());
    }
    return list;
  }

  /** {@code list} without {@code remove} and with {@code add}, sorted by minTime. */
  private static List<BlockReader> replace(
      List<BlockReader> list, List<BlockReader> remove, List<BlockReader> add) {
    List<BlockReader> next = new ArrayList<>(list);
    next.removeAll(remove);
    next.addAll(add);
    next.sort(Comparator.comparingLong(x -> x.meta().minTime()));
    return List.copyOf(next);
  }

  /**
   * Writes a snapshot of the blocks (hard links) and, unless {@code skipHead}, of the head (as a
   * block) into {@code snapshots/<name>}; returns the name.
   */
  public String snapshot(boolean skipHead) {
    synchronized (compactionLock) {
      checkOpen();
      String name =
          java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
                  .format(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC))
              + "-"
              + String.format("%016x", new java.security.SecureRandom().nextLong() >>> 1);
      Path snap = dir.resolve("snapshots").resolve(name);
      try {
        Files.createDirectories(snap);
        for (BlockReader b : blocks) {
          linkTree(b.dir(), snap.resolve(b.dir().getFileName()));
        }
        for (BlockReader b : downsampled) {
          linkTree(b.dir(), snap.resolve(b.dir().getFileName()));
        }
        if (!skipHead && head.minTime() != Long.MAX_VALUE) {
          try (BlockWriter w = new BlockWriter(snap, System.currentTimeMillis())) {
            long lo = Math.max(head.minTime(), head.minValidFloor());
            head.writeBlock(w, lo, head.maxTime() + 1);
            w.finish(lo, head.maxTime() + 1, 1, List.of());
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot snapshot tsdb " + dir + ": " + e.getMessage(), e);
      }
      log.info("event=snapshot name={} skip_head={}", name, skipHead);
      return name;
    }
  }

  private static void linkTree(Path src, Path dst) throws IOException {
    if (Files.isDirectory(src)) {
      Files.createDirectories(dst);
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(src)) {
        for (Path c : ds) {
          linkTree(c, dst.resolve(c.getFileName()));
        }
      }
    } else {
      Files.createLink(dst, src);
    }
  }

  /** Cuts everything before {@code t} into one block now; for tests. */
  void cutBefore(long t) {
    synchronized (compactionLock) {
      try {
        cutHead(head.minTime(), t);
        checkpoint();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private void cutHead(long mint, long maxt) throws IOException {
    long lo = Math.max(mint, head.minValidFloor());
    Path written;
    try (BlockWriter w = new BlockWriter(dir, System.currentTimeMillis())) {
      head.writeBlock(w, lo, maxt);
      written = w.finish(lo, maxt, 1, List.of());
    }
    if (written != null) {
      BlockReader b = BlockReader.open(written);
      List<BlockReader> next = new ArrayList<>(blocks);
      next.add(b);
      next.sort(Comparator.comparingLong(x -> x.meta().minTime()));
      blocks = List.copyOf(next);
      log.info(
          "event=head_cut block={} min_time={} max_time={} series={} samples={}",
          b.meta().ulid(),
          lo,
          maxt,
          b.meta().stats().numSeries(),
          b.meta().stats().numSamples());
    }
    int removed = head.truncate(maxt);
    log.info("event=head_truncated before={} series_removed={}", maxt, removed);
  }

  private void checkpoint() throws IOException {
    int upTo = head.cutWal();
    Path tmp =
        Wal.checkpointPath(wal.dir(), upTo)
            .resolveSibling(Wal.checkpointPath(wal.dir(), upTo).getFileName() + ".tmp");
    Compactor.deleteTree(tmp);
    try (Wal cp = Wal.open(tmp, "never", Long.MAX_VALUE, new SimpleMeterRegistry(), (p, l) -> {})) {
      head.dumpTo(cp);
    }
    wal.publishCheckpoint(tmp, upTo);
    log.info("event=wal_checkpoint up_to_segment={}", upTo);
  }

  private void compactBlocks() throws IOException {
    while (true) {
      List<BlockReader> group =
          Compactor.plan(
              blocks,
              blockRange,
              head.minValidFloor(),
              // the shortest raw retention, so that a rule's raw data goes in small steps too
              Math.min(policy.shortestRaw() / 10, 31 * 86_400_000L));
      if (group.isEmpty()) {
        return;
      }
      BlockReader merged = Compactor.merge(dir, group);
      List<BlockReader> next = new ArrayList<>(blocks);
      next.removeAll(group);
      next.add(merged);
      next.sort(Comparator.comparingLong(x -> x.meta().minTime()));
      blocks = List.copyOf(next);
      for (BlockReader b : group) {
        Compactor.deleteTree(b.dir());
      }
      log.info(
          "event=blocks_compacted block={} sources={} level={}",
          merged.meta().ulid(),
          group.size(),
          merged.meta().compaction().level());
    }
  }

  /**
   * Deletes what retention says: blocks past the longest retention whole; with retention rules,
   * series past their rule's raw retention are downsampled and removed from raw blocks and series
   * past their resolution's retention removed from downsampled blocks ({@link RetentionApplier});
   * then the oldest blocks while the blocks' total size exceeds {@code retention_size}.
   */
  private void applyRetention() throws IOException {
    long newest = newest();
    if (newest == Long.MIN_VALUE) {
      return;
    }
    long dropBefore = newest - policy.longest(); // no data older than this is kept
    long rulesFrom = newest - policy.shortestRaw(); // no data newer than this is touched
    for (boolean raw : new boolean[] {true, false}) {
      for (BlockReader b : raw ? blocks : downsampled) {
        if (b.meta().maxTime() > rulesFrom) {
          break;
        }
        if (b.meta().maxTime() <= dropBefore) {
          dropBlock(b, "retention_time");
          continue;
        }
        if (!policy.hasRules()) {
          continue;
        }
        RetentionApplier.Outcome o = RetentionApplier.apply(dir, b, policy, newest);
        if (!o.changed()) {
          continue;
        }
        List<BlockReader> rw = o.rewritten() == null ? List.of() : List.of(o.rewritten());
        synchronized (listsLock) { // queries see the aggregates and the raw removal together
          if (raw) {
            downsampled = replace(downsampled, List.of(), o.downsampled());
            blocks = replace(blocks, List.of(b), rw);
          } else {
            List<BlockReader> add = new ArrayList<>(o.downsampled());
            add.addAll(rw);
            downsampled = replace(downsampled, List.of(b), add);
          }
        }
        Compactor.deleteTree(b.dir());
        for (BlockReader d : o.downsampled()) {
          log.info(
              "event=block_downsampled block={} from={} resolution_ms={} series={}",
              d.meta().ulid(),
              b.meta().ulid(),
              d.meta().resolution(),
              d.meta().stats().numSeries());
        }
        log.info(
            "event=block_rewritten block={} replaces={} reason=retention_rules",
            o.rewritten() == null ? "none" : o.rewritten().meta().ulid(),
            b.meta().ulid());
      }
    }
    long limit = config.retentionSize().bytes();
    if (limit <= 0) {
      return;
    }
    List<BlockReader> all = new ArrayList<>(blocks);
    all.addAll(downsampled);
    all.sort(Comparator.comparingLong(x -> x.meta().minTime()));
    long total = 0;
    for (BlockReader b : all) {
      total += b.sizeBytes();
    }
    for (BlockReader b : all) {
      if (total <= limit) {
        break;
      }
      total -= b.sizeBytes();
      dropBlock(b, "retention_size");
    }
  }

  /** The newest sample's time, from the head and the blocks; MIN_VALUE when there is none. */
  private long newest() {
    long newest = head.maxTime();
    for (List<BlockReader> bs : List.of(blocks, downsampled)) {
      for (BlockReader b : bs) {
        newest = Math.max(newest, b.meta().maxTime() - 1);
      }
    }
    return newest;
  }

  /**
   * Merges downsampled blocks of one resolution as raw blocks are merged (windows of 3, 9, 27 block
   * ranges), once no new block can appear for the window and up to a tenth of the resolution's
   * retention.
   */
  private void compactDownsampled() throws IOException {
    long newest = newest();
    if (downsampled.size() < 2 || newest == Long.MIN_VALUE) {
      return;
    }
    java.util.TreeSet<Long> resolutions = new java.util.TreeSet<>();
    for (BlockReader b : downsampled) {
      resolutions.add(b.meta().resolution());
    }
    for (long r : resolutions) {
      while (true) {
        List<BlockReader> same =
            downsampled.stream().filter(b -> b.meta().resolution() == r).toList();
        List<BlockReader> group =
            Compactor.plan(
                same,
                blockRange,
                newest - policy.settledAge(r),
                Math.min(policy.maxMergedRange(r), 31 * 86_400_000L));
        if (group.isEmpty()) {
          break;
        }
        BlockReader merged = Compactor.merge(dir, group);
        downsampled = replace(downsampled, group, List.of(merged));
        for (BlockReader b : group) {
          Compactor.deleteTree(b.dir());
        }
        log.info(
            "event=downsampled_blocks_compacted block={} sources={} resolution_ms={}",
            merged.meta().ulid(),
            group.size(),
            r);
      }
    }
  }

  private void dropBlock(BlockReader b, String reason) throws IOException {
    log.info("event=block_deleted block={} reason={}", b.meta().ulid(), reason);
    if (b.meta().downsampled()) {
      downsampled = replace(downsampled, List.of(b), List.of());
    } else {
      blocks = replace(blocks, List.of(b), List.of());
    }
    Compactor.deleteTree(b.dir()); // open maps stay readable for queries still running
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("BUG: tsdb " + dir + " used after close");
    }
  }

  @Override
  public void close() {
    ScheduledExecutorService bg = background;
    if (bg != null) {
      // no interrupts: an interrupted FileChannel closes itself under the WAL or a block writer
      bg.shutdown();
      try {
        if (!bg.awaitTermination(60, TimeUnit.SECONDS)) {
          log.warn("event=tsdb_close_waiting dir={} reason=background_work_still_running", dir);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    synchronized (compactionLock) {
      if (closed) {
        return;
      }
      closed = true;
      try {
        wal.close();
      } finally {
        head.close();
        try {
          lock.release();
          lockChannel.close();
        } catch (IOException e) {
          throw new UncheckedIOException("cannot release lock of tsdb " + dir, e);
        }
      }
    }
  }
}
