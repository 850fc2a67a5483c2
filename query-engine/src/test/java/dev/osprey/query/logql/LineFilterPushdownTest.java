package dev.osprey.query.logql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.LogIndexConfig;
import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.labels.Labels;
import dev.osprey.logs.index.LogEntry;
import dev.osprey.logs.index.LogSearchRequest.Direction;
import dev.osprey.logs.index.LogStore;
import dev.osprey.logs.index.LogStream;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The leading line filters run in the store, on the stored line, before a hit is delivered (and,
 * for metric queries with nothing after them, without keeping the line). The index finds more
 * candidates than the filter accepts (it lower-cases terms and knows nothing of the separators
 * around them), so these lines are built to be found by the index and rejected by the substring:
 * other case, other separators around the same part, the part inside a longer token. Every answer
 * is checked against a scan of the raw lines in plain Java.
 */
class LineFilterPushdownTest {
  static final long SEC = 1_000_000_000L;
  static final long T = (System.currentTimeMillis() / 1000 - 1200) * SEC;
  static final String[] SHAPES = {
    "GET /a HTTP/1.1\" 502 12 rt=0.1",
    "get /a http/1.1\" 502 12 RT=0.1",
    "GET /a HTTP/1.1\"\t502\t12",
    "code=502; retry",
    "GET /502/x HTTP/1.1\" 200 502",
    "502 at the start",
    "ends with 502",
    "GET /a HTTP/1.1\" 200 15020",
    "Kaleidoscope theme",
    "kaleidoscope theme",
    "KALEIDOSCOPE theme",
  };

  @TempDir Path dir;
  LogStore store;
  LogQLEngine engine;

  /** Every line appended, with its stream and metadata, in time order. */
  final List<Object[]> lines = new ArrayList<>();

  @BeforeEach
  void setUp() {
    store = LogStore.open(dir, LogIndexConfig.DEFAULTS, new SimpleMeterRegistry(), false);
    // 1,400 lines over 700 s in two streams; a third of stream b's lines carry metadata
    List<LogEntry> a = new ArrayList<>();
    List<LogEntry> b = new ArrayList<>();
    for (int i = 0; i < 1400; i++) {
      // the newest 700 lines hold no " 502 ": a backward search's first chunk (256 hits of a
      // segment) accepts nothing
      String line = i >= 700 ? "code=502; late " + i : SHAPES[i % SHAPES.length] + " #" + i;
      long ts = T + i * (SEC / 2);
      Labels md = i % 2 == 1 && i % 3 == 0 ? Labels.of("user", "u" + (i % 4)) : Labels.EMPTY;
      (i % 2 == 0 ? a : b).add(new LogEntry(ts, line, md));
      lines.add(new Object[] {i % 2 == 0 ? "a" : "b", ts, line, md});
    }
    store.append(List.of(new LogStream(Labels.of("app", "a"), a)));
    store.refresh(); // two segments at least: the forward merge across them is exercised
    store.append(List.of(new LogStream(Labels.of("app", "b"), b)));
    store.refresh();
    engine = new LogQLEngine(store, QueryConfig.DEFAULTS);
  }

  @AfterEach
  void tearDown() throws IOException {
    store.close();
  }

  static final List<String> FILTERS =
      List.of(
          "|= \" 502 \"",
          "|= \"502\"",
          "|= \"GET\"",
          "|= \"get\"",
          "|= \"kaleidoscope\"",
          "|= \"Kaleidoscope\"",
          "|= \"502\" != \"GET\"",
          "|= \"502\" |~ \"[Rr][Tt]=\"",
          "!= \"502\"",
          "|~ \"(?i)kaleidoscope\"");

  /** The plain-Java answer of a chain of substring/regex filters. */
  static Predicate<String> oracle(String filters) {
    List<Predicate<String>> ps = new ArrayList<>();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(\\|=|!=|\\|~) \"((?:[^\"\\\\]|\\\\.)*)\"")
            .matcher(filters);
    while (m.find()) {
      String v = m.group(2).replace("\\t", "\t").replace("\\\"", "\"");
      switch (m.group(1)) {
        case "|=" -> ps.add(l -> l.contains(v));
        case "!=" -> ps.add(l -> !l.contains(v));
        default -> {
          java.util.regex.Pattern re = java.util.regex.Pattern.compile(v);
          ps.add(l -> re.matcher(l).find());
        }
      }
    }
    return l -> ps.stream().allMatch(p -> p.test(l));
  }

  @Test
  void countsEqualAScanOfTheLines() {
    long at = T + 700 * SEC;
    for (String f : FILTERS) {
      Predicate<String> o = oracle(f);
      // per stream, with the metadata labels as Loki adds them
      Map<String, Double> want = new TreeMap<>();
      Map<String, Double> wantBytes = new TreeMap<>();
      for (Object[] l : lines) {
        if ((long) l[1] <= at - 3600 * SEC || (long) l[1] > at || !o.test((String) l[2])) {
          continue;
        }
        String key = "app=" + l[0] + ((Labels) l[3]).get("user");
        want.merge(key, 1.0, Double::sum);
        wantBytes.merge(
            key, (double) ((String) l[2]).getBytes(StandardCharsets.UTF_8).length, Double::sum);
      }
      assertThat(counts("count_over_time({app=~\"a|b\"} " + f + " [1h])", at))
          .as(f)
          .isEqualTo(want);
      assertThat(counts("bytes_over_time({app=~\"a|b\"} " + f + " [1h])", at))
          .as(f)
          .isEqualTo(wantBytes);
      // a stage after the filters keeps the line: the same counts
      assertThat(counts("count_over_time({app=~\"a|b\"} " + f + " | drop __error__ [1h])", at))
          .as(f)
          .isEqualTo(want);
    }
  }

  Map<String, Double> counts(String q, long at) {
    Map<String, Double> out = new TreeMap<>();
    for (StepSeries s : engine.metric((Ast.MetricExpr) LogQLParser.parse(q), at, at, 0).series()) {
      out.put("app=" + s.labels().get("app") + s.labels().get("user"), s.values()[0]);
    }
    return out;
  }

  @Test
  void logQueriesEqualAScanInBothDirectionsWithAndWithoutALimit() {
    for (String f : FILTERS) {
      Predicate<String> o = oracle(f);
      List<String> want = new ArrayList<>();
      for (Object[] l : lines) {
        if (o.test((String) l[2])) {
          want.add((String) l[2]);
        }
      }
      List<String> fwd = find("{app=~\"a|b\"} " + f, Direction.FORWARD, 5000);
      assertThat(fwd).as(f).isEqualTo(want);
      List<String> back = find("{app=~\"a|b\"} " + f, Direction.BACKWARD, 5000);
      assertThat(back).as(f).isEqualTo(want.reversed());
      List<String> newest = find("{app=~\"a|b\"} " + f, Direction.BACKWARD, 37);
      assertThat(newest).as(f).isEqualTo(want.reversed().subList(0, Math.min(37, want.size())));
      List<String> oldest = find("{app=~\"a|b\"} " + f, Direction.FORWARD, 37);
      assertThat(oldest).as(f).isEqualTo(want.subList(0, Math.min(37, want.size())));
    }
  }

  @Test
  void linesRejectedInTheStoreStillCountAsScanned() {
    LogQLEngine.LogResult r =
        engine.logs(
            (Ast.LogExpr) LogQLParser.parse("{app=~\"a|b\"} |= \" 502 \""),
            T - 1,
            T + 700 * SEC,
            Direction.FORWARD,
            5000);
    long want = lines.stream().filter(l -> ((String) l[2]).contains(" 502 ")).count();
    assertThat(r.matched()).isEqualTo(want);
    // every line with the part 502 is read: the " 502 " ones and the rest ("code=502;", tabs...)
    long candidates =
        lines.stream()
            .filter(l -> ((String) l[2]).matches("(?s).*(^|[^\\p{Alnum}])502($|[^\\p{Alnum}]).*"))
            .count();
    assertThat(r.scanned()).isEqualTo(candidates).isGreaterThan(want);
  }

  /** Lines of a log query, in delivery order across streams (merged by time). */
  List<String> find(String q, Direction dir, int limit) {
    List<Object[]> out = new ArrayList<>();
    for (LogQLEngine.Stream s :
        engine
            .logs((Ast.LogExpr) LogQLParser.parse(q), T - 1, T + 700 * SEC, dir, limit)
            .streams()) {
      for (LogQLEngine.Entry e : s.entries()) {
        out.add(new Object[] {e.timestampNanos(), e.line()});
      }
    }
    out.sort(
        (x, y) ->
            dir == Direction.FORWARD
                ? Long.compare((long) x[0], (long) y[0])
                : Long.compare((long) y[0], (long) x[0]));
    return out.stream().map(x -> (String) x[1]).toList();
  }
}
