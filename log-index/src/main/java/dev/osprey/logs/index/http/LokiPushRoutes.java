package dev.osprey.logs.index.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.osprey.core.http.ApiException;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.Json;
import dev.osprey.core.http.RouteProvider;
import dev.osprey.core.http.Router;
import dev.osprey.core.http.SnappyBodies;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.wire.logproto.Push;
import dev.osprey.logs.index.LogEntry;
import dev.osprey.logs.index.LogStore;
import dev.osprey.logs.index.LogStream;
import dev.osprey.logs.index.Tenants;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loki's push API: {@code POST /loki/api/v1/push} with protobuf (snappy block) or JSON bodies (gzip
 * is undone by the server). Answers 204; invalid entries are dropped while the valid ones are
 * stored, and the first problem is answered as Loki does (400 with a text body); tenant limits
 * (active streams, ingest rate) answer 429 and store nothing. The tenant is {@code X-Scope-OrgID}
 * when {@code logs.auth_enabled} (401 without it), else {@code fake} ({@link Tenants}).
 */
public final class LokiPushRoutes implements RouteProvider {
  private static final long STREAM_IDLE_MS = 3_600_000;

  /** Loki's {@code creation_grace_period}: how far in the future a line may be stamped. */
  static final long CREATION_GRACE_NANOS = 600_000_000_000L;

  private final LogStore store;
  private final PushLimits limits;
  private final MeterRegistry registry;
  private final Map<String, Tenant> tenants = new ConcurrentHashMap<>();

  public LokiPushRoutes(LogStore store, PushLimits limits, MeterRegistry registry) {
    this.store = store;
    this.limits = limits;
    this.registry = registry;
  }

  /** With the default limits and the store's configured line size. */
  public LokiPushRoutes(LogStore store, MeterRegistry registry) {
    this(store, PushLimits.defaults(store.config().maxLineSize().bytes()), registry);
  }

  @Override
  public void register(Router router) {
    router.post("/loki/api/v1/push", this::push);
  }

  /** A tenant's token bucket and active streams. */
  private final class Tenant {
    final Map<Long, Long> streams = new ConcurrentHashMap<>();
    double tokens = limits.burstBytes();
    long last = System.nanoTime();

    synchronized boolean take(long bytes) {
      long now = System.nanoTime();
      tokens =
          Math.min(limits.burstBytes(), tokens + (now - last) / 1e9 * limits.rateBytesPerSecond());
      last = now;
      if (bytes > tokens) {
        return false;
      }
      tokens -= bytes;
      return true;
    }

    /** Registers the streams; returns false (registering none) when the limit would be passed. */
    synchronized boolean admit(List<LogStream> batch, long nowMs) {
      int fresh = 0;
      for (LogStream s : batch) {
        if (!streams.containsKey(s.labels().hash())) {
          fresh++;
        }
      }
      if (fresh > 0 && streams.size() + fresh > limits.maxStreamsPerTenant()) {
        streams.values().removeIf(t -> nowMs - t > STREAM_IDLE_MS);
        if (streams.size() + fresh > limits.maxStreamsPerTenant()) {
          return false;
        }
      }
      for (LogStream s : batch) {
        streams.put(s.labels().hash(), nowMs);
      }
      return true;
    }
  }

  HttpResponse push(HttpRequest req) {
    String tenant;
    try {
      tenant = Tenants.of(req, store.config().authEnabled());
    } catch (ApiException e) {
      registry.counter("osprey_logs_push_rejected_total", "reason", "tenant").increment();
      return HttpResponse.text(e.status(), e.getMessage());
    }
    List<LogStream> batch;
    try {
      batch =
          req.contentType().startsWith("application/json")
              ? parseJson(req.body())
              : parseProto(req.body());
    } catch (IllegalArgumentException | IOException e) {
      registry.counter("osprey_logs_push_rejected_total", "reason", "parse").increment();
      return HttpResponse.text(400, "error parsing push request: " + e.getMessage());
    }
    // validation: drop bad entries, remember the first error
    String firstError = null;
    List<LogStream> valid = new ArrayList<>(batch.size());
    long bytes = 0;
    int lines = 0;
    long tooNew = System.currentTimeMillis() * 1_000_000L + CREATION_GRACE_NANOS;
    for (LogStream s : batch) {
      if (s.labels().has(Tenants.LABEL)) {
        if (firstError == null) {
          firstError =
              String.format(
                  "stream '%s' has the label %s, which is reserved for the tenant"
                      + " (X-Scope-OrgID); its %d entries were not stored",
                  s.labels(), Tenants.LABEL, s.entries().size());
        }
        registry
            .counter("osprey_logs_push_rejected_total", "reason", "reserved_label")
            .increment(s.entries().size());
        continue;
      }
      List<LogEntry> ok = new ArrayList<>(s.entries().size());
      for (LogEntry e : s.entries()) {
        if (e.timestampNanos() > tooNew) {
          if (firstError == null) {
            firstError =
                String.format(
                    "entry for stream '%s' has timestamp too new: %s",
                    s.labels(), java.time.Instant.ofEpochSecond(0, e.timestampNanos()));
          }
          registry
              .counter("osprey_logs_push_rejected_total", "reason", "too_far_in_future")
              .increment();
          continue;
        }
        int len = e.line().getBytes(StandardCharsets.UTF_8).length;
        if (len > limits.maxLineBytes()) {
          if (firstError == null) {
            firstError =
                String.format(
                    "Max entry size '%d' bytes exceeded for stream '%s' while adding an entry with"
                        + " length '%d' bytes",
                    limits.maxLineBytes(), s.labels(), len);
          }
          registry
              .counter("osprey_logs_push_rejected_total", "reason", "line_too_long")
              .increment();
          continue;
        }
        ok.add(e);
        bytes += len;
        lines++;
      }
      if (!ok.isEmpty()) {
        valid.add(new LogStream(Tenants.tag(s.labels(), tenant), ok));
      }
    }
    Tenant t = tenants.computeIfAbsent(tenant, k -> new Tenant());
    if (!t.take(bytes)) {
      registry
          .counter("osprey_logs_push_rejected_total", "reason", "rate_limited")
          .increment(lines);
      return HttpResponse.text(
          429,
          String.format(
              "Ingestion rate limit exceeded for user %s (limit: %d bytes/sec) while attempting to"
                  + " ingest '%d' lines totaling '%d' bytes, reduce log volume or contact your Loki"
                  + " administrator to see if the limit can be increased",
              tenant, limits.rateBytesPerSecond(), lines, bytes));
    }
    if (!t.admit(valid, System.currentTimeMillis())) {
      registry
          .counter("osprey_logs_push_rejected_total", "reason", "stream_limit")
          .increment(lines);
      return HttpResponse.text(
          429,
          String.format(
              "Maximum active stream limit exceeded, reduce the number of active streams (reduce"
                  + " labels or reduce label values), or contact your Loki administrator to see if"
                  + " the limit can be increased, user: '%s'",
              tenant));
    }
    if (!valid.isEmpty()) {
      LogStore.AppendResult r = store.append(valid);
      if (r.tooOld() > 0 && firstError == null) {
        firstError =
            String.format(
                "%d entries were older than the retention period and were not stored", r.tooOld());
      }
    }
    return firstError == null ? HttpResponse.noContent() : HttpResponse.text(400, firstError);
  }

  static List<LogStream> parseProto(byte[] body) throws IOException {
    byte[] raw;
    try {
      raw = SnappyBodies.decode(body);
    } catch (IOException e) {
      throw new IllegalArgumentException("snappy: " + e.getMessage());
    }
    Push.PushRequest pr = Push.PushRequest.parseFrom(raw);
    List<LogStream> out = new ArrayList<>(pr.getStreamsCount());
    for (Push.StreamAdapter s : pr.getStreamsList()) {
      Labels labels = streamLabels(s.getLabels());
      List<LogEntry> es = new ArrayList<>(s.getEntriesCount());
      for (Push.EntryAdapter e : s.getEntriesList()) {
        Labels md = Labels.EMPTY;
        if (e.getStructuredMetadataCount() > 0) {
          Labels.Builder b = Labels.builder();
          for (Push.LabelPairAdapter p : e.getStructuredMetadataList()) {
            b.set(p.getName(), p.getValue());
          }
          md = b.build();
        }
        long ts = e.getTimestamp().getSeconds() * 1_000_000_000L + e.getTimestamp().getNanos();
        es.add(new LogEntry(ts, e.getLine(), md));
      }
      out.add(new LogStream(labels, es));
    }
    return out;
  }

  private static Labels streamLabels(String s) {
    Labels l = LabelsParser.parse(s);
    if (l.isEmpty()) {
      throw new IllegalArgumentException("error at least one label pair is required per stream");
    }
    return l;
  }

  static List<LogStream> parseJson(byte[] body) throws IOException {
    JsonNode root = Json.MAPPER.readTree(body);
    JsonNode streams = root == null ? null : root.get("streams");
    if (streams == null || !streams.isArray()) {
      throw new IllegalArgumentException("expected an object with a \"streams\" array");
    }
    List<LogStream> out = new ArrayList<>(streams.size());
    for (JsonNode s : streams) {
      JsonNode st = s.get("stream");
      Labels.Builder lb = Labels.builder();
      if (st != null) {
        for (Iterator<Map.Entry<String, JsonNode>> it = st.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> f = it.next();
          lb.set(f.getKey(), f.getValue().asText());
        }
      }
      Labels labels = lb.build();
      if (labels.isEmpty()) {
        throw new IllegalArgumentException("error at least one label pair is required per stream");
      }
      List<LogEntry> es = new ArrayList<>();
      JsonNode values = s.get("values");
      if (values != null) {
        for (JsonNode v : values) {
          if (!v.isArray() || v.size() < 2) {
            throw new IllegalArgumentException("each value must be [\"<ns>\", \"<line>\"]");
          }
          long ts;
          try {
            ts = Long.parseLong(v.get(0).asText());
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid timestamp " + v.get(0));
          }
          Labels md = Labels.EMPTY;
          if (v.size() > 2 && v.get(2).isObject()) {
            Labels.Builder mb = Labels.builder();
            for (Iterator<Map.Entry<String, JsonNode>> it = v.get(2).fields(); it.hasNext(); ) {
              Map.Entry<String, JsonNode> f = it.next();
              mb.set(f.getKey(), f.getValue().asText());
            }
            md = mb.build();
          }
          es.add(new LogEntry(ts, v.get(1).asText(), md));
        }
      }
      out.add(new LogStream(labels, es));
    }
    return out;
  }
}
