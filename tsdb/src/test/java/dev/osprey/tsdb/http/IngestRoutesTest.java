package dev.osprey.tsdb.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.http.ApiException;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.Router;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import dev.osprey.core.wire.prompb.Remote;
import dev.osprey.tsdb.Tsdb;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.Snappy;

class IngestRoutesTest {
  @TempDir Path dir;
  private Tsdb db;
  private Router router;
  private IngestRoutes routes;

  @BeforeEach
  void setUp() {
    db = Tsdb.open(dir, new TsdbConfig(null, null, null, "never"), new SimpleMeterRegistry());
    router = new Router();
    routes = new IngestRoutes(db, new SimpleMeterRegistry());
    routes.register(router);
  }

  @AfterEach
  void tearDown() {
    db.close();
  }

  record S(long t, double v) {}

  private List<S> samples(LabelMatcher... ms) {
    try (Querier q = db.querier()) {
      SeriesSet set = q.select(Long.MIN_VALUE, Long.MAX_VALUE, SelectHints.of(0, 0), ms);
      List<S> out = new ArrayList<>();
      while (set.next()) {
        SampleIterator it = set.iterator(null);
        while (it.next()) {
          out.add(new S(it.t(), it.v()));
        }
      }
      return out;
    }
  }

  private List<Labels> series(LabelMatcher... ms) {
    try (Querier q = db.querier()) {
      SeriesSet set = q.select(Long.MIN_VALUE, Long.MAX_VALUE, SelectHints.of(0, 0), ms);
      List<Labels> out = new ArrayList<>();
      while (set.next()) {
        out.add(set.labels());
      }
      return out;
    }
  }

  private HttpResponse post(String path, String contentType, byte[] body) throws Exception {
    Router.Match m = router.match("POST", path);
    assertThat(m.found()).isTrue();
    HttpRequest req =
        new HttpRequest(
            "POST",
            path,
            Map.of(),
            m.pathParams(),
            Map.of("content-type", contentType),
            m.route().streaming() ? null : body,
            m.route().streaming() ? new ByteArrayInputStream(body) : null,
            "127.0.0.1");
    return m.route().handler().handle(req);
  }

  private static Remote.TimeSeries ts(String[] labels, long[] ts, double[] vs) {
    Remote.TimeSeries.Builder b = Remote.TimeSeries.newBuilder();
    for (int i = 0; i < labels.length; i += 2) {
      b.addLabels(Remote.Label.newBuilder().setName(labels[i]).setValue(labels[i + 1]));
    }
    for (int i = 0; i < ts.length; i++) {
      b.addSamples(Remote.Sample.newBuilder().setTimestamp(ts[i]).setValue(vs[i]));
    }
    return b.build();
  }

  private HttpResponse write(Remote.TimeSeries... series) throws Exception {
    Remote.WriteRequest.Builder w = Remote.WriteRequest.newBuilder();
    for (Remote.TimeSeries s : series) {
      w.addTimeseries(s);
    }
    return post(
        "/api/v1/write", "application/x-protobuf", Snappy.compress(w.build().toByteArray()));
  }

  @Test
  void remoteWriteStoresAndAnswers204() throws Exception {
    HttpResponse r =
        write(
            ts(
                new String[] {"__name__", "up", "job", "a"},
                new long[] {1000, 2000},
                new double[] {1, 0}),
            ts(new String[] {"job", "b", "__name__", "up"}, new long[] {1000}, new double[] {1}));
    assertThat(r.status()).isEqualTo(204);
    assertThat(samples(LabelMatcher.equal("job", "a")))
        .containsExactly(new S(1000, 1), new S(2000, 0));
    assertThat(series(LabelMatcher.equal("__name__", "up")))
        .containsExactly(
            Labels.of("__name__", "up", "job", "a"), Labels.of("__name__", "up", "job", "b"));
  }

  @Test
  void remoteWriteAcceptsGoodSamplesAndReportsBadOnesWith400() throws Exception {
    write(ts(new String[] {"__name__", "up", "job", "a"}, new long[] {5000}, new double[] {1}));
    HttpResponse r =
        write(
            ts(
                new String[] {"__name__", "up", "job", "a"},
                new long[] {4000, 5000, 6000},
                new double[] {1, 2, 3}),
            ts(new String[] {"__name__", "up", "job", "b"}, new long[] {7000}, new double[] {7}),
            ts(
                new String[] {"__name__", "up", "bad-name", "x"},
                new long[] {7000},
                new double[] {7}));
    assertThat(r.status()).isEqualTo(400);
    String body = new String(r.body(), StandardCharsets.UTF_8);
    assertThat(body)
        .contains("3 samples rejected, 2 accepted")
        .contains("out of order sample")
        .contains("duplicate sample for timestamp")
        .contains("invalid label name \"bad-name\"");
    assertThat(samples(LabelMatcher.equal("job", "a")))
        .containsExactly(new S(5000, 1), new S(6000, 3));
    assertThat(samples(LabelMatcher.equal("job", "b"))).containsExactly(new S(7000, 7));
  }

  @Test
  void knownSeriesAreFoundByTheirLabelBytes() throws Exception {
    String[] a = {"__name__", "up", "job", "a"};
    String[] b = {"__name__", "up", "job", "b"};
    for (int i = 1; i <= 3; i++) {
      HttpResponse r =
          write(
              ts(a, new long[] {1000L * i}, new double[] {i}),
              ts(b, new long[] {1000L * i}, new double[] {-i}));
      assertThat(r.status()).isEqualTo(204);
    }
    assertThat(routes.refsForTest().size()).isEqualTo(2);
    assertThat(db.head().numSeries()).isEqualTo(2);
    assertThat(samples(LabelMatcher.equal("job", "a")))
        .containsExactly(new S(1000, 1), new S(2000, 2), new S(3000, 3));
    assertThat(samples(LabelMatcher.equal("job", "b")))
        .containsExactly(new S(1000, -1), new S(2000, -2), new S(3000, -3));
  }

  @Test
  void aWrongOrStaleCachedReferenceNeverMisplacesASample() throws Exception {
    String[] a = {"__name__", "up", "job", "a"};
    String[] b = {"__name__", "up", "job", "b"};
    String[] c = {"__name__", "up", "job", "c"};
    String[] d = {"__name__", "up", "job", "d"};
    write(ts(a, new long[] {1000}, new double[] {1}), ts(b, new long[] {1000}, new double[] {2}));
    long refOfB = db.head().appender().append(0, Labels.of(b), 1000, 2);
    long hashOfB = Labels.of(b).hash();
    long[] ha = labelsHash(a);
    long[] hb = labelsHash(b);
    long[] hc = labelsHash(c);
    long[] hd = labelsHash(d);
    // a's first 64 bits as if they collided with b's: the second half differs, so a miss
    routes.refsForTest().put(ha[0], hb[1], refOfB, hashOfB, 10);
    // c's full hash naming a series that does not exist (removed since)
    routes.refsForTest().put(hc[0], hc[1], 1_000_000, Labels.of(c).hash(), 10);
    // d's full hash naming b, a live series whose labels are not d's: the labels hash differs
    routes.refsForTest().put(hd[0], hd[1], refOfB, Labels.of(d).hash(), 10);
    assertThat(
            write(
                    ts(a, new long[] {2000}, new double[] {10}),
                    ts(c, new long[] {2000}, new double[] {30}),
                    ts(d, new long[] {2000}, new double[] {40}))
                .status())
        .isEqualTo(204);
    assertThat(samples(LabelMatcher.equal("job", "a")))
        .containsExactly(new S(1000, 1), new S(2000, 10));
    assertThat(samples(LabelMatcher.equal("job", "b"))).containsExactly(new S(1000, 2));
    assertThat(samples(LabelMatcher.equal("job", "c"))).containsExactly(new S(2000, 30));
    assertThat(samples(LabelMatcher.equal("job", "d"))).containsExactly(new S(2000, 40));
    // the slow path put right entries back: the next samples are hits on the right series
    assertThat(SeriesRefCache.ref(routes.refsForTest().get(ha[0], ha[1])))
        .isNotEqualTo((int) refOfB);
    assertThat(
            write(
                    ts(a, new long[] {3000}, new double[] {11}),
                    ts(c, new long[] {3000}, new double[] {31}),
                    ts(d, new long[] {3000}, new double[] {41}))
                .status())
        .isEqualTo(204);
    assertThat(samples(LabelMatcher.equal("job", "b"))).containsExactly(new S(1000, 2));
    assertThat(samples(LabelMatcher.equal("job", "c")))
        .containsExactly(new S(2000, 30), new S(3000, 31));
    assertThat(samples(LabelMatcher.equal("job", "d")))
        .containsExactly(new S(2000, 40), new S(3000, 41));
  }

  @Test
  void unsortedOrEmptyValuedLabelBytesHitTheSeriesTheSlowPathFound() throws Exception {
    // the cache keys the bytes as sent: labels out of order and an empty value (dropped) decode to
    // {__name__="up", job="x"} on the slow path, and later requests with the same bytes hit it
    String[] odd = {"job", "x", "empty", "", "__name__", "up"};
    for (int i = 1; i <= 3; i++) {
      assertThat(write(ts(odd, new long[] {1000L * i}, new double[] {i})).status()).isEqualTo(204);
    }
    assertThat(routes.refsForTest().size()).isEqualTo(1);
    assertThat(series(LabelMatcher.equal("job", "x")))
        .containsExactly(Labels.of("__name__", "up", "job", "x"));
    assertThat(samples(LabelMatcher.equal("job", "x")))
        .containsExactly(new S(1000, 1), new S(2000, 2), new S(3000, 3));
  }

  private static long[] labelsHash(String[] labels) throws Exception {
    byte[] req =
        Remote.WriteRequest.newBuilder()
            .addTimeseries(ts(labels, new long[] {1}, new double[] {1}))
            .build()
            .toByteArray();
    RemoteWriteReader r = RemoteWriteReader.validated(req, req.length);
    assertThat(r.nextSeries()).isTrue();
    long h = r.labelsHash();
    return new long[] {h, r.labelsHash2()};
  }

  @Test
  void malformedProtobufIs400AndStoresNothing() throws Exception {
    byte[] good =
        Remote.WriteRequest.newBuilder()
            .addTimeseries(
                ts(new String[] {"__name__", "up", "job", "a"}, new long[] {1}, new double[] {1}))
            .build()
            .toByteArray();
    byte[] bad = java.util.Arrays.copyOf(good, good.length + 3);
    bad[good.length] = 0x0A; // a second TimeSeries whose length runs past the end
    bad[good.length + 1] = 0x40;
    bad[good.length + 2] = 0x0A;
    assertThatThrownBy(() -> post("/api/v1/write", "application/x-protobuf", Snappy.compress(bad)))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("cannot decode remote write request: protobuf:")
        .hasMessageContaining("at byte")
        .extracting(e -> ((ApiException) e).status())
        .isEqualTo(400);
    assertThat(db.head().numSeries()).isZero();
  }

  @Test
  void theReusedDecompressionBufferNeverLetsAnEarlierRequestsBytesIn() throws Exception {
    // a large request fills the thread's buffer with valid TimeSeries bytes ...
    Remote.TimeSeries[] many = new Remote.TimeSeries[500];
    for (int i = 0; i < many.length; i++) {
      many[i] =
          ts(
              new String[] {"__name__", "big", "i", Integer.toString(i)},
              new long[] {1000},
              new double[] {i});
    }
    assertThat(write(many).status()).isEqualTo(204);
    // ... then a shorter request whose last TimeSeries claims 64 bytes that only the earlier
    // request's leftovers could supply: refused, nothing of it stored
    byte[] good =
        Remote.WriteRequest.newBuilder()
            .addTimeseries(
                ts(new String[] {"__name__", "up", "job", "a"}, new long[] {1}, new double[] {1}))
            .build()
            .toByteArray();
    byte[] bad = java.util.Arrays.copyOf(good, good.length + 2);
    bad[good.length] = 0x0A;
    bad[good.length + 1] = 0x40;
    assertThatThrownBy(() -> post("/api/v1/write", "application/x-protobuf", Snappy.compress(bad)))
        .isInstanceOf(ApiException.class)
        .extracting(e -> ((ApiException) e).status())
        .isEqualTo(400);
    assertThat(series(LabelMatcher.equal("__name__", "up"))).isEmpty();
    // and a short valid request stores exactly its own samples
    assertThat(
            write(ts(new String[] {"__name__", "up", "job", "b"}, new long[] {5}, new double[] {7}))
                .status())
        .isEqualTo(204);
    assertThat(samples(LabelMatcher.equal("__name__", "up"))).containsExactly(new S(5, 7));
    assertThat(series(LabelMatcher.equal("__name__", "big"))).hasSize(500);
    assertThat(db.head().numSeries()).isEqualTo(501);
  }

  @Test
  void remoteWriteWithBrokenSnappyIs400() {
    assertThatThrownBy(
            () -> post("/api/v1/write", "application/x-protobuf", new byte[] {1, 2, 3, 4, 5}))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("cannot decode remote write request")
        .extracting(e -> ((ApiException) e).status())
        .isEqualTo(400);
  }

  /** A 7-byte body whose snappy header claims 2 GB is refused before anything is allocated. */
  @Test
  void remoteWriteWhoseSnappyHeaderClaimsGigabytesIs400() {
    byte[] body = {(byte) 0x80, (byte) 0xa8, (byte) 0xd6, (byte) 0xb9, 0x07, 0, 'x'};
    assertThatThrownBy(() -> post("/api/v1/write", "application/x-protobuf", body))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining(
            "cannot decode remote write request: snappy: the header claims 2000000000 decoded bytes")
        .extracting(e -> ((ApiException) e).status())
        .isEqualTo(400);
  }

  @Test
  void importPrometheusTextWithMillisecondTimestamps() throws Exception {
    String text =
        """
        # HELP http_requests_total The total number of HTTP requests.
        # TYPE http_requests_total counter
        http_requests_total{method="post",code="200"} 1027 1395066363000
        http_requests_total{method="post",code="400"}    3 1395066363000
        http_requests_total{method="post",code="200"} 1030 1395066378000
        msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9 1000
        nan_metric NaN 1000
        inf_metric{a="b",} +Inf 1000
        """;
    HttpResponse r =
        post(
            "/api/v1/import/prometheus",
            "text/plain; version=0.0.4",
            text.getBytes(StandardCharsets.UTF_8));
    assertThat(r.status()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(204);
    assertThat(samples(LabelMatcher.equal("code", "200")))
        .containsExactly(new S(1395066363000L, 1027), new S(1395066378000L, 1030));
    assertThat(series(LabelMatcher.equal("__name__", "msdos_file_access_time_seconds")))
        .containsExactly(
            Labels.of(
                "__name__", "msdos_file_access_time_seconds",
                "path", "C:\\DIR\\FILE.TXT",
                "error", "Cannot find file:\n\"FILE.TXT\""));
    List<S> nan = samples(LabelMatcher.equal("__name__", "nan_metric"));
    assertThat(Double.doubleToRawLongBits(nan.get(0).v())).isEqualTo(0x7FF8000000000001L);
    assertThat(samples(LabelMatcher.equal("a", "b")))
        .containsExactly(new S(1000, Double.POSITIVE_INFINITY));
  }

  @Test
  void importOpenMetricsWithSecondTimestamps() throws Exception {
    String om =
        """
        # TYPE foo counter
        # UNIT foo seconds
        foo_total{a="1"} 17.0 1520879607.789 # {trace_id="KOO5S4vxi0o"} 0.67
        foo_created{a="1"} 1520872607.123 1520879607.789
        bar 2 1520879608
        # EOF
        """;
    HttpResponse r = post("/api/v1/import/prometheus", "", om.getBytes(StandardCharsets.UTF_8));
    assertThat(r.status()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(204);
    assertThat(samples(LabelMatcher.equal("__name__", "foo_total")))
        .containsExactly(new S(1520879607789L, 17));
    assertThat(series(LabelMatcher.equal("__name__", "foo_created"))).isEmpty();
    assertThat(samples(LabelMatcher.equal("__name__", "bar")))
        .containsExactly(new S(1520879608000L, 2));
  }

  @Test
  void importBackfillsHoursOfHistorySeriesBySeries() throws Exception {
    StringBuilder om = new StringBuilder("# TYPE a gauge\n");
    long hours = 6;
    for (String s : new String[] {"x", "y"}) {
      for (long t = 0; t < hours * 3600; t += 15) {
        om.append("a{s=\"").append(s).append("\"} ").append(t).append(' ').append(t).append('\n');
      }
    }
    om.append("# EOF\n");
    HttpResponse r =
        post("/api/v1/import/prometheus", "", om.toString().getBytes(StandardCharsets.UTF_8));
    assertThat(r.status()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(204);
    assertThat(samples(LabelMatcher.equal("s", "y"))).hasSize((int) (hours * 240));
    // remote_write keeps Prometheus's bound: an hour behind the newest sample
    HttpResponse rw =
        write(ts(new String[] {"__name__", "a", "s", "z"}, new long[] {1000}, new double[] {1}));
    assertThat(rw.status()).isEqualTo(400);
    assertThat(new String(rw.body(), StandardCharsets.UTF_8)).contains("out of bounds");
  }

  @Test
  void openMetricsWithoutEofIsReported() throws Exception {
    String om = "a 1 1\nb 2 2\n";
    HttpResponse r =
        post(
            "/api/v1/import/prometheus",
            "application/openmetrics-text; version=1.0.0",
            om.getBytes(StandardCharsets.UTF_8));
    assertThat(r.status()).isEqualTo(400);
    assertThat(new String(r.body(), StandardCharsets.UTF_8))
        .contains("line 3 column 1: expected # EOF");
    assertThat(samples(LabelMatcher.equal("__name__", "b"))).containsExactly(new S(2000, 2));
  }

  @Test
  void badLinesAreReportedWithLineAndColumnAndTheRestIsStored() throws Exception {
    String text =
        """
        ok_metric 1 1000
        bad{a="1" 2 1000
        bad2{a="\\x"} 2 1000
        bad3 two 1000
        ok_metric 2 2000
        ok_metric 1 1500
        """;
    HttpResponse r =
        post("/api/v1/import/prometheus", "text/plain", text.getBytes(StandardCharsets.UTF_8));
    assertThat(r.status()).isEqualTo(400);
    String body = new String(r.body(), StandardCharsets.UTF_8);
    assertThat(body)
        .contains("4 samples rejected, 2 accepted")
        .contains("line 2 column 11: expected , or } after a label")
        .contains("line 3 column 10: invalid escape sequence \\x")
        .contains("line 4 column 6: invalid value \"two\"")
        .contains("out of order sample");
    assertThat(samples(LabelMatcher.equal("__name__", "ok_metric")))
        .containsExactly(new S(1000, 1), new S(2000, 2));
  }

  @Test
  void importStreamsALargeBody() throws Exception {
    int lines = 300_000;
    InputStream gen =
        new InputStream() {
          private int line;
          private byte[] cur = new byte[0];
          private int pos;

          @Override
          public int read() {
            if (pos == cur.length) {
              if (line == lines) {
                return -1;
              }
              int series = line % 100;
              long t = (line / 100) * 15_000L;
              cur =
                  ("node_cpu_seconds_total{cpu=\""
                          + series
                          + "\",mode=\"idle\"} "
                          + line
                          + " "
                          + t
                          + "\n")
                      .getBytes(StandardCharsets.UTF_8);
              pos = 0;
              line++;
            }
            return cur[pos++];
          }
        };
    Router.Match m = router.match("POST", "/api/v1/import/prometheus");
    assertThat(m.route().streaming()).isTrue();
    HttpRequest req =
        new HttpRequest(
            "POST",
            "/api/v1/import/prometheus",
            Map.of(),
            Map.of(),
            Map.of(),
            null,
            gen,
            "127.0.0.1");
    assertThat(m.route().handler().handle(req).status()).isEqualTo(204);
    assertThat(samples(LabelMatcher.equal("cpu", "42"))).hasSize(lines / 100);
    assertThat(series(LabelMatcher.equal("mode", "idle"))).hasSize(100);
  }
}
