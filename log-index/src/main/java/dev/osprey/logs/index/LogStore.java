package dev.osprey.logs.index;

import dev.osprey.core.config.LogIndexConfig;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.util.BytesRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log store: Lucene indexes, one per time partition, behind a write-ahead log.
 *
 * <p>Appends go to the WAL (reaching the OS before the call returns), then to the partition's
 * IndexWriter; a line whose dedup key (stream, timestamp, line) is already in its partition is
 * skipped, so an agent's replay adds nothing. Readers are refreshed every {@value #REFRESH_MS} ms
 * while lines are arriving (on their own thread, so a commit does not hold them up), so a line is
 * searchable within about a second of its append returning (at once after {@link #refresh()}), and
 * the first search after a bulk ingest does not pay for flushing the whole indexing buffer;
 * partitions are committed every {@link LogIndexConfig#commitInterval()} and at close, after which
 * the WAL segments they cover are deleted. Retention drops whole partitions.
 */
public final class LogStore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LogStore.class);
  static final long REFRESH_MS = 200;

  private final Path dir;
  private final LogIndexConfig config;
  private final long span;
  private final NavigableMap<Long, LogPartition> partitions = new ConcurrentSkipListMap<>();
  private final ReentrantReadWriteLock appendLock = new ReentrantReadWriteLock();
  private final Object walMutex = new Object();
  private final LogWal wal;
  private final ScheduledExecutorService scheduler;
  private final ScheduledExecutorService refresher;

  /**
   * Helpers for {@link #searchUnordered}: one thread fewer than the cores (the caller is the
   * other), none on one core. Threads start on first use.
   */
  private final java.util.concurrent.ExecutorService readers;

  private final int readerThreads;
  private final Counter linesAppended;
  private final Counter linesDuplicate;
  private final Counter linesDiscarded;
  private final Counter bytesAppended;
  private final Timer commitTimer;
  private final Timer refreshTimer;
  private volatile boolean dirty;
  private volatile long lastRefresh = System.nanoTime();
  private volatile boolean closed;
  private final java.util.concurrent.CopyOnWriteArrayList<AppendListener> listeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * Sees every line the index accepts (not duplicates, not lines past retention), as it is added,
   * for live tailing. Called on the appending thread while appends hold a lock: it must not block
   * and should only hand the line over (into a bounded queue).
   */
  @FunctionalInterface
  public interface AppendListener {
    void appended(Labels stream, LogEntry entry);
  }

  /** Registers a listener until the returned handle is closed. */
  public AutoCloseable subscribe(AppendListener l) {
    listeners.add(l);
    return () -> listeners.remove(l);
  }

  /** What an append did. */
  public record AppendResult(int appended, int duplicates, int tooOld) {}

  private LogStore(Path dir, LogIndexConfig config, MeterRegistry registry, boolean background)
      throws IOException {
    this.dir = dir;
    this.config = config;
    this.span = config.partition().toNanos();
    if (span <= 0) {
      throw new IllegalArgumentException("cannot open log store: partition must be positive");
    }
    Files.createDirectories(dir.resolve("index"));
    this.readerThreads = Math.max(0, Runtime.getRuntime().availableProcessors() - 1);
    this.readers =
        readerThreads == 0
            ? null
            : Executors.newFixedThreadPool(
                readerThreads,
                r -> {
                  Thread t = new Thread(r, "osprey-logstore-read");
                  t.setDaemon(true);
                  return t;
                });
    try (Stream<Path> st = Files.list(dir.resolve("index"))) {
      for (Path p : st.toList()) {
        String n = p.getFileName().toString();
        if (Files.isDirectory(p) && n.startsWith("p-")) {
          long start = Long.parseLong(n.substring(2));
          partitions.put(start, LogPartition.open(dir.resolve("index"), start, span));
        }
      }
    }
    this.linesAppended = registry.counter("osprey_logs_lines_appended_total");
    this.linesDuplicate = registry.counter("osprey_logs_lines_duplicate_total");
    this.linesDiscarded = registry.counter("osprey_logs_lines_too_old_total");
    this.bytesAppended = registry.counter("osprey_logs_bytes_appended_total");
    this.commitTimer = registry.timer("osprey_logs_commit_seconds");
    this.refreshTimer = registry.timer("osprey_logs_refresh_seconds");
    Gauge.builder("osprey_logs_partitions", partitions, Map::size).register(registry);
    int[] replayed = {0};
    this.wal =
        LogWal.open(
            dir.resolve("wal"),
            payload -> {
              try {
                AppendResult r = addAll(Codec.decodeBatch(payload, 0, payload.length));
                replayed[0] += r.appended();
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    if (replayed[0] > 0) {
      log.info("event=wal_replayed lines={}", replayed[0]);
    }
    commit();
    refresh();
    if (background) {
      scheduler =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "osprey-logstore");
                t.setDaemon(true);
                return t;
              });
      refresher =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "osprey-logstore-refresh");
                t.setDaemon(true);
                return t;
              });
      refresher.scheduleWithFixedDelay(
          () -> guard("refresh", this::refreshIfDirty),
          REFRESH_MS,
          REFRESH_MS,
          TimeUnit.MILLISECONDS);
      long ci = Math.max(100, config.commitInterval().toMillis());
      scheduler.scheduleWithFixedDelay(
          () -> guard("commit", this::commit), ci, ci, TimeUnit.MILLISECONDS);
      scheduler.scheduleWithFixedDelay(
          () ->
              guard(
                  "retention",
                  () -> {
                    long now = System.currentTimeMillis() * 1_000_000L;
                    applyRetention(now);
                    for (LogPartition p : partitions.values()) {
                      p.evictKeysIfCold(now);
                    }
                  }),
          1,
          60,
          TimeUnit.SECONDS);
    } else {
      scheduler = null;
      refresher = null;
    }
  }

  /** Opens (or creates) the store under {@code dir}, replaying the WAL, with background tasks. */
  public static LogStore open(Path dir, LogIndexConfig config, MeterRegistry registry) {
    return open(dir, config, registry, true);
  }

  /**
   * Opens the store; with {@code background} false no refresh, commit or retention runs by itself
   * (for tests, which call {@link #refresh()}, {@link #commit()}, {@link #applyRetention(long)}).
   */
  public static LogStore open(
      Path dir, LogIndexConfig config, MeterRegistry registry, boolean background) {
    try {
      return new LogStore(dir, config, registry, background);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open log store " + dir + ": " + e.getMessage(), e);
    }
  }

  private interface IoTask {
    void run() throws IOException;
  }

  private void guard(String what, IoTask t) {
    if (closed) {
      return;
    }
    try {
      t.run();
    } catch (Exception e) {
      log.error("event=logstore_task_failed task={} error={}", what, e.toString(), e);
    }
  }

  public LogIndexConfig config() {
    return config;
  }

  /**
   * Appends a batch: WAL first, then the index. Lines older than the retention are dropped and
   * counted; duplicates (same stream, timestamp and line) are skipped and counted.
   */
  public AppendResult append(List<LogStream> batch) {
    if (closed) {
      throw new IllegalStateException("cannot append: log store is closed");
    }
    byte[] payload = Codec.encodeBatch(batch);
    appendLock.readLock().lock();
    try {
      synchronized (walMutex) {
        wal.append(payload);
      }
      AppendResult r = addAll(batch);
      linesAppended.increment(r.appended());
      linesDuplicate.increment(r.duplicates());
      linesDiscarded.increment(r.tooOld());
      if (r.appended() > 0) {
        dirty = true;
      }
      return r;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append log lines: " + e.getMessage(), e);
    } finally {
      appendLock.readLock().unlock();
    }
  }

  /**
   * Adds a batch to the partitions in timestamp order across its streams (a push carries one stream
   * after another), so append listeners (live tail) see it in time order. Lucene sorts each flushed
   * segment by the partition's index sort (log-partition.md, "Sort").
   */
  private AppendResult addAll(List<LogStream> batch) throws IOException {
    long minStart = retentionCutoff(System.currentTimeMillis() * 1_000_000L);
    int total = 0;
    for (LogStream s : batch) {
      total += s.entries().size();
    }
    String[] sids = new String[batch.size()];
    BytesRef[] encoded = new BytesRef[batch.size()];
    long[] order = new long[total]; // (stream index << 32 | entry index), sorted by timestamp
    long[] keys = new long[total];
    int k = 0;
    for (int si = 0; si < batch.size(); si++) {
      LogStream s = batch.get(si);
      sids[si] = LogPartition.sid(s.labels());
      encoded[si] = new BytesRef(Codec.encodeLabels(s.labels()));
      List<LogEntry> es = s.entries();
      for (int ei = 0; ei < es.size(); ei++) {
        order[k] = ((long) si << 32) | ei;
        keys[k++] = es.get(ei).timestampNanos();
      }
    }
    Integer[] idx = new Integer[total];
    for (int i = 0; i < total; i++) {
      idx[i] = i;
    }
    java.util.Arrays.sort(idx, (a, b) -> Long.compare(keys[a], keys[b]));
    int added = 0;
    int dups = 0;
    int old = 0;
    long bytes = 0;
    for (Integer i : idx) {
      int si = (int) (order[i] >>> 32);
      LogStream s = batch.get(si);
      LogEntry e = s.entries().get((int) order[i]);
      long pStart = Math.floorDiv(e.timestampNanos(), span) * span;
      if (pStart + span <= minStart) {
        old++;
        continue;
      }
      if (partitionFor(pStart).add(s.labels(), sids[si], encoded[si], e)) {
        added++;
        bytes += e.line().length();
        for (AppendListener l : listeners) {
          l.appended(s.labels(), e);
        }
      } else {
        dups++;
      }
    }
    bytesAppended.increment(bytes);
    return new AppendResult(added, dups, old);
  }

  private long retentionCutoff(long nowNanos) {
    return nowNanos - config.retention().toNanos();
  }

  private LogPartition partitionFor(long pStart) throws IOException {
    LogPartition p = partitions.get(pStart);
    if (p != null) {
      return p;
    }
    synchronized (partitions) {
      p = partitions.get(pStart);
      if (p == null) {
        p = LogPartition.open(dir.resolve("index"), pStart, span);
        partitions.put(pStart, p);
      }
      return p;
    }
  }

  /** Makes every appended line visible to searches now. */
  public void refresh() {
    long t0 = System.nanoTime();
    lastRefresh = t0;
    try {
      for (LogPartition p : partitions.values()) {
        try {
          p.refresh();
        } catch (org.apache.lucene.store.AlreadyClosedException e) {
          if (partitions.get(p.start) == p) {
            throw e;
          } // else dropped by retention meanwhile
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot refresh log index: " + e.getMessage(), e);
    }
    refreshTimer.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
  }

  private void refreshIfDirty() {
    if (dirty) {
      dirty = false;
      refresh();
    }
  }

  /**
   * Before a search: catch up when lines arrived and the last refresh is older than twice the
   * refresh interval (the scheduled refresh fell behind, or there is none).
   */
  private void beforeSearch() {
    long now = System.nanoTime();
    if (dirty && now - lastRefresh >= 2 * REFRESH_MS * 1_000_000L) {
      dirty = false;
      refresh();
    }
  }

  /** Commits every partition and deletes the WAL segments the commit covers. */
  public synchronized void commit() {
    long t0 = System.nanoTime();
    try {
      long keepFrom;
      appendLock.writeLock().lock();
      try {
        synchronized (walMutex) {
          keepFrom = wal == null ? 0 : wal.cut();
        }
      } finally {
        appendLock.writeLock().unlock();
      }
      for (LogPartition p : partitions.values()) {
        p.commit();
      }
      if (wal != null) {
        wal.deleteBefore(keepFrom);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot commit log index: " + e.getMessage(), e);
    }
    commitTimer.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
  }

  /**
   * Drops every partition that ends at or before {@code nowNanos - retention}; returns how many.
   */
  public int applyRetention(long nowNanos) throws IOException {
    long cutoff = retentionCutoff(nowNanos);
    int dropped = 0;
    for (LogPartition p : List.copyOf(partitions.values())) {
      if (p.end <= cutoff) {
        appendLock.writeLock().lock();
        try {
          partitions.remove(p.start);
          p.drop();
        } finally {
          appendLock.writeLock().unlock();
        }
        log.info("event=partition_dropped start={} end={}", p.start, p.end);
        dropped++;
      }
    }
    return dropped;
  }

  /** Start times (ns) of the partitions on disk, ascending. */
  public List<Long> partitionStarts() {
    return List.copyOf(partitions.keySet());
  }

  /** Bytes of the index files (WAL excluded). */
  public long sizeOnDisk() throws IOException {
    long n = 0;
    for (LogPartition p : partitions.values()) {
      n += p.sizeOnDisk();
    }
    return n;
  }

  // ---------------------------------------------------------------------------------- reading

  private List<LogPartition> overlapping(long from, long to, boolean ascending) {
    List<LogPartition> out = new ArrayList<>();
    for (LogPartition p : partitions.values()) {
      if (p.overlaps(from, to)) {
        out.add(p);
      }
    }
    if (!ascending) {
      java.util.Collections.reverse(out);
    }
    return out;
  }

  private static boolean matches(Labels l, List<LabelMatcher> ms) {
    for (LabelMatcher m : ms) {
      if (!m.matches(l.get(m.name()))) {
        return false;
      }
    }
    return true;
  }

  /**
   * The streams of a partition that the matchers select; null means all of them. Call with a
   * searcher of the partition already acquired: the default tenant's matcher selects every stream
   * of a partition that has no stream of another tenant ({@link LogPartition#tenantStreams}), and
   * that holds for the searcher only when it was acquired before the flag is read.
   */
  private static List<String> selectStreams(LogPartition p, List<LabelMatcher> wanted) {
    List<LabelMatcher> ms =
        !p.tenantStreams && !wanted.isEmpty() && Tenants.isDefaultMatcher(wanted.get(0))
            ? wanted.subList(1, wanted.size())
            : wanted;
    if (ms.isEmpty()) {
      return null;
    }
    List<String> sids = new ArrayList<>();
    p.streams.forEach(
        (sid, l) -> {
          if (matches(l, ms)) {
            sids.add(sid);
          }
        });
    return sids;
  }

  /** [from, to). */
  private static Query timeRange(long from, long to) {
    return LogPartition.timeRange(from, to - 1);
  }

  /** Builds the Lucene query of a partition; null when no stream there matches. */
  private static Query partitionQuery(LogPartition p, LogSearchRequest r) {
    List<String> sids = selectStreams(p, r.matchers());
    if (sids != null && sids.isEmpty()) {
      return null;
    }
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    b.add(timeRange(r.startNanos(), r.endNanos()), BooleanClause.Occur.FILTER);
    if (sids != null) {
      List<BytesRef> terms = new ArrayList<>(sids.size());
      for (String s : sids) {
        terms.add(new BytesRef(s));
      }
      b.add(new TermInSetQuery(LogPartition.F_SID, terms), BooleanClause.Occur.FILTER);
    }
    if (r.lineQuery() != null) {
      b.add(r.lineQuery(), BooleanClause.Occur.FILTER);
    }
    return b.build();
  }

  /**
   * Searches lines, delivering them to {@code consumer} in the request's direction (by timestamp)
   * until the limit or until the consumer returns false.
   *
   * @return lines delivered
   */
  public long search(LogSearchRequest r, LogHitConsumer consumer) {
    if (r.startNanos() >= r.endNanos()) {
      return 0;
    }
    beforeSearch();
    boolean fwd = r.direction() == LogSearchRequest.Direction.FORWARD;
    long delivered = 0;
    long limit = r.limit() > 0 ? r.limit() : Long.MAX_VALUE;
    try {
      for (LogPartition p : overlapping(r.startNanos(), r.endNanos(), fwd)) {
        IndexSearcher s = p.searchers.acquire();
        try {
          Query q = partitionQuery(p, r);
          if (q == null) {
            continue;
          }
          long left = limit - delivered;
          long n =
              fwd
                  ? PartitionReader.forward(s, q, r.needLine(), r.lineFilter(), left, consumer)
                  : PartitionReader.backward(s, q, r.needLine(), r.lineFilter(), left, consumer);
          if (n < 0) {
            delivered += n == Long.MIN_VALUE ? 0 : -n;
            break; // the consumer stopped
          }
          delivered += n;
          if (delivered >= limit) {
            break;
          }
        } finally {
          p.searchers.release(s);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot search log index: " + e.getMessage(), e);
    }
    return delivered;
  }

  /**
   * Searches lines in no particular order (the request's direction is ignored and it must have no
   * limit), for readers that need none, such as metric folds: each segment is read in doc order,
   * and segments are read in parallel by the calling thread and the store's helper threads (one
   * fewer than the cores). The consumer is called by one thread at a time, never concurrently, but
   * not always by the same one; the request's line filter runs on the reading threads, so it must
   * be thread-safe.
   *
   * @return lines delivered
   */
  public long searchUnordered(LogSearchRequest r, LogHitConsumer consumer) {
    if (r.limit() > 0) {
      throw new IllegalArgumentException("an unordered search takes no limit, got " + r.limit());
    }
    if (r.startNanos() >= r.endNanos()) {
      return 0;
    }
    beforeSearch();
    List<LogPartition> held = new ArrayList<>();
    List<IndexSearcher> searchers = new ArrayList<>();
    try {
      List<PartitionReader.SegmentTask> tasks = new ArrayList<>();
      for (LogPartition p : overlapping(r.startNanos(), r.endNanos(), true)) {
        IndexSearcher s = p.searchers.acquire();
        held.add(p);
        searchers.add(s);
        Query q = partitionQuery(p, r);
        if (q != null) {
          PartitionReader.segmentTasks(s, q, tasks);
        }
      }
      return PartitionReader.inDocOrder(
          tasks, r.needLine(), r.lineFilter(), consumer, readers, readerThreads);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot search log index: " + e.getMessage(), e);
    } finally {
      for (int i = 0; i < held.size(); i++) {
        try {
          held.get(i).searchers.release(searchers.get(i));
        } catch (IOException e) {
          log.warn("event=searcher_release_failed error={}", e.toString());
        }
      }
    }
  }

  /**
   * Stream label sets that the matchers select among partitions overlapping [start, end), without
   * the hidden tenant label ({@link Tenants}).
   */
  public Set<Labels> series(List<LabelMatcher> matchers, long startNanos, long endNanos) {
    beforeSearch();
    Set<Labels> out = new TreeSet<>();
    for (LogPartition p : overlapping(startNanos, endNanos, true)) {
      for (Labels l : p.streams.values()) {
        if (matches(l, matchers)) {
          out.add(Tenants.strip(l));
        }
      }
    }
    return out;
  }

  /** Label names of the selected streams, sorted. */
  public List<String> labelNames(List<LabelMatcher> matchers, long startNanos, long endNanos) {
    Set<String> names = new TreeSet<>();
    for (Labels l : series(matchers, startNanos, endNanos)) {
      names.addAll(l.names());
    }
    return List.copyOf(names);
  }

  /** Values of one label among the selected streams, sorted. */
  public List<String> labelValues(
      String name, List<LabelMatcher> matchers, long startNanos, long endNanos) {
    Set<String> vals = new TreeSet<>();
    for (Labels l : series(matchers, startNanos, endNanos)) {
      String v = l.get(name);
      if (!v.isEmpty()) {
        vals.add(v);
      }
    }
    return List.copyOf(vals);
  }

  /** Index statistics of a selection, as Loki's /index/stats reports them. */
  public record Stats(long streams, long chunks, long entries, long bytes) {}

  /**
   * Counts the selected lines and sums their bytes from doc values alone (Grafana asks for this
   * before every query, so it must stay cheap); chunks are the partitions holding any.
   */
  public Stats stats(List<LabelMatcher> matchers, long startNanos, long endNanos) {
    beforeSearch();
    Set<Labels> streams = new LinkedHashSet<>();
    long entries = 0;
    long bytes = 0;
    long chunks = 0;
    LogSearchRequest r =
        new LogSearchRequest(
            matchers, startNanos, endNanos, null, LogSearchRequest.Direction.FORWARD, 0, false);
    try {
      for (LogPartition p : overlapping(startNanos, endNanos, true)) {
        IndexSearcher s = p.searchers.acquire();
        try {
          Query q = partitionQuery(p, r);
          if (q == null) {
            continue;
          }
          long[] eb = PartitionReader.stats(s, q, streams);
          entries += eb[0];
          bytes += eb[1];
          chunks += eb[0] > 0 ? 1 : 0;
        } finally {
          p.searchers.release(s);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot search log index: " + e.getMessage(), e);
    }
    return new Stats(streams.size(), chunks, entries, bytes);
  }

  /** A hit of a query-string search with its highlighted line. */
  public record Highlighted(Labels stream, long timestampNanos, String line, String highlight) {}

  /**
   * Lucene query-string search (classic syntax; default field the line, other fields are stream
   * labels), newest first, with highlights ({@code <b>...</b>}), among the default tenant's lines.
   */
  public List<Highlighted> queryString(String query, long startNanos, long endNanos, int limit) {
    return queryString(Tenants.DEFAULT, query, startNanos, endNanos, limit);
  }

  /** {@link #queryString(String, long, long, int)} among the lines of {@code tenant}. */
  public List<Highlighted> queryString(
      String tenant, String query, long startNanos, long endNanos, int limit) {
    QueryStrings.Parsed q = QueryStrings.parse(query);
    LogSearchRequest own =
        new LogSearchRequest(
            List.of(Tenants.matcher(tenant)),
            startNanos,
            endNanos,
            null,
            LogSearchRequest.Direction.BACKWARD,
            0,
            false);
    beforeSearch();
    List<Highlighted> out = new ArrayList<>();
    try {
      for (LogPartition p : overlapping(startNanos, endNanos, false)) {
        if (out.size() >= limit) {
          break;
        }
        IndexSearcher s = p.searchers.acquire();
        try {
          Query tenantAndTime = partitionQuery(p, own);
          if (tenantAndTime == null) {
            continue;
          }
          BooleanQuery.Builder b = new BooleanQuery.Builder();
          b.add(tenantAndTime, BooleanClause.Occur.FILTER);
          b.add(q.query(), BooleanClause.Occur.MUST);
          QueryStrings.highlight(s, b.build(), q, limit - out.size(), out);
        } finally {
          p.searchers.release(s);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot search log index: " + e.getMessage(), e);
    }
    return out;
  }

  /** Lines of the streams that have label {@code name} equal to {@code value}. */
  public static Query labelTerm(String name, String value) {
    return new StreamLabelQuery(name, value);
  }

  /** Name of the full-text field of lines. */
  public static final String LINE_FIELD = LogPartition.F_LINE;

  /**
   * Tests only: partitions created from now on are written with {@code terms} ({@code V1} builds
   * partitions as an older version wrote them); returns the previous setting.
   */
  public static LogTokens.Terms termsForNewPartitionsForTest(LogTokens.Terms terms) {
    LogTokens.Terms old = LogPartition.termsForNewPartitions;
    LogPartition.termsForNewPartitions = terms;
    return old;
  }

  Collection<LogPartition> partitionsForTest() {
    return partitions.values();
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    for (ScheduledExecutorService ex : new ScheduledExecutorService[] {refresher, scheduler}) {
      if (ex != null) {
        ex.shutdown();
        try {
          ex.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    if (readers != null) {
      readers.shutdown();
    }
    commit();
    closed = true;
    for (LogPartition p : partitions.values()) {
      p.close();
    }
    wal.close();
  }
}
