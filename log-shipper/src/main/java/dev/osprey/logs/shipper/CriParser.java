package dev.osprey.logs.shipper;

/**
 * Parses one CRI log line as kubelet's container runtime writes it: {@code <RFC3339Nano> <stdout|
 * stderr> <P|F>[:<more tags>] <message>}. No regex; no allocation besides the caller's result.
 */
final class CriParser {
  private CriParser() {}

  /** A parsed line; reused by the caller. */
  static final class Result {
    long timestampNanos;
    boolean stderr;
    boolean partial;
    int messageOffset;

    /** The minute of the previous line's timestamp (see {@link Rfc3339.Minute}). */
    final Rfc3339.Minute minute = new Rfc3339.Minute();
  }

  /**
   * Parses {@code b[off, off+len)} (without the newline).
   *
   * @return true and fills {@code r} when the line is well-formed CRI
   */
  static boolean parse(byte[] b, int off, int len, Result r) {
    int end = off + len;
    int sp1 = indexOf(b, off, end, (byte) ' ');
    if (sp1 < 0) {
      return false;
    }
    long ts = Rfc3339.parseNanos(b, off, sp1 - off, r.minute);
    if (ts == Long.MIN_VALUE) {
      return false;
    }
    int s = sp1 + 1;
    boolean stderr;
    if (regionEquals(b, s, end, "stdout ")) {
      stderr = false;
    } else if (regionEquals(b, s, end, "stderr ")) {
      stderr = true;
    } else {
      return false;
    }
    int tag = s + 7;
    if (tag >= end) {
      return false;
    }
    byte t = b[tag];
    if (t != 'P' && t != 'F') {
      return false;
    }
    int tagEnd = indexOf(b, tag, end, (byte) ' ');
    int msg;
    if (tagEnd < 0) {
      // "... F" with nothing after the tag: an empty message. The tag must still be clean.
      tagEnd = end;
      msg = end;
    } else {
      msg = tagEnd + 1;
    }
    if (tagEnd != tag + 1 && b[tag + 1] != ':') {
      return false;
    }
    r.timestampNanos = ts;
    r.stderr = stderr;
    r.partial = t == 'P';
    r.messageOffset = msg;
    return true;
  }

  static boolean looksLikeCri(byte[] b, int off, int len) {
    return parse(b, off, len, new Result());
  }

  private static int indexOf(byte[] b, int from, int end, byte c) {
    for (int i = from; i < end; i++) {
      if (b[i] == c) {
        return i;
      }
    }
    return -1;
  }

  private static boolean regionEquals(byte[] b, int from, int end, String ascii) {
    if (end - from < ascii.length()) {
      return false;
    }
    for (int i = 0; i < ascii.length(); i++) {
      if (b[from + i] != ascii.charAt(i)) {
        return false;
      }
    }
    return true;
  }
}
