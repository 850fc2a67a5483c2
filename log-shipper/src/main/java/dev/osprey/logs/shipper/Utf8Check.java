package dev.osprey.logs.shipper;

import dev.osprey.core.util.Utf8;

/**
 * UTF-8 validation of a line's bytes without decoding them: lines travel as bytes from the file to
 * the push request, and only an invalid one takes the String round trip that puts U+FFFD in place
 * of the bad bytes. ASCII, the common case, is checked eight bytes at a time.
 */
final class Utf8Check {
  private Utf8Check() {}

  /**
   * True when {@code b[off, off+len)} is well-formed UTF-8 (RFC 3629: no surrogates, no overlong).
   */
  static boolean isValid(byte[] b, int off, int len) {
    return Utf8.invalidAt(b, off, len) < 0;
  }
}
