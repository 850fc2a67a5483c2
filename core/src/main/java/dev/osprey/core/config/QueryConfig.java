package dev.osprey.core.config;

import dev.osprey.core.util.ByteSize;
import java.time.Duration;

/**
 * The query engine's limits.
 *
 * @param timeout longest a query may run (503 timeout after)
 * @param maxSamples most samples a query may hold in memory at once, the raw samples its selectors
 *     load included (422 execution above)
 * @param lookbackDelta how far back an instant selector looks for a sample
 * @param maxConcurrent queries that may run at once
 * @param maxSeries most series one query may load, summed over its selectors, and most series one
 *     {@code /api/v1/series} call may match (422 execution above); 0 means no limit
 * @param resultsCacheOffset range query steps older than now minus this are kept in the results
 *     cache and reused by later range queries; 0 turns the cache off
 * @param resultsCacheMaxBytes memory the results cache may hold (estimated), least recently used
 *     entries evicted first
 */
public record QueryConfig(
    Duration timeout,
    Long maxSamples,
    Duration lookbackDelta,
    Integer maxConcurrent,
    Long maxSeries,
    Duration resultsCacheOffset,
    ByteSize resultsCacheMaxBytes) {
  public QueryConfig {
    timeout = timeout != null ? timeout : Duration.ofMinutes(2);
    maxSamples = maxSamples != null ? maxSamples : 50_000_000L;
    lookbackDelta = lookbackDelta != null ? lookbackDelta : Duration.ofMinutes(5);
    maxConcurrent = maxConcurrent != null ? maxConcurrent : 20;
    maxSeries = maxSeries != null ? maxSeries : 500_000L;
    resultsCacheOffset = resultsCacheOffset != null ? resultsCacheOffset : Duration.ofMinutes(5);
    resultsCacheMaxBytes =
        resultsCacheMaxBytes != null ? resultsCacheMaxBytes : new ByteSize(64L << 20);
    if (resultsCacheOffset.isNegative()) {
      throw new IllegalArgumentException(
          "query: results_cache_offset must be 0 (cache off) or positive, not "
              + resultsCacheOffset);
    }
    if (maxSeries < 0) {
      throw new IllegalArgumentException(
          "query: max_series must be 0 (no limit) or positive, not " + maxSeries);
    }
  }

  /** Limits only; the results cache at its defaults. */
  public QueryConfig(
      Duration timeout,
      Long maxSamples,
      Duration lookbackDelta,
      Integer maxConcurrent,
      Long maxSeries) {
    this(timeout, maxSamples, lookbackDelta, maxConcurrent, maxSeries, null, null);
  }

  /** This config with the results cache's freshness offset set (0: cache off). */
  public QueryConfig withResultsCacheOffset(Duration offset) {
    return new QueryConfig(
        timeout, maxSamples, lookbackDelta, maxConcurrent, maxSeries, offset, resultsCacheMaxBytes);
  }

  public static final QueryConfig DEFAULTS = new QueryConfig(null, null, null, null, null);
}
