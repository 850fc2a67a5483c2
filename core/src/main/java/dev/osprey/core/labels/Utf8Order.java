package dev.osprey.core.labels;

/**
 * Compares strings in the order of their UTF-8 bytes, which is Go's (and so Prometheus's) string
 * order. Java's {@link String#compareTo} compares UTF-16 code units and disagrees for characters
 * outside the Basic Multilingual Plane against U+E000..U+FFFF.
 */
public final class Utf8Order {
  private Utf8Order() {}

  public static int compare(String a, String b) {
    int n = Math.min(a.length(), b.length());
    for (int i = 0; i < n; i++) {
      char x = a.charAt(i);
      char y = b.charAt(i);
      if (x != y) {
        if (x >= 0xD800 && y >= 0xD800) {
          // Shift surrogates above U+E000..U+FFFF so that code point order results.
          x = fixup(x);
          y = fixup(y);
        }
        return Character.compare(x, y);
      }
    }
    return Integer.compare(a.length(), b.length());
  }

  private static char fixup(char c) {
    if (c >= 0xE000) {
      return (char) (c - 0x800);
    }
    return (char) (c + 0x2000);
  }
}
