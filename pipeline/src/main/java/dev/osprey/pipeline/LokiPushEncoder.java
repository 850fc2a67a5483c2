package dev.osprey.pipeline;

import com.google.protobuf.Timestamp;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.wire.logproto.Push;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xerial.snappy.Snappy;

/**
 * The Loki push API: a {@code PushRequest} protobuf, snappy block-compressed. Entries are grouped
 * by stream and keep their spool order within each stream. Structured metadata carries the entry's
 * metadata and, when {@code sourcePosition} is on, {@code source} and {@code offset}, which let a
 * receiver recognise a replayed entry (delivery is at least once).
 */
public final class LokiPushEncoder implements PayloadEncoder {
  public static final String SOURCE = "source";
  public static final String OFFSET = "offset";
  static final Map<String, String> HEADERS =
      Map.of("Content-Encoding", "snappy", "Content-Type", "application/x-protobuf");

  private final boolean sourcePosition;

  public LokiPushEncoder(boolean sourcePosition) {
    this.sourcePosition = sourcePosition;
  }

  @Override
  public Payload encode(List<SpoolEntry> batch) {
    Map<Labels, Push.StreamAdapter.Builder> streams = new LinkedHashMap<>();
    int n = 0;
    for (SpoolEntry e : batch) {
      if (!(e.record() instanceof LogEntry l)) {
        continue;
      }
      Push.StreamAdapter.Builder s =
          streams.computeIfAbsent(
              l.stream(), k -> Push.StreamAdapter.newBuilder().setLabels(labelsString(k)));
      Push.EntryAdapter.Builder entry =
          Push.EntryAdapter.newBuilder()
              .setTimestamp(
                  Timestamp.newBuilder()
                      .setSeconds(Math.floorDiv(l.timestampNanos(), 1_000_000_000L))
                      .setNanos((int) Math.floorMod(l.timestampNanos(), 1_000_000_000L)))
              .setLine(l.line());
      Labels md = l.metadata();
      for (int i = 0; i < md.size(); i++) {
        entry.addStructuredMetadata(pair(md.name(i), md.value(i)));
      }
      if (sourcePosition && !l.sourceId().isEmpty()) {
        entry.addStructuredMetadata(pair(SOURCE, l.sourceId()));
        entry.addStructuredMetadata(pair(OFFSET, Long.toString(l.offset())));
      }
      s.addEntries(entry);
      n++;
    }
    if (n == 0) {
      return null;
    }
    Push.PushRequest.Builder req = Push.PushRequest.newBuilder();
    streams.values().forEach(req::addStreams);
    try {
      return new Payload(Snappy.compress(req.build().toByteArray()), HEADERS, n);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot compress Loki push request", e);
    }
  }

  private static Push.LabelPairAdapter pair(String name, String value) {
    return Push.LabelPairAdapter.newBuilder().setName(name).setValue(value).build();
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
