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

  private final Spool spool;
  private final ForwarderConfig config;
  private final PayloadEncoder encoder;
  private final HttpClient client;
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
        HttpClient.newBuilder()
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

  private void run(SpoolCursor cursor) {
    try (cursor) {
      List<SpoolEntry> batch = new ArrayList<>();
      while (running) {
        batch.clear();
        if (!readBatch(cursor, batch)) {
          continue;
        }
        pendingSinceMillis.set(batch.get(0).appendMillis());
        deliver(batch);
        if (!running) {
          return;
        }
        cursor.commit(batch.get(batch.size() - 1).index());
        pendingSinceMillis.set(0);
      }
    } catch (RuntimeException e) {
      log.error("event=forwarder_failed destination={}", config.name(), e);
      throw e;
    }
  }

  /** Fills {@code batch}; false when nothing arrived (or stopping). */
  private boolean readBatch(SpoolCursor cursor, List<SpoolEntry> batch) {
    long bytes = 0;
    long records = 0; // a log batch counts its entries: the limit is on what a request carries
    long deadline = 0;
    long maxAge = config.maxBatchAge().toNanos();
    while (running && records < config.maxBatchRecords() && bytes < config.maxBatchBytes()) {
      SpoolEntry e = cursor.next();
      if (e == null) {
        if (batch.isEmpty()) {
          park(idlePollNanos);
          idlePollNanos = Math.min(idlePollNanos * 2, MAX_IDLE_POLL_NANOS);
          return false;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        park(Math.min(left, IDLE_POLL_NANOS));
        continue;
      }
      if (batch.isEmpty()) {
        deadline = System.nanoTime() + maxAge;
        idlePollNanos = IDLE_POLL_NANOS;
      }
      batch.add(e);
      bytes += e.sizeBytes();
      records += e.record() instanceof LogBatch l ? l.size() : 1;
    }
    return !batch.isEmpty();
  }

  /** Sends until a 2xx or a final refusal; returns early only when stopping. */
  private void deliver(List<SpoolEntry> batch) {
    PayloadEncoder.Payload payload = encoder.encode(batch);
    if (payload == null) {
      return; // nothing for this destination (source checkpoints, say)
    }
    HttpRequest.Builder rb =
        HttpRequest.newBuilder(config.endpoint())
            .timeout(config.requestTimeout())
            .POST(HttpRequest.BodyPublishers.ofByteArray(payload.body()));
    for (Map.Entry<String, String> h : payload.headers().entrySet()) {
      rb.header(h.getKey(), h.getValue());
    }
    config.headers().forEach(rb::header);
    HttpRequest request = rb.build();
    for (int attempt = 0; running; attempt++) {
      int status;
      String reason;
      try {
        HttpResponse<byte[]> resp = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        status = resp.statusCode();
        reason = snippet(resp.body());
      } catch (IOException e) {
        status = -1;
        reason = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        running = false;
        return;
      }
      if (status >= 200 && status < 300) {
        sent.increment(payload.records());
        return;
      }
      if (status == -1 || status == 429 || status == 408 || status >= 500) {
        retried.increment(payload.records());
        long delay = backoffNanos(attempt);
        log.warn(
            "event=send_retry destination={} status={} attempt={} delay_ms={} cause=\"{}\"",
            config.name(),
            status,
            attempt + 1,
            TimeUnit.NANOSECONDS.toMillis(delay),
            reason);
        park(delay);
        continue;
      }
      deadLetters.write(status, config.name(), reason, batch);
      deadLettered.increment(payload.records());
      log.error(
          "event=send_refused destination={} status={} records={} cause=\"{}\"",
          config.name(),
          status,
          payload.records(),
          reason);
      return;
    }
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

  private void park(long nanos) {
    long end = System.nanoTime() + nanos;
    while (running) {
      long left = end - System.nanoTime();
      if (left <= 0) {
        return;
      }
      try {
        TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        running = false;
      }
    }
  }

  /** Stops after the request in flight (its batch stays uncommitted and is resent next time). */
  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    deadLetters.close();
  }
}
