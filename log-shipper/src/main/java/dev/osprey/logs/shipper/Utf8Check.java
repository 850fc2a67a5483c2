package dev.osprey.logs.shipper;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * UTF-8 validation of a line's bytes without decoding them: lines travel as bytes from the file to
 * the push request, and only an invalid one takes the String round trip that puts U+FFFD in place
 * of the bad bytes. ASCII, the common case, is checked eight bytes at a time.
 */
final class Utf8Check {
  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long HIGH_BITS = 0x8080808080808080L;

  private Utf8Check() {}

  /**
   * True when {@code b[off, off+len)} is well-formed UTF-8 (RFC 3629: no surrogates, no overlong).
   */
  static boolean isValid(byte[] b, int off, int len) {
    int i = off;
    int end = off + len;
    while (i + 8 <= end && ((long) LONG.get(b, i) & HIGH_BITS) == 0) {
      i += 8;
    }
    while (i < end) {
      int c = b[i] & 0xff;
      if (c < 0x80) {
        i++;
        continue;
      }
      int n;
      int min;
      if (c >= 0xC2 && c <= 0xDF) {
        n = 1;
        min = 0x80;
      } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2;
        min = 0x800;
      } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3;
        min = 0x10000;
      } else {
        return false;
      }
      if (i + n >= end) {
        return false;
      }
      int cp = c & (0x3F >> n);
      for (int k = 1; k <= n; k++) {
        int cc = b[i + k] & 0xff;
        if ((cc & 0xC0) != 0x80) {
          return false;
        }
        cp = (cp << 6) | (cc & 0x3F);
      }
      if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return false;
      }
      i += n + 1;
    }
    return true;
  }
}
