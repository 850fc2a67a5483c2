package dev.osprey.pipeline;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ships one spool to one destination through a named {@link SpoolCursor}: reads a bounded batch
 * (records, bytes, age), POSTs it, and commits the cursor only after a 2xx. 429, 408, 5xx, timeouts
 * and connection errors are retried with exponential backoff and full jitter, forever; any other
 * status sends the batch to the dead-letter queue (counted) and moves on. Delivery is at least
 * once: a crash between a 2xx and the commit resends that batch.
 */
public final class Forwarder implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Forwarder.class);
  private static final long IDLE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  // An idle spool is polled ever less often, up to this: polling every 5 ms cost an idle agent
  // about 1% of a core per destination (bench agent), and 100 ms is nothing next to a 15 s scrape.
  private static final long MAX_IDLE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private long idlePollNanos = IDLE_POLL_NANOS;

  /**
   * A batch that is not full goes when its writer has published nothing for this long, without
   * waiting out maxBatchAge: the end of a burst is sent at once. Longer than the gaps of a steady
   * writer (kubelet-paced lines, the agent bench's 10 ms ticks), so those still fill batches.
   */
  /**
   * A system property (bench comparisons): true sends to http endpoints with the JDK client too.
   */
  static final String JDK_HTTP = "osprey.pipeline.jdkhttp";

  static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private final Spool spool;
  private final ForwarderConfig config;
  private final PayloadEncoder encoder;

  /** The JDK client, for https endpoints (and http ones with {@code -Dosprey.pipeline.jdkhttp}). */
  private final HttpClient client;

  /** For http endpoints: a lighter client (see {@link Http1Sender}); made at the first send. */
  private Http1Sender http1;

  private Map<String, String> http1Headers;
  private final DeadLetterQueue deadLetters;
  private final Counter sent;
  private final Counter retried;
  private final Counter deadLettered;
  private final AtomicLong pendingSinceMillis = new AtomicLong();
  private final Thread thread;
  private volatile boolean running = true;

  public Forwarder(
      Spool spool, ForwarderConfig config, PayloadEncoder encoder, MeterRegistry registry) {
    this.spool = spool;
    this.config = config;
    this.encoder = encoder;
    this.client =
        "http".equalsIgnoreCase(config.endpoint().getScheme()) && !Boolean.getBoolean(JDK_HTTP)
            ? null
            : HttpClient.newBuilder()
                .connectTimeout(config.requestTimeout())
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    this.deadLetters =
        new DeadLetterQueue(spool.config().dir().resolve("dead-letter").resolve(config.name()));
    Tags tags = Tags.of("spool", spool.config().name(), "destination", config.name());
    this.sent =
        Counter.builder("osprey_pipeline_records_sent")
            .description("Records delivered (2xx)")
            .tags(tags)
            .register(registry);
    this.retried =
        Counter.builder("osprey_pipeline_records_retried")
            .description("Records in requests that were retried")
            .tags(tags)
            .register(registry);
    this.deadLettered =
        Counter.builder("osprey_pipeline_records_dead_lettered")
            .description("Records refused by the destination and moved to the dead-letter queue")
            .tags(tags)
            .register(registry);
    SpoolCursor cursor = spool.cursor(config.name());
    Gauge.builder("osprey_pipeline_lag_records", cursor, SpoolCursor::lag)
        .description("Records in the spool not yet delivered to this destination")
        .tags(tags)
        .register(registry);
    Gauge.builder("osprey_pipeline_lag_seconds", pendingSinceMillis, Forwarder::lagSeconds)
        .description("Age of the oldest record not yet delivered to this destination")
        .tags(tags)
        .register(registry);
    this.thread =
        new Thread(
            () -> run(cursor), "osprey-forwarder-" + spool.config().name() + "-" + config.name());
    thread.setDaemon(true);
  }

  /** A remote_write 1.0 forwarder for a metrics spool. */
  public static Forwarder remoteWrite(Spool spool, ForwarderConfig config, MeterRegistry registry) {
    return new Forwarder(spool, config, new RemoteWriteEncoder(), registry);
  }

  /** A Loki push forwarder for a logs spool (with source position metadata). */
  /**
   * A Loki push forwarder that sends entries as they are: receivers (Loki, Osprey) drop replays by
   * stream, timestamp and line. Sending the source position as structured metadata would make every
   * line its own stream in query results, and a Loki without structured metadata refuses it.
   */
  public static Forwarder lokiPush(Spool spool, ForwarderConfig config, MeterRegistry registry) {
    return lokiPush(spool, config, registry, false);
  }

  /**
   * As above; with {@code sourcePosition}, each entry also carries {@code source} and {@code
   * offset}.
   */
  public static Forwarder lokiPush(
      Spool spool, ForwarderConfig config, MeterRegistry registry, boolean sourcePosition) {
    return new Forwarder(spool, config, new LokiPushEncoder(sourcePosition), registry);
  }

  private static double lagSeconds(AtomicLong since) {
    long s = since.get();
    return s == 0 ? 0 : Math.max(0, System.currentTimeMillis() - s) / 1000.0;
  }

  public Forwarder start() {
    thread.start();
    return this;
  }

  public DeadLetterQueue deadLetters() {
    return deadLetters;
  }

  /**
   * One request's records: filled from the cursor, encoded when full or old enough, then sent. The
   * next one is read and encoded while this one is in flight (one request at a time, so the
   * destination sees the spool's order and the cursor is committed in order).
   */
  private static final class Push {
    final List<SpoolEntry> entries = new ArrayList<>();
    long bytes;
    long records; // a log batch counts its entries: the limit is on what a request carries
    long deadlineNanos;
    PayloadEncoder.Payload payload;
    HttpRequest request;
    java.util.concurrent.CompletableFuture<Http1Sender.Response> response;
    int attempt;
    long retryAtNanos;

    long last() {
      return entries.get(entries.size() - 1).index();
    }
  }

  private void run(SpoolCursor cursor) {
    Thread me = Thread.currentThread();
    spool.wakeOnAppend(me);
    try (cursor) {
      Push filling = new Push();
      Push ready = null; // encoded, waiting for the one in flight
      Push flight = null;
      while (running) {
        if (ready == null) {
          fill(cursor, filling);
          long now = System.nanoTime();
          if (full(filling)
              || (!filling.entries.isEmpty()
                  && (now - filling.deadlineNanos >= 0
                      || now - spool.lastPublishedNanos() >= QUIET_NANOS))) {
            filling.payload = encoder.encode(filling.entries);
            ready = filling;
            filling = new Push();
          }
        }
        if (flight != null && flight.response != null && flight.response.isDone()) {
          if (finish(flight)) {
            cursor.commit(flight.last());
            flight = null;
          }
        }
        if (flight != null
            && flight.response == null
            && System.nanoTime() - flight.retryAtNanos >= 0) {
          send(flight, me); // a retry after its backoff
        }
        if (flight == null && ready != null) {
          if (ready.payload == null) {
            cursor.commit(ready.last()); // nothing for this destination (source checkpoints, say)
          } else {
            flight = ready;
            send(flight, me);
          }
          ready = null;
          pendingSinceMillis.set(
              flight != null ? flight.entries.get(0).appendMillis() : firstMillis(filling));
          continue;
        }
        pendingSinceMillis.set(
            flight != null
                ? flight.entries.get(0).appendMillis()
                : ready != null ? ready.entries.get(0).appendMillis() : firstMillis(filling));
        park(me, flight, ready, filling);
      }
    } catch (RuntimeException e) {
      log.error("event=forwarder_failed destination={}", config.name(), e);
      throw e;
    } finally {
      spool.stopWaking(me);
    }
  }

  private static long firstMillis(Push p) {
    return p.entries.isEmpty() ? 0 : p.entries.get(0).appendMillis();
  }

  private boolean full(Push p) {
    return p.records >= config.maxBatchRecords() || p.bytes >= config.maxBatchBytes();
  }

  /** Adds what the cursor has, up to the request's bounds, without waiting. */
  private void fill(SpoolCursor cursor, Push p) {
    while (!full(p)) {
      SpoolEntry e = cursor.next();
      if (e == null) {
        return;
      }
      if (p.entries.isEmpty()) {
        // A batch waits for more records at most maxBatchAge after its first one was spooled: a
        // forwarder behind its writer sends what it has at once.
        long waited = Math.max(0, System.currentTimeMillis() - e.appendMillis());
        p.deadlineNanos =
            System.nanoTime()
                + Math.max(
                    0, config.maxBatchAge().toNanos() - TimeUnit.MILLISECONDS.toNanos(waited));
        idlePollNanos = IDLE_POLL_NANOS;
      }
      p.entries.add(e);
      p.bytes += e.sizeBytes();
      p.records += e.record() instanceof LogBatch l ? l.size() : 1;
    }
  }

  /**
   * Parks until something can move: a record published (the spool unparks this thread), the
   * response in flight (its completion unparks it), a batch's deadline or a retry's backoff.
   */
  private void park(Thread me, Push flight, Push ready, Push filling) {
    long now = System.nanoTime();
    long wait;
    if (ready == null && filling.entries.isEmpty()) {
      wait = idlePollNanos; // nothing to send: woken by an append, polled ever less often
      if (flight == null) {
        idlePollNanos = Math.min(idlePollNanos * 2, MAX_IDLE_POLL_NANOS);
      }
    } else if (ready == null && !full(filling)) {
      long quietAt = spool.lastPublishedNanos() + QUIET_NANOS;
      // Capped as before: single records (metrics) do not wake this thread.
      wait = Math.max(0, Math.min(Math.min(filling.deadlineNanos, quietAt) - now, IDLE_POLL_NANOS));
    } else {
      wait = MAX_IDLE_POLL_NANOS; // waiting for the response in flight
    }
    if (flight != null && flight.response == null) {
      wait = Math.min(wait, Math.max(0, flight.retryAtNanos - now));
    }
    if (wait > 0) {
      LockSupport.parkNanos(this, wait);
    }
    if (Thread.interrupted()) {
      running = false;
    }
  }

  private void send(Push p, Thread me) {
    if (client == null) {
      Map<String, String> headers = new java.util.LinkedHashMap<>(p.payload.headers());
      headers.putAll(config.headers());
      if (http1 == null || !headers.equals(http1Headers)) {
        if (http1 != null) {
          http1.close();
        }
        http1 =
            new Http1Sender(
                config.endpoint(),
                headers,
                config.requestTimeout(),
                "osprey-push-" + spool.config().name() + "-" + config.name());
        http1Headers = headers;
      }
      p.response = http1.post(p.payload.body());
    } else {
      if (p.request == null) {
        HttpRequest.Builder rb =
            HttpRequest.newBuilder(config.endpoint())
                .timeout(config.requestTimeout())
                .POST(HttpRequest.BodyPublishers.ofByteArray(p.payload.body()));
        for (Map.Entry<String, String> h : p.payload.headers().entrySet()) {
          rb.header(h.getKey(), h.getValue());
        }
        config.headers().forEach(rb::header);
        p.request = rb.build();
      }
      p.response =
          client
              .sendAsync(p.request, HttpResponse.BodyHandlers.ofByteArray())
              .thenApply(r -> new Http1Sender.Response(r.statusCode(), r.body()));
    }
    p.response.whenComplete((r, e) -> LockSupport.unpark(me));
  }

  /**
   * Handles a completed response: true when the request is done with (2xx, or refused and
   * dead-lettered), false when it is to be retried after a backoff.
   */
  private boolean finish(Push p) {
    int status;
    String reason;
    try {
      Http1Sender.Response resp = p.response.join();
      status = resp.status();
      reason = snippet(resp.body());
    } catch (java.util.concurrent.CompletionException e) {
      if (!(e.getCause() instanceof IOException io)) {
        throw e;
      }
      status = -1;
      reason = io.toString();
    }
    p.response = null;
    if (status >= 200 && status < 300) {
      sent.increment(p.payload.records());
      return true;
    }
    if (status == -1 || status == 429 || status == 408 || status >= 500) {
      retried.increment(p.payload.records());
      long delay = backoffNanos(p.attempt);
      log.warn(
          "event=send_retry destination={} status={} attempt={} delay_ms={} cause=\"{}\"",
          config.name(),
          status,
          p.attempt + 1,
          TimeUnit.NANOSECONDS.toMillis(delay),
          reason);
      p.attempt++;
      p.retryAtNanos = System.nanoTime() + delay;
      return false;
    }
    deadLetters.write(status, config.name(), reason, p.entries);
    deadLettered.increment(p.payload.records());
    log.error(
        "event=send_refused destination={} status={} records={} cause=\"{}\"",
        config.name(),
        status,
        p.payload.records(),
        reason);
    return true;
  }

  long backoffNanos(int attempt) {
    long initial = config.backoffInitial().toNanos();
    long max = config.backoffMax().toNanos();
    long ceiling = attempt >= 30 ? max : Math.min(max, initial << Math.min(attempt, 30));
    if (ceiling <= 0) {
      ceiling = max;
    }
    // "Equal jitter": half fixed, half random, so retries spread out yet still back off.
    return ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
  }

  private static String snippet(byte[] body) {
    String s = new String(body, 0, Math.min(body.length, 512), StandardCharsets.UTF_8);
    return s.replace('\n', ' ').replace('"', '\'');
  }

  /**
   * Stops without waiting for the request in flight (its batch stays uncommitted and is resent next
   * time).
   */
  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (http1 != null) {
      http1.close(); // after the join: the forwarder thread no longer uses it
    }
    deadLetters.close();
  }
}
