package dev.osprey.tsdb.chunk;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * Off-heap slots for the head's open chunks: each series writes its open chunk into one slot, which
 * grows by moving to a slot of the next size class (32 to 4096 bytes, steps of about 1.5x) and is
 * given back when the chunk is closed. Slots live in 1 MiB direct buffers, each page holding slots
 * of one class; a freed slot is reused by the next allocation of its class, and a page whose slots
 * are all free goes back to a pool shared by the classes (series appended in step grow in step, so
 * the pages of a class they leave empty are the ones the next class takes). The pool keeps at most
 * as many pages as are in use; pages beyond it are dropped, and their native memory goes with the
 * buffer object at a garbage collection. So the native memory held is at most about twice the slots
 * in use, each at most 1.5x the bytes its chunk holds, and it counts against {@code
 * -XX:MaxDirectMemorySize}. {@link #close} drops every page.
 *
 * <p>Allocation and release are synchronized on the arena. Reads and writes of a slot are not: the
 * slot's owner (a series, under its own lock) is the only one to touch it between allocation and
 * release, and the page directory is published through a volatile field, so the owner sees its page
 * without taking the arena's lock.
 *
 * <p>A slot reference is {@code page << 32 | offset << 8 | sizeClass}; -1 is no slot.
 */
public final class SlotArena implements AutoCloseable {
  public static final int PAGE_SIZE = 1 << 20;
  private static final int[] SIZES = {
    32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096
  };

  /** The largest slot, in bytes. */
  public static final int MAX_SLOT = SIZES[SIZES.length - 1];

  private volatile ByteBuffer[] pages = new ByteBuffer[4];
  private int[] used = new int[4]; // slots allocated in each page
  private byte[] pageClass = new byte[4];
  private int nDir; // directory entries ever handed out
  private int[] emptyDir = new int[4]; // directory entries without a page
  private int nEmptyDir;
  private final ArrayDeque<ByteBuffer> pool = new ArrayDeque<>();
  private final long[][] free = new long[SIZES.length][];
  private final int[] nFree = new int[SIZES.length];
  private final int[] bumpPage = new int[SIZES.length];
  private final int[] bumpOffset = new int[SIZES.length];
  private int pagesInUse;
  private long pagesCreated;
  private long slotBytes;

  public SlotArena() {
    Arrays.fill(bumpPage, -1);
    for (int c = 0; c < SIZES.length; c++) {
      free[c] = new long[16];
    }
  }

  /** The capacity in bytes of slot {@code ref}. */
  public static int capacity(long ref) {
    return SIZES[(int) (ref & 0xff)];
  }

  private static int page(long ref) {
    return (int) (ref >>> 32);
  }

  private static int offset(long ref) {
    return (int) ((ref >>> 8) & 0xffffff);
  }

  private static int classFor(int bytes) {
    for (int c = 0; c < SIZES.length; c++) {
      if (SIZES[c] >= bytes) {
        return c;
      }
    }
    throw new IllegalStateException(
        "BUG: an open chunk of " + bytes + " bytes is larger than a slot (" + MAX_SLOT + ")");
  }

  /** A slot of at least {@code bytes} bytes (its contents are undefined). */
  public synchronized long allocate(int bytes) {
    int c = classFor(bytes);
    slotBytes += SIZES[c];
    if (nFree[c] > 0) {
      long ref = free[c][--nFree[c]];
      used[page(ref)]++;
      return ref;
    }
    int p = bumpPage[c];
    if (p < 0 || bumpOffset[c] + SIZES[c] > PAGE_SIZE) {
      p = newPage(c);
      bumpPage[c] = p;
      bumpOffset[c] = 0;
    }
    long ref = ((long) p << 32) | ((long) bumpOffset[c] << 8) | c;
    bumpOffset[c] += SIZES[c];
    used[p]++;
    return ref;
  }

  private int newPage(int c) {
    int p;
    if (nEmptyDir > 0) {
      p = emptyDir[--nEmptyDir];
    } else {
      p = nDir++;
      if (p == pages.length) {
        int n = pages.length * 2;
        used = Arrays.copyOf(used, n);
        pageClass = Arrays.copyOf(pageClass, n);
        pages = Arrays.copyOf(pages, n); // volatile write last: the copy is complete
      }
    }
    ByteBuffer b = pool.pollFirst();
    if (b == null) {
      b = ByteBuffer.allocateDirect(PAGE_SIZE);
      pagesCreated++;
    }
    pageClass[p] = (byte) c;
    used[p] = 0;
    pages[p] = b;
    pagesInUse++;
    return p;
  }

  /** Gives slot {@code ref} back; it must not be read or written afterwards. */
  public synchronized void free(long ref) {
    int c = (int) (ref & 0xff);
    int p = page(ref);
    if (p >= nDir || pages[p] == null || pageClass[p] != c || used[p] == 0) {
      throw new IllegalStateException("BUG: slot " + Long.toHexString(ref) + " is not allocated");
    }
    slotBytes -= SIZES[c];
    if (--used[p] == 0) {
      releasePage(p, c);
      return;
    }
    if (nFree[c] == free[c].length) {
      free[c] = Arrays.copyOf(free[c], nFree[c] * 2);
    }
    free[c][nFree[c]++] = ref;
  }

  private void releasePage(int p, int c) {
    long[] f = free[c];
    int keep = 0;
    for (int i = 0; i < nFree[c]; i++) {
      if (page(f[i]) != p) {
        f[keep++] = f[i];
      }
    }
    nFree[c] = keep;
    if (f.length > 64 && keep < f.length / 4) {
      free[c] = Arrays.copyOf(f, Math.max(16, keep * 2));
    }
    if (bumpPage[c] == p) {
      bumpPage[c] = -1;
    }
    ByteBuffer b = pages[p];
    pages[p] = null;
    pagesInUse--;
    if (nEmptyDir == emptyDir.length) {
      emptyDir = Arrays.copyOf(emptyDir, nEmptyDir * 2);
    }
    emptyDir[nEmptyDir++] = p;
    if (pool.size() < pagesInUse) {
      pool.addFirst(b);
    }
    while (pool.size() > pagesInUse) {
      pool.pollLast();
    }
  }

  /**
   * Moves the first {@code keep} bytes of slot {@code ref} (or nothing, when {@code ref} is -1)
   * into a new slot of at least {@code bytes} bytes, frees the old one; returns the new slot.
   */
  public synchronized long grow(long ref, int keep, int bytes) {
    long to = allocate(bytes);
    if (ref != -1) {
      if (keep > 0) {
        ByteBuffer[] d = pages;
        d[page(to)].put(offset(to), d[page(ref)], offset(ref), keep);
      }
      free(ref);
    }
    return to;
  }

  /** Writes {@code v} big-endian at byte {@code at} of slot {@code ref} (owner only). */
  public void putLong(long ref, int at, long v) {
    pages[page(ref)].putLong(offset(ref) + at, v);
  }

  /** Copies {@code len} bytes from byte {@code at} of slot {@code ref} into {@code dst}. */
  public void get(long ref, int at, byte[] dst, int dstAt, int len) {
    pages[page(ref)].get(offset(ref) + at, dst, dstAt, len);
  }

  /** Bytes of the slots allocated. */
  public synchronized long bytesUsed() {
    return slotBytes;
  }

  /** Bytes of native pages held: in use and pooled. */
  public synchronized long bytesAllocated() {
    return (long) (pagesInUse + pool.size()) * PAGE_SIZE;
  }

  /** Pages holding slots. */
  public synchronized int pagesInUse() {
    return pagesInUse;
  }

  /** Pages empty and kept for reuse. */
  public synchronized int pooledPages() {
    return pool.size();
  }

  /** Native pages allocated since the arena was made (pooled pages reused are not counted). */
  public synchronized long pagesCreated() {
    return pagesCreated;
  }

  /** Drops every page; slots of this arena must not be used afterwards. */
  @Override
  public synchronized void close() {
    pages = new ByteBuffer[4];
    used = new int[4];
    pageClass = new byte[4];
    nDir = 0;
    nEmptyDir = 0;
    pool.clear();
    Arrays.fill(nFree, 0);
    Arrays.fill(bumpPage, -1);
    pagesInUse = 0;
    slotBytes = 0;
  }
}
