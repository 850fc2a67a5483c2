package dev.osprey.core.config;

import java.time.Duration;

/**
 * The query engine's limits.
 *
 * @param timeout longest a query may run (503 timeout after)
 * @param maxSamples most samples a query may hold in memory at once (422 execution above)
 * @param lookbackDelta how far back an instant selector looks for a sample
 * @param maxConcurrent queries that may run at once
 */
public record QueryConfig(
    Duration timeout, Long maxSamples, Duration lookbackDelta, Integer maxConcurrent) {
  public QueryConfig {
    timeout = timeout != null ? timeout : Duration.ofMinutes(2);
    maxSamples = maxSamples != null ? maxSamples : 50_000_000L;
    lookbackDelta = lookbackDelta != null ? lookbackDelta : Duration.ofMinutes(5);
    maxConcurrent = maxConcurrent != null ? maxConcurrent : 20;
  }

  public static final QueryConfig DEFAULTS = new QueryConfig(null, null, null, null);
}
