package dev.osprey.tsdb.block;

import java.security.SecureRandom;

/** ULIDs (48-bit millisecond time, 80 random bits, Crockford base32): sortable block ids. */
final class Ulid {
  private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();

  private Ulid() {}

  static String next(long timeMillis) {
    byte[] r = new byte[10];
    RANDOM.nextBytes(r);
    long hi = timeMillis & 0xFFFFFFFFFFFFL; // 48 bits
    // 128 bits: hi (48) + r (80); encode 26 chars of 5 bits from the top (130 bits, 2 leading 0)
    char[] out = new char[26];
    java.math.BigInteger v = java.math.BigInteger.valueOf(hi).shiftLeft(80);
    v = v.or(new java.math.BigInteger(1, r));
    for (int i = 25; i >= 0; i--) {
      out[i] = ALPHABET[v.intValue() & 31];
      v = v.shiftRight(5);
    }
    return new String(out);
  }

  static boolean looksLike(String s) {
    if (s.length() != 26) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (new String(ALPHABET).indexOf(s.charAt(i)) < 0) {
        return false;
      }
    }
    return true;
  }
}
