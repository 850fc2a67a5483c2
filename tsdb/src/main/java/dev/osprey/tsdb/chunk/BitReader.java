package dev.osprey.tsdb.chunk;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Reads bits most significant first, as {@link BitWriter} and {@link XorEncoder} write them, from a
 * 64-bit buffer that one big-endian long read refills (byte by byte only within 8 bytes of the end
 * of the array). Shared by {@link XorIterator} and {@link DecimalIterator}, together with the codes
 * both encodings use: varints and the delta-of-delta timestamp buckets.
 *
 * <p>A refill may look ahead at bytes after the chunk (the next chunk of an arena page); they are
 * never consumed, since the iterators read exactly the bits the encoder wrote. Reading past the end
 * of the array is a corrupt chunk and throws.
 */
final class BitReader {
  private static final VarHandle LONG_BE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private byte[] buf;

  /** The next bits, left-aligned; bits after the first {@link #valid} are zero or the same bits. */
  private long word;

  /** How many bits of {@link #word} are unread. */
  private int valid;

  /** The next byte of {@link #buf} to load into {@link #word}. */
  private int pos;

  void reset(byte[] buf, int offset) {
    this.buf = buf;
    this.pos = offset;
    this.word = 0;
    this.valid = 0;
  }

  /** Positions at bit {@code bit} (from the most significant bit of {@code buf[offset]}). */
  void reset(byte[] buf, int offset, long bit) {
    if (bit < 0 || offset + (bit >>> 3) > buf.length) {
      throw new IllegalStateException("cannot read chunk: a section starts after its end");
    }
    reset(buf, offset + (int) (bit >>> 3));
    readBits((int) (bit & 7));
  }

  /** Bits consumed since bit 0 of {@code buf[offset]} (the offset given to {@link #reset}). */
  long bitsRead(int offset) {
    return ((long) (pos - offset) << 3) - valid;
  }

  /**
   * Loads whole bytes until at least 57 bits are unread (fewer only at the end of the array). The
   * long read ORs in more than the whole bytes it counts: the extra bits are the start of the next
   * byte, which the next refill ORs in again at the same place.
   */
  private void refill() {
    if (pos + 8 <= buf.length) {
      word |= (long) LONG_BE.get(buf, pos) >>> valid;
      int bytes = (64 - valid) >>> 3;
      pos += bytes;
      valid += bytes << 3;
    } else {
      while (valid <= 56 && pos < buf.length) {
        word |= (buf[pos++] & 0xFFL) << (56 - valid);
        valid += 8;
      }
    }
  }

  private void refill(int n) {
    refill();
    if (valid < n) {
      throw new IllegalStateException("cannot read chunk: it ends in the middle of a sample");
    }
  }

  int readBit() {
    if (valid == 0) {
      refill(1);
    }
    int b = (int) (word >>> 63);
    word <<= 1;
    valid--;
    return b;
  }

  /** The next {@code n} bits (0..64) as an unsigned number. */
  long readBits(int n) {
    if (n > valid || n > 56) {
      return readBitsSlow(n);
    }
    long out = (word >>> 1) >>> (63 - n); // 0 when n is 0
    word <<= n;
    valid -= n;
    return out;
  }

  private long readBitsSlow(int n) {
    if (n > 56) {
      long hi = readBits(n - 32);
      return (hi << 32) | readBits(32);
    }
    refill(n);
    return readBits(n);
  }

  long readUvarint() {
    long out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      long b = readBits(8);
      out |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return out;
      }
    }
    throw new IllegalStateException("cannot read chunk: varint longer than 10 bytes");
  }

  long readVarint() {
    long u = readUvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /**
   * A delta of deltas in the bucket code of docs/format/chunks.md: {@code 0}; {@code 10} and 7
   * bits; {@code 110} and 14; {@code 1110} and 20; {@code 1111} and 64.
   */
  long readDod() {
    if (valid < 4) {
      refill();
      if (valid < 4) {
        return readDodBitByBit(); // the last bits of the array
      }
    }
    int ones = Math.min(Long.numberOfLeadingZeros(~word), 4); // the prefix's one bits
    if (ones == 0) {
      word <<= 1;
      valid--;
      return 0;
    }
    int prefix = ones == 4 ? 4 : ones + 1;
    word <<= prefix;
    valid -= prefix;
    return switch (ones) {
      case 1 -> signExtend(readBits(7), 7);
      case 2 -> signExtend(readBits(14), 14);
      case 3 -> signExtend(readBits(20), 20);
      default -> readBits(64);
    };
  }

  private long readDodBitByBit() {
    if (readBit() == 0) {
      return 0;
    } else if (readBit() == 0) {
      return signExtend(readBits(7), 7);
    } else if (readBit() == 0) {
      return signExtend(readBits(14), 14);
    } else if (readBit() == 0) {
      return signExtend(readBits(20), 20);
    }
    return readBits(64);
  }

  /** Values in [1 - 2^(n-1), 2^(n-1)] were written in n bits; above 2^(n-1) reads as negative. */
  private static long signExtend(long bits, int n) {
    long half = 1L << (n - 1);
    return bits > half ? bits - (1L << n) : bits;
  }
}
