package dev.osprey.query.api;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.labels.Labels;
import dev.osprey.query.promql.GoFloat;
import dev.osprey.query.promql.QueryResult;
import dev.osprey.query.promql.Values.Sample;
import dev.osprey.query.promql.Values.Series;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The query result writer as it was before {@link ResultJson} wrote bytes (a StringBuilder, then a
 * String, then UTF-8): the reference its output is compared with.
 */
final class ResultJsonReference {
  private ResultJsonReference() {}

  static byte[] write(QueryResult r, long limit) {
    StringBuilder sb = new StringBuilder(256);
    sb.append("{\"status\":\"success\",\"data\":{\"resultType\":\"")
        .append(r.type().json())
        .append("\",\"result\":");
    switch (r.type()) {
      case SCALAR -> {
        sb.append('[');
        ts(sb, r.time());
        sb.append(",\"").append(GoFloat.formatF(r.scalar())).append("\"]");
      }
      case STRING -> {
        sb.append('[');
        ts(sb, r.time());
        sb.append(',');
        str(sb, r.string());
        sb.append(']');
      }
      case VECTOR -> {
        sb.append('[');
        int n = 0;
        for (Sample s : r.vector()) {
          if (limit > 0 && n >= limit) {
            break;
          }
          if (n++ > 0) {
            sb.append(',');
          }
          sb.append("{\"metric\":");
          labels(sb, s.labels);
          if (s.h != null) {
            sb.append(",\"histogram\":[");
            ts(sb, r.time());
            sb.append(',');
            histogram(sb, s.h);
            sb.append("]}");
            continue;
          }
          sb.append(",\"value\":[");
          ts(sb, r.time());
          sb.append(",\"").append(GoFloat.formatF(s.v)).append("\"]}");
        }
        sb.append(']');
      }
      case MATRIX -> {
        sb.append('[');
        int n = 0;
        for (Series s : r.matrix()) {
          if (limit > 0 && n >= limit) {
            break;
          }
          if (n++ > 0) {
            sb.append(',');
          }
          sb.append("{\"metric\":");
          labels(sb, s.labels);
          int floats = 0;
          for (int i = 0; i < s.n; i++) {
            if (s.histogram(i) != null) {
              continue;
            }
            sb.append(floats++ == 0 ? ",\"values\":[" : ",");
            sb.append('[');
            ts(sb, s.t[i]);
            sb.append(",\"").append(GoFloat.formatF(s.v[i])).append("\"]");
          }
          if (floats > 0) {
            sb.append(']');
          }
          if (s.h != null) {
            int hs = 0;
            for (int i = 0; i < s.n; i++) {
              if (s.histogram(i) == null) {
                continue;
              }
              sb.append(hs++ == 0 ? ",\"histograms\":[" : ",");
              sb.append('[');
              ts(sb, s.t[i]);
              sb.append(',');
              histogram(sb, s.histogram(i));
              sb.append(']');
            }
            if (hs > 0) {
              sb.append(']');
            }
          }
          sb.append('}');
        }
        sb.append(']');
      }
    }
    sb.append('}');
    annotations(sb, "warnings", r.warnings());
    annotations(sb, "infos", r.infos());
    sb.append('}');
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * A native histogram as Prometheus's API writes it: count and sum as strings, then the non-empty
   * buckets in ascending order as [boundary rule, lower, upper, count], the rule 0 for (lower,
   * upper], 1 for [lower, upper), 3 for the closed zero bucket.
   */
  static void histogram(StringBuilder sb, FloatHistogram h) {
    sb.append("{\"count\":\"")
        .append(GoFloat.formatF(h.count()))
        .append("\",\"sum\":\"")
        .append(GoFloat.formatF(h.sum()))
        .append('"');
    int n = 0;
    for (int k = h.negativeBuckets() - 1; k >= 0; k--) {
      int idx = h.negativeIndex(k);
      n = bucket(sb, n, 1, -h.upperBound(idx), -h.lowerBound(idx), h.negativeCount(k));
    }
    if (!h.usesCustomBuckets()) {
      n = bucket(sb, n, 3, -h.zeroThreshold(), h.zeroThreshold(), h.zeroCount());
    }
    for (int k = 0; k < h.positiveBuckets(); k++) {
      int idx = h.positiveIndex(k);
      n = bucket(sb, n, 0, h.lowerBound(idx), h.upperBound(idx), h.positiveCount(k));
    }
    if (n > 0) {
      sb.append(']');
    }
    sb.append('}');
  }

  private static int bucket(
      StringBuilder sb, int n, int rule, double lower, double upper, double count) {
    if (count == 0) {
      return n; // upstream leaves empty buckets out
    }
    sb.append(n == 0 ? ",\"buckets\":[" : ",");
    sb.append('[')
        .append(rule)
        .append(",\"")
        .append(GoFloat.formatF(lower))
        .append("\",\"")
        .append(GoFloat.formatF(upper))
        .append("\",\"")
        .append(GoFloat.formatF(count))
        .append("\"]");
    return n + 1;
  }

  private static void annotations(StringBuilder sb, String key, List<String> l) {
    if (l == null || l.isEmpty()) {
      return;
    }
    sb.append(",\"").append(key).append("\":[");
    for (int i = 0; i < l.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      str(sb, l.get(i));
    }
    sb.append(']');
  }

  /** Go's jsonutil.MarshalTimestamp: seconds, then a 3-digit millisecond fraction if any. */
  static void ts(StringBuilder sb, long t) {
    if (t < 0) {
      sb.append('-');
      t = -t;
    }
    sb.append(t / 1000);
    long f = t % 1000;
    if (f != 0) {
      sb.append('.');
      if (f < 100) {
        sb.append('0');
      }
      if (f < 10) {
        sb.append('0');
      }
      sb.append(f);
    }
  }

  static void labels(StringBuilder sb, Labels l) {
    sb.append('{');
    for (int i = 0; i < l.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      str(sb, l.name(i));
      sb.append(':');
      str(sb, l.value(i));
    }
    sb.append('}');
  }

  /** A JSON string as Go's encoding/json writes it (HTML-safe escapes included). */
  static void str(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '<', '>', '&', '\u2028', '\u2029' -> sb.append(String.format("\\u%04x", (int) c));
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else if (Character.isSurrogate(c)
              && !(Character.isHighSurrogate(c)
                  && i + 1 < s.length()
                  && Character.isLowSurrogate(s.charAt(i + 1)))
              && !(Character.isLowSurrogate(c)
                  && i > 0
                  && Character.isHighSurrogate(s.charAt(i - 1)))) {
            sb.append("\\ufffd");
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
