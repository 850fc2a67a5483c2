package dev.osprey.tsdb.chunk;

/**
 * The state of one open (appendable) chunk in the XOR encoding, writing the same bytes as {@link
 * XorEncoder}, but off the heap: complete 64-bit words go into a {@link SlotArena} slot, the last
 * partial word stays in a field. The head's series extends this class, so the encoder's state (the
 * last timestamp and value among it) is held once, in the series object, with no buffer on the
 * heap. Not thread-safe: the subclass guards it.
 */
public class OpenXorChunk {
  private long slot = -1; // SlotArena reference, -1 while no word is complete
  private long acc; // the bits after the last complete word, most significant first
  private int bitPos;
  private int count;
  private byte leading = -1; // -1: no previous XOR window
  private byte trailing;
  private long firstT;

  /** The last timestamp appended; stays when the chunk is cut. */
  protected long lastT = Long.MIN_VALUE;

  /** The raw bits of the last value appended; stays when the chunk is cut. */
  protected long lastV;

  private long lastDelta;

  /** Samples in the open chunk. */
  protected final int openCount() {
    return count;
  }

  protected final long openFirstT() {
    return firstT;
  }

  /** Bytes of the open chunk. */
  protected final int openByteLength() {
    return (bitPos + 7) >>> 3;
  }

  /** Empties the open chunk and gives its slot back; {@link #lastT} and {@link #lastV} stay. */
  protected final void resetOpen(SlotArena arena) {
    if (slot != -1) {
      arena.free(slot);
      slot = -1;
    }
    acc = 0;
    bitPos = 0;
    count = 0;
    leading = -1;
    trailing = 0;
  }

  /** Copies the open chunk's {@link #openByteLength} bytes into {@code dst} at {@code at}. */
  protected final void copyOpen(SlotArena arena, byte[] dst, int at) {
    int words = bitPos >>> 6;
    if (words > 0) {
      arena.get(slot, 0, dst, at, words * 8);
    }
    int tail = ((bitPos & 63) + 7) >>> 3;
    at += words * 8;
    for (int i = 0; i < tail; i++) {
      dst[at + i] = (byte) (acc >>> (56 - 8 * i));
    }
  }

  /** Appends a sample; the caller guarantees {@code t} is greater than the previous one. */
  protected final void appendOpen(SlotArena arena, long t, long vBits) {
    if (count == 0) {
      leading = -1;
      writeUvarint(arena, (t << 1) ^ (t >> 63));
      writeBits(arena, vBits, 64);
      firstT = t;
    } else if (count == 1) {
      long delta = t - lastT;
      writeUvarint(arena, delta);
      writeValue(arena, vBits);
      lastDelta = delta;
    } else {
      long delta = t - lastT;
      long dod = delta - lastDelta;
      if (dod == 0) {
        writeBits(arena, 0, 1);
      } else if (dod >= -63 && dod <= 64) {
        writeBits(arena, (0b10L << 7) | (dod & 0x7f), 9);
      } else if (dod >= -8191 && dod <= 8192) {
        writeBits(arena, (0b110L << 14) | (dod & 0x3fff), 17);
      } else if (dod >= -524287 && dod <= 524288) {
        writeBits(arena, (0b1110L << 20) | (dod & 0xfffff), 24);
      } else {
        writeBits(arena, 0b1111, 4);
        writeBits(arena, dod, 64);
      }
      writeValue(arena, vBits);
      lastDelta = delta;
    }
    lastT = t;
    lastV = vBits;
    count++;
  }

  private void writeValue(SlotArena arena, long vBits) {
    long x = vBits ^ lastV;
    if (x == 0) {
      writeBits(arena, 0, 1);
      return;
    }
    int lead = Math.min(Long.numberOfLeadingZeros(x), 31);
    int trail = Long.numberOfTrailingZeros(x);
    if (leading != -1 && lead >= leading && trail >= trailing) {
      writeBits(arena, 0b10, 2);
      writeBits(arena, x >>> trailing, 64 - leading - trailing);
      return;
    }
    leading = (byte) lead;
    trailing = (byte) trail;
    int sig = 64 - lead - trail;
    writeBits(arena, (0b11L << 11) | ((long) lead << 6) | (sig & 63), 13); // 64 is written as 0
    writeBits(arena, x >>> trail, sig);
  }

  private void writeUvarint(SlotArena arena, long v) {
    while ((v & ~0x7FL) != 0) {
      writeBits(arena, (v & 0x7F) | 0x80, 8);
      v >>>= 7;
    }
    writeBits(arena, v, 8);
  }

  /** Writes the low {@code n} bits of {@code v} (1 to 64), most significant first. */
  private void writeBits(SlotArena arena, long v, int n) {
    if (n < 64) {
      v &= (1L << n) - 1;
    }
    int free = 64 - (bitPos & 63);
    if (n < free) {
      acc |= v << (free - n);
      bitPos += n;
      return;
    }
    int rest = n - free;
    acc |= v >>> rest; // the word is complete
    int at = (bitPos >>> 6) << 3;
    if (slot == -1 || at + 8 > SlotArena.capacity(slot)) {
      slot = arena.grow(slot, at, at + 8);
    }
    arena.putLong(slot, at, acc);
    acc = rest == 0 ? 0 : v << (64 - rest);
    bitPos += n;
  }
}
