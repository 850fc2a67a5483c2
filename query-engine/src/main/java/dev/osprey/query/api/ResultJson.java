package dev.osprey.query.api;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.labels.Labels;
import dev.osprey.query.promql.GoFloat;
import dev.osprey.query.promql.QueryResult;
import dev.osprey.query.promql.Values.Sample;
import dev.osprey.query.promql.Values.Series;
import java.util.Arrays;
import java.util.List;

/**
 * Writes query results in Prometheus's JSON, numbers formatted as Go formats them, straight into
 * UTF-8 bytes: a buffer kept per thread grows to the largest answer (up to {@link #KEEP} bytes) and
 * the answer is one copy of it, where a StringBuilder, its String and the String's bytes were three
 * (count by pod's answer is about a megabyte).
 */
final class ResultJson {
  private ResultJson() {}

  /** The largest buffer a thread keeps between answers. */
  static final int KEEP = 8 << 20;

  private static final ThreadLocal<Out> BUFFERS = ThreadLocal.withInitial(Out::new);

  static byte[] write(QueryResult r, long limit) {
    Out o = BUFFERS.get();
    o.n = 0;
    try {
      write(o, r, limit);
      return Arrays.copyOf(o.b, o.n);
    } finally {
      if (o.b.length > KEEP) {
        o.b = new byte[4096];
      }
    }
  }

  private static void write(Out o, QueryResult r, long limit) {
    o.ascii("{\"status\":\"success\",\"data\":{\"resultType\":\"")
        .ascii(r.type().json())
        .ascii("\",\"result\":");
    switch (r.type()) {
      case SCALAR -> {
        o.put('[');
        o.ts(r.time());
        o.put(',').num(r.scalar()).put(']');
      }
      case STRING -> {
        o.put('[');
        o.ts(r.time());
        o.put(',');
        o.str(r.string());
        o.put(']');
      }
      case VECTOR -> {
        o.put('[');
        int n = 0;
        for (Sample s : r.vector()) {
          if (limit > 0 && n >= limit) {
            break;
          }
          if (n++ > 0) {
            o.put(',');
          }
          o.ascii("{\"metric\":");
          o.labels(s.labels);
          if (s.h != null) {
            o.ascii(",\"histogram\":[");
            o.ts(r.time());
            o.put(',');
            o.histogram(s.h);
            o.ascii("]}");
            continue;
          }
          o.ascii(",\"value\":[");
          o.ts(r.time());
          o.put(',').num(s.v).ascii("]}");
        }
        o.put(']');
      }
      case MATRIX -> {
        o.put('[');
        int n = 0;
        for (Series s : r.matrix()) {
          if (limit > 0 && n >= limit) {
            break;
          }
          if (n++ > 0) {
            o.put(',');
          }
          o.ascii("{\"metric\":");
          o.labels(s.labels);
          int floats = 0;
          for (int i = 0; i < s.n; i++) {
            if (s.histogram(i) != null) {
              continue;
            }
            o.ascii(floats++ == 0 ? ",\"values\":[[" : ",[");
            o.ts(s.t[i]);
            o.put(',').num(s.v[i]).put(']');
          }
          if (floats > 0) {
            o.put(']');
          }
          if (s.h != null) {
            int hs = 0;
            for (int i = 0; i < s.n; i++) {
              if (s.histogram(i) == null) {
                continue;
              }
              o.ascii(hs++ == 0 ? ",\"histograms\":[[" : ",[");
              o.ts(s.t[i]);
              o.put(',');
              o.histogram(s.histogram(i));
              o.put(']');
            }
            if (hs > 0) {
              o.put(']');
            }
          }
          o.put('}');
        }
        o.put(']');
      }
    }
    o.put('}');
    o.annotations("warnings", r.warnings());
    o.annotations("infos", r.infos());
    o.put('}');
  }

  /** A growing UTF-8 buffer with the writers the result JSON needs. */
  static final class Out {
    byte[] b = new byte[4096];
    int n;

    private void room(int k) {
      if (n + k > b.length) {
        b = Arrays.copyOf(b, Math.max(b.length * 2, n + k));
      }
    }

    Out put(char c) {
      room(1);
      b[n++] = (byte) c;
      return this;
    }

    /** A string known to be ASCII. */
    Out ascii(String s) {
      int len = s.length();
      room(len);
      s.getBytes(0, len, b, n); // deprecated for non-ASCII text only; this is ASCII
      n += len;
      return this;
    }

    Out num(long v) {
      if (v == Long.MIN_VALUE) {
        return ascii(Long.toString(v));
      }
      room(20);
      if (v < 0) {
        b[n++] = '-';
        v = -v;
      }
      int digits = 1;
      for (long p = 10; digits < 19 && v >= p; p *= 10) {
        digits++;
      }
      int end = n + digits;
      for (int i = end - 1; i >= n; i--) {
        b[i] = (byte) ('0' + v % 10);
        v /= 10;
      }
      n = end;
      return this;
    }

    /** A sample value as Prometheus writes it: GoFloat.formatF in quotes. */
    Out num(double v) {
      put('"');
      if (v == Math.rint(v) && Math.abs(v) < 1e15 && v != 0) {
        num((long) v); // formatF's own fast path, without the String
      } else {
        ascii(GoFloat.formatF(v));
      }
      return put('"');
    }

    /** Go's jsonutil.MarshalTimestamp: seconds, then a 3-digit millisecond fraction if any. */
    void ts(long t) {
      if (t < 0) {
        put('-');
        t = -t;
      }
      num(t / 1000);
      long f = t % 1000;
      if (f != 0) {
        room(4);
        b[n++] = '.';
        b[n++] = (byte) ('0' + f / 100);
        b[n++] = (byte) ('0' + f / 10 % 10);
        b[n++] = (byte) ('0' + f % 10);
      }
    }

    void labels(Labels l) {
      put('{');
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) {
          put(',');
        }
        str(l.name(i));
        put(':');
        str(l.value(i));
      }
      put('}');
    }

    /**
     * A JSON string as Go's encoding/json writes it (HTML-safe escapes included), in UTF-8; a lone
     * surrogate becomes {@code \ufffd}.
     */
    void str(String s) {
      int len = s.length();
      room(len + 2);
      b[n++] = '"';
      for (int i = 0; i < len; i++) {
        char c = s.charAt(i);
        if (c < 0x80) {
          switch (c) {
            case '"' -> ascii("\\\"");
            case '\\' -> ascii("\\\\");
            case '\n' -> ascii("\\n");
            case '\r' -> ascii("\\r");
            case '\t' -> ascii("\\t");
            case '<', '>', '&' -> escape(c);
            default -> {
              if (c < 0x20) {
                escape(c);
              } else {
                room(1);
                b[n++] = (byte) c;
              }
            }
          }
        } else if (c == '\u2028' || c == '\u2029') {
          escape(c);
        } else if (Character.isHighSurrogate(c)
            && i + 1 < len
            && Character.isLowSurrogate(s.charAt(i + 1))) {
          int cp = Character.toCodePoint(c, s.charAt(++i));
          room(4);
          b[n++] = (byte) (0xf0 | (cp >> 18));
          b[n++] = (byte) (0x80 | ((cp >> 12) & 0x3f));
          b[n++] = (byte) (0x80 | ((cp >> 6) & 0x3f));
          b[n++] = (byte) (0x80 | (cp & 0x3f));
        } else if (Character.isSurrogate(c)) {
          ascii("\\ufffd");
        } else if (c < 0x800) {
          room(2);
          b[n++] = (byte) (0xc0 | (c >> 6));
          b[n++] = (byte) (0x80 | (c & 0x3f));
        } else {
          room(3);
          b[n++] = (byte) (0xe0 | (c >> 12));
          b[n++] = (byte) (0x80 | ((c >> 6) & 0x3f));
          b[n++] = (byte) (0x80 | (c & 0x3f));
        }
      }
      put('"');
    }

    private void escape(char c) {
      ascii("\\u");
      room(4);
      for (int shift = 12; shift >= 0; shift -= 4) {
        b[n++] = (byte) Character.forDigit((c >> shift) & 0xf, 16);
      }
    }

    /**
     * A native histogram as Prometheus's API writes it: count and sum as strings, then the
     * non-empty buckets in ascending order as [boundary rule, lower, upper, count], the rule 0 for
     * (lower, upper], 1 for [lower, upper), 3 for the closed zero bucket.
     */
    void histogram(FloatHistogram h) {
      ascii("{\"count\":").num(h.count()).ascii(",\"sum\":").num(h.sum());
      int k0 = 0;
      for (int k = h.negativeBuckets() - 1; k >= 0; k--) {
        int idx = h.negativeIndex(k);
        k0 = bucket(k0, 1, -h.upperBound(idx), -h.lowerBound(idx), h.negativeCount(k));
      }
      if (!h.usesCustomBuckets()) {
        k0 = bucket(k0, 3, -h.zeroThreshold(), h.zeroThreshold(), h.zeroCount());
      }
      for (int k = 0; k < h.positiveBuckets(); k++) {
        int idx = h.positiveIndex(k);
        k0 = bucket(k0, 0, h.lowerBound(idx), h.upperBound(idx), h.positiveCount(k));
      }
      if (k0 > 0) {
        put(']');
      }
      put('}');
    }

    private int bucket(int k, int rule, double lower, double upper, double count) {
      if (count == 0) {
        return k; // upstream leaves empty buckets out
      }
      ascii(k == 0 ? ",\"buckets\":[" : ",");
      put('[').num(rule).put(',').num(lower).put(',').num(upper).put(',').num(count).put(']');
      return k + 1;
    }

    void annotations(String key, List<String> l) {
      if (l == null || l.isEmpty()) {
        return;
      }
      ascii(",\"").ascii(key).ascii("\":[");
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) {
          put(',');
        }
        str(l.get(i));
      }
      put(']');
    }
  }
}
