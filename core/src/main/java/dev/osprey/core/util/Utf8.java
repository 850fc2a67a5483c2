package dev.osprey.core.util;

/** UTF-8 facts about Java strings, without encoding them. */
public final class Utf8 {
  private Utf8() {}

  /**
   * The number of bytes {@code s} takes in UTF-8 (what Loki counts as a line's size), computed
   * without allocating; a lone surrogate counts as the 3 bytes of its replacement character.
   */
  public static int length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }
}
