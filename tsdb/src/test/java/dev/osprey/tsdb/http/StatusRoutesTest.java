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
      assertThatThrownBy(() -> get(router, Map.of("limit", List.of("0"))))
          .hasMessageContaining("limit must be a positive number");
    }
  }
}
