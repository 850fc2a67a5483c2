package dev.osprey.core.config;

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
 */
public record QueryConfig(
    Duration timeout,
    Long maxSamples,
    Duration lookbackDelta,
    Integer maxConcurrent,
    Long maxSeries) {
  public QueryConfig {
    timeout = timeout != null ? timeout : Duration.ofMinutes(2);
    maxSamples = maxSamples != null ? maxSamples : 50_000_000L;
    lookbackDelta = lookbackDelta != null ? lookbackDelta : Duration.ofMinutes(5);
    maxConcurrent = maxConcurrent != null ? maxConcurrent : 20;
    maxSeries = maxSeries != null ? maxSeries : 500_000L;
    if (maxSeries < 0) {
      throw new IllegalArgumentException(
          "query: max_series must be 0 (no limit) or positive, not " + maxSeries);
    }
  }

  public static final QueryConfig DEFAULTS = new QueryConfig(null, null, null, null, null);
}
