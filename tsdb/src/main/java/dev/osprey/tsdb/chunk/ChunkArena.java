package dev.osprey.tsdb.chunk;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * Holds the bytes of closed head chunks off the Java heap, in 1 MiB direct buffers, so that the
 * heap holds only small per-series state however many samples the head keeps. Chunks are immutable
 * once put; a page is released as a whole when every chunk in it is older than the head's
 * truncation point, and kept in a pool for the chunks that come next (a head cut every two hours
 * releases about as many pages as the next two hours fill). Pages beyond the pool's bound are
 * dropped; their native memory goes with the buffer object at a garbage collection (the JDK also
 * collects when direct memory runs short). Readers copy the chunks they read into arrays of their
 * own, under the arena's lock, so releasing a page never changes what a running query reads.
 *
 * <p>(Java 21 has the foreign-memory API only as a preview; direct buffers do the same here.)
 *
 * <p>A chunk reference is {@code page << 42 | offset << 21 | length}.
 */
public final class ChunkArena implements AutoCloseable {
  public static final int PAGE_SIZE = 1 << 20;
  private static final int BITS = 21;
  private static final long MASK = (1L << BITS) - 1;
  private static final int MAX_PAGES = 1 << BITS; // the reference stays positive

  private ByteBuffer[] pages = new ByteBuffer[4];
  private final ArrayDeque<ByteBuffer> pool = new ArrayDeque<>();
  private long[] pageMaxT = new long[4];
  private int current = -1;
  private int offset = PAGE_SIZE;
  private long bytesUsed;
  private long bytesAllocated;
  private final SlotArena openChunks = new SlotArena();

  /** The slots of the head's open chunks (off the heap too); closed with this arena. */
  public SlotArena openChunks() {
    return openChunks;
  }

  /** Copies {@code len} bytes of {@code src} into the arena; returns the chunk reference. */
  public synchronized long put(byte[] src, int len, long maxT) {
    return put(src, len, maxT, len);
  }

  /** Puts {@code len} bytes of {@code src} in a space of {@code total} bytes. */
  private long put(byte[] src, int len, long maxT, int total) {
    if (total > PAGE_SIZE) {
      throw new IllegalStateException("BUG: chunk of " + len + " bytes is larger than a page");
    }
    if (offset + total > PAGE_SIZE) {
      current++;
      if (current == MAX_PAGES) {
        throw new IllegalStateException("cannot add a head chunk: " + MAX_PAGES + " pages in use");
      }
      if (current == pages.length) {
        pages = Arrays.copyOf(pages, pages.length * 2);
        pageMaxT = Arrays.copyOf(pageMaxT, pageMaxT.length * 2);
      }
      ByteBuffer reused = pool.pollFirst();
      pages[current] = reused != null ? reused : ByteBuffer.allocateDirect(PAGE_SIZE);
      pageMaxT[current] = Long.MIN_VALUE;
      offset = 0;
      bytesAllocated += PAGE_SIZE;
    }
    long ref = ((long) current << (2 * BITS)) | ((long) offset << BITS) | total;
    pages[current].put(offset, src, 0, len);
    offset += total;
    bytesUsed += total;
    pageMaxT[current] = Math.max(pageMaxT[current], maxT);
    return ref;
  }

  /** Bytes in front of a chunk put by {@link #putChunk}: its first and last time and its count. */
  public static final int HEADER = 17;

  /**
   * Puts a chunk behind a header of {@link #HEADER} bytes: {@code mint} and {@code maxt} (8 bytes
   * each, big-endian) and {@code count} (1 byte, 1-255), so that its owner keeps only the reference
   * on the heap. Read them with {@link #readHeader}, the chunk with {@link #copyChunk}.
   */
  public synchronized long putChunk(long mint, long maxt, int count, byte[] src, int len) {
    if (count < 1 || count > 255) {
      throw new IllegalStateException("BUG: a chunk of " + count + " samples in the head arena");
    }
    byte[] b = header;
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (mint >>> (56 - 8 * i));
      b[8 + i] = (byte) (maxt >>> (56 - 8 * i));
    }
    b[16] = (byte) count;
    long ref = put(b, HEADER, maxt, HEADER + len);
    pages[current].put(offset - len, src, 0, len);
    return ref;
  }

  private final byte[] header = new byte[HEADER];

  /** The header of chunk {@code ref} (put by {@link #putChunk}): {mint, maxt, count}. */
  public synchronized void readHeader(long ref, long[] out) {
    ByteBuffer p = page(ref);
    int at = (int) ((ref >>> BITS) & MASK);
    out[0] = p.getLong(at);
    out[1] = p.getLong(at + 8);
    out[2] = p.get(at + 16) & 0xff;
  }

  /** Copies the chunk (after its header) of {@code ref} into {@code dst}; returns the end. */
  public synchronized int copyChunk(long ref, byte[] dst, int at) {
    ByteBuffer p = page(ref);
    int len = length(ref) - HEADER;
    p.get((int) ((ref >>> BITS) & MASK) + HEADER, dst, at, len);
    return at + len;
  }

  private ByteBuffer page(long ref) {
    int page = (int) (ref >>> (2 * BITS));
    ByteBuffer p = page <= current ? pages[page] : null;
    if (p == null) {
      throw new IllegalStateException("BUG: chunk " + Long.toHexString(ref) + " was released");
    }
    return p;
  }

  /** The length in bytes of chunk {@code ref}. */
  public static int length(long ref) {
    return (int) (ref & MASK);
  }

  /** Copies chunk {@code ref} into {@code dst} at {@code at}; returns {@code at} + its length. */
  public synchronized int copy(long ref, byte[] dst, int at) {
    ByteBuffer p = page(ref);
    int len = length(ref);
    p.get((int) ((ref >>> BITS) & MASK), dst, at, len);
    return at + len;
  }

  /** Chunk {@code ref} in an array of its own (padded, so bit readers take their fast path). */
  public byte[] read(long ref) {
    byte[] b = new byte[length(ref) + 8];
    copy(ref, b, 0);
    return b;
  }

  /** Drops the full pages whose chunks all end before {@code t}. Returns bytes released. */
  public synchronized long releaseBefore(long t) {
    long released = 0;
    for (int i = 0; i < current; i++) {
      if (pages[i] != null && pageMaxT[i] < t) {
        free(i);
        released += PAGE_SIZE;
      }
    }
    return released;
  }

  private void free(int i) {
    // pooled up to as many pages as are in use: a head that shrank does not keep its peak
    pool.addFirst(pages[i]);
    pages[i] = null;
    bytesAllocated -= PAGE_SIZE;
    while (pool.size() > bytesAllocated / PAGE_SIZE) {
      pool.pollLast();
    }
  }

  /** Pages released and kept for reuse. */
  public synchronized int pooledPages() {
    return pool.size();
  }

  public synchronized long bytesUsed() {
    return bytesUsed;
  }

  /** Bytes of native pages held, used or not. */
  public synchronized long bytesAllocated() {
    return bytesAllocated;
  }

  /** Drops every page; chunks of this arena must not be read afterwards. */
  @Override
  public synchronized void close() {
    for (int i = 0; i <= current; i++) {
      if (pages[i] != null) {
        free(i);
      }
    }
    pool.clear();
    openChunks.close();
  }
}
