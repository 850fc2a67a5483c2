package dev.osprey.query.logql;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.osprey.core.http.ApiException;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.Json;
import dev.osprey.core.http.WebSocketListener;
import dev.osprey.core.http.WebSocketSession;
import dev.osprey.core.http.WebSocketSettings;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.logs.index.LogEntry;
import dev.osprey.logs.index.LogSearchRequest.Direction;
import dev.osprey.logs.index.LogStore;
import dev.osprey.logs.index.Tenants;
import dev.osprey.query.logql.Ast.Expr;
import dev.osprey.query.logql.Ast.LogExpr;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loki's live tail, {@code GET /loki/api/v1/tail} (a websocket; Grafana's Loki live view uses it).
 * Parameters as Loki: {@code query} (a log query), {@code limit} (how many recent lines to send
 * first), {@code start} (where those may begin, default an hour ago), {@code delay_for} (seconds,
 * at most 5, to hold lines back so late ones are sent in timestamp order). Bad parameters are
 * answered before the upgrade with Loki's 400 and message.
 *
 * <p>After the recent lines, every line the store accepts is matched against the selector on the
 * appending thread and put into a bounded per-connection buffer; a flusher runs the pipeline and
 * sends frames of at most 100 entries: {@code
 * {"streams":[{"stream":{...},"values":[["<ns>","line"]]}],"dropped_entries":[{"labels":{...},
 * "timestamp":"<ns>"}]}}. Lines that do not fit the buffer, or whose frame the socket's send queue
 * refused (a slow client), are reported in {@code dropped_entries} of the next frame, as Loki does.
 */
final class LokiTail {
  private static final Logger log = LoggerFactory.getLogger(LokiTail.class);

  /** Loki's {@code maxDelayForInTailing}. */
  static final int MAX_DELAY_FOR = 5;

  /** Loki's default {@code max_concurrent_tail_requests}. */
  static final int MAX_TAILERS = 10;

  /** Loki's {@code maxEntriesPerTailResponse}. */
  static final int ENTRIES_PER_FRAME = 100;

  /** Lines buffered per connection before new ones are dropped. */
  static final int MAX_PENDING = 10_000;

  /** Dropped lines remembered for the next report; more are dropped unreported. */
  static final int MAX_DROPPED_REPORTED = 10_000;

  static final long FLUSH_MS = 100;

  /** Frames queued on the socket per connection (Loki buffers 10 responses). */
  static final WebSocketSettings SOCKET = WebSocketSettings.defaults().withQueue(10, 16L << 20);

  private final LogStore store;
  private final LogQLEngine engine;
  private final AtomicInteger active = new AtomicInteger();
  private final WebSocketSettings settings;
  private final int maxPending;
  private volatile ScheduledExecutorService flusher;

  LokiTail(LogStore store, LogQLEngine engine, WebSocketSettings settings, int maxPending) {
    this.store = store;
    this.engine = engine;
    this.settings = settings;
    this.maxPending = maxPending;
  }

  int active() {
    return active.get();
  }

  private ScheduledExecutorService flusher() {
    ScheduledExecutorService f = flusher;
    if (f == null) {
      synchronized (this) {
        if (flusher == null) {
          flusher =
              Executors.newSingleThreadScheduledExecutor(
                  r -> {
                    Thread t = new Thread(r, "osprey-loki-tail");
                    t.setDaemon(true);
                    return t;
                  });
        }
        f = flusher;
      }
    }
    return f;
  }

  HttpResponse handle(HttpRequest req) {
    String q = LokiApi.queryParam(req);
    Expr e = LokiApi.parse(q, LokiApi.tenant(req, store));
    if (!(e instanceof LogExpr logExpr)) {
      throw ApiException.badData("tail only supports log queries, not metric queries: " + q);
    }
    int limit = LokiApi.limit(req);
    long now = nowNanos();
    long start = LokiApi.parseTime(req.param("start"), now - 3_600_000_000_000L, "start");
    String d = req.param("delay_for", "0");
    int delayFor;
    try {
      delayFor = Integer.parseInt(d);
    } catch (NumberFormatException ex) {
      throw ApiException.badData("invalid delay_for '" + d + "': not an integer");
    }
    if (delayFor < 0) {
      throw ApiException.badData("delay_for must not be negative");
    }
    if (delayFor > MAX_DELAY_FOR) {
      throw ApiException.badData("delay_for can't be greater than " + MAX_DELAY_FOR);
    }
    int n = active.incrementAndGet();
    if (n > MAX_TAILERS) {
      active.decrementAndGet();
      throw ApiException.badData(
          "max concurrent tail requests limit exceeded, count > limit ("
              + n
              + " > "
              + MAX_TAILERS
              + ")");
    }
    Tailer t = new Tailer(logExpr, delayFor * 1_000_000_000L);
    try {
      // Subscribe before reading history: a line pushed in between is in one or both, and the
      // history keys filter the second copy out.
      t.subscription = store.subscribe(t::offer);
      LogQLEngine.LogResult hist =
          start < now ? engine.logs(logExpr, start, now + 1, Direction.BACKWARD, limit) : null;
      if (hist != null) {
        for (LogQLEngine.Stream s : hist.streams()) {
          for (LogQLEngine.Entry en : s.entries()) {
            t.history.add(new Out(s.labels(), en.timestampNanos(), en.line()));
          }
        }
        t.history.sort((a, b) -> Long.compare(a.ts, b.ts));
      }
    } catch (RuntimeException ex) {
      t.stop();
      throw ex;
    }
    return HttpResponse.webSocket(t, settings);
  }

  private static long nowNanos() {
    Instant i = Instant.now();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  /** A line as it arrived from the store. */
  private record In(Labels stream, LogEntry entry) {}

  /** A line after the pipeline, ready to be sent. */
  private record Out(Labels labels, long ts, String line) {}

  private record Dropped(Labels labels, long ts) {}

  /** One tail connection. */
  private final class Tailer implements WebSocketListener {
    final List<LabelMatcher> matchers;
    final Pipeline pipeline;
    final long delayNanos;
    final List<Out> history = new ArrayList<>();
    final Set<Out> historyKeys = new HashSet<>();
    final ArrayDeque<In> pending = new ArrayDeque<>(); // guarded by this
    final List<Dropped> dropped = new ArrayList<>(); // guarded by this
    final AtomicBoolean stopped = new AtomicBoolean();
    volatile AutoCloseable subscription;
    volatile WebSocketSession socket;
    ScheduledFuture<?> task;

    Tailer(LogExpr e, long delayNanos) {
      this.matchers = e.matchers();
      this.pipeline = Pipeline.compile(e.stages());
      this.delayNanos = delayNanos;
    }

    /** On the appending thread: a cheap selector check and a bounded hand-over. */
    void offer(Labels stream, LogEntry entry) {
      for (LabelMatcher m : matchers) {
        if (!m.matches(stream.get(m.name()))) {
          return;
        }
      }
      synchronized (this) {
        if (pending.size() < maxPending) {
          pending.add(new In(stream, entry));
        } else if (dropped.size() < MAX_DROPPED_REPORTED) {
          dropped.add(new Dropped(Tenants.strip(stream), entry.timestampNanos()));
        }
      }
    }

    @Override
    public void onOpen(WebSocketSession ws) {
      socket = ws;
      historyKeys.addAll(history);
      try {
        flusher().execute(this::sendHistory);
        task =
            flusher()
                .scheduleWithFixedDelay(
                    this::flushGuarded, FLUSH_MS, FLUSH_MS, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException ex) {
        ws.close(1011, "server shutting down");
      }
    }

    @Override
    public void onClose(WebSocketSession ws, int code, String reason) {
      stop();
    }

    void stop() {
      if (!stopped.compareAndSet(false, true)) {
        return;
      }
      active.decrementAndGet();
      if (task != null) {
        task.cancel(false);
      }
      try {
        if (subscription != null) {
          subscription.close();
        }
      } catch (Exception e) {
        throw new IllegalStateException("BUG: unsubscribing cannot fail", e);
      }
    }

    private void sendHistory() {
      send(history);
    }

    private void flushGuarded() {
      try {
        flush();
      } catch (RuntimeException e) {
        log.error("event=tail_failed remote={} error={}", socket.remoteAddress(), e.toString(), e);
        socket.close(1011, "internal error: " + e.getMessage());
        stop();
      }
    }

    /** On the flusher: the lines that are due, through the pipeline, out in frames. */
    void flush() {
      if (stopped.get()) {
        return;
      }
      List<In> due = new ArrayList<>();
      synchronized (this) {
        if (delayNanos == 0) {
          due.addAll(pending);
          pending.clear();
        } else {
          long cutoff = nowNanos() - delayNanos;
          int n = pending.size();
          for (int i = 0; i < n; i++) {
            In in = pending.poll();
            if (in.entry.timestampNanos() <= cutoff) {
              due.add(in);
            } else {
              pending.add(in);
            }
          }
        }
      }
      due.sort((a, b) -> Long.compare(a.entry.timestampNanos(), b.entry.timestampNanos()));
      List<Out> out = new ArrayList<>(due.size());
      for (In in : due) {
        LogEntry en = in.entry;
        Pipeline.State s =
            pipeline.process(
                Tenants.strip(in.stream), en.metadata(), en.timestampNanos(), en.line());
        if (s == null) {
          continue;
        }
        Out o = new Out(s.labels(), en.timestampNanos(), s.line);
        if (!historyKeys.isEmpty() && historyKeys.remove(o)) {
          continue; // already sent with the recent lines
        }
        out.add(o);
      }
      send(out);
    }

    /** Sends lines in frames of at most 100, with what was dropped since the last frame. */
    private void send(List<Out> out) {
      int i = 0;
      do {
        List<Out> frame = out.subList(i, Math.min(out.size(), i + ENTRIES_PER_FRAME));
        i += frame.size();
        List<Dropped> report;
        synchronized (this) {
          report = dropped.isEmpty() ? List.of() : new ArrayList<>(dropped);
          dropped.clear();
        }
        if (frame.isEmpty() && report.isEmpty()) {
          return;
        }
        if (!socket.sendText(frame(frame, report))) {
          synchronized (this) {
            // Not sent: what it carried is reported with the next frame that goes out.
            for (Dropped d : report) {
              if (dropped.size() < MAX_DROPPED_REPORTED) {
                dropped.add(d);
              }
            }
            for (Out o : frame) {
              if (dropped.size() < MAX_DROPPED_REPORTED) {
                dropped.add(new Dropped(o.labels, o.ts));
              }
            }
          }
        }
      } while (i < out.size());
    }
  }

  static String frame(List<Out> entries, List<Dropped> dropped) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream(256 + entries.size() * 128);
    try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(buf, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeArrayFieldStart("streams");
      Map<Labels, List<Out>> byStream = new LinkedHashMap<>();
      for (Out o : entries) {
        byStream.computeIfAbsent(o.labels, k -> new ArrayList<>()).add(o);
      }
      for (Map.Entry<Labels, List<Out>> s : byStream.entrySet()) {
        g.writeStartObject();
        LokiApi.writeLabels(g, "stream", s.getKey());
        g.writeArrayFieldStart("values");
        for (Out o : s.getValue()) {
          g.writeStartArray();
          g.writeString(Long.toString(o.ts));
          g.writeString(o.line);
          g.writeEndArray();
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
      if (!dropped.isEmpty()) {
        g.writeArrayFieldStart("dropped_entries");
        for (Dropped d : dropped) {
          g.writeStartObject();
          LokiApi.writeLabels(g, "labels", d.labels);
          g.writeStringField("timestamp", Long.toString(d.ts));
          g.writeEndObject();
        }
        g.writeEndArray();
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }
}
