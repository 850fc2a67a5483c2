package dev.osprey.collector.scrape;

import dev.osprey.core.labels.Labels;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * A streaming cursor over a Prometheus text exposition (format 0.0.4) or an OpenMetrics 1.0 body.
 * Hand-written byte scanner: no regex, no per-line String; names are interned per parser so a
 * repeated metric or label name costs no allocation. Not thread-safe; one per body.
 *
 * <pre>{@code
 * ExpositionParser p = new ExpositionParser(body, 0, len, false);
 * for (Entry e; (e = p.next()) != Entry.EOF; ) {
 *   if (e == Entry.SERIES) { p.metricName(); p.labelCount(); p.value(); ... }
 * }
 * }</pre>
 */
public final class ExpositionParser {
  /** What {@link #next()} found. */
  public enum Entry {
    SERIES,
    HELP,
    TYPE,
    UNIT,
    COMMENT,
    EOF
  }

  private static final int MAX_LABELS = 1024;

  private final byte[] buf;
  private final int end;
  private final boolean openMetrics;
  private int pos;
  private int line;
  private int lineStart;
  private int lineEnd;
  private boolean sawEof;

  private String metricName;
  private final String[] labelNames = new String[MAX_LABELS];
  private final String[] labelValues = new String[MAX_LABELS];
  private int labelCount;
  private double value;
  private boolean hasTimestamp;
  private long timestamp;
  private boolean hasExemplar;
  private String metaName;
  private String metaText;

  private final Map<Key, String> interned = new HashMap<>();
  private final Key probe = new Key();
  private CharsetDecoder decoder;

  public ExpositionParser(byte[] buf, int offset, int length, boolean openMetrics) {
    if (offset < 0 || length < 0 || offset + length > buf.length) {
      throw new IllegalArgumentException("offset/length outside the buffer");
    }
    this.buf = buf;
    this.pos = offset;
    this.end = offset + length;
    this.openMetrics = openMetrics;
  }

  /** Whether a Content-Type header asks for OpenMetrics. */
  public static boolean isOpenMetrics(String contentType) {
    return contentType != null
        && contentType
            .trim()
            .toLowerCase(java.util.Locale.ROOT)
            .startsWith("application/openmetrics-text");
  }

  public Entry next() throws ExpositionParseException {
    while (true) {
      if (pos >= end) {
        if (openMetrics && !sawEof) {
          throw error(Math.max(pos - lineStart, 0), "data does not end with # EOF");
        }
        return Entry.EOF;
      }
      if (sawEof) {
        line++;
        throw error(0, "unexpected data after # EOF");
      }
      line++;
      lineStart = pos;
      int eol = pos;
      while (eol < end && buf[eol] != '\n') {
        eol++;
      }
      lineEnd = eol;
      if (lineEnd > lineStart && buf[lineEnd - 1] == '\r') {
        lineEnd--;
      }
      pos = eol < end ? eol + 1 : end;
      int p = skipSpace(lineStart);
      if (p == lineEnd) {
        if (openMetrics) {
          throw error(0, "empty line is not allowed in OpenMetrics");
        }
        continue;
      }
      if (buf[p] == '#') {
        Entry e = comment(p + 1);
        if (e == Entry.COMMENT && !openMetrics) {
          continue;
        }
        if (e == Entry.EOF) {
          sawEof = true;
          if (pos < end) {
            line++;
            throw error(0, "unexpected data after # EOF");
          }
          return Entry.EOF;
        }
        return e;
      }
      series(p);
      return Entry.SERIES;
    }
  }

  private Entry comment(int p) throws ExpositionParseException {
    int afterHash = p;
    p = skipSpace(p);
    if (openMetrics && (afterHash == lineEnd || buf[afterHash] != ' ')) {
      throw error(afterHash - lineStart, "expected a space after #");
    }
    int wordStart = p;
    while (p < lineEnd && buf[p] != ' ' && buf[p] != '\t') {
      p++;
    }
    Entry kind = Entry.COMMENT;
    if (word(wordStart, p, "HELP")) {
      kind = Entry.HELP;
    } else if (word(wordStart, p, "TYPE")) {
      kind = Entry.TYPE;
    } else if (openMetrics && word(wordStart, p, "UNIT")) {
      kind = Entry.UNIT;
    } else if (openMetrics && word(wordStart, p, "EOF")) {
      kind = Entry.EOF;
    }
    String word = kind == Entry.COMMENT ? "" : kind.name();
    if (kind == Entry.EOF) {
      if (skipSpace(p) != lineEnd) {
        throw error(p - lineStart, "unexpected text after # EOF");
      }
      return kind;
    }
    if (kind == Entry.COMMENT) {
      if (openMetrics) {
        throw error(wordStart - lineStart, "unknown comment, expected HELP, TYPE, UNIT or EOF");
      }
      return kind;
    }
    if (p == lineEnd || (buf[p] != ' ' && buf[p] != '\t')) {
      throw error(p - lineStart, "expected a metric name after " + word);
    }
    p = skipSpace(p);
    int nameStart = p;
    p = scanMetricName(p);
    if (p == nameStart) {
      throw error(p - lineStart, "invalid metric name in " + word);
    }
    metaName = intern(nameStart, p);
    if (p < lineEnd && buf[p] != ' ' && buf[p] != '\t') {
      throw error(p - lineStart, "invalid metric name in " + word);
    }
    int textStart = p < lineEnd ? p + 1 : p;
    if (kind == Entry.TYPE) {
      textStart = skipSpace(p);
      int te = lineEnd;
      while (te > textStart && (buf[te - 1] == ' ' || buf[te - 1] == '\t')) {
        te--;
      }
      metaText = new String(buf, textStart, te - textStart, StandardCharsets.ISO_8859_1);
      if (!validType(metaText)) {
        throw error(textStart - lineStart, "invalid metric type \"" + metaText + "\"");
      }
    } else if (kind == Entry.HELP) {
      if (!openMetrics) {
        textStart = skipSpace(p);
      }
      metaText = unescapeHelp(textStart, lineEnd);
    } else {
      metaText = decode(skipSpace(p), lineEnd);
    }
    return kind;
  }

  private boolean word(int s, int e, String w) {
    if (e - s != w.length()) {
      return false;
    }
    for (int i = 0; i < w.length(); i++) {
      if (buf[s + i] != w.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private boolean validType(String t) {
    return switch (t) {
      case "counter", "gauge", "histogram", "summary" -> true;
      case "untyped" -> !openMetrics;
      case "unknown", "gaugehistogram", "stateset", "info" -> openMetrics;
      default -> false;
    };
  }

  private void series(int p) throws ExpositionParseException {
    labelCount = 0;
    hasTimestamp = false;
    hasExemplar = false;
    int nameStart = p;
    p = scanMetricName(p);
    if (p == nameStart) {
      throw error(p - lineStart, "invalid metric name");
    }
    metricName = intern(nameStart, p);
    boolean spaced = false;
    if (!openMetrics) {
      int q = skipSpace(p);
      spaced = q > p;
      p = q;
    }
    if (p < lineEnd && buf[p] == '{') {
      p = labels(p + 1, false);
      spaced = false;
    }
    if (!spaced && (p == lineEnd || (buf[p] != ' ' && buf[p] != '\t'))) {
      throw error(
          p - lineStart,
          p == lineEnd
              ? "expected a value"
              : "unexpected character after " + "metric name or labels");
    }
    p = skipSpace(p);
    int vs = p;
    p = scanToken(p);
    value = parseFloat(vs, p, "value");
    p = skipSpace(p);
    if (p == lineEnd) {
      return;
    }
    if (buf[p] != '#') {
      int ts = p;
      p = scanToken(p);
      timestamp =
          openMetrics ? secondsToMillis(parseFloat(ts, p, "timestamp"), ts) : parseLong(ts, p);
      hasTimestamp = true;
      p = skipSpace(p);
      if (p == lineEnd) {
        return;
      }
    }
    if (openMetrics && buf[p] == '#') {
      exemplar(p + 1);
      return;
    }
    throw error(
        p - lineStart, "unexpected text after the " + (hasTimestamp ? "timestamp" : "value"));
  }

  private void exemplar(int p) throws ExpositionParseException {
    p = skipSpace(p);
    if (p == lineEnd || buf[p] != '{') {
      throw error(p - lineStart, "expected exemplar labels");
    }
    int saved = labelCount;
    p = labels(p + 1, true);
    labelCount = saved;
    p = skipSpace(p);
    int vs = p;
    p = scanToken(p);
    parseFloat(vs, p, "exemplar value");
    p = skipSpace(p);
    if (p < lineEnd) {
      int ts = p;
      p = scanToken(p);
      parseFloat(ts, p, "exemplar timestamp");
      if (skipSpace(p) != lineEnd) {
        throw error(p - lineStart, "unexpected text after the exemplar");
      }
    }
    hasExemplar = true;
  }

  /** Parses {@code name="value",...}} starting after the brace; returns the position after '}'. */
  private int labels(int p, boolean exemplar) throws ExpositionParseException {
    int exemplarStart = labelCount;
    while (true) {
      p = skipSpace(p);
      if (p == lineEnd) {
        throw error(p - lineStart, "unterminated label set");
      }
      if (buf[p] == '}') {
        return p + 1;
      }
      int ns = p;
      p = scanLabelName(p);
      if (p == ns) {
        throw error(p - lineStart, "invalid label name");
      }
      String name = intern(ns, p);
      p = skipSpace(p);
      if (p == lineEnd || buf[p] != '=') {
        throw error(p - lineStart, "expected '=' after label name " + name);
      }
      p = skipSpace(p + 1);
      if (p == lineEnd || buf[p] != '"') {
        throw error(p - lineStart, "expected '\"' to start the value of label " + name);
      }
      p++;
      int vs = p;
      boolean escaped = false;
      while (p < lineEnd && buf[p] != '"') {
        if (buf[p] == '\\') {
          escaped = true;
          p++;
          if (p == lineEnd) {
            break;
          }
        }
        p++;
      }
      if (p >= lineEnd) {
        throw error(vs - lineStart, "unterminated value of label " + name);
      }
      String value = escaped ? unescapeLabel(vs, p) : decode(vs, p);
      p++;
      for (int i = exemplar ? exemplarStart : 0; i < labelCount; i++) {
        if (labelNames[i].equals(name)) {
          throw error(ns - lineStart, "duplicate label name " + name);
        }
      }
      if (name.equals(Labels.METRIC_NAME) && !exemplar) {
        throw error(ns - lineStart, "label name __name__ is reserved");
      }
      if (labelCount == MAX_LABELS) {
        throw error(ns - lineStart, "more than " + MAX_LABELS + " labels");
      }
      labelNames[labelCount] = name;
      labelValues[labelCount] = value;
      labelCount++;
      p = skipSpace(p);
      if (p < lineEnd && buf[p] == ',') {
        p++;
      } else if (p < lineEnd && buf[p] != '}') {
        throw error(p - lineStart, "expected ',' or '}' after the value of label " + name);
      }
    }
  }

  private int skipSpace(int p) {
    while (p < lineEnd && (buf[p] == ' ' || buf[p] == '\t')) {
      p++;
    }
    return p;
  }

  private int scanToken(int p) {
    while (p < lineEnd && buf[p] != ' ' && buf[p] != '\t') {
      p++;
    }
    return p;
  }

  private int scanMetricName(int p) {
    int s = p;
    while (p < lineEnd) {
      byte c = buf[p];
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || c == '_'
              || c == ':'
              || (p > s && c >= '0' && c <= '9');
      if (!ok) {
        break;
      }
      p++;
    }
    return p;
  }

  private int scanLabelName(int p) {
    int s = p;
    while (p < lineEnd) {
      byte c = buf[p];
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || c == '_'
              || (p > s && c >= '0' && c <= '9');
      if (!ok) {
        break;
      }
      p++;
    }
    return p;
  }

  private double parseFloat(int s, int e, String what) throws ExpositionParseException {
    if (s == e) {
      throw error(s - lineStart, "expected a " + what);
    }
    // fast path: an optional sign and up to 15 digits, the usual counter or gauge
    int p = s;
    boolean neg = false;
    if (buf[p] == '-' || buf[p] == '+') {
      neg = buf[p] == '-';
      p++;
    }
    if (p < e && e - p <= 15) {
      long v = 0;
      int q = p;
      while (q < e && buf[q] >= '0' && buf[q] <= '9') {
        v = v * 10 + (buf[q] - '0');
        q++;
      }
      if (q == e && q > p) {
        return neg ? -(double) v : (double) v;
      }
    }
    double fast = fastDecimal(p, e, neg);
    if (!Double.isNaN(fast)) {
      return fast;
    }
    // Go's strconv.ParseFloat words, case-insensitive
    String tok = new String(buf, s, e - s, StandardCharsets.ISO_8859_1);
    String body = tok.substring(p - s).toLowerCase(java.util.Locale.ROOT);
    switch (body) {
      case "inf", "infinity" -> {
        return neg ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
      }
      case "nan" -> {
        return Double.NaN;
      }
      default -> {}
    }
    // only the characters of a decimal float may reach Double.parseDouble (which would also take
    // "1d", "0x1p3" or " 1")
    boolean digit = false;
    for (int i = p; i < e; i++) {
      byte c = buf[i];
      if (c >= '0' && c <= '9') {
        digit = true;
      } else if (c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-') {
        throw error(i - lineStart, "invalid " + what + " \"" + printable(tok) + "\"");
      }
    }
    if (!digit) {
      throw error(s - lineStart, "invalid " + what + " \"" + printable(tok) + "\"");
    }
    try {
      return Double.parseDouble(tok);
    } catch (NumberFormatException ex) {
      throw error(s - lineStart, "invalid " + what + " \"" + printable(tok) + "\"");
    }
  }

  private static final double[] POW10 = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22
  };

  /**
   * Clinger's fast path: a decimal with at most 15 significant digits and a power of ten within
   * 10^22 is one exact multiplication or division, so correctly rounded. NaN when the token is
   * anything else (the caller falls back to the full parser).
   */
  private double fastDecimal(int p, int e, boolean neg) {
    long mant = 0;
    int digits = 0;
    int fracDigits = 0;
    boolean dot = false;
    int i = p;
    for (; i < e; i++) {
      byte c = buf[i];
      if (c >= '0' && c <= '9') {
        if (mant == 0 && c == '0') {
          if (dot) {
            fracDigits++;
          }
          continue; // leading zeros are not significant
        }
        if (++digits > 15) {
          return Double.NaN;
        }
        mant = mant * 10 + (c - '0');
        if (dot) {
          fracDigits++;
        }
      } else if (c == '.' && !dot) {
        dot = true;
      } else {
        break;
      }
    }
    if (i == p || (dot && i == p + 1)) {
      return Double.NaN;
    }
    int exp = 0;
    if (i < e) {
      if (buf[i] != 'e' && buf[i] != 'E') {
        return Double.NaN;
      }
      i++;
      boolean eneg = false;
      if (i < e && (buf[i] == '+' || buf[i] == '-')) {
        eneg = buf[i] == '-';
        i++;
      }
      if (i == e || e - i > 3) {
        return Double.NaN;
      }
      for (; i < e; i++) {
        byte c = buf[i];
        if (c < '0' || c > '9') {
          return Double.NaN;
        }
        exp = exp * 10 + (c - '0');
      }
      if (eneg) {
        exp = -exp;
      }
    }
    exp -= fracDigits;
    double v = mant;
    if (mant == 0) {
      v = 0;
    } else if (exp >= 0 && exp <= 22) {
      v *= POW10[exp];
    } else if (exp < 0 && exp >= -22) {
      v /= POW10[-exp];
    } else {
      return Double.NaN;
    }
    return neg ? -v : v;
  }

  private long parseLong(int s, int e) throws ExpositionParseException {
    int p = s;
    boolean neg = false;
    if (p < e && (buf[p] == '-' || buf[p] == '+')) {
      neg = buf[p] == '-';
      p++;
    }
    if (p == e || e - p > 19) {
      throw error(s - lineStart, "invalid timestamp");
    }
    long v = 0;
    for (int i = p; i < e; i++) {
      byte c = buf[i];
      if (c < '0' || c > '9') {
        throw error(i - lineStart, "invalid timestamp");
      }
      long nv = v * 10 + (c - '0');
      if (nv < v) {
        throw error(s - lineStart, "timestamp out of range");
      }
      v = nv;
    }
    return neg ? -v : v;
  }

  private long secondsToMillis(double seconds, int at) throws ExpositionParseException {
    if (Double.isNaN(seconds) || Double.isInfinite(seconds) || Math.abs(seconds) > 9.2e15) {
      throw error(at - lineStart, "invalid timestamp");
    }
    return Math.round(seconds * 1000);
  }

  private String unescapeLabel(int s, int e) throws ExpositionParseException {
    byte[] out = new byte[e - s];
    int n = 0;
    for (int p = s; p < e; p++) {
      byte c = buf[p];
      if (c == '\\' && p + 1 < e) {
        byte d = buf[++p];
        switch (d) {
          case 'n' -> out[n++] = '\n';
          case '\\' -> out[n++] = '\\';
          case '"' -> out[n++] = '"';
          default -> {
            out[n++] = '\\';
            out[n++] = d;
          }
        }
      } else {
        out[n++] = c;
      }
    }
    return decodeBytes(out, 0, n, s);
  }

  private String unescapeHelp(int s, int e) throws ExpositionParseException {
    byte[] out = new byte[e - s];
    int n = 0;
    for (int p = s; p < e; p++) {
      byte c = buf[p];
      if (c == '\\'
          && p + 1 < e
          && (buf[p + 1] == 'n' || buf[p + 1] == '\\' || (openMetrics && buf[p + 1] == '"'))) {
        byte d = buf[++p];
        out[n++] = d == 'n' ? (byte) '\n' : d;
      } else {
        out[n++] = c;
      }
    }
    return decodeBytes(out, 0, n, s);
  }

  private String decode(int s, int e) throws ExpositionParseException {
    return decodeBytes(buf, s, e - s, s);
  }

  private String decodeBytes(byte[] b, int off, int len, int at) throws ExpositionParseException {
    boolean ascii = true;
    for (int i = off; i < off + len; i++) {
      if (b[i] < 0) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return new String(b, off, len, StandardCharsets.ISO_8859_1);
    }
    if (decoder == null) {
      decoder =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT);
    }
    try {
      CharBuffer cb = decoder.reset().decode(ByteBuffer.wrap(b, off, len));
      return cb.toString();
    } catch (CharacterCodingException ex) {
      throw error(at - lineStart, "invalid UTF-8");
    }
  }

  private String intern(int s, int e) {
    probe.set(buf, s, e);
    String v = interned.get(probe);
    if (v == null) {
      v = new String(buf, s, e - s, StandardCharsets.ISO_8859_1);
      if (interned.size() < 100_000) {
        Key k = new Key();
        k.set(v.getBytes(StandardCharsets.ISO_8859_1), 0, e - s);
        interned.put(k, v);
      }
    }
    return v;
  }

  private static String printable(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }

  private ExpositionParseException error(int column, String msg) {
    return new ExpositionParseException(line, column + 1, msg);
  }

  // ---- accessors for the current entry ----

  /** The current line (1-based). */
  public int line() {
    return line;
  }

  public String metricName() {
    return metricName;
  }

  public int labelCount() {
    return labelCount;
  }

  public String labelName(int i) {
    return labelNames[i];
  }

  public String labelValue(int i) {
    return labelValues[i];
  }

  /** The series' labels including {@code __name__}. Allocates; hot paths use the accessors. */
  public Labels labels() {
    Labels.Builder b = Labels.builder().set(Labels.METRIC_NAME, metricName);
    for (int i = 0; i < labelCount; i++) {
      b.set(labelNames[i], labelValues[i]);
    }
    return b.build();
  }

  public double value() {
    return value;
  }

  public boolean hasTimestamp() {
    return hasTimestamp;
  }

  /** Milliseconds since the epoch (OpenMetrics' seconds are converted). */
  public long timestampMillis() {
    return timestamp;
  }

  public boolean hasExemplar() {
    return hasExemplar;
  }

  /** For HELP, TYPE and UNIT: the metric family named. */
  public String metaName() {
    return metaName;
  }

  /** For HELP: the text; for TYPE: the type; for UNIT: the unit. */
  public String metaText() {
    return metaText;
  }

  /** A byte-range key that can be probed without copying. */
  private static final class Key {
    byte[] b;
    int s;
    int e;
    int hash;

    void set(byte[] b, int s, int e) {
      this.b = b;
      this.s = s;
      this.e = e;
      int h = 1;
      for (int i = s; i < e; i++) {
        h = 31 * h + b[i];
      }
      this.hash = h;
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && java.util.Arrays.equals(b, s, e, k.b, k.s, k.e);
    }
  }
}
