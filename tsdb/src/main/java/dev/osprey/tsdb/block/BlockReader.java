package dev.osprey.tsdb.block;

import dev.osprey.core.labels.Labels;
import dev.osprey.core.labels.Utf8Order;
import dev.osprey.tsdb.index.PostingsSource;
import dev.osprey.tsdb.query.ChunkChainIterator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.roaringbitmap.RoaringBitmap;

/**
 * Reads a block through memory maps: the index (checksums of every section verified on open,
 * symbols and the postings table loaded, series and postings read from the map on demand) and the
 * chunk files (each chunk's checksum verified when it is read). Immutable and thread-safe.
 */
public final class BlockReader implements PostingsSource {
  private static final int TOC_SIZE = 5 * 8 + 4 + 4;

  private final Path dir;
  private final BlockMeta meta;
  private final ByteBuffer index;
  private final String[] symbols;

  /** Per label name (sorted): its values, sorted, and each value's postings (offset, length). */
  private final TreeMap<String, LabelValues> postingsTable = new TreeMap<>(Utf8Order::compare);

  private record LabelValues(List<String> sorted, Map<String, Postings> postings) {}

  /**
   * Where one label pair's postings lie in the index, and the bitmap once decoded: a query decodes
   * each postings list it reads at most once per block, not once per query (a regex or a {@code
   * __name__=~".+"} reads many), up to {@link #cacheBudget} bytes.
   */
  private static final class Postings {
    final int off;
    final int len;
    volatile RoaringBitmap decoded;

    Postings(long off, long len) {
      this.off = (int) off;
      this.len = (int) len;
    }
  }

  /** Object headers and arrays of a decoded bitmap beyond its serialized bytes, roughly. */
  private static final int DECODED_OVERHEAD = 96;

  /**
   * Bytes decoded postings may hold: the postings section's size plus {@link #DECODED_OVERHEAD} per
   * list, enough for every list once (about what the block's postings take decoded), charged as
   * lists are first read; past it a list is decoded per read.
   */
  private final long cacheBudget;

  private final AtomicLong cacheCharged = new AtomicLong();

  private final long seriesOffsetsOff;
  private final int numSeries;
  private final MappedByteBuffer[] chunkFiles;
  private final RoaringBitmap all;
  private final long sizeBytes;

  private BlockReader(Path dir) throws IOException {
    this.dir = dir;
    this.meta = BlockMeta.read(dir);
    long size = 0;
    try (FileChannel ch = FileChannel.open(dir.resolve("index"), StandardOpenOption.READ)) {
      index = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
      size += ch.size();
    }
    int len = index.limit();
    if (len < 8 + TOC_SIZE
        || index.getInt(0) != BlockWriter.INDEX_MAGIC
        || index.get(4) != BlockWriter.FORMAT_VERSION) {
      throw corrupt("index", "bad magic, version or size");
    }
    int toc = len - TOC_SIZE;
    checkCrc(toc, len - 4, "index TOC");
    long symbolsOff = index.getLong(toc);
    long seriesOff = index.getLong(toc + 8);
    seriesOffsetsOff = index.getLong(toc + 16);
    long postingsOff = index.getLong(toc + 24);
    long tableOff = index.getLong(toc + 32);
    numSeries = index.getInt(toc + 40);
    long[] bounds = {symbolsOff, seriesOff, seriesOffsetsOff, postingsOff, tableOff, toc};
    for (int i = 0; i + 1 < bounds.length; i++) {
      if (bounds[i] < 8 || bounds[i + 1] - 4 < bounds[i]) {
        throw corrupt("index", "bad section offsets");
      }
      checkCrc((int) bounds[i], (int) bounds[i + 1] - 4, "index section " + i);
    }
    int[] pos = {(int) symbolsOff};
    int n = index.getInt(pos[0]);
    pos[0] += 4;
    symbols = new String[n];
    for (int i = 0; i < n; i++) {
      symbols[i] = string(pos);
    }
    pos[0] = (int) tableOff;
    int entries = index.getInt(pos[0]);
    pos[0] += 4;
    TreeMap<String, TreeMap<String, Postings>> table = new TreeMap<>(Utf8Order::compare);
    for (int i = 0; i < entries; i++) {
      String name = symbols[(int) uvarint(pos)];
      String value = symbols[(int) uvarint(pos)];
      long off = uvarint(pos);
      long plen = uvarint(pos);
      table
          .computeIfAbsent(name, x -> new TreeMap<>(Utf8Order::compare))
          .put(value, new Postings(off, plen));
    }
    for (var e : table.entrySet()) {
      postingsTable.put(
          e.getKey(),
          new LabelValues(
              Collections.unmodifiableList(new ArrayList<>(e.getValue().keySet())),
              new HashMap<>(e.getValue())));
    }
    cacheBudget = tableOff - postingsOff + (long) DECODED_OVERHEAD * entries;
    all = new RoaringBitmap();
    if (numSeries > 0) {
      all.add(0L, numSeries);
    }
    List<Path> files = new ArrayList<>();
    try (var s = Files.list(dir.resolve("chunks"))) {
      s.sorted().forEach(files::add);
    }
    chunkFiles = new MappedByteBuffer[files.size() + 1];
    for (Path f : files) {
      int no = Integer.parseInt(f.getFileName().toString());
      if (no < 1 || no > files.size()) {
        throw corrupt("chunks", "unexpected chunk file " + f.getFileName());
      }
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
        MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
        if (ch.size() < 8
            || m.getInt(0) != BlockWriter.CHUNKS_MAGIC
            || m.get(4) < 1
            || m.get(4) > BlockWriter.CHUNKS_FORMAT_VERSION) {
          throw corrupt(
              "chunks", "bad magic or unknown version " + m.get(4) + " in " + f.getFileName());
        }
        chunkFiles[no] = m;
        size += ch.size();
      }
    }
    sizeBytes = size;
  }

  public static BlockReader open(Path dir) throws IOException {
    return new BlockReader(dir);
  }

  private IOException corrupt(String file, String why) {
    return new IOException("cannot read block " + dir + ": " + file + ": " + why);
  }

  private void checkCrc(int from, int to, String what) throws IOException {
    CRC32C c = new CRC32C();
    c.update(index.slice(from, to - from));
    if ((int) c.getValue() != index.getInt(to)) {
      throw corrupt("index", "checksum mismatch in " + what);
    }
  }

  private long uvarint(int[] pos) {
    long out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int b = index.get(pos[0]++) & 0xff;
      out |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return out;
      }
    }
    throw new IllegalStateException("BUG: varint overflow in block index " + dir);
  }

  private long varint(int[] pos) {
    long u = uvarint(pos);
    return (u >>> 1) ^ -(u & 1);
  }

  private String string(int[] pos) {
    int len = (int) uvarint(pos);
    byte[] b = new byte[len];
    index.get(pos[0], b);
    pos[0] += len;
    return new String(b, StandardCharsets.UTF_8);
  }

  public BlockMeta meta() {
    return meta;
  }

  public Path dir() {
    return dir;
  }

  public int numSeries() {
    return numSeries;
  }

  /** Bytes of the index and chunk files. */
  public long sizeBytes() {
    return sizeBytes;
  }

  /** Label names, sorted. */
  public List<String> labelNames() {
    return new ArrayList<>(postingsTable.keySet());
  }

  /** Sorted values of label {@code name} (unmodifiable; not a copy). */
  @Override
  public List<String> values(String name) {
    LabelValues v = postingsTable.get(name);
    return v == null ? List.of() : v.sorted();
  }

  /** {@inheritDoc} Decoded once and shared while the cache has room: never modify it. */
  @Override
  public RoaringBitmap postings(String name, String value) {
    LabelValues v = postingsTable.get(name);
    Postings e = v == null ? null : v.postings().get(value);
    if (e == null) {
      return null;
    }
    RoaringBitmap b = e.decoded;
    if (b != null) {
      return b;
    }
    b = new RoaringBitmap();
    try {
      b.deserialize(index.slice(e.off, e.len));
    } catch (IOException ex) {
      throw new IllegalStateException("cannot read postings in block " + dir + ": " + ex, ex);
    }
    long charge = e.len + DECODED_OVERHEAD;
    if (cacheCharged.addAndGet(charge) <= cacheBudget) {
      e.decoded = b; // two threads may both decode it; each charges, one bitmap stays
    } else {
      cacheCharged.addAndGet(-charge);
    }
    return b;
  }

  @Override
  public RoaringBitmap all() {
    return all;
  }

  /** A series entry: labels and chunk metadata (4 longs per chunk: mint, maxt, count, ref). */
  public record Series(Labels labels, long[] chunks) {}

  public Series series(int ordinal) {
    int[] pos = {(int) index.getLong((int) seriesOffsetsOff + 8 * ordinal)};
    int nl = (int) uvarint(pos);
    String[] nv = new String[nl * 2];
    for (int i = 0; i < nv.length; i++) {
      nv[i] = symbols[(int) uvarint(pos)];
    }
    int n = (int) uvarint(pos);
    long[] chunks = new long[4 * n];
    long prevMaxt = 0;
    long prevRef = 0;
    for (int c = 0; c < n; c++) {
      long mint = c == 0 ? varint(pos) : prevMaxt + varint(pos);
      long maxt = mint + uvarint(pos);
      long count = uvarint(pos);
      long ref = prevRef + uvarint(pos);
      chunks[4 * c] = mint;
      chunks[4 * c + 1] = maxt;
      chunks[4 * c + 2] = count;
      chunks[4 * c + 3] = ref;
      prevMaxt = maxt;
      prevRef = ref;
    }
    return new Series(Labels.ofSortedUnsafe(nv), chunks);
  }

  /** The bytes of the chunk at {@code ref}, checksum verified. */
  public byte[] chunk(long ref) {
    ByteBuffer m = chunkFile(ref);
    long ls = lengthAndStart(m, (int) ref);
    int len = (int) (ls >>> 32);
    int p = (int) ls;
    byte[] out = new byte[len];
    m.get(p, out);
    checkChunk(ref, m, p, out, 0, len);
    return out;
  }

  /**
   * Appends the chunk at {@code ref} (checksum verified) to a reusable chain iterator, with its
   * sample count and last timestamp: the bytes are copied into the iterator's own buffer.
   */
  public void copyChunk(long ref, ChunkChainIterator into, int count, long maxT) {
    ByteBuffer m = chunkFile(ref);
    long ls = lengthAndStart(m, (int) ref);
    int len = (int) (ls >>> 32);
    int p = (int) ls;
    byte[] dst = into.reserve(len);
    int off = into.reservedOffset();
    m.get(p, dst, off, len);
    checkChunk(ref, m, p, dst, off, len);
    into.add(len, count, maxT);
  }

  private ByteBuffer chunkFile(long ref) {
    int file = (int) (ref >>> 32);
    if (file <= 0 || file >= chunkFiles.length || chunkFiles[file] == null) {
      throw new IllegalStateException("cannot read chunk " + Long.toHexString(ref) + " in " + dir);
    }
    return chunkFiles[file];
  }

  /** The chunk's length (high half) and where its bytes start (low half). */
  private static long lengthAndStart(ByteBuffer m, int p) {
    int len = 0;
    int shift = 0;
    while (true) {
      int b = m.get(p++) & 0xff;
      len |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return ((long) len << 32) | (p & 0xFFFFFFFFL);
      }
      shift += 7;
    }
  }

  private void checkChunk(long ref, ByteBuffer m, int p, byte[] b, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(b, off, len);
    if ((int) c.getValue() != m.getInt(p + len)) {
      throw new IllegalStateException(
          "cannot read chunk " + Long.toHexString(ref) + " in " + dir + ": checksum mismatch");
    }
  }
}
