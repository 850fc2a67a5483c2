package dev.osprey.logs.index.http;

/**
 * Per-tenant ingest limits of the push API.
 *
 * @param maxStreamsPerTenant active streams a tenant may have (idle for an hour no longer count)
 * @param rateBytesPerSecond sustained ingest rate of line bytes per tenant
 * @param burstBytes bucket size of the rate limiter
 * @param maxLineBytes longest accepted line
 */
public record PushLimits(
    int maxStreamsPerTenant, long rateBytesPerSecond, long burstBytes, long maxLineBytes) {
  /** Generous defaults for one node: 100k streams, 64 MiB/s with a 128 MiB burst, 256 KiB lines. */
  public static PushLimits defaults(long maxLineBytes) {
    return new PushLimits(100_000, 64L << 20, 128L << 20, maxLineBytes);
  }
}
