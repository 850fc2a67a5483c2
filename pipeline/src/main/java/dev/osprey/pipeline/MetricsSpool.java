package dev.osprey.pipeline;

import dev.osprey.core.labels.Labels;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;

/**
 * The metrics spool as the node-collector sees it: {@link #appendSample} writes one {@link
 * MetricSample}; forwarders built with {@link Forwarder#remoteWrite} ship it. Over its size limit
 * the oldest cycle is dropped (counted).
 */
public final class MetricsSpool implements AutoCloseable {
  private final Spool spool;

  public MetricsSpool(Spool spool) {
    this.spool = spool;
  }

  /** Opens {@code dir} as a metrics spool (five-minute cycles, drop-oldest over the limit). */
  public static MetricsSpool open(Path dir, long maxDiskBytes, MeterRegistry registry) {
    return new MetricsSpool(Spool.open(SpoolConfig.metrics(dir, maxDiskBytes), registry));
  }

  /** Appends one sample. Thread-safe. */
  public void appendSample(Labels labels, long t, double v) {
    spool.append(new MetricSample(labels, t, v));
  }

  public void append(MetricSample sample) {
    spool.append(sample);
  }

  public Spool spool() {
    return spool;
  }

  @Override
  public void close() {
    spool.close();
  }
}
