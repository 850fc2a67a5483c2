package dev.osprey.pipeline;

import dev.osprey.core.labels.Labels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xerial.snappy.Snappy;

/**
 * The Loki push API: a {@code PushRequest} protobuf, snappy block-compressed. Entries are grouped
 * by stream and keep their spool order within each stream. Structured metadata carries the entry's
 * metadata and, when {@code sourcePosition} is on, {@code source} and {@code offset}, which let a
 * receiver recognise a replayed entry (delivery is at least once).
 *
 * <p>One encoder per forwarder (not thread-safe): the request and compression buffers are reused
 * from one request to the next, so a request costs one copy of each line (spool batch to request)
 * and the compression; only the compressed body is a new array.
 */
public final class LokiPushEncoder implements PayloadEncoder {
  public static final String SOURCE = "source";
  public static final String OFFSET = "offset";
  static final Map<String, String> HEADERS =
      Map.of("Content-Encoding", "snappy", "Content-Type", "application/x-protobuf");

  private final boolean sourcePosition;
  private byte[] raw = new byte[0];
  private byte[] compressed = new byte[0];

  public LokiPushEncoder(boolean sourcePosition) {
    this.sourcePosition = sourcePosition;
  }

  @Override
  public Payload encode(List<SpoolEntry> batch) {
    Map<Labels, Stream> streams = new LinkedHashMap<>();
    int n = 0;
    for (SpoolEntry e : batch) {
      if (e.record() instanceof LogBatch b) {
        Labels[] ls = b.streams();
        Stream[] byIndex = new Stream[ls.length];
        for (int i = 0; i < b.size(); i++) {
          int si = b.streamIndex(i);
          Stream s = byIndex[si];
          if (s == null) {
            s = byIndex[si] = streams.computeIfAbsent(ls[si], Stream::new);
          }
          s.add(b, i);
          n++;
        }
      } else if (e.record() instanceof LogEntry l) {
        streams
            .computeIfAbsent(l.stream(), Stream::new)
            .add(new Legacy(l, l.line().getBytes(StandardCharsets.UTF_8)), -1);
        n++;
      }
    }
    if (n == 0) {
      return null;
    }
    int total = 0;
    for (Stream s : streams.values()) {
      s.size = s.measure(sourcePosition);
      total += 1 + varintSize(s.size) + s.size;
    }
    if (raw.length < total) {
      raw = new byte[Math.max(total, raw.length + raw.length / 2)];
    }
    byte[] buf = raw;
    int p = 0;
    for (Stream s : streams.values()) {
      buf[p++] = 0x0a; // PushRequest.streams = 1
      p = putVarint(buf, p, s.size);
      p = s.write(buf, p, sourcePosition);
    }
    if (p != total) {
      throw new IllegalStateException("BUG: push request is " + p + " bytes, measured " + total);
    }
    try {
      int max = Snappy.maxCompressedLength(total);
      if (compressed.length < max) {
        compressed = new byte[Math.max(max, compressed.length + compressed.length / 2)];
      }
      int len = Snappy.compress(buf, 0, total, compressed, 0);
      return new Payload(Arrays.copyOf(compressed, len), HEADERS, n);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot compress Loki push request", e);
    }
  }

  /** A version 1 log entry record and its line's UTF-8 bytes. */
  private record Legacy(LogEntry entry, byte[] line) {}

  /**
   * One stream of a request: its entries as references into the spool records (a batch and an
   * index, or a {@link LogEntry}), written as protobuf by hand: no message object per line, and the
   * line bytes are copied once, from the batch into the request.
   */
  private static final class Stream {
    final byte[] labels;
    Object[] src = new Object[64];
    int[] idx = new int[64];
    int[] sizes;
    int count;
    int size;

    Stream(Labels l) {
      labels = labelsString(l).getBytes(StandardCharsets.UTF_8);
    }

    void add(Object record, int i) {
      if (count == src.length) {
        src = Arrays.copyOf(src, count * 2);
        idx = Arrays.copyOf(idx, count * 2);
      }
      src[count] = record;
      idx[count++] = i;
    }

    int measure(boolean sourcePosition) {
      sizes = new int[count];
      int total = labels.length == 0 ? 0 : 1 + varintSize(labels.length) + labels.length;
      for (int k = 0; k < count; k++) {
        int e = entrySize(k, sourcePosition);
        sizes[k] = e;
        total += 1 + varintSize(e) + e;
      }
      return total;
    }

    private int entrySize(int k, boolean sourcePosition) {
      int size;
      int md;
      if (src[k] instanceof LogBatch b) {
        int i = idx[k];
        size = timestampField(b.timestampNanos(i)) + bytesField(b.lineLength(i));
        md =
            sourcePosition && !b.sourceId().isEmpty() ? positionSize(b.sourceId(), b.offset(i)) : 0;
      } else {
        Legacy x = (Legacy) src[k];
        LogEntry l = x.entry();
        size = timestampField(l.timestampNanos()) + bytesField(x.line().length);
        md = 0;
        Labels m = l.metadata();
        for (int j = 0; j < m.size(); j++) {
          md += messageField(pairSize(m.name(j), m.value(j)));
        }
        if (sourcePosition && !l.sourceId().isEmpty()) {
          md += positionSize(l.sourceId(), l.offset());
        }
      }
      return size + md;
    }

    int write(byte[] buf, int p, boolean sourcePosition) {
      if (labels.length > 0) {
        buf[p++] = 0x0a; // StreamAdapter.labels = 1
        p = putVarint(buf, p, labels.length);
        System.arraycopy(labels, 0, buf, p, labels.length);
        p += labels.length;
      }
      for (int k = 0; k < count; k++) {
        buf[p++] = 0x12; // StreamAdapter.entries = 2
        p = putVarint(buf, p, sizes[k]);
        if (src[k] instanceof LogBatch b) {
          int i = idx[k];
          p = putTimestamp(buf, p, b.timestampNanos(i));
          int len = b.lineLength(i);
          if (len > 0) {
            buf[p++] = 0x12; // EntryAdapter.line = 2
            p = putVarint(buf, p, len);
            System.arraycopy(b.bytes(), b.lineStart(i), buf, p, len);
            p += len;
          }
          if (sourcePosition && !b.sourceId().isEmpty()) {
            p = putPosition(buf, p, b.sourceId(), b.offset(i));
          }
        } else {
          Legacy x = (Legacy) src[k];
          LogEntry l = x.entry();
          p = putTimestamp(buf, p, l.timestampNanos());
          p = putBytes(buf, p, 0x12, x.line());
          Labels m = l.metadata();
          for (int j = 0; j < m.size(); j++) {
            p = putPair(buf, p, m.name(j), m.value(j));
          }
          if (sourcePosition && !l.sourceId().isEmpty()) {
            p = putPosition(buf, p, l.sourceId(), l.offset());
          }
        }
      }
      return p;
    }
  }

  // Protobuf wire format, as protobuf-java writes these messages (fields in number order, proto3
  // defaults omitted, the timestamp always present): the golden test compares byte for byte.

  private static int timestampSize(long nanos) {
    long sec = Math.floorDiv(nanos, 1_000_000_000L);
    int ns = (int) Math.floorMod(nanos, 1_000_000_000L);
    return (sec != 0 ? 1 + varintSize(sec) : 0) + (ns != 0 ? 1 + varintSize(ns) : 0);
  }

  private static int timestampField(long nanos) {
    int t = timestampSize(nanos);
    return 1 + varintSize(t) + t;
  }

  private static int putTimestamp(byte[] buf, int p, long nanos) {
    long sec = Math.floorDiv(nanos, 1_000_000_000L);
    int ns = (int) Math.floorMod(nanos, 1_000_000_000L);
    buf[p++] = 0x0a; // EntryAdapter.timestamp = 1
    p = putVarint(buf, p, timestampSize(nanos));
    if (sec != 0) {
      buf[p++] = 0x08; // Timestamp.seconds = 1
      p = putVarint(buf, p, sec);
    }
    if (ns != 0) {
      buf[p++] = 0x10; // Timestamp.nanos = 2
      p = putVarint(buf, p, ns);
    }
    return p;
  }

  private static int bytesField(int len) {
    return len == 0 ? 0 : 1 + varintSize(len) + len;
  }

  private static int messageField(int len) {
    return 1 + varintSize(len) + len;
  }

  private static int pairSize(String name, String value) {
    return bytesField(utf8Length(name)) + bytesField(utf8Length(value));
  }

  private static int positionSize(String source, long offset) {
    return messageField(pairSize(SOURCE, source))
        + messageField(pairSize(OFFSET, Long.toString(offset)));
  }

  private static int putPosition(byte[] buf, int p, String source, long offset) {
    p = putPair(buf, p, SOURCE, source);
    return putPair(buf, p, OFFSET, Long.toString(offset));
  }

  private static int putPair(byte[] buf, int p, String name, String value) {
    buf[p++] = 0x1a; // EntryAdapter.structuredMetadata = 3
    p = putVarint(buf, p, pairSize(name, value));
    p = putString(buf, p, 0x0a, name);
    return putString(buf, p, 0x12, value);
  }

  /** As {@link String#getBytes} encodes it (a lone surrogate becomes '?'). */
  private static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  private static int putString(byte[] buf, int p, int tag, String s) {
    return putBytes(buf, p, tag, s.getBytes(StandardCharsets.UTF_8));
  }

  private static int putBytes(byte[] buf, int p, int tag, byte[] b) {
    if (b.length == 0) {
      return p;
    }
    buf[p++] = (byte) tag;
    p = putVarint(buf, p, b.length);
    System.arraycopy(b, 0, buf, p, b.length);
    return p + b.length;
  }

  static int varintSize(long v) {
    int n = 1;
    while ((v & ~0x7FL) != 0) {
      v >>>= 7;
      n++;
    }
    return n;
  }

  static int putVarint(byte[] buf, int p, long v) {
    while ((v & ~0x7FL) != 0) {
      buf[p++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[p++] = (byte) v;
    return p;
  }

  /** Loki's label string: {@code {a="x", b="y"}} with Go-style quoting. */
  public static String labelsString(Labels labels) {
    StringBuilder sb = new StringBuilder(64).append('{');
    for (int i = 0; i < labels.size(); i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(labels.name(i)).append("=\"");
      String v = labels.value(i);
      for (int j = 0; j < v.length(); j++) {
        char c = v.charAt(j);
        switch (c) {
          case '\\' -> sb.append("\\\\");
          case '"' -> sb.append("\\\"");
          case '\n' -> sb.append("\\n");
          case '\t' -> sb.append("\\t");
          case '\r' -> sb.append("\\r");
          default -> sb.append(c);
        }
      }
      sb.append('"');
    }
    return sb.append('}').toString();
  }
}
