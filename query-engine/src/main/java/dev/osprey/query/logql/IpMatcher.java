package dev.osprey.query.logql;

import java.util.Arrays;

/**
 * LogQL's {@code ip("...")} filters: a single address ({@code 192.168.0.1}, {@code ::1}), a CIDR
 * prefix ({@code 192.168.0.0/16}) or an inclusive range ({@code 192.168.0.1-192.168.0.23}), IPv4 or
 * IPv6, matched against the addresses found in a line ({@code |= ip(...)}) or a label's value
 * ({@code addr = ip(...)}).
 *
 * <p>Addresses are read as Go's {@code netip.ParseAddr} reads them: IPv4 only in four dotted
 * decimal parts without leading zeros; IPv6 with {@code ::} and an optional dotted IPv4 tail; an
 * IPv4-mapped IPv6 address is not the IPv4 address. A line is scanned as Loki scans it: at each
 * position where a digit is followed by a dot within three characters (IPv4), or where hex digits
 * are followed by a colon (IPv6), the longest run of address characters is parsed, and the scan
 * goes on after it.
 */
public final class IpMatcher {
  private static final String V4_CHARS = "0123456789.";
  private static final String V6_CHARS = "0123456789abcdefABCDEF:.";

  private final byte[] from; // inclusive bounds, 4 or 16 bytes
  private final byte[] to;

  private IpMatcher(byte[] from, byte[] to) {
    this.from = from;
    this.to = to;
  }

  /**
   * Parses a pattern.
   *
   * @throws IllegalArgumentException {@code ip: invalid pattern: "..."}
   */
  static IpMatcher of(String pattern) {
    byte[] a = parseAddr(pattern);
    if (a != null) {
      return new IpMatcher(a, a);
    }
    int slash = pattern.indexOf('/');
    if (slash >= 0) {
      byte[] base = parseAddr(pattern.substring(0, slash));
      String bits = pattern.substring(slash + 1);
      int n = bits.matches("0|[1-9][0-9]{0,2}") ? Integer.parseInt(bits) : -1;
      if (base != null && n >= 0 && n <= base.length * 8) {
        byte[] lo = base.clone();
        byte[] hi = base.clone();
        for (int i = n; i < base.length * 8; i++) {
          lo[i / 8] &= (byte) ~(0x80 >>> (i % 8));
          hi[i / 8] |= (byte) (0x80 >>> (i % 8));
        }
        return new IpMatcher(lo, hi);
      }
    }
    int dash = pattern.indexOf('-');
    if (dash >= 0) {
      byte[] lo = parseAddr(pattern.substring(0, dash));
      byte[] hi = parseAddr(pattern.substring(dash + 1));
      if (lo != null
          && hi != null
          && lo.length == hi.length
          && Arrays.compareUnsigned(lo, hi) <= 0) {
        return new IpMatcher(lo, hi);
      }
    }
    throw new IllegalArgumentException("ip: invalid pattern: \"" + pattern + "\"");
  }

  /** Whether {@code a} (4 or 16 bytes) is within the pattern; the other family never is. */
  boolean contains(byte[] a) {
    return a.length == from.length
        && Arrays.compareUnsigned(a, from) >= 0
        && Arrays.compareUnsigned(a, to) <= 0;
  }

  /** Whether any address found in {@code s} is within the pattern. */
  boolean matches(String s) {
    int n = s.length();
    for (int i = 0; i < n; i++) {
      String charset = null;
      if (i + 3 < n && v4Hint(s, i)) {
        charset = V4_CHARS;
      } else if (i + 4 < n && v6Hint(s, i)) {
        charset = V6_CHARS;
      }
      if (charset == null) {
        continue;
      }
      int e = i;
      while (e < n && charset.indexOf(s.charAt(e)) >= 0) {
        e++;
      }
      byte[] a = parseAddr(s.substring(i, e));
      if (a != null && contains(a)) {
        return true;
      }
      i = e; // and the loop's i++ steps over the character that ended the run, as Loki does
    }
    return false;
  }

  private static boolean v4Hint(String s, int i) {
    return digit(s.charAt(i))
        && (s.charAt(i + 1) == '.' || s.charAt(i + 2) == '.' || s.charAt(i + 3) == '.');
  }

  private static boolean v6Hint(String s, int i) {
    if (s.charAt(i) == ':' && s.charAt(i + 1) == ':' && hex(s.charAt(i + 2))) {
      return true;
    }
    for (int k = 1; k <= 4; k++) {
      if (!hex(s.charAt(i + k - 1))) {
        return false;
      }
      if (s.charAt(i + k) == ':') {
        return true;
      }
    }
    return false;
  }

  private static boolean digit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean hex(char c) {
    return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  /** An address as Go's netip.ParseAddr reads it (zones refused), or null. */
  static byte[] parseAddr(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '.') {
        return parseV4(s);
      }
      if (c == ':') {
        return parseV6(s);
      }
    }
    return null;
  }

  private static byte[] parseV4(String s) {
    byte[] out = new byte[4];
    int part = 0;
    int val = 0;
    int digits = 0;
    for (int i = 0; i <= s.length(); i++) {
      char c = i < s.length() ? s.charAt(i) : '.';
      if (digit(c)) {
        if (digits == 1 && val == 0) {
          return null; // leading zero
        }
        val = val * 10 + c - '0';
        if (val > 255) {
          return null;
        }
        digits++;
      } else if (c == '.') {
        if (digits == 0 || part == 4) {
          return null;
        }
        out[part++] = (byte) val;
        val = 0;
        digits = 0;
      } else {
        return null;
      }
    }
    return part == 4 ? out : null;
  }

  private static byte[] parseV6(String s) {
    byte[] out = new byte[16];
    int ellipsis = -1; // byte index where :: was
    int i = 0;
    int n = s.length();
    if (s.startsWith("::")) {
      ellipsis = 0;
      i = 2;
      if (i == n) {
        return out;
      }
    }
    int b = 0; // next byte to write
    while (b < 16) {
      int off = 0;
      int acc = 0;
      while (off < 4 && i + off < n && hex(s.charAt(i + off))) {
        acc = acc * 16 + Character.digit(s.charAt(i + off), 16);
        off++;
      }
      if (off == 0) {
        return null;
      }
      if (i + off < n && s.charAt(i + off) == '.') {
        // an IPv4 tail takes the last four bytes
        if (ellipsis < 0 && b != 12) {
          return null;
        }
        if (b + 4 > 16) {
          return null;
        }
        byte[] v4 = parseV4(s.substring(i));
        if (v4 == null) {
          return null;
        }
        System.arraycopy(v4, 0, out, b, 4);
        b += 4;
        i = n;
        break;
      }
      if (i + off < n && hex(s.charAt(i + off))) {
        return null; // more than four hex digits
      }
      out[b] = (byte) (acc >> 8);
      out[b + 1] = (byte) acc;
      b += 2;
      i += off;
      if (i == n) {
        break;
      }
      if (s.charAt(i) != ':' || i + 1 == n) {
        return null;
      }
      i++;
      if (s.charAt(i) == ':') {
        if (ellipsis >= 0) {
          return null; // a second ::
        }
        ellipsis = b;
        i++;
        if (i == n) {
          break;
        }
      }
    }
    if (i != n) {
      return null;
    }
    if (b < 16) {
      if (ellipsis < 0) {
        return null;
      }
      int tail = b - ellipsis;
      System.arraycopy(out, ellipsis, out, 16 - tail, tail);
      Arrays.fill(out, ellipsis, 16 - tail, (byte) 0);
    } else if (ellipsis >= 0) {
      return null; // :: must stand for at least one group
    }
    return out;
  }
}
