package dev.osprey.tsdb.head;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.tsdb.chunk.ChunkArena;
import dev.osprey.tsdb.chunk.ChunkCodec;
import dev.osprey.tsdb.chunk.DecimalIterator;
import dev.osprey.tsdb.chunk.OpenXorChunk;
import dev.osprey.tsdb.chunk.SlotArena;
import dev.osprey.tsdb.chunk.XorIterator;
import dev.osprey.tsdb.query.ChunkChainIterator;
import dev.osprey.tsdb.query.MergeIterator;
import java.util.Arrays;

/**
 * One series in the head: its labels, the metadata of its closed chunks (bytes in the {@link
 * ChunkArena}), its open chunk (the encoder's state inherited from {@link OpenXorChunk}, the bytes
 * in the arena's {@link SlotArena}), and a small sorted buffer of out-of-order samples. One object
 * per series, none per sample. Every method is synchronized on the series, so a reader copies a
 * consistent prefix of the open chunk.
 *
 * <p>The inherited {@code lastT} is the time of the last in-order float sample and {@code lastV}
 * its value bits.
 */
final class MemSeries extends OpenXorChunk {
  static final int SAMPLES_PER_CHUNK = 120;
  static final int OOO_CAPACITY = 32;

  /** Outcome of {@link #check} and {@link #append}. */
  static final int OK = 0;

  static final int DUPLICATE_IGNORED = 1;
  static final int DUPLICATE = 2;
  static final int OUT_OF_ORDER = 3;

  final int id;
  final Labels labels;
  MemSeries nextSameHash; // collision chain, guarded by the hash map's stripe
  private int pendingCommits; // appenders holding samples for this series: not collectable
  volatile boolean dead; // removed from the head by truncation; never revived

  private boolean hasOpen; // holds in-order float samples (the open chunk may be empty)
  // the arena references of the closed chunks, in time order (their mint, maxt and count are in
  // the arena, in front of each chunk); 4 longs per out-of-order chunk: ref, mint, maxt, count
  private long[] chunks = EMPTY;
  private int nChunks;
  // the out-of-order chunks and buffer: NO_OOO (shared, never written) until the series gets
  // out-of-order samples, so that a series without them carries one reference instead of five
  // fields (16 bytes less per series)
  private Ooo ooo = NO_OOO;
  private long minT = Long.MAX_VALUE;
  private HistSeries hist; // native-histogram samples; null while the series has none

  private static final long[] EMPTY = new long[0];

  /** Out-of-order state: 4 longs per chunk (ref, mint, maxt, count) and the unsorted buffer. */
  private static final class Ooo {
    long[] chunks = EMPTY;
    int nChunks;
    long[] t;
    long[] v;
    int n;
  }

  private static final Ooo NO_OOO = new Ooo();

  MemSeries(int id, Labels labels) {
    this.id = id;
    this.labels = labels;
  }

  synchronized long maxT() {
    return lastT;
  }

  synchronized long minT() {
    return minT;
  }

  /** Whether a sample could be appended, without appending it. */
  synchronized int check(long t, long vBits, long oooWindow, ChunkArena arena) {
    return checkLocked(t, vBits, oooWindow, arena);
  }

  /**
   * The appender's usual case in one lock: a float sample after everything the series holds, on a
   * live series. Counts the pending commit and returns true then; returns false and changes nothing
   * otherwise (the caller then checks the sample fully).
   */
  synchronized boolean addPendingIfNewest(long t) {
    if (dead || (hist != null && t <= hist.maxT()) || (hasOpen && t <= lastT)) {
      return false;
    }
    pendingCommits++;
    return true;
  }

  private int checkLocked(long t, long vBits, long oooWindow, ChunkArena arena) {
    if (hist != null && t <= hist.maxT()) {
      return t == hist.maxT() ? DUPLICATE : OUT_OF_ORDER; // a histogram sample is there or later
    }
    if (!hasOpen || t > lastT) {
      return OK;
    }
    if (t == lastT) {
      return vBits == lastV ? DUPLICATE_IGNORED : DUPLICATE;
    }
    if (oooWindow > 0 && t >= lastT - oooWindow) {
      return checkOutOfOrder(t, vBits, arena);
    }
    return OUT_OF_ORDER;
  }

  /** {@link #checkLocked} for a sample inside the out-of-order window, a method of its own. */
  private int checkOutOfOrder(long t, long vBits, ChunkArena arena) {
    int i = oooIndex(t);
    if (i >= 0) {
      return ooo.v[i] == vBits ? DUPLICATE_IGNORED : DUPLICATE;
    }
    for (int k = 0; k < ooo.nChunks; k++) {
      if (ooo.chunks[4 * k + 1] <= t && t <= ooo.chunks[4 * k + 2]) {
        long ref = ooo.chunks[4 * k];
        SampleIterator it =
            ChunkCodec.iterator(
                arena.read(ref),
                0,
                (int) ooo.chunks[4 * k + 3],
                new XorIterator(),
                new DecimalIterator());
        if (it.seek(t) && it.t() == t) {
          return Double.doubleToRawLongBits(it.v()) == vBits ? DUPLICATE_IGNORED : DUPLICATE;
        }
      }
    }
    return OK;
  }

  /** Appends a sample, checking it again; returns {@link #OK} or why it was not appended. */
  synchronized int append(
      long t, long vBits, long oooWindow, ChunkArena arena, long blockRange, ChunkCodec codec) {
    int c = checkLocked(t, vBits, oooWindow, arena);
    if (c != OK) {
      return c;
    }
    if (hasOpen && t < lastT) {
      insertOoo(t, vBits, arena, codec);
      minT = Math.min(minT, t);
      return OK;
    }
    if (hist != null) {
      hist.cut(); // chunks of the two kinds never overlap in time
    }
    hasOpen = true;
    int n = openCount();
    // cut at 120 samples, and where the chunk's block ends (from its first sample's time)
    if (n >= SAMPLES_PER_CHUNK
        || n > 0 && t >= Math.floorDiv(openFirstT(), blockRange) * blockRange + blockRange) {
      cut(arena, codec);
    }
    appendOpen(arena.openChunks(), t, vBits); // sets lastT and lastV
    minT = Math.min(minT, t);
    return OK;
  }

  private void cut(ChunkArena arena, ChunkCodec codec) {
    // the open chunk is Gorilla (appendable); closed chunks take the smaller encoding
    int n = openCount();
    byte[] b = codec.scratchBytes(openByteLength() + 8); // padded for the bit reader
    copyOpen(arena.openChunks(), b, 0);
    XorIterator it = new XorIterator().reset(b, 0, n);
    long[] ts = codec.scratchT(n);
    long[] vs = codec.scratchV(n);
    for (int i = 0; it.next(); i++) {
      ts[i] = it.t();
      vs[i] = it.vBits();
    }
    codec.encode(ts, vs, n);
    long ref = arena.putChunk(openFirstT(), lastT, n, codec.bytes(), codec.length());
    if (nChunks == chunks.length) {
      chunks = Arrays.copyOf(chunks, nChunks + 2); // a head holds a few chunks per series
    }
    chunks[nChunks++] = ref;
    // the slot goes back to the arena: the next chunk starts in a small one, so the off-heap
    // memory of open chunks follows what they hold (no garbage: slots are reused)
    resetOpen(arena.openChunks());
  }

  private static long[] addChunk(long[] a, int i, long ref, long mint, long maxt, int count) {
    if (4 * i + 4 > a.length) {
      // room for this chunk and the next: a head holds a few chunks per series, so doubling
      // would leave up to half the array empty on every series
      a = Arrays.copyOf(a, 4 * i + 8);
    }
    a[4 * i] = ref;
    a[4 * i + 1] = mint;
    a[4 * i + 2] = maxt;
    a[4 * i + 3] = count;
    return a;
  }

  private int oooIndex(long t) {
    if (ooo.n == 0) {
      return -1;
    }
    return Arrays.binarySearch(ooo.t, 0, ooo.n, t);
  }

  private void insertOoo(long t, long vBits, ChunkArena arena, ChunkCodec codec) {
    if (ooo == NO_OOO) {
      ooo = new Ooo();
    }
    if (ooo.t == null) {
      ooo.t = new long[OOO_CAPACITY];
      ooo.v = new long[OOO_CAPACITY];
    }
    int i = -(Arrays.binarySearch(ooo.t, 0, ooo.n, t) + 1);
    System.arraycopy(ooo.t, i, ooo.t, i + 1, ooo.n - i);
    System.arraycopy(ooo.v, i, ooo.v, i + 1, ooo.n - i);
    ooo.t[i] = t;
    ooo.v[i] = vBits;
    ooo.n++;
    if (ooo.n == OOO_CAPACITY) {
      codec.encode(ooo.t, ooo.v, ooo.n);
      long ref = arena.put(codec.bytes(), codec.length(), ooo.t[ooo.n - 1]);
      ooo.chunks = addChunk(ooo.chunks, ooo.nChunks++, ref, ooo.t[0], ooo.t[ooo.n - 1], ooo.n);
      ooo.n = 0;
    }
  }

  /** Whether a histogram sample could be appended, without appending it. */
  synchronized int checkHistogram(long t, FloatHistogram h) {
    if (hasOpen && t <= lastT) {
      return t == lastT ? DUPLICATE : OUT_OF_ORDER; // a float sample is there or later
    }
    return hist == null ? OK : hist.check(t, h);
  }

  /** Appends a histogram sample, checking it again; returns {@link #OK} or why not. */
  synchronized int appendHistogram(
      long t, FloatHistogram h, ChunkArena arena, long blockRange, ChunkCodec codec) {
    int c = checkHistogram(t, h);
    if (c != OK) {
      return c;
    }
    if (hasOpen && openCount() > 0) {
      cut(arena, codec); // chunks of the two kinds never overlap in time
    }
    if (hist == null) {
      hist = new HistSeries();
    }
    hist.append(t, h, blockRange);
    minT = Math.min(minT, t);
    return OK;
  }

  /** Whether the series holds (or held) native-histogram samples. */
  synchronized boolean hasHistograms() {
    return hist != null;
  }

  /** Whether any sample may lie in {@code [mint, maxt]} (by time range only). */
  synchronized boolean overlaps(long mint, long maxt) {
    if (hist != null) {
      return minT <= maxt && Math.max(lastT, Math.max(hist.maxT(), oooMaxT())) >= mint;
    }
    if (!hasOpen) {
      return false;
    }
    long hi = lastT;
    if (ooo.n > 0) {
      hi = Math.max(hi, ooo.t[ooo.n - 1]);
    }
    return minT <= maxt && hi >= mint;
  }

  /**
   * A consistent view of the samples in {@code [mint, maxt]}: closed chunks are shared (they are
   * immutable), the open chunk and the out-of-order buffer are copied.
   */
  synchronized SampleIterator iterator(ChunkArena arena, long mint, long maxt) {
    if (hist != null) {
      return mixedIterator(arena, mint, maxt);
    }
    if (!hasOpen) {
      return EmptyIterator.INSTANCE;
    }
    int total = nChunks + (openCount() > 0 ? 1 : 0);
    byte[][] pages = new byte[total][];
    int[] offsets = new int[total];
    int[] counts = new int[total];
    long[] ends = new long[total];
    // the closed chunks overlapping the range are copied out of the arena into one array
    long[] h = new long[3];
    int bytes = 8; // padding: bit readers read 8 bytes at a time
    int k = 0;
    for (int i = 0; i < nChunks; i++) {
      arena.readHeader(chunks[i], h);
      if (h[1] >= mint && h[0] <= maxt) {
        bytes += ChunkArena.length(chunks[i]) - ChunkArena.HEADER;
        counts[k] = (int) h[2];
        ends[k] = h[1];
        offsets[k] = i; // for now: which chunk
        k++;
      }
    }
    byte[] copy = bytes > 8 ? new byte[bytes] : null;
    int at = 0;
    for (int j = 0; j < k; j++) {
      int i = offsets[j];
      pages[j] = copy;
      offsets[j] = at;
      at = arena.copyChunk(chunks[i], copy, at);
    }
    if (openCount() > 0 && openFirstT() <= maxt && lastT >= mint) {
      pages[k] = openCopy(arena);
      offsets[k] = 0;
      counts[k] = openCount();
      ends[k] = lastT;
      k++;
    }
    SampleIterator inOrder = new ChunkChainIterator(pages, offsets, counts, ends, k, mint, maxt);
    if (ooo.n == 0 && ooo.nChunks == 0) {
      return inOrder;
    }
    return withOutOfOrder(inOrder, arena, mint, maxt);
  }

  /** The in-order samples merged with the out-of-order chunks and buffer that overlap the range. */
  private SampleIterator withOutOfOrder(
      SampleIterator inOrder, ChunkArena arena, long mint, long maxt) {
    SampleIterator[] parts = new SampleIterator[2 + ooo.nChunks];
    int p = 0;
    parts[p++] = inOrder;
    for (int i = 0; i < ooo.nChunks; i++) {
      if (ooo.chunks[4 * i + 2] < mint || ooo.chunks[4 * i + 1] > maxt) {
        continue;
      }
      long ref = ooo.chunks[4 * i];
      parts[p++] =
          new ChunkChainIterator(
              new byte[][] {arena.read(ref)},
              new int[] {0},
              new int[] {(int) ooo.chunks[4 * i + 3]},
              new long[] {ooo.chunks[4 * i + 2]},
              1,
              mint,
              maxt);
    }
    if (ooo.n > 0) {
      parts[p++] =
          new ArrayIterator(
              Arrays.copyOf(ooo.t, ooo.n), Arrays.copyOf(ooo.v, ooo.n), ooo.n, mint, maxt);
    }
    return new MergeIterator(Arrays.copyOf(parts, p));
  }

  /** Counts an appender holding samples (+1) or done (-1); false when the series is dead. */
  synchronized boolean addPending(int d) {
    if (d > 0 && dead) {
      return false;
    }
    pendingCommits += d;
    return true;
  }

  /** The open chunk as a chunk of its own: the encoding tag, its bytes, 8 bytes of padding. */
  private byte[] openCopy(ChunkArena arena) {
    byte[] o = new byte[openByteLength() + 1 + 8];
    o[0] = ChunkCodec.XOR;
    copyOpen(arena.openChunks(), o, 1);
    return o;
  }

  /**
   * Drops every chunk and out-of-order sample older than {@code mint} (they are in a block now).
   * Returns true when the series holds nothing anymore and no appender holds samples for it, so it
   * can be removed from the head.
   */
  synchronized boolean truncateBefore(long mint, ChunkArena arena) {
    if (hist == null) {
      return truncateFloatsBefore(mint, arena);
    }
    boolean histEmpty = hist.truncateBefore(mint);
    boolean floatsEmpty = truncateFloatsBefore(mint, arena);
    if (!histEmpty) {
      dead = false;
      long floatMin = !hasOpen ? Long.MAX_VALUE : minT; // minT is stale with no floats left
      minT = Math.min(floatMin, Math.max(hist.minT(), mint));
      return false;
    }
    return floatsEmpty;
  }

  private boolean truncateFloatsBefore(long mint, ChunkArena arena) {
    if (!hasOpen) {
      dead = pendingCommits == 0;
      return dead;
    }
    long[] h = new long[3];
    int drop = 0; // in-order chunks: those left are the newest
    while (drop < nChunks) {
      arena.readHeader(chunks[drop], h);
      if (h[1] >= mint) {
        break;
      }
      drop++;
    }
    System.arraycopy(chunks, drop, chunks, 0, nChunks - drop);
    nChunks -= drop;
    if (ooo.nChunks > 0) {
      ooo.nChunks = dropBefore(ooo.chunks, ooo.nChunks, mint);
    }
    if (ooo.n > 0) {
      int from = 0;
      while (from < ooo.n && ooo.t[from] < mint) {
        from++;
      }
      System.arraycopy(ooo.t, from, ooo.t, 0, ooo.n - from);
      System.arraycopy(ooo.v, from, ooo.v, 0, ooo.n - from);
      ooo.n -= from;
    }
    boolean openOld = openCount() == 0 || lastT < mint;
    if (openOld && nChunks == 0 && ooo.nChunks == 0 && ooo.n == 0) {
      resetOpen(arena.openChunks());
      hasOpen = false;
      minT = Long.MAX_VALUE;
      dead = pendingCommits == 0;
      return dead;
    }
    long lo = Long.MAX_VALUE;
    if (nChunks > 0) {
      arena.readHeader(chunks[0], h);
      lo = h[0];
    } else if (openCount() > 0) {
      lo = openFirstT();
    }
    if (ooo.nChunks > 0) {
      for (int i = 0; i < ooo.nChunks; i++) {
        lo = Math.min(lo, ooo.chunks[4 * i + 1]);
      }
    }
    if (ooo.n > 0) {
      lo = Math.min(lo, ooo.t[0]);
    }
    minT = Math.max(lo, mint); // older samples left in a chunk are in a block too
    return false;
  }

  /** Keeps the out-of-order chunks of {@code a} that end at or after {@code mint}; their count. */
  private static int dropBefore(long[] a, int n, long mint) {
    int keep = 0;
    for (int i = 0; i < n; i++) {
      if (a[4 * i + 2] >= mint) {
        System.arraycopy(a, 4 * i, a, 4 * keep, 4);
        keep++;
      }
    }
    return keep;
  }

  /**
   * Deletes the samples in {@code [mint, maxt]}, re-encoding what is left (new chunks go to the
   * arena; the old ones are released with their pages). Returns the number of samples deleted.
   */
  synchronized int deleteRange(long mint, long maxt, ChunkArena arena, long blockRange) {
    if (hist != null) {
      return deleteRangeMixed(mint, maxt, arena, blockRange);
    }
    if (!hasOpen) {
      return 0;
    }
    long[] t = new long[64];
    long[] v = new long[64];
    int n = 0;
    int deleted = 0;
    SampleIterator it = iterator(arena, Long.MIN_VALUE, Long.MAX_VALUE);
    while (it.next()) {
      if (it.t() >= mint && it.t() <= maxt) {
        deleted++;
        continue;
      }
      if (n == t.length) {
        t = Arrays.copyOf(t, n * 2);
        v = Arrays.copyOf(v, n * 2);
      }
      t[n] = it.t();
      v[n] = Double.doubleToRawLongBits(it.v());
      n++;
    }
    if (deleted == 0) {
      return 0;
    }
    chunks = EMPTY;
    nChunks = 0;
    ooo = NO_OOO;
    resetOpen(arena.openChunks());
    hasOpen = false;
    minT = Long.MAX_VALUE;
    lastT = Long.MIN_VALUE;
    ChunkCodec codec = new ChunkCodec();
    for (int i = 0; i < n; i++) {
      append(t[i], v[i], 0, arena, blockRange, codec);
    }
    return deleted;
  }

  /** Samples held, for statistics. */
  synchronized long sampleCount(ChunkArena arena) {
    long n = openCount();
    if (hist != null) {
      n += hist.sampleCount();
    }
    long[] h = new long[3];
    for (int i = 0; i < nChunks; i++) {
      arena.readHeader(chunks[i], h);
      n += h[2];
    }
    for (int i = 0; i < ooo.nChunks; i++) {
      n += ooo.chunks[4 * i + 3];
    }
    return n + ooo.n;
  }

  /**
   * Chunks held, for statistics: closed and open in-order chunks, out-of-order chunks and the
   * out-of-order buffer, and the histogram chunks.
   */
  synchronized int chunkCount() {
    int n = nChunks + ooo.nChunks + (openCount() > 0 ? 1 : 0) + (ooo.n > 0 ? 1 : 0);
    return hist == null ? n : n + hist.chunkCount();
  }

  private long oooMaxT() {
    return ooo.n > 0 ? ooo.t[ooo.n - 1] : Long.MIN_VALUE;
  }

  /**
   * The iterator of a series with histogram samples: its float and histogram chunks in one chain in
   * time order (they never overlap: a sample of the other kind closes the open chunk), merged with
   * the out-of-order floats.
   */
  private SampleIterator mixedIterator(ChunkArena arena, long mint, long maxt) {
    java.util.List<long[]> order = new java.util.ArrayList<>(); // mint, maxt, count, index
    java.util.List<byte[]> bytes = new java.util.ArrayList<>();
    long[] h = new long[3];
    for (int i = 0; i < nChunks; i++) {
      arena.readHeader(chunks[i], h);
      if (h[1] >= mint && h[0] <= maxt) {
        byte[] b = new byte[ChunkArena.length(chunks[i]) - ChunkArena.HEADER + 8];
        arena.copyChunk(chunks[i], b, 0);
        order.add(new long[] {h[0], h[1], h[2], bytes.size()});
        bytes.add(b);
      }
    }
    if (hasOpen && openCount() > 0 && openFirstT() <= maxt && lastT >= mint) {
      order.add(new long[] {openFirstT(), lastT, openCount(), bytes.size()});
      bytes.add(openCopy(arena));
    }
    hist.forEachChunk(
        mint,
        maxt,
        (b, cmin, cmax, count) -> {
          order.add(new long[] {cmin, cmax, count, bytes.size()});
          bytes.add(b);
        });
    order.sort((a, b) -> Long.compare(a[0], b[0]));
    int k = order.size();
    byte[][] pages = new byte[k][];
    int[] offsets = new int[k];
    int[] counts = new int[k];
    long[] ends = new long[k];
    for (int i = 0; i < k; i++) {
      long[] o = order.get(i);
      pages[i] = bytes.get((int) o[3]);
      counts[i] = (int) o[2];
      ends[i] = o[1];
    }
    SampleIterator inOrder = new ChunkChainIterator(pages, offsets, counts, ends, k, mint, maxt);
    if (ooo.n == 0 && ooo.nChunks == 0) {
      return inOrder;
    }
    return withOutOfOrder(inOrder, arena, mint, maxt);
  }

  /** {@link #deleteRange} of a series with histogram samples: rebuilt from what is left. */
  private int deleteRangeMixed(long mint, long maxt, ChunkArena arena, long blockRange) {
    java.util.List<Object[]> keep = new java.util.ArrayList<>();
    int deleted = 0;
    SampleIterator it = mixedIterator(arena, Long.MIN_VALUE, Long.MAX_VALUE);
    while (it.next()) {
      if (it.t() >= mint && it.t() <= maxt) {
        deleted++;
        continue;
      }
      FloatHistogram h = it.histogram();
      keep.add(new Object[] {it.t(), h != null ? h : (Object) Double.doubleToRawLongBits(it.v())});
    }
    if (deleted == 0) {
      return 0;
    }
    chunks = EMPTY;
    nChunks = 0;
    ooo = NO_OOO;
    resetOpen(arena.openChunks());
    hasOpen = false;
    hist.clear();
    minT = Long.MAX_VALUE;
    lastT = Long.MIN_VALUE;
    ChunkCodec codec = new ChunkCodec();
    for (Object[] o : keep) {
      long t = (Long) o[0];
      if (o[1] instanceof FloatHistogram h) {
        appendHistogram(t, h, arena, blockRange, codec);
      } else {
        append(t, (Long) o[1], 0, arena, blockRange, codec);
      }
    }
    return deleted;
  }

  /** An iterator over parallel arrays of timestamps and value bits. */
  static final class ArrayIterator implements SampleIterator {
    private final long[] t;
    private final long[] v;
    private final int n;
    private int i = -1;

    ArrayIterator(long[] t, long[] v, int n, long mint, long maxt) {
      int from = 0;
      while (from < n && t[from] < mint) {
        from++;
      }
      int to = from;
      while (to < n && t[to] <= maxt) {
        to++;
      }
      this.t = Arrays.copyOfRange(t, from, to);
      this.v = Arrays.copyOfRange(v, from, to);
      this.n = to - from;
    }

    @Override
    public boolean next() {
      if (i < n) {
        i++;
      }
      return i < n;
    }

    @Override
    public boolean seek(long ts) {
      if (i < 0) {
        i = 0;
      }
      while (i < n && t[i] < ts) {
        i++;
      }
      return i < n;
    }

    @Override
    public long t() {
      return t[i];
    }

    @Override
    public double v() {
      return Double.longBitsToDouble(v[i]);
    }
  }

  /** No samples. */
  static final class EmptyIterator implements SampleIterator {
    static final EmptyIterator INSTANCE = new EmptyIterator();

    @Override
    public boolean next() {
      return false;
    }

    @Override
    public boolean seek(long t) {
      return false;
    }

    @Override
    public long t() {
      throw new IllegalStateException("BUG: t() on an empty iterator");
    }

    @Override
    public double v() {
      throw new IllegalStateException("BUG: v() on an empty iterator");
    }
  }
}
