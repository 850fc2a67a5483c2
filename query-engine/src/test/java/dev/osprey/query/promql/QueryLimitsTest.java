package dev.osprey.query.promql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.memory.MemStorage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The series limit and the sample limit, raw samples loaded by selectors included: each query runs
 * once exactly at its limit (answers) and once with the limit one lower (fails with the named
 * error). The figures are counted by hand from the data below.
 */
class QueryLimitsTest {
  private static final long SCRAPE = 15_000;
  private static final int SERIES = 5;
  private static final int SAMPLES = 10; // per series, at 0, 15 s, ..., 135 s
  private static final long LAST = (SAMPLES - 1) * SCRAPE;

  private MemStorage storage;

  @BeforeEach
  void setUp() {
    storage = new MemStorage();
    Appender a = storage.appender();
    for (int s = 0; s < SERIES; s++) {
      for (int i = 0; i < SAMPLES; i++) {
        a.append(0, Labels.of("__name__", "m", "i", Integer.toString(s)), i * SCRAPE, i);
      }
    }
    // one long series: 1000 samples, 0 to 99.9 s
    for (int i = 0; i < 1000; i++) {
      a.append(0, Labels.of("__name__", "long"), i * 100L, i);
    }
    a.commit();
  }

  private Engine engine(long maxSamples, long maxSeries) {
    return new Engine(storage, 60_000, maxSamples, 300_000, 60_000, maxSeries);
  }

  private QueryResult run(Engine e, String kind, String expr) {
    return kind.equals("instant")
        ? e.instantQuery(expr, LAST)
        : e.rangeQuery(expr, 0, LAST, SCRAPE);
  }

  @ParameterizedTest(name = "{0} {1}: {2} series")
  @CsvSource(
      delimiter = ';',
      value = {
        // each selector loads the 5 series of m
        "instant; m; 5",
        "range; m; 5",
        // two selectors load them twice (both sets are in memory at once)
        "instant; m + m; 10",
        "range; sum(rate(m[1m])) / count(m); 10",
        "range; sum(m) + sum(rate(m[1m])); 10",
        "instant; {__name__=~\".+\"}; 6",
      })
  void seriesLimit(String kind, String expr, long series) {
    QueryResult ok = run(engine(Long.MAX_VALUE, series), kind, expr);
    assertThat(ok.type()).isIn(QueryResult.Type.VECTOR, QueryResult.Type.MATRIX);
    assertThatThrownBy(() -> run(engine(Long.MAX_VALUE, series - 1), kind, expr))
        .isInstanceOfSatisfying(
            QueryException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(QueryException.Kind.TOO_MANY_SERIES);
              assertThat(e.getMessage())
                  .isEqualTo(
                      "query processing would load too many series (limit "
                          + (series - 1)
                          + "); use a more selective selector or raise query.max_series");
            });
    // 0 is no limit
    assertThat(run(engine(Long.MAX_VALUE, 0), kind, expr).type()).isEqualTo(ok.type());
  }

  @ParameterizedTest(name = "{0} {1}: {2} samples")
  @CsvSource(
      delimiter = ';',
      value = {
        // 50 raw samples loaded (5 series x 10, all within the lookback) + the 5 of the result
        "instant; m; 55",
        // 50 loaded + 5 x 10 result points
        "range; m; 100",
        // 50 loaded + the 50 of the range vectors (a function's result is not counted)
        "instant; count_over_time(m[5m]); 100",
        // 1000 loaded + the 1000 of the range vector
        "instant; count_over_time(long[1h]); 2000",
        // Fused aggregations stream their series instead of keeping them, and count them as if
        // kept: these limits are the ones the engine gave when it still loaded every series.
        "range; sum(m); 60",
        "range; sum(rate(m[1m])); 70",
        "range; count by (i) (m); 100",
        "range; sum(m) + sum(rate(m[1m])); 125",
      })
  void loadedSamplesCountTowardTheSampleLimit(String kind, String expr, long samples) {
    assertThat(run(engine(samples, 0), kind, expr).type())
        .isIn(QueryResult.Type.VECTOR, QueryResult.Type.MATRIX);
    assertThatThrownBy(() -> run(engine(samples - 1, 0), kind, expr))
        .isInstanceOfSatisfying(
            QueryException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(QueryException.Kind.TOO_MANY_SAMPLES);
              assertThat(e.getMessage())
                  .isEqualTo(
                      "query processing would load too many samples into memory in query"
                          + " execution");
            });
  }

  @ParameterizedTest(name = "limit {0}")
  @CsvSource({"999", "500", "16", "1"})
  void oneLongSeriesFailsWhileItLoads(long maxSamples) {
    // the 1000 raw samples of one series alone exceed the limit: refused before they are all read
    assertThatThrownBy(() -> engine(maxSamples, 0).instantQuery("count_over_time(long[1h])", LAST))
        .isInstanceOfSatisfying(
            QueryException.class,
            e -> assertThat(e.kind()).isEqualTo(QueryException.Kind.TOO_MANY_SAMPLES));
  }
}
