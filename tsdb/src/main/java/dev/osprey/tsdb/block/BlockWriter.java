package dev.osprey.tsdb.block;

import dev.osprey.core.labels.Labels;
import dev.osprey.core.labels.Utf8Order;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.tsdb.chunk.ChunkCodec;
import dev.osprey.tsdb.chunk.DecimalIterator;
import dev.osprey.tsdb.chunk.XorIterator;
import dev.osprey.tsdb.wal.Buf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import org.roaringbitmap.RoaringBitmap;

/**
 * Writes one block (layout in {@code docs/format/block.md}) into a temporary directory and
 * publishes it by an atomic rename. Series must be added in label order; their chunks go to the
 * chunk files at once, labels and chunk metadata are kept until {@link #finish} writes the index.
 */
public final class BlockWriter implements AutoCloseable {
  public static final int CHUNKS_MAGIC = 0x4F535043; // "OSPC"
  public static final int INDEX_MAGIC = 0x4F535049; // "OSPI"
  public static final int FORMAT_VERSION = 1;

  /**
   * Chunk files: version 1 holds chunks of tags 1 and 2, version 2 also packed chunks (tag 3). The
   * reader reads both.
   */
  public static final int CHUNKS_FORMAT_VERSION = 2;

  /** Raw samples per chunk in blocks (the head cuts at 120; blocks re-chunk to this). */
  public static final int SAMPLES_PER_BLOCK_CHUNK = 480;

  public static final long MAX_CHUNK_FILE = 512L << 20;

  /**
   * In a downsampled block, the low bits of a chunk's count field hold its column
   * (docs/format/downsampled.md).
   */
  public static final int DOWNSAMPLED_COLUMN_BITS = 3;

  private final Path parent;
  private final String ulid;
  private final Path tmp;
  private final List<Labels> series = new ArrayList<>();
  private final List<long[]> metas = new ArrayList<>(); // per series: mint,maxt,count,ref * n
  private long[] cur = new long[16];
  private int curN;
  private FileChannel chunkFile;
  private int chunkFileNo;
  private long chunkFilePos;
  private final Buf buf = new Buf(1 << 16);
  private final CRC32C crc = new CRC32C();
  private long numSamples;
  private long numChunks;
  private long minT = Long.MAX_VALUE;
  private long maxT = Long.MIN_VALUE;
  private Labels last;
  private long resolution;
  private String downsampledFrom;

  /** Starts a block to be published as {@code parent/<ulid>}. */
  public BlockWriter(Path parent, long createdMillis) throws IOException {
    this.parent = parent;
    this.ulid = Ulid.next(createdMillis);
    this.tmp = parent.resolve(ulid + ".tmp");
    Files.createDirectories(tmp.resolve("chunks"));
  }

  public String ulid() {
    return ulid;
  }

  /** Marks the block as aggregates at {@code resolution} ms made from raw block {@code from}. */
  public BlockWriter downsampled(long resolution, String from) {
    this.resolution = resolution;
    this.downsampledFrom = from;
    return this;
  }

  private final ChunkCodec codec = new ChunkCodec();
  private final XorIterator xorIt = new XorIterator();
  private final DecimalIterator decIt = new DecimalIterator();
  private long[] pendT = new long[512];
  private long[] pendV = new long[512];
  private int pendN;

  /**
   * Adds one chunk of the current series (a tagged chunk as {@link ChunkCodec} writes it). In a raw
   * block the samples are gathered and written at {@link #finishSeries} in packed chunks of up to
   * {@link #SAMPLES_PER_BLOCK_CHUNK} samples; a downsampled block keeps the chunk as it is.
   */
  public void addChunk(byte[] b, int off, int len, long mint, long maxt, int count)
      throws IOException {
    if (resolution > 0) {
      writeChunk(b, off, len, mint, maxt, count);
      return;
    }
    if (len > 0 && b[off] == dev.osprey.tsdb.chunk.HistogramChunk.KIND) {
      // native histograms: written as they are, between the float chunks around them
      flushPending();
      writeChunk(b, off, len, mint, maxt, count);
      return;
    }
    if (len > 0 && b[off] == ChunkCodec.PACKED && count >= SAMPLES_PER_BLOCK_CHUNK / 2) {
      // Already in block form and not small: copied as is, so compacting full blocks stays a
      // copy (re-encoding costs about 100 ns per sample).
      flushPending();
      writeChunk(b, off, len, mint, maxt, count);
      return;
    }
    SampleIterator it = ChunkCodec.iterator(b, off, count, xorIt, decIt);
    if (pendN + count > pendT.length) {
      int cap = Math.max(pendN + count, pendT.length * 2);
      pendT = Arrays.copyOf(pendT, cap);
      pendV = Arrays.copyOf(pendV, cap);
    }
    int n = 0;
    while (n < count && it.next()) {
      long t = it.t();
      if (pendN > 0 && t <= pendT[pendN - 1]) {
        flushPending(); // overlapping chunks are kept apart, as they came
      }
      pendT[pendN] = t;
      pendV[pendN] = Double.doubleToRawLongBits(it.v());
      pendN++;
      n++;
    }
    if (n != count) {
      throw new IllegalStateException(
          "BUG: chunk said " + count + " samples but held " + n + " in block " + ulid);
    }
  }

  /** Writes the gathered samples of the current series in chunks of nearly equal size. */
  private void flushPending() throws IOException {
    int total = pendN;
    if (total == 0) {
      return;
    }
    int chunks = (total + SAMPLES_PER_BLOCK_CHUNK - 1) / SAMPLES_PER_BLOCK_CHUNK;
    int from = 0;
    for (int c = 0; c < chunks; c++) {
      int to = (int) ((long) total * (c + 1) / chunks);
      int n = to - from;
      long[] ts = codec.scratchT(n);
      long[] vs = codec.scratchV(n);
      System.arraycopy(pendT, from, ts, 0, n);
      System.arraycopy(pendV, from, vs, 0, n);
      codec.encodePacked(ts, vs, n);
      writeChunk(codec.bytes(), 0, codec.length(), ts[0], ts[n - 1], n);
      from = to;
    }
    pendN = 0;
  }

  private void writeChunk(byte[] b, int off, int len, long mint, long maxt, int count)
      throws IOException {
    if (chunkFile == null || chunkFilePos + len + 20 > MAX_CHUNK_FILE) {
      openChunkFile();
    }
    long ref = ((long) chunkFileNo << 32) | chunkFilePos;
    buf.reset();
    buf.putUvarint(len).putBytes(b, off, len);
    crc.reset();
    crc.update(b, off, len);
    buf.putInt((int) crc.getValue());
    writeFully(chunkFile, buf);
    chunkFilePos += buf.length();
    if (4 * curN + 4 > cur.length) {
      cur = java.util.Arrays.copyOf(cur, cur.length * 2);
    }
    cur[4 * curN] = mint;
    cur[4 * curN + 1] = maxt;
    cur[4 * curN + 2] = count;
    cur[4 * curN + 3] = ref;
    curN++;
    numSamples += resolution > 0 ? count >>> DOWNSAMPLED_COLUMN_BITS : count;
    numChunks++;
    minT = Math.min(minT, mint);
    maxT = Math.max(maxT, maxt);
  }

  /** Ends the current series, whose chunks were added since the last call. */
  public void finishSeries(Labels labels) throws IOException {
    flushPending();
    if (curN == 0) {
      return;
    }
    if (last != null && last.compareTo(labels) >= 0) {
      throw new IllegalStateException(
          "BUG: block series out of order: " + last + " then " + labels);
    }
    last = labels;
    series.add(labels);
    metas.add(java.util.Arrays.copyOf(cur, 4 * curN));
    curN = 0;
  }

  private void openChunkFile() throws IOException {
    if (chunkFile != null) {
      chunkFile.force(true);
      chunkFile.close();
    }
    chunkFileNo++;
    chunkFile =
        FileChannel.open(
            tmp.resolve("chunks").resolve(String.format("%06d", chunkFileNo)),
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE);
    buf.reset();
    buf.putInt(CHUNKS_MAGIC).putByte(CHUNKS_FORMAT_VERSION).putByte(0).putByte(0).putByte(0);
    writeFully(chunkFile, buf);
    chunkFilePos = buf.length();
  }

  private static void writeFully(FileChannel ch, Buf b) throws IOException {
    ByteBuffer bb = ByteBuffer.wrap(b.array(), 0, b.length());
    while (bb.hasRemaining()) {
      ch.write(bb);
    }
  }

  /**
   * Writes the index and meta.json and publishes the block. {@code mint}/{@code maxt} are the
   * block's range [mint, maxt); pass Long.MIN_VALUE to use the samples' own range.
   *
   * @return the block's directory, or null when no series was added (nothing is published)
   */
  public Path finish(long mint, long maxt, int level, List<String> sources) throws IOException {
    return finish(mint, maxt, level, sources, List.of());
  }

  /** As {@link #finish(long, long, int, List)}, recording the blocks this one replaces. */
  public Path finish(long mint, long maxt, int level, List<String> sources, List<String> parents)
      throws IOException {
    if (chunkFile != null) {
      chunkFile.force(true);
      chunkFile.close();
      chunkFile = null;
    }
    if (series.isEmpty()) {
      close();
      return null;
    }
    writeIndex();
    long lo = mint == Long.MIN_VALUE ? minT : mint;
    long hi = maxt == Long.MIN_VALUE ? maxT + 1 : maxt;
    new BlockMeta(
            ulid,
            lo,
            hi,
            new BlockMeta.Stats(numSamples, series.size(), numChunks),
            new BlockMeta.Compaction(level, sources.isEmpty() ? List.of(ulid) : sources, parents),
            BlockMeta.VERSION,
            resolution,
            downsampledFrom)
        .write(tmp);
    fsyncDir(tmp.resolve("chunks"));
    fsyncDir(tmp);
    Path dst = parent.resolve(ulid);
    Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE);
    fsyncDir(parent);
    return dst;
  }

  private void writeIndex() throws IOException {
    // symbols
    TreeMap<String, Integer> symbols = new TreeMap<>(Utf8Order::compare);
    for (Labels l : series) {
      for (int i = 0; i < l.size(); i++) {
        symbols.put(l.name(i), 0);
        symbols.put(l.value(i), 0);
      }
    }
    int k = 0;
    for (Map.Entry<String, Integer> e : symbols.entrySet()) {
      e.setValue(k++);
    }
    Buf out = new Buf(1 << 20);
    out.putInt(INDEX_MAGIC).putByte(FORMAT_VERSION).putByte(0).putByte(0).putByte(0);
    long symbolsOff = out.length();
    out.putInt(symbols.size());
    for (String s : symbols.keySet()) {
      out.putString(s);
    }
    crcSection(out, symbolsOff);

    // series
    long seriesOff = out.length();
    long[] seriesOffsets = new long[series.size()];
    Map<String, Map<String, RoaringBitmap>> postings = new HashMap<>();
    for (int i = 0; i < series.size(); i++) {
      seriesOffsets[i] = out.length();
      Labels l = series.get(i);
      out.putUvarint(l.size());
      for (int j = 0; j < l.size(); j++) {
        out.putUvarint(symbols.get(l.name(j))).putUvarint(symbols.get(l.value(j)));
        postings
            .computeIfAbsent(l.name(j), x -> new HashMap<>())
            .computeIfAbsent(l.value(j), x -> new RoaringBitmap())
            .add(i);
      }
      long[] m = metas.get(i);
      int n = m.length / 4;
      out.putUvarint(n);
      long prevMaxt = 0;
      long prevRef = 0;
      for (int c = 0; c < n; c++) {
        long mint = m[4 * c];
        long maxt = m[4 * c + 1];
        out.putVarint(c == 0 ? mint : mint - prevMaxt);
        out.putUvarint(maxt - mint);
        out.putUvarint(m[4 * c + 2]);
        out.putUvarint(m[4 * c + 3] - prevRef);
        prevMaxt = maxt;
        prevRef = m[4 * c + 3];
      }
    }
    crcSection(out, seriesOff);

    long seriesOffsetsOff = out.length();
    for (long o : seriesOffsets) {
      out.putLong(o);
    }
    crcSection(out, seriesOffsetsOff);

    // postings lists, then the table that finds them
    List<long[]> table = new ArrayList<>(); // nameSym, valueSym, offset, length
    long postingsOff = out.length();
    TreeMap<String, Map<String, RoaringBitmap>> sortedNames = new TreeMap<>(Utf8Order::compare);
    sortedNames.putAll(postings);
    for (Map.Entry<String, Map<String, RoaringBitmap>> e : sortedNames.entrySet()) {
      TreeMap<String, RoaringBitmap> values = new TreeMap<>(Utf8Order::compare);
      values.putAll(e.getValue());
      for (Map.Entry<String, RoaringBitmap> v : values.entrySet()) {
        RoaringBitmap b = v.getValue();
        b.runOptimize();
        byte[] bytes = new byte[b.serializedSizeInBytes()];
        b.serialize(ByteBuffer.wrap(bytes));
        table.add(
            new long[] {
              symbols.get(e.getKey()), symbols.get(v.getKey()), out.length(), bytes.length
            });
        out.putBytes(bytes, 0, bytes.length);
      }
    }
    crcSection(out, postingsOff);
    long tableOff = out.length();
    out.putInt(table.size());
    for (long[] t : table) {
      out.putUvarint(t[0]).putUvarint(t[1]).putUvarint(t[2]).putUvarint(t[3]);
    }
    crcSection(out, tableOff);

    long tocOff = out.length();
    out.putLong(symbolsOff)
        .putLong(seriesOff)
        .putLong(seriesOffsetsOff)
        .putLong(postingsOff)
        .putLong(tableOff)
        .putInt(series.size());
    crcSection(out, tocOff);
    try (FileChannel ch =
        FileChannel.open(
            tmp.resolve("index"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      writeFully(ch, out);
      ch.force(true);
    }
  }

  /** Appends the CRC32C of {@code out[from:]}. */
  private void crcSection(Buf out, long from) {
    crc.reset();
    crc.update(out.array(), (int) from, out.length() - (int) from);
    out.putInt((int) crc.getValue());
  }

  static void fsyncDir(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // not every file system can fsync a directory; the files themselves were fsynced
    }
  }

  /** Abandons an unfinished block, deleting its temporary directory. */
  @Override
  public void close() throws IOException {
    if (chunkFile != null) {
      chunkFile.close();
      chunkFile = null;
    }
    if (Files.exists(tmp)) {
      deleteTree(tmp);
    }
  }

  static void deleteTree(Path p) throws IOException {
    if (Files.isDirectory(p)) {
      try (var s = Files.list(p)) {
        for (Path c : (Iterable<Path>) s::iterator) {
          deleteTree(c);
        }
      }
    }
    Files.deleteIfExists(p);
  }
}
