package dev.osprey.tsdb.chunk;

import java.util.Arrays;

/**
 * Holds the bytes of closed head chunks in large pages, so that millions of chunks cost a few
 * thousand arrays instead of millions. Chunks are immutable once put; a page is released as a whole
 * when every chunk in it is older than the head's truncation point. Readers keep a reference to the
 * page array they read, so releasing a page never invalidates a running query.
 *
 * <p>A chunk reference is {@code page << 32 | offset}.
 */
public final class ChunkArena {
  public static final int PAGE_SIZE = 1 << 20;

  private byte[][] pages = new byte[4][];
  private long[] pageMaxT = new long[4];
  private int current = -1;
  private int offset = PAGE_SIZE;
  private long bytesUsed;

  /** Copies {@code len} bytes of {@code src} into the arena; returns the chunk reference. */
  public synchronized long put(byte[] src, int len, long maxT) {
    if (len > PAGE_SIZE) {
      throw new IllegalStateException("BUG: chunk of " + len + " bytes is larger than a page");
    }
    if (offset + len > PAGE_SIZE) {
      current++;
      if (current == pages.length) {
        pages = Arrays.copyOf(pages, pages.length * 2);
        pageMaxT = Arrays.copyOf(pageMaxT, pageMaxT.length * 2);
      }
      pages[current] = new byte[PAGE_SIZE];
      pageMaxT[current] = Long.MIN_VALUE;
      offset = 0;
    }
    long ref = ((long) current << 32) | offset;
    System.arraycopy(src, 0, pages[current], offset, len);
    offset += len;
    bytesUsed += len;
    pageMaxT[current] = Math.max(pageMaxT[current], maxT);
    return ref;
  }

  /** The page holding chunk {@code ref}. */
  public synchronized byte[] page(long ref) {
    byte[] p = pages[(int) (ref >>> 32)];
    if (p == null) {
      throw new IllegalStateException("BUG: chunk " + Long.toHexString(ref) + " was released");
    }
    return p;
  }

  public static int offset(long ref) {
    return (int) ref;
  }

  /** Releases the full pages whose chunks all end before {@code t}. Returns bytes released. */
  public synchronized long releaseBefore(long t) {
    long released = 0;
    for (int i = 0; i < current; i++) {
      if (pages[i] != null && pageMaxT[i] < t) {
        pages[i] = null;
        released += PAGE_SIZE;
      }
    }
    return released;
  }

  public synchronized long bytesUsed() {
    return bytesUsed;
  }

  /** Bytes of pages held, used or not. */
  public synchronized long bytesAllocated() {
    long n = 0;
    for (int i = 0; i <= current; i++) {
      if (pages[i] != null) {
        n += PAGE_SIZE;
      }
    }
    return n;
  }
}
