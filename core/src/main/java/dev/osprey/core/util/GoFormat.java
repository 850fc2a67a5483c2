package dev.osprey.core.util;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Go's fmt formatting of the values templates print: {@code %v} of a float64 (shortest digits, an
 * exponent from 1e+06 on, as Go's 'g' with precision -1), {@code %.4g}, {@code %f}, {@code %e},
 * {@code %d}, {@code %s}, {@code %q} and a printf over them.
 */
public final class GoFormat {
  private GoFormat() {}

  /** Decimal digits without trailing zeros and the decimal point position: value = 0.d x 10^dp. */
  private record Digits(String d, int dp) {}

  private static Digits digits(BigDecimal bd) {
    if (bd.signum() == 0) {
      return new Digits("", 0);
    }
    bd = bd.abs().stripTrailingZeros();
    String u = bd.unscaledValue().toString();
    return new Digits(u, u.length() - bd.scale());
  }

  private static String special(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    return null;
  }

  /** {@code %v} of a float64: Go's strconv 'g' with the shortest representation. */
  public static String formatV(double v) {
    return formatG(v, -1);
  }

  /** Go's strconv.FormatFloat(v, 'g', prec, 64); prec -1 is shortest. */
  public static String formatG(double v, int prec) {
    String s = special(v);
    if (s != null) {
      return s;
    }
    boolean neg = v < 0 || (v == 0 && 1 / v < 0);
    boolean shortest = prec < 0;
    Digits dg;
    if (shortest) {
      dg = digits(new BigDecimal(Double.toString(v)));
    } else {
      if (prec == 0) {
        prec = 1;
      }
      dg = digits(new BigDecimal(v).round(new MathContext(prec, RoundingMode.HALF_EVEN)));
    }
    int nd = dg.d.length();
    if (nd == 0) {
      dg = new Digits("0", 1);
      nd = 1;
    }
    int eprec = shortest ? 6 : prec;
    if (!shortest && eprec > nd && nd >= dg.dp) {
      eprec = nd;
    }
    if (shortest) {
      prec = nd;
    }
    int exp = dg.dp - 1;
    StringBuilder sb = new StringBuilder();
    if (neg) {
      sb.append('-');
    }
    if (exp < -4 || exp >= eprec) {
      int p = Math.min(prec, nd);
      fmtE(sb, dg, p - 1);
    } else {
      int p = prec > dg.dp ? nd : prec;
      fmtF(sb, dg, Math.max(p - dg.dp, 0));
    }
    return sb.toString();
  }

  private static void fmtE(StringBuilder sb, Digits dg, int prec) {
    String d = dg.d;
    sb.append(d.isEmpty() ? '0' : d.charAt(0));
    if (prec > 0) {
      sb.append('.');
      for (int i = 1; i <= prec; i++) {
        sb.append(i < d.length() ? d.charAt(i) : '0');
      }
    }
    int exp = d.isEmpty() || d.equals("0") ? 0 : dg.dp - 1;
    sb.append('e').append(exp < 0 ? '-' : '+');
    exp = Math.abs(exp);
    if (exp < 10) {
      sb.append('0');
    }
    sb.append(exp);
  }

  private static void fmtF(StringBuilder sb, Digits dg, int prec) {
    String d = dg.d;
    if (dg.dp > 0) {
      for (int i = 0; i < dg.dp; i++) {
        sb.append(i < d.length() ? d.charAt(i) : '0');
      }
    } else {
      sb.append('0');
    }
    if (prec > 0) {
      sb.append('.');
      for (int i = 1; i <= prec; i++) {
        int j = dg.dp + i - 1;
        sb.append(j >= 0 && j < d.length() ? d.charAt(j) : '0');
      }
    }
  }

  /** {@code %.Nf}. */
  public static String formatF(double v, int prec) {
    String s = special(v);
    if (s != null) {
      return s;
    }
    String r = new BigDecimal(v).setScale(prec, RoundingMode.HALF_EVEN).toPlainString();
    if (v < 0 && !r.startsWith("-")) {
      r = "-" + r;
    }
    return r;
  }

  /** {@code %.Ne}. */
  public static String formatE(double v, int prec) {
    String s = special(v);
    if (s != null) {
      return s;
    }
    StringBuilder sb = new StringBuilder();
    if (v < 0) {
      sb.append('-');
    }
    Digits dg =
        v == 0
            ? new Digits("0", 1)
            : digits(new BigDecimal(v).round(new MathContext(prec + 1, RoundingMode.HALF_EVEN)));
    fmtE(sb, dg, prec);
    return sb.toString();
  }

  /** Go's %v of any template value. */
  public static String print(Object v) {
    if (v == null) {
      return "<no value>";
    }
    if (v instanceof String s) {
      return s;
    }
    if (v instanceof Double d) {
      return formatV(d);
    }
    if (v instanceof Float f) {
      return formatV(f);
    }
    if (v instanceof Instant t) {
      return goTimeString(t);
    }
    if (v instanceof Map<?, ?> m) {
      StringBuilder sb = new StringBuilder("map[");
      boolean first = true;
      for (var e : new TreeMap<>(m).entrySet()) {
        if (!first) {
          sb.append(' ');
        }
        first = false;
        sb.append(print(e.getKey())).append(':').append(nested(e.getValue()));
      }
      return sb.append(']').toString();
    }
    if (v instanceof List<?> l) {
      StringBuilder sb = new StringBuilder("[");
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) {
          sb.append(' ');
        }
        sb.append(nested(l.get(i)));
      }
      return sb.append(']').toString();
    }
    return v.toString();
  }

  private static final DateTimeFormatter GO_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  /** Go's time.Time.String() for a UTC time: {@code 2006-01-02 15:04:05.999999999 +0000 UTC}. */
  public static String goTimeString(Instant t) {
    StringBuilder sb = new StringBuilder(GO_TIME.format(t));
    int nanos = t.getNano();
    if (nanos != 0) {
      String f = String.format("%09d", nanos);
      int end = f.length();
      while (end > 0 && f.charAt(end - 1) == '0') {
        end--;
      }
      sb.append('.').append(f, 0, end);
    }
    return sb.append(" +0000 UTC").toString();
  }

  /**
   * Go's fmt.Sprintf over the verbs templates use: v s d f g e q x t %, flags, width, precision.
   */
  public static String sprintf(String format, List<Object> args) {
    StringBuilder out = new StringBuilder();
    int argi = 0;
    for (int i = 0; i < format.length(); i++) {
      char c = format.charAt(i);
      if (c != '%') {
        out.append(c);
        continue;
      }
      i++;
      if (i >= format.length()) {
        out.append("%!(NOVERB)");
        break;
      }
      boolean minus = false;
      boolean plus = false;
      boolean zero = false;
      boolean space = false;
      for (; i < format.length(); i++) {
        char f = format.charAt(i);
        if (f == '-') {
          minus = true;
        } else if (f == '+') {
          plus = true;
        } else if (f == '0') {
          zero = true;
        } else if (f == ' ') {
          space = true;
        } else if (f != '#') {
          break;
        }
      }
      int width = -1;
      int start = i;
      while (i < format.length() && Character.isDigit(format.charAt(i))) {
        i++;
      }
      if (i > start) {
        width = Integer.parseInt(format.substring(start, i));
      }
      int prec = -1;
      if (i < format.length() && format.charAt(i) == '.') {
        i++;
        start = i;
        while (i < format.length() && Character.isDigit(format.charAt(i))) {
          i++;
        }
        prec = i > start ? Integer.parseInt(format.substring(start, i)) : 0;
      }
      if (i >= format.length()) {
        out.append("%!(NOVERB)");
        break;
      }
      char verb = format.charAt(i);
      if (verb == '%') {
        out.append('%');
        continue;
      }
      if (argi >= args.size()) {
        out.append("%!").append(verb).append("(MISSING)");
        continue;
      }
      Object a = args.get(argi++);
      String s = formatOne(verb, a, prec);
      if ((plus || space) && isNumber(a) && !s.startsWith("-") && !s.startsWith("+")) {
        s = (plus ? "+" : " ") + s;
      }
      if (width > s.length()) {
        String pad = " ".repeat(width - s.length());
        if (minus) {
          s = s + pad;
        } else if (zero && isNumber(a)) {
          String sign = s.startsWith("-") || s.startsWith("+") ? s.substring(0, 1) : "";
          s = sign + "0".repeat(width - s.length()) + s.substring(sign.length());
        } else {
          s = pad + s;
        }
      }
      out.append(s);
    }
    if (argi < args.size()) {
      out.append("%!(EXTRA ");
      for (int k = argi; k < args.size(); k++) {
        if (k > argi) {
          out.append(", ");
        }
        Object a = args.get(k);
        out.append(typeName(a)).append('=').append(print(a));
      }
      out.append(')');
    }
    return out.toString();
  }

  /** A value inside a map or slice: fmt prints a nil there as {@code <nil>}. */
  private static String nested(Object v) {
    return v == null ? "<nil>" : print(v);
  }

  private static boolean isNumber(Object a) {
    return a instanceof Number;
  }

  public static String typeName(Object a) {
    if (a instanceof String) {
      return "string";
    }
    if (a instanceof Double) {
      return "float64";
    }
    if (a instanceof Long || a instanceof Integer) {
      return "int";
    }
    if (a instanceof Boolean) {
      return "bool";
    }
    if (a instanceof Map) {
      return "map[string]string";
    }
    return a == null ? "<nil>" : a.getClass().getSimpleName();
  }

  private static String formatOne(char verb, Object a, int prec) {
    switch (verb) {
      case 'v':
        if (a instanceof Double d && prec >= 0) {
          return formatG(d, prec);
        }
        return print(a);
      case 's':
        {
          String s = print(a);
          if (a instanceof Double d) {
            return "%!s(float64=" + formatV(d) + ")";
          }
          if (a instanceof Long || a instanceof Integer) {
            return "%!s(int=" + a + ")";
          }
          return prec >= 0 && prec < s.length() ? s.substring(0, prec) : s;
        }
      case 'q':
        return a instanceof String s ? goQuote(s) : "%!q(" + typeName(a) + "=" + print(a) + ")";
      case 'd':
        if (a instanceof Long || a instanceof Integer) {
          return a.toString();
        }
        return "%!d(" + typeName(a) + "=" + print(a) + ")";
      case 'x':
        if (a instanceof Long || a instanceof Integer) {
          return Long.toHexString(((Number) a).longValue());
        }
        if (a instanceof String s) {
          StringBuilder sb = new StringBuilder();
          for (byte b : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            sb.append(String.format("%02x", b & 0xff));
          }
          return sb.toString();
        }
        return "%!x(" + typeName(a) + "=" + print(a) + ")";
      case 't':
        return a instanceof Boolean ? a.toString() : "%!t(" + typeName(a) + "=" + print(a) + ")";
      case 'f':
      case 'F':
      case 'g':
      case 'e':
        {
          if (!(a instanceof Number n)) {
            return "%!" + verb + "(" + typeName(a) + "=" + print(a) + ")";
          }
          if (a instanceof Long || a instanceof Integer) {
            return "%!" + verb + "(int=" + a + ")";
          }
          double d = n.doubleValue();
          return switch (verb) {
            case 'g' -> formatG(d, prec);
            case 'e' -> formatE(d, prec < 0 ? 6 : prec);
            default -> formatF(d, prec < 0 ? 6 : prec);
          };
        }
      default:
        return "%!" + verb + "(" + typeName(a) + "=" + print(a) + ")";
    }
  }

  /** Go's strconv.Quote. */
  public static String goQuote(String s) {
    return dev.osprey.core.labels.Labels.quote(s);
  }
}
