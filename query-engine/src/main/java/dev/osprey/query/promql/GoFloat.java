package dev.osprey.query.promql;

import dev.osprey.core.labels.Labels;
import dev.osprey.core.util.GoFormat;
import java.math.BigDecimal;

/** Go's float formatting and string quoting, as Prometheus's JSON and error texts use them. */
public final class GoFloat {
  private GoFloat() {}

  /** strconv.FormatFloat(f, 'f', -1, 64): shortest round-trip digits, never an exponent. */
  public static String formatF(double f) {
    if (Double.isNaN(f)) {
      return "NaN";
    }
    if (f == Double.POSITIVE_INFINITY) {
      return "+Inf";
    }
    if (f == Double.NEGATIVE_INFINITY) {
      return "-Inf";
    }
    if (f == 0) {
      return (Double.doubleToRawLongBits(f) < 0) ? "-0" : "0";
    }
    if (f == Math.rint(f) && Math.abs(f) < 1e15) {
      return Long.toString((long) f); // exact: doubles this small are integers to the unit
    }
    String s = Double.toString(f);
    if (s.indexOf('E') < 0) {
      // plain notation already: only trailing zeros (and a bare point) to drop
      int end = s.length();
      while (s.charAt(end - 1) == '0') {
        end--;
      }
      if (s.charAt(end - 1) == '.') {
        end--;
      }
      return s.substring(0, end);
    }
    return formatFSlow(f);
  }

  /** The reference form of {@link #formatF(double)}, for any finite non-zero value. */
  static String formatFSlow(double f) {
    return new BigDecimal(Double.toString(f)).stripTrailingZeros().toPlainString();
  }

  /** strconv.FormatFloat(f, 'f', prec, 64) with a fixed precision, trailing zeros trimmed. */
  public static String formatF(double f, int prec) {
    String s = new BigDecimal(f).setScale(prec, java.math.RoundingMode.HALF_EVEN).toPlainString();
    if (s.contains(".")) {
      s = s.replaceAll("0+$", "");
      if (s.endsWith(".")) {
        s = s.substring(0, s.length() - 1);
      }
    }
    return s;
  }

  /** Go's %g / %v for float64: shortest digits, exponent when exp &lt; -4 || exp &gt;= 6. */
  public static String formatG(double f) {
    return GoFormat.formatV(f);
  }

  /** Go's strconv.Quote. Chars U+DC80..U+DCFF stand for raw invalid bytes (see Parser). */
  public static String quote(String s) {
    return Labels.quote(s);
  }
}
