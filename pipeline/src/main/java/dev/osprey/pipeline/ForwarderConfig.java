package dev.osprey.pipeline;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * One destination of a spool.
 *
 * @param name the destination's name: the cursor name and the {@code destination} metric tag
 * @param endpoint where batches are POSTed
 * @param maxBatchRecords most records per request (a log batch counts as its entries; a request
 *     ends with the record that reaches the limit, so it may carry up to one batch more)
 * @param maxBatchBytes most spool bytes per request (a batch stops after the record crossing it)
 * @param maxBatchAge how long a batch may wait for more records after its first one was spooled (it
 *     goes sooner once the spool's writers have been quiet for {@link Forwarder#QUIET_NANOS})
 * @param requestTimeout timeout of one request (a timeout is retried; with the plain HTTP/1.1
 *     sender it bounds the connect and each read)
 * @param backoffInitial first retry delay
 * @param backoffMax largest retry delay
 * @param headers extra request headers (tenant id, authorization)
 */
public record ForwarderConfig(
    String name,
    URI endpoint,
    int maxBatchRecords,
    long maxBatchBytes,
    Duration maxBatchAge,
    Duration requestTimeout,
    Duration backoffInitial,
    Duration backoffMax,
    Map<String, String> headers) {
  public ForwarderConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(endpoint, "endpoint");
    maxBatchRecords = maxBatchRecords > 0 ? maxBatchRecords : 2000;
    maxBatchBytes = maxBatchBytes > 0 ? maxBatchBytes : 1L << 20;
    maxBatchAge = maxBatchAge != null ? maxBatchAge : Duration.ofSeconds(1);
    requestTimeout = requestTimeout != null ? requestTimeout : Duration.ofSeconds(10);
    backoffInitial = backoffInitial != null ? backoffInitial : Duration.ofMillis(100);
    backoffMax = backoffMax != null ? backoffMax : Duration.ofSeconds(30);
    headers = headers != null ? Map.copyOf(headers) : Map.of();
    if (!name.matches("[A-Za-z0-9_.-]+")) {
      throw new IllegalArgumentException("cannot configure forwarder: bad name " + name);
    }
  }

  public static ForwarderConfig of(String name, URI endpoint) {
    return new ForwarderConfig(name, endpoint, 0, 0, null, null, null, null, null);
  }

  public ForwarderConfig withBatch(int records, long bytes, Duration age) {
    return new ForwarderConfig(
        name, endpoint, records, bytes, age, requestTimeout, backoffInitial, backoffMax, headers);
  }

  public ForwarderConfig withBackoff(Duration initial, Duration max) {
    return new ForwarderConfig(
        name,
        endpoint,
        maxBatchRecords,
        maxBatchBytes,
        maxBatchAge,
        requestTimeout,
        initial,
        max,
        headers);
  }

  public ForwarderConfig withRequestTimeout(Duration timeout) {
    return new ForwarderConfig(
        name,
        endpoint,
        maxBatchRecords,
        maxBatchBytes,
        maxBatchAge,
        timeout,
        backoffInitial,
        backoffMax,
        headers);
  }
}
