package dev.osprey.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.collector.CapturingSink;
import dev.osprey.collector.scrape.ExpositionParser.Entry;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.Histogram;
import io.prometheus.client.Summary;
import io.prometheus.client.exporter.HTTPServer;
import io.prometheus.client.exporter.common.TextFormat;
import io.prometheus.client.hotspot.MemoryPoolsExports;
import io.prometheus.client.hotspot.StandardExports;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Scrapes a small app instrumented with the real Prometheus Java simpleclient (its own HTTP server,
 * which answers our Accept header with OpenMetrics), and parses its 0.0.4 text output.
 */
class SimpleclientScrapeTest {
  static CollectorRegistry app() {
    CollectorRegistry r = new CollectorRegistry();
    Counter req =
        Counter.build("http_requests_total", "Requests.").labelNames("method", "code").register(r);
    req.labels("get", "200").inc(3);
    req.labels("post", "500").inc();
    Gauge.build("queue_depth", "Depth.").register(r).set(-2.5);
    Histogram h = Histogram.build("request_seconds", "Latency.").buckets(0.1, 0.5, 1).register(r);
    h.observe(0.05);
    h.observe(0.7);
    Summary.build("payload_bytes", "Sizes.")
        .quantile(0.5, 0.05)
        .quantile(0.99, 0.001)
        .register(r)
        .observe(1234);
    new StandardExports().register(r);
    new MemoryPoolsExports().register(r);
    return r;
  }

  @Test
  void scrapesOpenMetricsFromSimpleclient() throws Exception {
    CollectorRegistry registry = app();
    HTTPServer server =
        new HTTPServer.Builder()
            .withInetSocketAddress(new InetSocketAddress("127.0.0.1", 0))
            .withRegistry(registry)
            .withDaemonThreads(true)
            .build();
    try {
      PrometheusConfig c =
          PrometheusConfig.parse(
              """
          scrape_configs:
            - job_name: app
              static_configs: [{targets: ['127.0.0.1:%d']}]
          """
                  .formatted(server.getPort()));
      CapturingSink sink = new CapturingSink();
      ScrapeLoop.Result r =
          new ScrapeLoop(
                  Target.fromStatic(c.scrapeConfigs().get(0)).get(0),
                  HttpClient.newHttpClient(),
                  sink,
                  c.externalLabels())
              .scrapeOnce(1000);
      assertThat(r.error()).isEmpty();
      assertThat(r.up()).isTrue();
      assertThat(sink.one("http_requests_total", "method", "get").v()).isEqualTo(3);
      // OpenMetrics adds _created series: proof that the OpenMetrics body was the one parsed
      assertThat(sink.find("http_requests_created")).hasSize(2);
      assertThat(sink.one("queue_depth").v()).isEqualTo(-2.5);
      assertThat(sink.one("request_seconds_bucket", "le", "0.1").v()).isEqualTo(1);
      assertThat(sink.one("request_seconds_bucket", "le", "+Inf").v()).isEqualTo(2);
      assertThat(sink.one("request_seconds_count").v()).isEqualTo(2);
      assertThat(sink.one("payload_bytes", "quantile", "0.99").v()).isEqualTo(1234);
      assertThat(sink.find("process_cpu_seconds_total")).isNotEmpty();
      assertThat(sink.find("jvm_memory_pool_bytes_used")).isNotEmpty();
      assertThat(sink.one("http_requests_total", "method", "get").labels().get("job"))
          .isEqualTo("app");
    } finally {
      server.close();
    }
  }

  @Test
  void parsesTheTextFormatTheSameWay() throws Exception {
    CollectorRegistry registry = app();
    StringWriter text = new StringWriter();
    TextFormat.write004(text, registry.metricFamilySamples());
    StringWriter om = new StringWriter();
    TextFormat.writeOpenMetrics100(om, registry.metricFamilySamples());
    java.util.Set<dev.osprey.core.labels.Labels> fromText = series(text.toString(), false);
    java.util.Set<dev.osprey.core.labels.Labels> fromOm = series(om.toString(), true);
    assertThat(fromText).hasSizeGreaterThan(20);
    // simpleclient writes the same series in both formats (with _created in both)
    assertThat(fromText).isEqualTo(fromOm);
  }

  static java.util.Set<dev.osprey.core.labels.Labels> series(String body, boolean om)
      throws ExpositionParseException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ExpositionParser p = new ExpositionParser(b, 0, b.length, om);
    java.util.Set<dev.osprey.core.labels.Labels> out = new java.util.HashSet<>();
    for (Entry e; (e = p.next()) != Entry.EOF; ) {
      if (e == Entry.SERIES) {
        out.add(p.labels());
      }
    }
    return out;
  }
}
