package dev.osprey.logs.index;

import dev.osprey.core.labels.Labels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Binary encodings of batches (for the WAL) and label sets (for doc values); varint based. */
final class Codec {
  private Codec() {}

  /** A growable byte buffer with varint writers. */
  static final class Out {
    byte[] buf = new byte[256];
    int len;

    void ensure(int n) {
      if (len + n > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
      }
    }

    void varint(long v) {
      ensure(10);
      while ((v & ~0x7FL) != 0) {
        buf[len++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      buf[len++] = (byte) v;
    }

    void fixed64(long v) {
      ensure(8);
      for (int i = 0; i < 8; i++) {
        buf[len++] = (byte) (v >>> (8 * i));
      }
    }

    void string(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      varint(b.length);
      ensure(b.length);
      System.arraycopy(b, 0, buf, len, b.length);
      len += b.length;
    }

    void labels(Labels l) {
      varint(l.size());
      for (int i = 0; i < l.size(); i++) {
        string(l.name(i));
        string(l.value(i));
      }
    }

    byte[] toBytes() {
      return Arrays.copyOf(buf, len);
    }
  }

  /** Reads what {@link Out} wrote; throws IllegalArgumentException on malformed input. */
  static final class In {
    final byte[] buf;
    int pos;
    final int end;

    In(byte[] buf, int off, int len) {
      this.buf = buf;
      this.pos = off;
      this.end = off + len;
    }

    long varint() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= end) {
          throw new IllegalArgumentException("truncated varint");
        }
        byte b = buf[pos++];
        v |= (long) (b & 0x7F) << shift;
        if (b >= 0) {
          return v;
        }
      }
      throw new IllegalArgumentException("varint too long");
    }

    long fixed64() {
      if (pos + 8 > end) {
        throw new IllegalArgumentException("truncated fixed64");
      }
      long v = 0;
      for (int i = 0; i < 8; i++) {
        v |= (buf[pos++] & 0xFFL) << (8 * i);
      }
      return v;
    }

    String string() {
      int n = (int) varint();
      if (n < 0 || pos + n > end) {
        throw new IllegalArgumentException("truncated string");
      }
      String s = new String(buf, pos, n, StandardCharsets.UTF_8);
      pos += n;
      return s;
    }

    Labels labels() {
      int n = (int) varint();
      Labels.Builder b = Labels.builder();
      for (int i = 0; i < n; i++) {
        b.set(string(), string());
      }
      return b.build();
    }
  }

  static byte[] encodeBatch(List<LogStream> batch) {
    Out o = new Out();
    o.varint(batch.size());
    for (LogStream s : batch) {
      o.labels(s.labels());
      o.varint(s.entries().size());
      for (LogEntry e : s.entries()) {
        o.fixed64(e.timestampNanos());
        o.string(e.line());
        o.labels(e.metadata());
      }
    }
    return o.toBytes();
  }

  static List<LogStream> decodeBatch(byte[] b, int off, int len) {
    In in = new In(b, off, len);
    int n = (int) in.varint();
    List<LogStream> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Labels l = in.labels();
      int m = (int) in.varint();
      List<LogEntry> es = new ArrayList<>(m);
      for (int j = 0; j < m; j++) {
        long ts = in.fixed64();
        String line = in.string();
        es.add(new LogEntry(ts, line, in.labels()));
      }
      out.add(new LogStream(l, es));
    }
    return out;
  }

  static byte[] encodeLabels(Labels l) {
    Out o = new Out();
    o.labels(l);
    return o.toBytes();
  }

  static Labels decodeLabels(byte[] b, int off, int len) {
    return new In(b, off, len).labels();
  }
}
