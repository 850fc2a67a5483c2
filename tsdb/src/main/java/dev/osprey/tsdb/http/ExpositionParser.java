package dev.osprey.tsdb.http;

import dev.osprey.core.labels.Labels;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Parses the Prometheus text exposition format (timestamps in milliseconds) or OpenMetrics 1.0
 * (timestamps in seconds, ending in {@code # EOF}) line by line from a stream, so a body of any
 * size is never held in memory. Malformed lines are reported with line and column and skipped; the
 * rest of the input is still read.
 */
final class ExpositionParser {
  /** Receives samples and errors. */
  interface Sink {
    void sample(Labels labels, long t, double v);

    void error(String message);
  }

  /** Go's math.NaN() bit pattern, which Prometheus stores for a parsed "NaN". */
  static final double GO_NAN = Double.longBitsToDouble(0x7FF8000000000001L);

  private static final int MAX_CACHED_SERIES = 100_000;

  private final boolean openMetrics;
  private final long defaultTime;
  private final Map<String, Labels> seriesCache = new HashMap<>();
  private final Map<String, String> familyTypes = new HashMap<>();
  private final Labels.Builder builder = Labels.builder();
  private String line;
  private int pos;
  private long lineNo;

  ExpositionParser(boolean openMetrics, long defaultTime) {
    this.openMetrics = openMetrics;
    this.defaultTime = defaultTime;
  }

  /** Thrown inside the parser for a malformed line; caught per line. */
  private static final class LineException extends Exception {
    LineException(String message) {
      super(message, null, false, false);
    }
  }

  void parse(InputStream in, Sink sink) throws IOException {
    BufferedReader r =
        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
    boolean eof = false;
    String l;
    while ((l = r.readLine()) != null) {
      lineNo++;
      if (eof) {
        if (!l.isEmpty()) {
          sink.error("cannot parse line " + lineNo + " column 1: content after # EOF");
          drain(r);
          return;
        }
        continue;
      }
      if (l.isEmpty()) {
        continue;
      }
      line = l;
      pos = 0;
      try {
        if (l.charAt(0) == '#') {
          eof = comment();
        } else {
          sampleLine(sink);
        }
      } catch (LineException e) {
        sink.error("cannot parse line " + lineNo + " column " + (pos + 1) + ": " + e.getMessage());
      }
    }
    if (openMetrics && !eof) {
      sink.error("cannot parse line " + (lineNo + 1) + " column 1: expected # EOF at the end");
    }
  }

  private static void drain(BufferedReader r) throws IOException {
    char[] buf = new char[1 << 16];
    while (r.read(buf) >= 0) {
      // the client is still sending; read to the end so the connection stays usable
    }
  }

  /** Handles a comment line; returns true for {@code # EOF} in OpenMetrics. */
  private boolean comment() {
    if (openMetrics && line.equals("# EOF")) {
      return true;
    }
    if (line.startsWith("# TYPE ")) {
      String[] parts = line.substring(7).trim().split("\\s+");
      if (parts.length == 2) {
        familyTypes.put(parts[0], parts[1]);
      }
    }
    return false;
  }

  private void sampleLine(Sink sink) throws LineException {
    int start = pos;
    String name = metricName();
    if (pos < line.length() && line.charAt(pos) == '{') {
      skipLabels();
    }
    String key = line.substring(start, pos);
    if (openMetrics && name.endsWith("_created") && isCreatedSeries(name)) {
      return; // as Prometheus's OpenMetrics parser: a _created sample is not a series of its own
    }
    Labels labels = seriesCache.get(key);
    if (labels == null) {
      pos = start + name.length();
      builder.reset();
      builder.set(Labels.METRIC_NAME, name);
      if (pos < line.length() && line.charAt(pos) == '{') {
        labels();
      }
      labels = builder.build();
      if (seriesCache.size() >= MAX_CACHED_SERIES) {
        seriesCache.clear();
      }
      seriesCache.put(key, labels);
    }
    if (pos >= line.length() || !isSpace(line.charAt(pos))) {
      throw new LineException("expected a space before the value");
    }
    skipSpaces();
    double v = parseValue(token());
    long t = defaultTime;
    skipSpaces();
    if (pos < line.length() && line.charAt(pos) != '#') {
      String ts = token();
      t = openMetrics ? secondsToMillis(ts) : parseMillis(ts);
      skipSpaces();
    }
    if (pos < line.length()) {
      if (!openMetrics || line.charAt(pos) != '#') {
        throw new LineException("unexpected " + quoteChar(line.charAt(pos)) + " after the sample");
      }
      // an OpenMetrics exemplar: not stored
    }
    sink.sample(labels, t, v);
  }

  private boolean isCreatedSeries(String name) {
    String family = name.substring(0, name.length() - "_created".length());
    String type = familyTypes.get(family);
    return type != null
        && (type.equals("counter")
            || type.equals("histogram")
            || type.equals("summary")
            || type.equals("gaugehistogram"));
  }

  private String metricName() throws LineException {
    int s = pos;
    while (pos < line.length()) {
      char c = line.charAt(pos);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || c == '_'
              || c == ':'
              || (pos > s && c >= '0' && c <= '9');
      if (!ok) {
        break;
      }
      pos++;
    }
    if (pos == s) {
      throw new LineException("expected a metric name, found " + quoteChar(line.charAt(pos)));
    }
    return line.substring(s, pos);
  }

  /** Moves past a label block without interpreting it (for the series cache key). */
  private void skipLabels() throws LineException {
    int s = pos;
    boolean inString = false;
    for (pos++; pos < line.length(); pos++) {
      char c = line.charAt(pos);
      if (inString) {
        if (c == '\\') {
          pos++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '}') {
        pos++;
        return;
      }
    }
    pos = s;
    labels(); // reports where the block is broken
  }

  private void labels() throws LineException {
    pos++; // '{'
    while (true) {
      skipSpaces();
      if (pos >= line.length()) {
        throw new LineException("unexpected end of line in labels");
      }
      if (line.charAt(pos) == '}') {
        pos++;
        return;
      }
      int s = pos;
      while (pos < line.length()) {
        char c = line.charAt(pos);
        boolean ok =
            (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || c == '_'
                || (pos > s && c >= '0' && c <= '9');
        if (!ok) {
          break;
        }
        pos++;
      }
      if (pos == s) {
        throw new LineException("expected a label name");
      }
      String name = line.substring(s, pos);
      skipSpaces();
      expect('=');
      skipSpaces();
      expect('"');
      StringBuilder v = new StringBuilder();
      while (true) {
        if (pos >= line.length()) {
          throw new LineException("unterminated label value");
        }
        char c = line.charAt(pos++);
        if (c == '"') {
          break;
        }
        if (c == '\\') {
          if (pos >= line.length()) {
            throw new LineException("unterminated label value");
          }
          char e = line.charAt(pos++);
          switch (e) {
            case '\\' -> v.append('\\');
            case '"' -> v.append('"');
            case 'n' -> v.append('\n');
            default -> {
              pos--;
              throw new LineException("invalid escape sequence \\" + e);
            }
          }
        } else {
          v.append(c);
        }
      }
      if (name.equals(Labels.METRIC_NAME) || !builder.get(name).isEmpty()) {
        throw new LineException("duplicate label name " + Labels.quote(name));
      }
      builder.set(name, v.toString());
      skipSpaces();
      if (pos < line.length() && line.charAt(pos) == ',') {
        pos++;
      } else if (pos < line.length() && line.charAt(pos) != '}') {
        throw new LineException(
            "expected , or } after a label, found " + quoteChar(line.charAt(pos)));
      }
    }
  }

  private void expect(char c) throws LineException {
    if (pos >= line.length() || line.charAt(pos) != c) {
      throw new LineException(
          "expected "
              + quoteChar(c)
              + (pos < line.length() ? ", found " + quoteChar(line.charAt(pos)) : ""));
    }
    pos++;
  }

  private String token() throws LineException {
    int s = pos;
    while (pos < line.length() && !isSpace(line.charAt(pos))) {
      pos++;
    }
    if (pos == s) {
      throw new LineException("expected a value");
    }
    return line.substring(s, pos);
  }

  private void skipSpaces() {
    while (pos < line.length() && isSpace(line.charAt(pos))) {
      pos++;
    }
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t';
  }

  private static String quoteChar(char c) {
    return Labels.quote(String.valueOf(c));
  }

  /** A float as Go's strconv.ParseFloat reads it (decimal forms, inf, infinity, nan). */
  double parseValue(String s) throws LineException {
    String lower = s.toLowerCase(java.util.Locale.ROOT);
    switch (lower) {
      case "nan", "+nan", "-nan" -> {
        return GO_NAN;
      }
      case "inf", "+inf", "infinity", "+infinity" -> {
        return Double.POSITIVE_INFINITY;
      }
      case "-inf", "-infinity" -> {
        return Double.NEGATIVE_INFINITY;
      }
      default -> {}
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
        pos -= s.length() - i;
        throw new LineException("invalid value " + Labels.quote(s));
      }
    }
    try {
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      pos -= s.length();
      throw new LineException("invalid value " + Labels.quote(s));
    }
  }

  private long parseMillis(String s) throws LineException {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      pos -= s.length();
      throw new LineException("invalid timestamp " + Labels.quote(s) + " (integer milliseconds)");
    }
  }

  private long secondsToMillis(String s) throws LineException {
    double ts = parseValue(s);
    if (Double.isNaN(ts) || Double.isInfinite(ts)) {
      pos -= s.length();
      throw new LineException("invalid timestamp " + Labels.quote(s));
    }
    return (long) (ts * 1000); // as Prometheus: int64(ts * 1000)
  }
}
