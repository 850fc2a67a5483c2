package dev.osprey.collector.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Small readers for pseudo-files (cgroupfs, procfs, sysfs). A file that does not exist is "absent"
 * (null or NaN), because controllers and kernel versions differ in what they offer; any other I/O
 * error is reported to the caller.
 */
public final class FileReads {
  private FileReads() {}

  /** The file's content, or null when it does not exist (or vanished: cgroups come and go). */
  public static String read(Path p) {
    try {
      return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      // ENODEV/EINVAL on some pseudo-files of dying cgroups: treat as absent, like runc does.
      if (!Files.exists(p)) {
        return null;
      }
      throw new java.io.UncheckedIOException("cannot read " + p + ": " + e.getMessage(), e);
    }
  }

  /** A single-number file ("12345\n"); "max" is +Inf; NaN when absent or not a number. */
  public static double number(Path p) {
    String s = read(p);
    if (s == null) {
      return Double.NaN;
    }
    return parseNumber(s.trim());
  }

  public static double parseNumber(String s) {
    if (s.equals("max")) {
      return Double.POSITIVE_INFINITY;
    }
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      try {
        return Double.parseDouble(s);
      } catch (NumberFormatException e2) {
        return Double.NaN;
      }
    }
  }

  /**
   * A flat keyed file ("key value" per line, as memory.stat, cpu.stat, cpuacct.stat): the value of
   * {@code key}, or NaN.
   */
  public static double keyed(String content, String key) {
    if (content == null) {
      return Double.NaN;
    }
    int from = 0;
    int n = content.length();
    while (from < n) {
      int eol = content.indexOf('\n', from);
      if (eol < 0) {
        eol = n;
      }
      if (content.startsWith(key, from)
          && from + key.length() < eol
          && content.charAt(from + key.length()) == ' ') {
        return parseNumber(content.substring(from + key.length() + 1, eol).trim());
      }
      from = eol + 1;
    }
    return Double.NaN;
  }
}
