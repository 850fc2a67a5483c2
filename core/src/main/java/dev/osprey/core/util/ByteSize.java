package dev.osprey.core.util;

import java.util.Locale;

/** A size in bytes written as {@code 512MiB}, {@code 10GB}, {@code 4096} (Prometheus's units). */
public record ByteSize(long bytes) {
  public static ByteSize parse(String s) {
    String t = s.trim();
    int i = 0;
    while (i < t.length() && (Character.isDigit(t.charAt(i)) || t.charAt(i) == '.')) {
      i++;
    }
    if (i == 0) {
      throw new IllegalArgumentException("not a valid size: \"" + s + "\"");
    }
    double n = Double.parseDouble(t.substring(0, i));
    String unit = t.substring(i).trim().toUpperCase(Locale.ROOT);
    long mult =
        switch (unit) {
          case "", "B" -> 1L;
          case "KB", "KIB", "K" -> 1L << 10;
          case "MB", "MIB", "M" -> 1L << 20;
          case "GB", "GIB", "G" -> 1L << 30;
          case "TB", "TIB", "T" -> 1L << 40;
          case "PB", "PIB" -> 1L << 50;
          default -> throw new IllegalArgumentException("not a valid size unit in \"" + s + "\"");
        };
    return new ByteSize((long) (n * mult));
  }

  @Override
  public String toString() {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    long b = bytes;
    int u = 0;
    while (u < units.length - 1 && b >= 1024 && b % 1024 == 0) {
      b /= 1024;
      u++;
    }
    return b + units[u];
  }
}
