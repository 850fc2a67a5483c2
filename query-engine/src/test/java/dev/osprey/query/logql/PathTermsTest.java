package dev.osprey.query.logql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.LogIndexConfig;
import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.labels.Labels;
import dev.osprey.logs.index.LogEntry;
import dev.osprey.logs.index.LogSearchRequest.Direction;
import dev.osprey.logs.index.LogStore;
import dev.osprey.logs.index.LogStream;
import dev.osprey.logs.index.LogTokens;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Needles with a {@code /} across the two term versions: a partition written with {@link
 * LogTokens.Terms#V1} (a path indexed whole, as before 2026-12-04) and one with the current terms
 * (a path as its segments) in one store. Every answer equals a scan of the raw lines. Fails when a
 * needle's terms are only those of one version (e.g. {@code " /static/app.js50455 "} holds the
 * whole term {@code app.js50455} now and {@code /static/app.js50455} in V1).
 */
class PathTermsTest {
  static final long SEC = 1_000_000_000L;
  static final long HOUR = 3600 * SEC;
  static final long T = (System.currentTimeMillis() / 1000 / 3600 - 3) * HOUR; // on an hour

  @TempDir Path dir;
  LogStore store;
  LogQLEngine engine;
  final List<String> lines = new ArrayList<>();
  final LogIndexConfig cfg =
      new LogIndexConfig(Duration.ofDays(7), Duration.ofHours(1), Duration.ofSeconds(10), null);

  static final String[] PATHS = {
    "/api/v1/users/12675", "/api/v1/users/4", "/static/app.js50455", "/static/app.js", "/v1/x"
  };

  /** Appends 300 lines of nginx shape at [from, from + 300 s) to the stream of {@code pod}. */
  void append(long from, String pod, Random r) {
    List<LogEntry> es = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      String line =
          "10.0.0."
              + r.nextInt(9)
              + " - - \"GET "
              + PATHS[r.nextInt(PATHS.length)]
              + (r.nextBoolean() ? "" : "?id=" + r.nextInt(3))
              + " HTTP/1."
              + r.nextInt(2)
              + "\" 200 \"Mozilla/5.0 (X11)\" "
              + (r.nextInt(4) == 0 ? "s/1" : "a/b/c");
      es.add(new LogEntry(from + i * SEC, line, Labels.EMPTY));
      lines.add(line);
    }
    store.append(List.of(new LogStream(Labels.of("app", "nginx", "pod", pod), es)));
  }

  @BeforeEach
  void setUp() throws IOException {
    Random r = new Random(7);
    LogTokens.Terms was = LogStore.termsForNewPartitionsForTest(LogTokens.Terms.V1);
    try {
      store = LogStore.open(dir, cfg, new SimpleMeterRegistry(), false);
      append(T, "p1", r); // an old partition, [T, T + 1 h)
      store.refresh();
      store.commit();
      store.close();
    } finally {
      LogStore.termsForNewPartitionsForTest(was);
    }
    store = LogStore.open(dir, cfg, new SimpleMeterRegistry(), false);
    append(T + 600 * SEC, "p2", r); // into the old partition: still V1 terms after the reopen
    append(T + HOUR, "p1", r); // a new partition
    store.refresh();
    engine = new LogQLEngine(store, QueryConfig.DEFAULTS);
  }

  @AfterEach
  void tearDown() throws IOException {
    store.close();
  }

  @Test
  void needlesWithASlashFindWhatAScanFindsInBothTermVersions() {
    List<String> needles =
        List.of(
            "/api/v1/users/12675",
            " /static/app.js50455 ",
            "GET /api/v1/users/",
            "/static/app.js",
            "app.js5",
            "/app.js",
            "s/1",
            "/v1/",
            "/v1/x HTTP",
            "a/b/c",
            "HTTP/1.1",
            "Mozilla/5.0 (X11)",
            "users/4?id=1 ",
            "1/12675");
    for (String n : needles) {
      List<String> want = lines.stream().filter(l -> l.contains(n)).sorted().toList();
      String q = "{app=\"nginx\"} |= \"" + n + "\"";
      List<String> got = new ArrayList<>();
      for (LogQLEngine.Stream s :
          engine
              .logs(
                  (Ast.LogExpr) LogQLParser.parse(q), T - 1, T + 2 * HOUR, Direction.FORWARD, 5000)
              .streams()) {
        for (LogQLEngine.Entry e : s.entries()) {
          got.add(e.line());
        }
      }
      assertThat(got.stream().sorted().toList()).as(n).isEqualTo(want);
      double count = 0;
      for (StepSeries s :
          engine
              .metric(
                  (Ast.MetricExpr) LogQLParser.parse("sum(count_over_time(" + q + " [3h]))"),
                  T + 2 * HOUR,
                  T + 2 * HOUR,
                  0)
              .series()) {
        count += s.values()[0];
      }
      assertThat(count).as(n).isEqualTo(want.size());
    }
  }
}
