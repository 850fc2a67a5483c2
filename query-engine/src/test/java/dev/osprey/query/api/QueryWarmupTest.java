package dev.osprey.query.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.storage.memory.MemStorage;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class QueryWarmupTest {
  private static final long END = 1_764_000_000_000L;

  @Test
  void everyWarmupQueryRunsAndReturnsSeries() {
    MemStorage storage = new MemStorage();
    long noDeadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    assertThat(QueryWarmup.load(storage, END, 2, 0, 200, noDeadline)).isEqualTo(200);
    assertThat(QueryWarmup.load(storage, END, 2, 200, QueryWarmup.SCRAPES, noDeadline))
        .isEqualTo(QueryWarmup.SCRAPES - 200);
    QueryWarmup.Report r =
        QueryWarmup.run(storage, QueryConfig.DEFAULTS, END, 2, Duration.ofMinutes(2));
    assertThat(r.rounds()).isEqualTo(2);
    assertThat(r.queries()).isEqualTo(2 * QueryWarmup.QUERIES.size());
    // a query over no data would warm little: each shape must find the synthetic series
    assertThat(r.nonEmpty()).isEqualTo(r.queries());
    // and the results cache's path, which answers the cached column of the query bench, is warmed
    // with every shape as well (each is cacheable: none has @ or a negative offset)
    assertThat(r.cached()).isEqualTo(r.queries());
  }

  @Test
  void stopsAtTheBudget() {
    MemStorage storage = new MemStorage();
    assertThat(QueryWarmup.load(storage, END, 1, 0, QueryWarmup.SCRAPES, System.nanoTime() - 1))
        .isZero();
    QueryWarmup.load(storage, END, 1, 0, QueryWarmup.SCRAPES, System.nanoTime() + 300_000_000_000L);
    QueryWarmup.Report r = QueryWarmup.run(storage, QueryConfig.DEFAULTS, END, 1000, Duration.ZERO);
    assertThat(r.queries()).isZero();
    assertThat(r.rounds()).isZero();
  }
}
