package dev.osprey.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.osprey.collector.CapturingSink;
import dev.osprey.collector.CapturingSink.Sample;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.StaleNaN;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Scrapes a JDK HttpServer on 127.0.0.1 whose body, status and headers each test controls. */
class ScrapeLoopTest {
  private HttpServer server;
  private final AtomicReference<String> body = new AtomicReference<>("");
  private final AtomicReference<String> contentType =
      new AtomicReference<>("text/plain; version=0.0.4");
  private final AtomicInteger status = new AtomicInteger(200);
  private final AtomicInteger delayMs = new AtomicInteger();
  private volatile boolean gzip;
  private volatile boolean slowBody;
  private volatile String lastAccept;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void startServer() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/metrics",
        ex -> {
          lastAccept = ex.getRequestHeaders().getFirst("Accept");
          try {
            Thread.sleep(delayMs.get());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          byte[] b = body.get().getBytes(StandardCharsets.UTF_8);
          if (gzip) {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
              gz.write(b);
            }
            b = bos.toByteArray();
            ex.getResponseHeaders().set("Content-Encoding", "gzip");
          }
          ex.getResponseHeaders().set("Content-Type", contentType.get());
          if (slowBody) {
            // headers and a first line now, the rest after the scrape timeout
            ex.sendResponseHeaders(200, 0);
            try (OutputStream os = ex.getResponseBody()) {
              os.write("a 1\n".getBytes(StandardCharsets.UTF_8));
              os.flush();
              Thread.sleep(1500);
              os.write(b);
            } catch (InterruptedException | java.io.IOException e) {
              // the client gave up: expected
            }
            return;
          }
          ex.sendResponseHeaders(status.get(), b.length == 0 ? -1 : b.length);
          try (OutputStream os = ex.getResponseBody()) {
            os.write(b);
          }
        });
    server.start();
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  ScrapeLoop loop(String extraYaml, CapturingSink sink) {
    String addr = "127.0.0.1:" + server.getAddress().getPort();
    PrometheusConfig c =
        PrometheusConfig.parse(
            """
        global: {scrape_interval: 10s, scrape_timeout: 1s}
        scrape_configs:
          - job_name: app
            static_configs: [{targets: ['%s']}]
        %s
        """
                .formatted(addr, extraYaml.indent(4)));
    Target t = Target.fromStatic(c.scrapeConfigs().get(0)).get(0);
    return new ScrapeLoop(t, http, sink, c.externalLabels());
  }

  static double v(CapturingSink s, String name, String... labels) {
    return s.one(name, labels).v();
  }

  @Test
  void scrapesMergesTargetLabelsAndReports() {
    body.set("# TYPE a counter\na 1\nb{x=\"y\"} 2.5\n");
    CapturingSink s = new CapturingSink();
    ScrapeLoop.Result r = loop("", s).scrapeOnce(1_000_000);
    assertThat(r.up()).isTrue();
    Sample a = s.one("a");
    assertThat(a.labels())
        .isEqualTo(
            Labels.of(
                "__name__",
                "a",
                "job",
                "app",
                "instance",
                "127.0.0.1:" + server.getAddress().getPort()));
    assertThat(a.t()).isEqualTo(1_000_000);
    assertThat(v(s, "b", "x", "y")).isEqualTo(2.5);
    assertThat(v(s, "up")).isEqualTo(1);
    assertThat(v(s, "scrape_samples_scraped")).isEqualTo(2);
    assertThat(v(s, "scrape_samples_post_metric_relabeling")).isEqualTo(2);
    assertThat(v(s, "scrape_series_added")).isEqualTo(2);
    assertThat(v(s, "scrape_duration_seconds")).isGreaterThan(0).isLessThan(1);
    assertThat(s.one("up").labels().names()).containsExactly("__name__", "instance", "job");
    assertThat(lastAccept).startsWith("application/openmetrics-text;version=1.0.0");
    assertThat(s.flushes()).isEqualTo(1);
  }

  @Test
  void disappearingSeriesAndFailedTargetGoStale() {
    CapturingSink s = new CapturingSink();
    ScrapeLoop l = loop("", s);
    body.set("a 1\nb 2\n");
    l.scrapeOnce(1000);
    body.set("a 3\n");
    s.clear();
    l.scrapeOnce(2000);
    assertThat(StaleNaN.is(v(s, "b"))).isTrue();
    assertThat(s.one("b").t()).isEqualTo(2000);
    assertThat(v(s, "a")).isEqualTo(3);
    assertThat(v(s, "scrape_series_added")).isEqualTo(0);

    status.set(500);
    s.clear();
    ScrapeLoop.Result r = l.scrapeOnce(3000);
    assertThat(r.up()).isFalse();
    assertThat(r.error()).isEqualTo("server returned HTTP status 500");
    assertThat(v(s, "up")).isEqualTo(0);
    assertThat(StaleNaN.is(v(s, "a"))).isTrue();
    assertThat(s.find("b")).isEmpty(); // already stale

    // back up: the series returns, counted as added again
    status.set(200);
    s.clear();
    l.scrapeOnce(4000);
    assertThat(v(s, "a")).isEqualTo(3);
    assertThat(v(s, "scrape_series_added")).isEqualTo(1);

    // the target is removed: everything it produced is marked stale, report series too
    s.clear();
    l.stop(5000);
    assertThat(StaleNaN.is(v(s, "a"))).isTrue();
    assertThat(StaleNaN.is(v(s, "up"))).isTrue();
    assertThat(StaleNaN.is(v(s, "scrape_duration_seconds"))).isTrue();
  }

  @Test
  void honorLabels() {
    body.set("m{job=\"other\",instance=\"i-1\",x=\"1\"} 1\n");
    CapturingSink s = new CapturingSink();
    loop("", s).scrapeOnce(1000);
    Sample m = s.one("m");
    assertThat(m.labels().get("job")).isEqualTo("app");
    assertThat(m.labels().get("exported_job")).isEqualTo("other");
    assertThat(m.labels().get("exported_instance")).isEqualTo("i-1");
    assertThat(m.labels().get("x")).isEqualTo("1");

    CapturingSink s2 = new CapturingSink();
    loop("honor_labels: true", s2).scrapeOnce(1000);
    Sample m2 = s2.one("m");
    assertThat(m2.labels().get("job")).isEqualTo("other");
    assertThat(m2.labels().get("instance")).isEqualTo("i-1");
    assertThat(m2.labels().has("exported_job")).isFalse();
  }

  @Test
  void metricRelabelling() {
    body.set("go_goroutines 7\nhttp_requests_total{code=\"200\",path=\"/x\"} 5\n");
    CapturingSink s = new CapturingSink();
    ScrapeLoop.Result r =
        loop(
                """
        metric_relabel_configs:
          - {source_labels: [__name__], regex: 'go_.*', action: drop}
          - {regex: path, action: labeldrop}
        """,
                s)
            .scrapeOnce(1000);
    assertThat(r.scraped()).isEqualTo(2);
    assertThat(r.postRelabel()).isEqualTo(1);
    assertThat(s.find("go_goroutines")).isEmpty();
    assertThat(s.one("http_requests_total").labels().has("path")).isFalse();
    assertThat(v(s, "scrape_samples_post_metric_relabeling")).isEqualTo(1);
  }

  @Test
  void limitsFailTheWholeScrape() {
    body.set("a 1\nb 2\nc 3\n");
    CapturingSink s = new CapturingSink();
    ScrapeLoop.Result r = loop("sample_limit: 2", s).scrapeOnce(1000);
    assertThat(r.up()).isFalse();
    assertThat(r.error()).contains("sample limit exceeded");
    assertThat(s.find("a")).isEmpty();
    assertThat(v(s, "up")).isEqualTo(0);

    CapturingSink s2 = new CapturingSink();
    ScrapeLoop.Result r2 = loop("body_size_limit: 8B", s2).scrapeOnce(1000);
    assertThat(r2.error()).contains("body size limit exceeded");

    CapturingSink s3 = new CapturingSink();
    body.set("a{l1=\"1\",l2=\"2\",l3=\"3\"} 1\n");
    assertThat(loop("label_limit: 3", s3).scrapeOnce(1000).error())
        .contains("label_limit exceeded");
  }

  @Test
  void parseErrorIsAFailedScrapeWithTheLine() {
    body.set("a 1\nb{ 2\n");
    CapturingSink s = new CapturingSink();
    ScrapeLoop.Result r = loop("", s).scrapeOnce(1000);
    assertThat(r.up()).isFalse();
    assertThat(r.error()).startsWith("cannot parse exposition at line 2");
    assertThat(s.find("a")).isEmpty();
  }

  @Test
  void gzipOpenMetricsAndTimestamps() {
    gzip = true;
    contentType.set("application/openmetrics-text; version=1.0.0; charset=utf-8");
    body.set("# TYPE a counter\na_total 4 1700000000.5\nb 1\n# EOF\n");
    CapturingSink s = new CapturingSink();
    ScrapeLoop l = loop("", s);
    assertThat(l.scrapeOnce(2000).up()).isTrue();
    assertThat(s.one("a_total").t()).isEqualTo(1_700_000_000_500L);
    assertThat(s.one("b").t()).isEqualTo(2000);

    CapturingSink s2 = new CapturingSink();
    loop("honor_timestamps: false", s2).scrapeOnce(3000);
    assertThat(s2.one("a_total").t()).isEqualTo(3000);

    // series with their own timestamps get no stale marker when they vanish
    body.set("b 1\n# EOF\n");
    s.clear();
    l.scrapeOnce(4000);
    assertThat(s.find("a_total")).isEmpty();
  }

  @Test
  void timeoutIsAFailedScrape() {
    body.set("a 1\n");
    delayMs.set(1500);
    CapturingSink s = new CapturingSink();
    ScrapeLoop.Result r = loop("scrape_timeout: 300ms", s).scrapeOnce(1000);
    assertThat(r.up()).isFalse();
    assertThat(r.error()).contains("timed out");
    assertThat(v(s, "up")).isEqualTo(0);
  }

  @Test
  void slowBodyIsBoundedByTheScrapeTimeout() {
    body.set("b 2\n");
    slowBody = true;
    CapturingSink s = new CapturingSink();
    // without the guard the body would complete after 1.5 s and the scrape would be up
    ScrapeLoop.Result r = loop("scrape_timeout: 300ms", s).scrapeOnce(1000);
    assertThat(r.up()).isFalse();
    assertThat(r.error()).contains("timed out");
    assertThat(s.find("a")).isEmpty();
  }

  @Test
  void externalLabelsAndDuplicates() {
    String addr = "127.0.0.1:" + server.getAddress().getPort();
    PrometheusConfig c =
        PrometheusConfig.parse(
            """
        global: {external_labels: {cluster: c1}}
        scrape_configs: [{job_name: app, static_configs: [{targets: ['%s']}]}]
        """
                .formatted(addr));
    body.set("a 1\na 2\n");
    CapturingSink s = new CapturingSink();
    new ScrapeLoop(Target.fromStatic(c.scrapeConfigs().get(0)).get(0), http, s, c.externalLabels())
        .scrapeOnce(1000);
    List<Sample> a = s.find("a");
    assertThat(a)
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.v()).isEqualTo(1);
              assertThat(x.labels().get("cluster")).isEqualTo("c1");
            });
    assertThat(s.one("up").labels().get("cluster")).isEqualTo("c1");
  }
}
