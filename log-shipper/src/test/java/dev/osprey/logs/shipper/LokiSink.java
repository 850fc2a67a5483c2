package dev.osprey.logs.shipper;

import com.sun.net.httpserver.HttpServer;
import dev.osprey.core.wire.logproto.Push;
import dev.osprey.pipeline.LokiPushEncoder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.xerial.snappy.Snappy;

/**
 * A Loki push receiver on 127.0.0.1 for tests. Like a real receiver it makes replays harmless: an
 * entry with the same stream, source and offset as one already accepted is counted as a replay and
 * not stored again (delivery is at least once).
 */
final class LokiSink implements AutoCloseable {
  record Entry(String stream, String line, String source, long offset, long timestampNanos) {}

  private final HttpServer server;
  private final Set<String> seen = new HashSet<>();
  private final Map<String, List<Entry>> streams = new LinkedHashMap<>();
  private int accepted;
  private long lineChecksum;
  final AtomicInteger replays = new AtomicInteger();
  final AtomicInteger requests = new AtomicInteger();

  /** The most entries one push request carried (replays included). */
  final AtomicInteger maxRequestEntries = new AtomicInteger();

  /** While true, every push is answered 503 (an outage). */
  volatile boolean down;

  /** When true, entries are only counted (for throughput runs). */
  volatile boolean countOnly;

  LokiSink() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/loki/api/v1/push",
        ex -> {
          try {
            if (down) {
              ex.getRequestBody().readAllBytes();
              ex.sendResponseHeaders(503, -1);
              return;
            }
            byte[] body = Snappy.uncompress(ex.getRequestBody().readAllBytes());
            if (countOnly) {
              // Walks the protobuf without building messages: counts entries and sums the CRC32C
              // of their lines, so a throughput run still checks what arrived without the
              // receiver (on the same cores) costing more than the shipper.
              long[] countAndSum = PushWalker.countAndChecksum(body);
              requests.incrementAndGet();
              maxRequestEntries.accumulateAndGet((int) countAndSum[0], Math::max);
              synchronized (this) {
                accepted += (int) countAndSum[0];
                lineChecksum += countAndSum[1];
              }
              ex.sendResponseHeaders(204, -1);
              return;
            }
            Push.PushRequest req = Push.PushRequest.parseFrom(body);
            requests.incrementAndGet();
            int n = 0;
            for (Push.StreamAdapter s : req.getStreamsList()) {
              n += s.getEntriesCount();
            }
            maxRequestEntries.accumulateAndGet(n, Math::max);
            synchronized (this) {
              for (Push.StreamAdapter s : req.getStreamsList()) {
                for (Push.EntryAdapter e : s.getEntriesList()) {
                  String source = "";
                  long offset = -1;
                  for (Push.LabelPairAdapter p : e.getStructuredMetadataList()) {
                    if (p.getName().equals(LokiPushEncoder.SOURCE)) {
                      source = p.getValue();
                    } else if (p.getName().equals(LokiPushEncoder.OFFSET)) {
                      offset = Long.parseLong(p.getValue());
                    }
                  }
                  long ts =
                      e.getTimestamp().getSeconds() * 1_000_000_000L + e.getTimestamp().getNanos();
                  // As Osprey's log index (and Loki) drop replays: same stream, timestamp, line.
                  if (!seen.add(s.getLabels() + "|" + ts + "|" + e.getLine())) {
                    replays.incrementAndGet();
                    continue;
                  }
                  streams
                      .computeIfAbsent(s.getLabels(), k -> new ArrayList<>())
                      .add(new Entry(s.getLabels(), e.getLine(), source, offset, ts));
                  accepted++;
                }
              }
            }
            ex.sendResponseHeaders(204, -1);
          } catch (RuntimeException | IOException e) {
            ex.sendResponseHeaders(400, -1);
          } finally {
            ex.close();
          }
        });
    server.start();
  }

  URI base() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  synchronized int accepted() {
    return accepted;
  }

  /** With {@link #countOnly}: the sum of the CRC32C of every line received. */
  synchronized long lineChecksum() {
    return lineChecksum;
  }

  synchronized Map<String, List<Entry>> streams() {
    Map<String, List<Entry>> copy = new LinkedHashMap<>();
    streams.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    return copy;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
