package dev.osprey.tsdb.head;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.DuplicateSampleException;
import dev.osprey.core.storage.OutOfBoundsException;
import dev.osprey.core.storage.OutOfOrderSampleException;
import dev.osprey.core.storage.Querier;
import dev.osprey.tsdb.chunk.ChunkArena;
import dev.osprey.tsdb.chunk.HistogramChunk;
import dev.osprey.tsdb.index.MemPostings;
import dev.osprey.tsdb.index.Symbols;
import dev.osprey.tsdb.wal.Buf;
import dev.osprey.tsdb.wal.Wal;
import dev.osprey.tsdb.wal.WalRecords;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The in-memory part of the tsdb: series, their index and their recent samples in compressed
 * chunks. Appends are logged to the WAL before they become visible; every series sees the commits
 * in WAL order (they are applied in parallel by stripes of series, see {@link #commit}) so that
 * replaying the WAL rebuilds exactly the same head.
 */
public final class Head {
  public static final long DEFAULT_BLOCK_RANGE = 2 * 3600_000L;

  private static final int PAGE_BITS = 14;
  private static final int PAGE = 1 << PAGE_BITS;

  private final long blockRange;
  private final long oooWindow;
  private final ChunkArena arena = new ChunkArena();
  private final Symbols symbols = new Symbols();
  private final MemPostings postings = new MemPostings();
  private final SeriesMap byLabels = new SeriesMap();
  // pages of series by id; the directory grows as ids do (a fixed one for all 2^31 ids was 512 KiB
  // of an empty head); replaced, never changed in place, under byIdLock
  private volatile MemSeries[][] byId = new MemSeries[1][];
  private final Object byIdLock = new Object();
  private final AtomicInteger nextId = new AtomicInteger(1);
  private final AtomicInteger numSeries = new AtomicInteger();
  private final Object commitLock = new Object();
  // Commits are ordered by commitLock (the WAL's order) but apply their float samples outside it,
  // stripe by stripe (series id modulo STRIPES), each stripe taking batches in the order of their
  // tickets (drawn under commitLock): two workers apply in parallel while every series still sees
  // the batches in WAL order, so a replay rebuilds the same head. Whatever needs every logged
  // batch applied (truncation, deletion, a WAL cut, histogram commits) waits for the applying
  // ones under commitLock (drainLocked).
  private static final int STRIPES = 16;
  private final Stripe[] stripes = newStripes();
  private final Object applyingLock = new Object();
  private int applying; // batches with tickets not yet fully applied; guarded by applyingLock
  private final Buf seriesRecord = new Buf(256);
  private final dev.osprey.tsdb.chunk.ChunkCodec codec = new dev.osprey.tsdb.chunk.ChunkCodec();
  private volatile long minT = Long.MAX_VALUE;
  private volatile long maxT = Long.MIN_VALUE;
  private volatile long minValidFloor = Long.MIN_VALUE;
  private Wal wal;
  private final dev.osprey.core.storage.SampleChanges changes =
      new dev.osprey.core.storage.SampleChanges();

  final Counter appended;
  final Counter rejectedTooOld;
  final Counter rejectedOutOfOrder;
  final Counter rejectedDuplicate;

  public Head(long blockRange, long oooWindow, MeterRegistry registry) {
    this.blockRange = blockRange;
    this.oooWindow = oooWindow;
    Gauge.builder("osprey_tsdb_head_series", numSeries, AtomicInteger::get)
        .description("Series in the head")
        .register(registry);
    Gauge.builder("osprey_tsdb_head_chunk_bytes", arena, ChunkArena::bytesUsed)
        .description("Bytes of closed head chunks")
        .register(registry);
    appended =
        Counter.builder("osprey_tsdb_samples_appended_total")
            .description("Samples appended to the head")
            .register(registry);
    rejectedTooOld = rejected(registry, OutOfBoundsException.REASON);
    rejectedOutOfOrder = rejected(registry, OutOfOrderSampleException.REASON);
    rejectedDuplicate = rejected(registry, DuplicateSampleException.REASON);
  }

  private static Counter rejected(MeterRegistry registry, String reason) {
    return Counter.builder("osprey_tsdb_samples_rejected_total")
        .description("Samples the tsdb refused, by reason")
        .tag("reason", reason)
        .register(registry);
  }

  /** Sets the WAL new series and commits are logged to (after replay). */
  public void setWal(Wal wal) {
    this.wal = wal;
  }

  public HeadAppender appender() {
    return new HeadAppender(this, false, takeScratch());
  }

  /** Appender arrays for reuse, a few (about one per concurrent appender). */
  private final java.util.ArrayDeque<HeadAppender.Scratch> scratch = new java.util.ArrayDeque<>();

  private HeadAppender.Scratch takeScratch() {
    synchronized (scratch) {
      HeadAppender.Scratch s = scratch.pollFirst();
      return s != null ? s : new HeadAppender.Scratch();
    }
  }

  void giveBack(HeadAppender.Scratch s) {
    if (!s.worthKeeping()) {
      return;
    }
    synchronized (scratch) {
      if (scratch.size() < 8) {
        scratch.addFirst(s);
      }
    }
  }

  /**
   * An appender for bulk imports: samples may be as old as the newest block's end (not only an hour
   * behind the head's newest sample); each series must still arrive in time order.
   */
  public HeadAppender backfillAppender() {
    return new HeadAppender(this, true, takeScratch());
  }

  public Querier querier() {
    return new HeadQuerier(this);
  }

  /** Where committed batches are reported to a results cache (see {@link #commit}). */
  public dev.osprey.core.storage.SampleChanges changes() {
    return changes;
  }

  public long minTime() {
    return minT;
  }

  public long maxTime() {
    return maxT;
  }

  public int numSeries() {
    return numSeries.get();
  }

  public long oooWindow() {
    return oooWindow;
  }

  ChunkArena arena() {
    return arena;
  }

  public MemPostings postings() {
    return postings;
  }

  /** The oldest timestamp an append may carry now; older samples are out of bounds. */
  long minValidTime() {
    long mt = maxT;
    if (mt == Long.MIN_VALUE) {
      return minValidFloor;
    }
    return Math.max(minValidFloor, mt - Math.max(blockRange / 2, oooWindow));
  }

  /** The time before which samples are refused because blocks hold that range. */
  public long minValidFloor() {
    return minValidFloor;
  }

  /** Samples before {@code t} are refused from now on (they belong to persisted blocks). */
  public void setMinValidTime(long t) {
    minValidFloor = Math.max(minValidFloor, t);
  }

  /**
   * The labels of the live series with reference {@code ref} (as {@link HeadAppender#append}
   * returns it), or null when there is none; passing them back with the reference lets an append
   * skip comparing label sets.
   */
  public Labels labelsOf(long ref) {
    MemSeries s = byId(ref);
    return s == null || s.dead ? null : s.labels;
  }

  MemSeries byId(long ref) {
    if (ref <= 0 || ref > Integer.MAX_VALUE) {
      return null;
    }
    int id = (int) ref;
    MemSeries[][] dir = byId;
    int p = id >>> PAGE_BITS;
    MemSeries[] page = p < dir.length ? dir[p] : null;
    return page == null ? null : page[id & (PAGE - 1)];
  }

  private void putById(MemSeries s) {
    putAlias(s.id, s);
  }

  private void putAlias(int id, MemSeries s) {
    int p = id >>> PAGE_BITS;
    synchronized (byIdLock) {
      MemSeries[][] dir = byId;
      if (p >= dir.length) {
        dir = java.util.Arrays.copyOf(dir, Math.max(p + 1, 2 * dir.length));
      }
      if (dir[p] == null) {
        dir[p] = new MemSeries[PAGE];
      }
      dir[p][id & (PAGE - 1)] = s;
      if (dir != byId) {
        byId = dir;
      }
    }
  }

  /** The series with these labels, created (and logged to the WAL) when new. */
  MemSeries getOrCreate(Labels labels) {
    MemSeries s = byLabels.get(labels);
    if (s != null) {
      return s;
    }
    return byLabels.getOrCreate(labels, l -> create(nextId.getAndIncrement(), l, true));
  }

  private MemSeries create(int id, Labels labels, boolean log) {
    Labels interned = symbols.intern(labels);
    MemSeries s = new MemSeries(id, interned);
    putById(s);
    postings.add(id, interned);
    numSeries.incrementAndGet();
    if (log && wal != null) {
      synchronized (seriesRecord) {
        seriesRecord.reset();
        WalRecords.encodeSeries(seriesRecord, id, interned);
        wal.log(seriesRecord.array(), seriesRecord.length());
      }
    }
    return s;
  }

  /** One stripe of the apply: the next ticket to draw and the next to apply. */
  private static final class Stripe {
    long issued; // guarded by commitLock
    long done; // guarded by the stripe
  }

  /** Codecs for the chunk cuts of applying batches, one per batch applying at once. */
  private final java.util.ArrayDeque<dev.osprey.tsdb.chunk.ChunkCodec> codecs =
      new java.util.ArrayDeque<>();

  private dev.osprey.tsdb.chunk.ChunkCodec takeCodec() {
    synchronized (codecs) {
      dev.osprey.tsdb.chunk.ChunkCodec c = codecs.pollFirst();
      return c != null ? c : new dev.osprey.tsdb.chunk.ChunkCodec();
    }
  }

  private void giveBack(dev.osprey.tsdb.chunk.ChunkCodec c) {
    synchronized (codecs) {
      if (codecs.size() < 8) {
        codecs.addFirst(c);
      }
    }
  }

  private static Stripe[] newStripes() {
    Stripe[] s = new Stripe[STRIPES];
    for (int i = 0; i < STRIPES; i++) {
      s[i] = new Stripe();
    }
    return s;
  }

  /** What one batch's apply did: accepted samples and their time range. */
  private static final class Applied {
    long lo = Long.MAX_VALUE;
    long hi = Long.MIN_VALUE;
    int ok;
  }

  /**
   * Logs a batch to the WAL, applies it, and returns once it is durable as the fsync policy says
   * (so concurrent readers may see it a moment before a machine crash could no longer lose it).
   * Samples that a concurrent commit made invalid since they were checked are dropped and counted.
   */
  void commit(Buf record, int[] ids, long[] ts, long[] vs, int n) {
    // the batch's samples by stripe, in batch order within each (a counting sort)
    int[] from = new int[STRIPES + 1];
    for (int i = 0; i < n; i++) {
      from[(ids[i] & (STRIPES - 1)) + 1]++;
    }
    for (int k = 0; k < STRIPES; k++) {
      from[k + 1] += from[k];
    }
    int[] order = new int[n];
    int[] at = Arrays.copyOf(from, STRIPES);
    for (int i = 0; i < n; i++) {
      order[at[ids[i] & (STRIPES - 1)]++] = i;
    }
    long[] tickets = new long[STRIPES];
    long pos = -1;
    synchronized (commitLock) {
      if (wal != null) {
        wal.log(record.array(), record.length());
        pos = wal.write();
      }
      for (int k = 0; k < STRIPES; k++) {
        if (from[k + 1] > from[k]) {
          tickets[k] = stripes[k].issued++;
        }
      }
      synchronized (applyingLock) {
        applying++;
      }
    }
    Applied a = new Applied();
    dev.osprey.tsdb.chunk.ChunkCodec codec = takeCodec();
    try {
      applyByStripe(ids, ts, vs, order, from, tickets, codec, a);
    } finally {
      giveBack(codec);
      synchronized (applyingLock) {
        if (a.ok > 0) {
          minT = Math.min(minT, a.lo);
          maxT = Math.max(maxT, a.hi);
        }
        if (--applying == 0) {
          applyingLock.notifyAll();
        }
      }
      appended.increment(a.ok);
    }
    changes.committed(a.lo);
    // with wal_fsync: always, the fsync runs outside the commit lock, shared by the commits that
    // wait for it (group commit); the appender's commit, and so the 2xx, comes after it
    if (pos >= 0 && wal.syncsEachCommit()) {
      wal.syncTo(pos);
    }
  }

  /**
   * Applies each stripe's part of a batch when the stripe's earlier tickets are done. Every ticket
   * drawn is completed, also after a failure (else the stripe would wait forever); the first
   * failure is thrown at the end.
   */
  private void applyByStripe(
      int[] ids,
      long[] ts,
      long[] vs,
      int[] order,
      int[] from,
      long[] tickets,
      dev.osprey.tsdb.chunk.ChunkCodec codec,
      Applied a) {
    RuntimeException failed = null;
    boolean interrupted = false;
    for (int k = 0; k < STRIPES; k++) {
      if (from[k + 1] == from[k]) {
        continue;
      }
      Stripe st = stripes[k];
      synchronized (st) {
        while (st.done != tickets[k]) {
          try {
            st.wait();
          } catch (InterruptedException e) {
            interrupted = true; // the turn must still be taken: later tickets wait for it
          }
        }
        try {
          if (failed == null) {
            applyRun(ids, ts, vs, order, from[k], from[k + 1], codec, a);
          }
        } catch (RuntimeException e) {
          failed = e;
        } finally {
          st.done++;
          st.notifyAll();
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (failed != null) {
      throw failed;
    }
  }

  /** Applies the samples {@code order[from..to)} of a batch (one stripe's), in that order. */
  private void applyRun(
      int[] ids,
      long[] ts,
      long[] vs,
      int[] order,
      int from,
      int to,
      dev.osprey.tsdb.chunk.ChunkCodec c,
      Applied a) {
    long lo = a.lo;
    long hi = a.hi;
    int ok = 0;
    for (int j = from; j < to; j++) {
      int i = order[j];
      MemSeries s = byId(ids[i]);
      if (s == null) {
        throw new IllegalStateException("BUG: commit for unknown series " + ids[i]);
      }
      int r = s.append(ts[i], vs[i], oooWindow, arena, blockRange, c);
      if (accepted(r)) {
        ok++;
        lo = Math.min(lo, ts[i]);
        hi = Math.max(hi, ts[i]);
      }
    }
    a.lo = lo;
    a.hi = hi;
    a.ok += ok;
  }

  /** Waits, holding commitLock, until every batch logged so far is applied. */
  private void drainLocked() {
    boolean interrupted = false;
    synchronized (applyingLock) {
      while (applying > 0) {
        try {
          applyingLock.wait();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * {@link #commit} of a batch with native-histogram samples: floats and histograms are logged and
   * applied in the order they were appended (runs of each kind, one WAL record per run), so that a
   * series switching kind within a batch, and its replay, keep time order.
   */
  void commitWithHistograms(
      int[] ids,
      long[] ts,
      long[] vs,
      int n,
      int[] hIds,
      long[] hTs,
      FloatHistogram[] hHs,
      int[] hPos,
      int hN) {
    long pos = -1;
    long batchMin = Long.MAX_VALUE;
    Buf b = new Buf(256 + 64 * hN);
    synchronized (commitLock) {
      drainLocked(); // the float batches logged before this one are applied first
      int f = 0;
      int j = 0;
      while (f < n || j < hN) {
        int fTo = j < hN ? hPos[j] : n;
        if (fTo > f) {
          int len = fTo - f;
          int[] ri = Arrays.copyOfRange(ids, f, fTo);
          long[] rt = Arrays.copyOfRange(ts, f, fTo);
          long[] rv = Arrays.copyOfRange(vs, f, fTo);
          if (wal != null) {
            b.reset();
            WalRecords.encodeSamples(b, ri, rt, rv, len);
            wal.log(b.array(), b.length());
          }
          batchMin = Math.min(batchMin, applyLocked(ri, rt, rv, len));
          f = fTo;
        }
        int jTo = j;
        while (jTo < hN && hPos[jTo] == f) {
          jTo++;
        }
        if (jTo > j) {
          if (wal != null) {
            b.reset();
            WalRecords.encodeHistograms(b, hIds, hTs, hHs, j, jTo);
            wal.log(b.array(), b.length());
          }
          batchMin = Math.min(batchMin, applyHistogramsLocked(hIds, hTs, hHs, j, jTo));
          j = jTo;
        }
      }
      if (wal != null) {
        pos = wal.write();
      }
    }
    changes.committed(batchMin);
    if (pos >= 0 && wal.syncsEachCommit()) {
      wal.syncTo(pos);
    }
  }

  /** Applies histogram samples; returns the oldest accepted one's timestamp (MAX_VALUE: none). */
  private long applyHistogramsLocked(int[] ids, long[] ts, FloatHistogram[] hs, int from, int to) {
    long batchMin = Long.MAX_VALUE;
    long lo = minT;
    long hi = maxT;
    int ok = 0;
    for (int i = from; i < to; i++) {
      MemSeries s = byId(ids[i]);
      if (s == null) {
        throw new IllegalStateException("BUG: commit for unknown series " + ids[i]);
      }
      int c = s.appendHistogram(ts[i], hs[i], arena, blockRange, codec);
      if (accepted(c)) {
        ok++;
        batchMin = Math.min(batchMin, ts[i]);
        lo = Math.min(lo, ts[i]);
        hi = Math.max(hi, ts[i]);
      }
    }
    minT = lo;
    maxT = hi;
    appended.increment(ok);
    return batchMin;
  }

  /** Counts a rejection by its reason; true when {@code c} says the sample was appended. */
  private boolean accepted(int c) {
    switch (c) {
      case MemSeries.DUPLICATE -> rejectedDuplicate.increment();
      case MemSeries.OUT_OF_ORDER -> rejectedOutOfOrder.increment();
      default -> {}
    }
    return c == MemSeries.OK;
  }

  /** Applies float samples; returns the oldest accepted one's timestamp (MAX_VALUE: none). */
  private long applyLocked(int[] ids, long[] ts, long[] vs, int n) {
    long batchMin = Long.MAX_VALUE;
    long lo = minT;
    long hi = maxT;
    int ok = 0;
    for (int i = 0; i < n; i++) {
      MemSeries s = byId(ids[i]);
      if (s == null) {
        throw new IllegalStateException("BUG: commit for unknown series " + ids[i]);
      }
      int c = s.append(ts[i], vs[i], oooWindow, arena, blockRange, codec);
      if (accepted(c)) {
        ok++;
        batchMin = Math.min(batchMin, ts[i]);
        lo = Math.min(lo, ts[i]);
        hi = Math.max(hi, ts[i]);
      }
    }
    minT = lo;
    maxT = hi;
    appended.increment(ok);
    return batchMin;
  }

  /**
   * Writes the head's samples in {@code [mint, maxt)} into a block, series in label order, chunks
   * re-encoded at up to 120 samples (out-of-order data merged in).
   */
  public void writeBlock(dev.osprey.tsdb.block.BlockWriter w, long mint, long maxt)
      throws java.io.IOException {
    java.util.List<MemSeries> all = new java.util.ArrayList<>();
    org.roaringbitmap.IntIterator it = postings.all().getIntIterator();
    while (it.hasNext()) {
      MemSeries s = byId(it.next());
      if (s != null && s.overlaps(mint, maxt - 1)) {
        all.add(s);
      }
    }
    all.sort((a, b) -> a.labels.compareTo(b.labels));
    dev.osprey.tsdb.chunk.ChunkCodec c = new dev.osprey.tsdb.chunk.ChunkCodec();
    long[] ts = new long[MemSeries.SAMPLES_PER_CHUNK];
    long[] vs = new long[MemSeries.SAMPLES_PER_CHUNK];
    for (MemSeries s : all) {
      dev.osprey.core.storage.SampleIterator si = s.iterator(arena, mint, maxt - 1);
      if (s.hasHistograms()) {
        writeMixed(w, si, c);
        w.finishSeries(s.labels);
        continue;
      }
      int n;
      while ((n = c.encode(si, ts.length, ts, vs)) > 0) {
        w.addChunk(c.bytes(), 0, c.length(), ts[0], ts[n - 1], n);
      }
      w.finishSeries(s.labels);
    }
  }

  /**
   * Writes a series with histogram samples: runs of floats as float chunks, runs of histograms as
   * histogram chunks of up to {@link HistogramChunk}'s size, in time order.
   */
  private static void writeMixed(
      dev.osprey.tsdb.block.BlockWriter w,
      dev.osprey.core.storage.SampleIterator si,
      dev.osprey.tsdb.chunk.ChunkCodec c)
      throws java.io.IOException {
    long[] ts = new long[MemSeries.SAMPLES_PER_CHUNK];
    long[] vs = new long[MemSeries.SAMPLES_PER_CHUNK];
    int n = 0;
    HistogramChunk hc = new HistogramChunk();
    while (si.next()) {
      FloatHistogram h = si.histogram();
      if (h == null) {
        if (hc.count() > 0) {
          w.addChunk(hc.bytes(), 0, hc.length(), hc.firstT(), hc.lastT(), hc.count());
          hc.reset();
        }
        ts[n] = si.t();
        vs[n] = Double.doubleToRawLongBits(si.v());
        if (++n == ts.length) {
          c.encode(ts, vs, n);
          w.addChunk(c.bytes(), 0, c.length(), ts[0], ts[n - 1], n);
          n = 0;
        }
      } else {
        if (n > 0) {
          c.encode(ts, vs, n);
          w.addChunk(c.bytes(), 0, c.length(), ts[0], ts[n - 1], n);
          n = 0;
        }
        hc.append(si.t(), h);
        if (hc.count() == HistSeries.SAMPLES_PER_CHUNK) {
          w.addChunk(hc.bytes(), 0, hc.length(), hc.firstT(), hc.lastT(), hc.count());
          hc.reset();
        }
      }
    }
    if (n > 0) {
      c.encode(ts, vs, n);
      w.addChunk(c.bytes(), 0, c.length(), ts[0], ts[n - 1], n);
    }
    if (hc.count() > 0) {
      w.addChunk(hc.bytes(), 0, hc.length(), hc.firstT(), hc.lastT(), hc.count());
    }
  }

  /**
   * Forgets everything before {@code mint} (now in blocks): refuses samples older than it from now
   * on, drops old chunks, removes series left empty, releases arena pages. Returns series removed.
   */
  public int truncate(long mint) {
    synchronized (commitLock) {
      drainLocked();
      setMinValidTime(mint);
      org.roaringbitmap.RoaringBitmap gone = new org.roaringbitmap.RoaringBitmap();
      java.util.List<Labels> goneLabels = new java.util.ArrayList<>();
      org.roaringbitmap.IntIterator it = postings.all().getIntIterator();
      long lo = Long.MAX_VALUE;
      while (it.hasNext()) {
        int id = it.next();
        MemSeries s = byId(id);
        if (s == null) {
          continue;
        }
        if (s.truncateBefore(mint, arena)) {
          gone.add(id);
          goneLabels.add(s.labels);
          byLabels.remove(s);
          synchronized (byIdLock) {
            byId[id >>> PAGE_BITS][id & (PAGE - 1)] = null;
          }
        } else {
          lo = Math.min(lo, s.minT());
        }
      }
      postings.remove(gone, goneLabels);
      numSeries.addAndGet(-gone.getCardinality());
      arena.releaseBefore(mint);
      minT = lo;
      if (lo == Long.MAX_VALUE) {
        maxT = Math.max(maxT, mint - 1); // keep the bound: older samples stay refused
      }
      return gone.getCardinality();
    }
  }

  /**
   * Starts a new WAL segment with every commit so far applied; returns the number of the last
   * segment before it (a checkpoint written now covers it and all before).
   */
  public int cutWal() {
    synchronized (commitLock) {
      drainLocked(); // a checkpoint of the head then holds every record of the segments it covers
      return wal.cut() - 1;
    }
  }

  /** Writes every live series and its samples into {@code cp} (a checkpoint). */
  public void dumpTo(Wal cp) {
    Buf b = new Buf(1 << 16);
    int[] ids = new int[4096];
    long[] ts = new long[4096];
    long[] vs = new long[4096];
    forEachSeries(
        s -> {
          b.reset();
          WalRecords.encodeSeries(b, s.id, s.labels);
          cp.log(b.array(), b.length());
          dev.osprey.core.storage.SampleIterator it =
              s.iterator(arena, Long.MIN_VALUE, Long.MAX_VALUE);
          if (it.mayHaveHistograms()) {
            dumpMixed(cp, b, s.id, it);
            return;
          }
          int n = 0;
          while (true) {
            boolean more = it.next();
            if (more) {
              ids[n] = s.id;
              ts[n] = it.t();
              vs[n] = Double.doubleToRawLongBits(it.v());
              n++;
            }
            if (n == ids.length || (!more && n > 0)) {
              b.reset();
              WalRecords.encodeSamples(b, ids, ts, vs, n);
              cp.log(b.array(), b.length());
              n = 0;
            }
            if (!more) {
              break;
            }
          }
        });
    cp.flush();
  }

  /** Checkpoints a series with histogram samples: one record per run of each kind, in order. */
  private static void dumpMixed(Wal cp, Buf b, int id, dev.osprey.core.storage.SampleIterator it) {
    int cap = 1024;
    int[] ids = new int[cap];
    Arrays.fill(ids, id);
    long[] ts = new long[cap];
    long[] vs = new long[cap];
    FloatHistogram[] hs = new FloatHistogram[cap];
    int n = 0;
    boolean hist = false;
    while (true) {
      boolean more = it.next();
      FloatHistogram h = more ? it.histogram() : null;
      if (n > 0 && (!more || n == cap || (h != null) != hist)) {
        b.reset();
        if (hist) {
          WalRecords.encodeHistograms(b, ids, ts, hs, 0, n);
        } else {
          WalRecords.encodeSamples(b, ids, ts, vs, n);
        }
        cp.log(b.array(), b.length());
        n = 0;
      }
      if (!more) {
        return;
      }
      hist = h != null;
      ts[n] = it.t();
      hs[n] = h;
      vs[n] = h == null ? Double.doubleToRawLongBits(it.v()) : 0;
      n++;
    }
  }

  /**
   * Deletes the samples in {@code [mint, maxt]} of the series matching {@code matchers}, logging
   * the deletion to the WAL first. Returns the number of samples deleted.
   */
  public long deleteSeries(long mint, long maxt, dev.osprey.core.labels.LabelMatcher... matchers) {
    synchronized (commitLock) {
      drainLocked();
      org.roaringbitmap.RoaringBitmap ids = postings.select(matchers);
      int[] touched = new int[ids.getCardinality()];
      int n = 0;
      org.roaringbitmap.IntIterator it = ids.getIntIterator();
      while (it.hasNext()) {
        MemSeries s = byId(it.next());
        if (s != null && s.overlaps(mint, maxt)) {
          touched[n++] = s.id;
        }
      }
      if (n == 0) {
        return 0;
      }
      if (wal != null) {
        Buf b = new Buf(16 + 5 * n);
        WalRecords.encodeDeletes(b, touched, n, mint, maxt);
        wal.log(b.array(), b.length());
        wal.flush();
      }
      long deleted = 0;
      for (int i = 0; i < n; i++) {
        deleted += byId(touched[i]).deleteRange(mint, maxt, arena, blockRange);
      }
      return deleted;
    }
  }

  /**
   * Chunks in the head, float and histogram, in order and out of order (Prometheus's chunkCount).
   */
  public long chunkCount() {
    long[] n = {0};
    forEachSeries(s -> n[0] += s.chunkCount());
    return n[0];
  }

  /** Every live series' id and labels, for a WAL checkpoint. */
  void forEachSeries(java.util.function.Consumer<MemSeries> c) {
    org.roaringbitmap.IntIterator it = postings.all().getIntIterator();
    while (it.hasNext()) {
      MemSeries s = byId(it.next());
      if (s != null) {
        c.accept(s);
      }
    }
  }

  /** Frees the head's chunk memory; the head must not be used afterwards. */
  public void close() {
    arena.close();
  }

  /** Applies one WAL record during replay (before {@link #setWal}). */
  public void replay(byte[] payload, int len) {
    WalRecords.decode(payload, len, replayHandler);
  }

  private final WalRecords.Handler replayHandler =
      new WalRecords.Handler() {
        private final int[] id = new int[1];
        private final long[] t = new long[1];
        private final long[] v = new long[1];
        private final FloatHistogram[] hs = new FloatHistogram[1];

        @Override
        public void series(int sid, Labels labels) {
          if (byId(sid) == null) {
            MemSeries s = byLabels.getOrCreate(labels, l -> create(sid, l, false));
            if (s.id != sid) {
              // the series was removed by a truncation and created again under a new id, and the
              // process stopped before the checkpoint that drops the old id: both ids are the
              // same series from here on
              putAlias(sid, s);
            }
            if (sid >= nextId.get()) {
              nextId.set(sid + 1);
            }
          }
        }

        @Override
        public void delete(int sid, long mint, long maxt) {
          MemSeries s = byId(sid);
          if (s != null) {
            synchronized (commitLock) {
              s.deleteRange(mint, maxt, arena, blockRange);
            }
          }
        }

        /** False for a sample a block already holds; a sample of an unknown series is an error. */
        private boolean replayable(int sid, long ts) {
          if (byId(sid) == null) {
            throw new IllegalStateException("cannot replay WAL: sample for unknown series " + sid);
          }
          return ts >= minValidFloor; // older ones are already persisted in a block
        }

        @Override
        public void sample(int sid, long ts, long vBits) {
          if (!replayable(sid, ts)) {
            return;
          }
          id[0] = sid;
          t[0] = ts;
          v[0] = vBits;
          synchronized (commitLock) {
            applyLocked(id, t, v, 1);
          }
        }

        @Override
        public void histogram(int sid, long ts, FloatHistogram h) {
          if (!replayable(sid, ts)) {
            return;
          }
          id[0] = sid;
          t[0] = ts;
          hs[0] = h;
          synchronized (commitLock) {
            applyHistogramsLocked(id, t, hs, 0, 1);
          }
        }
      };
}
