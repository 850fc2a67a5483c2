package dev.osprey.tsdb.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.Json;
import dev.osprey.core.http.Router;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.tsdb.Tsdb;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatusRoutesTest {
  @TempDir Path dir;

  private static JsonNode get(Router router, Map<String, List<String>> params) throws Exception {
    Router.Match m = router.match("GET", "/api/v1/status/tsdb");
    assertThat(m.found()).isTrue();
    HttpResponse r =
        m.route()
            .handler()
            .handle(
                new HttpRequest(
                    "GET",
                    "/api/v1/status/tsdb",
                    params,
                    Map.of(),
                    Map.of(),
                    new byte[0],
                    null,
                    "127.0.0.1"));
    assertThat(r.status()).isEqualTo(200);
    return Json.MAPPER.readTree(r.body()).get("data");
  }

  @Test
  void headCardinalityAsPrometheusReportsIt() throws Exception {
    try (Tsdb db =
        Tsdb.open(dir, new TsdbConfig(null, null, null, "never"), new SimpleMeterRegistry())) {
      Appender app = db.appender();
      for (int i = 0; i < 5; i++) {
        app.append(0, Labels.of("__name__", "up", "job", "node", "instance", "i" + i), 1000, 1);
      }
      for (int i = 0; i < 3; i++) {
        app.append(0, Labels.of("__name__", "rps", "job", "api", "instance", "i" + i), 2000, 1);
      }
      app.commit();
      Router router = new Router();
      new StatusRoutes(db).register(router);

      JsonNode d = get(router, Map.of());
      assertThat(d.get("headStats").get("numSeries").asLong()).isEqualTo(8);
      // __name__: up, rps; job: node, api; instance: i0..i4
      assertThat(d.get("headStats").get("numLabelPairs").asLong()).isEqualTo(9);
      assertThat(d.get("headStats").get("minTime").asLong()).isEqualTo(1000);
      assertThat(d.get("headStats").get("maxTime").asLong()).isEqualTo(2000);
      assertThat(d.get("seriesCountByMetricName").toString())
          .isEqualTo("[{\"name\":\"up\",\"value\":5},{\"name\":\"rps\",\"value\":3}]");
      assertThat(d.get("labelValueCountByLabelName").get(0).toString())
          .isEqualTo("{\"name\":\"instance\",\"value\":5}");
      // job: "node" x 5 + "api" x 3 = 29 bytes; __name__: "up" x 5 + "rps" x 3 = 19; instance 16
      assertThat(d.get("memoryInBytesByLabelName").toString())
          .isEqualTo(
              "[{\"name\":\"job\",\"value\":29},{\"name\":\"__name__\",\"value\":19},"
                  + "{\"name\":\"instance\",\"value\":16}]");
      assertThat(d.get("seriesCountByLabelValuePair").get(0).toString())
          .isEqualTo("{\"name\":\"__name__=up\",\"value\":5}");

      JsonNode two = get(router, Map.of("limit", List.of("2")));
      assertThat(two.get("seriesCountByLabelValuePair")).hasSize(2);
      // one open chunk per series, the fields in Prometheus's order
      assertThat(d.get("headStats").get("chunkCount").asLong()).isEqualTo(8);
      List<String> fields = new java.util.ArrayList<>();
      d.get("headStats").fieldNames().forEachRemaining(fields::add);
      assertThat(fields)
          .containsExactly("numSeries", "numLabelPairs", "chunkCount", "minTime", "maxTime");
      assertThatThrownBy(() -> get(router, Map.of("limit", List.of("0"))))
          .hasMessageContaining("limit must be a positive number");
    }
  }

  @Test
  void chunkCountCountsClosedOpenAndHistogramChunks() throws Exception {
    try (Tsdb db =
        Tsdb.open(dir, new TsdbConfig(null, null, null, "never"), new SimpleMeterRegistry())) {
      Router router = new Router();
      new StatusRoutes(db).register(router);
      assertThat(get(router, Map.of()).get("headStats").get("chunkCount").asLong()).isZero();
      Labels floats = Labels.of("__name__", "up", "job", "node");
      Labels hist = Labels.of("__name__", "lat", "job", "api");
      Appender app = db.appender();
      // 300 floats: two full chunks of 120 and an open one of 60
      for (int i = 0; i < 300; i++) {
        app.append(0, floats, 1000L + i * 1000L, i);
      }
      // 130 histograms: one full chunk and an open one
      for (int i = 0; i < 130; i++) {
        app.appendHistogram(0, hist, 1000L + i * 1000L, histogram(i));
      }
      app.commit();
      assertThat(get(router, Map.of()).get("headStats").get("chunkCount").asLong())
          .isEqualTo(3 + 2);
      assertThat(db.head().chunkCount()).isEqualTo(5);
    }
  }

  private static dev.osprey.core.histogram.FloatHistogram histogram(int i) {
    return dev.osprey.core.histogram.FloatHistogram.ofSparse(
        0,
        0,
        0,
        i,
        i,
        new int[] {0},
        new double[] {i},
        new int[0],
        new double[0],
        null,
        dev.osprey.core.histogram.FloatHistogram.CounterResetHint.UNKNOWN);
  }
}
