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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bare-word needle is looked up as the exact part plus the longer parts of its class, and still
 * finds every line holding it as a substring (Loki's {@code |=}), inside longer words and ids too.
 */
class NeedleLookupTest {
  static final long T = (System.currentTimeMillis() / 1000 - 600) * 1_000_000_000L;
  static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final List<String> LINES =
      List.of(
          "INFO theme kaleidoscope applied",
          "kaleidoscopes everywhere",
          "user=XKaleidoScope",
          "kaleido only",
          "payment declined trace_id=" + TRACE + " amount=42",
          "span " + TRACE + "ff child",
          "id=zz" + TRACE,
          "trace_id=4bf92f3577b34da6a3ce929d0e0e4737",
          "GET /x 200");

  @TempDir Path dir;
  LogStore store;
  LogQLEngine engine;

  @BeforeEach
  void setUp() {
    store = LogStore.open(dir, LogIndexConfig.DEFAULTS, new SimpleMeterRegistry(), false);
    List<LogEntry> es = new ArrayList<>();
    for (int i = 0; i < LINES.size(); i++) {
      es.add(new LogEntry(T + i, LINES.get(i)));
    }
    store.append(List.of(new LogStream(Labels.of("app", "a"), es)));
    store.refresh();
    engine = new LogQLEngine(store, QueryConfig.DEFAULTS);
  }

  @AfterEach
  void tearDown() throws IOException {
    store.close();
  }

  List<String> find(String q) {
    List<String> out = new ArrayList<>();
    for (LogQLEngine.Stream s :
        engine
            .logs((Ast.LogExpr) LogQLParser.parse(q), T - 1, T + 100, Direction.FORWARD, 100)
            .streams()) {
      for (LogQLEngine.Entry e : s.entries()) {
        out.add(e.line());
      }
    }
    return out;
  }

  /** What a scan of the raw lines finds. */
  static List<String> scan(String needle) {
    return LINES.stream().filter(l -> l.contains(needle)).toList();
  }

  @Test
  void findsEveryLineHoldingTheNeedle() {
    for (String needle :
        List.of(
            "kaleidoscope",
            "Kaleido",
            "aleidoscope",
            TRACE,
            TRACE.substring(4),
            TRACE.substring(0, 20),
            "4737",
            "zz4bf9",
            "leidoscope applied",
            "ScOpE",
            "e0e4736 amount",
            "=" + TRACE.substring(0, 30))) {
      assertThat(find("{app=\"a\"} |= \"" + needle + "\"")).as(needle).isEqualTo(scan(needle));
    }
    assertThat(find("|= \"kaleidoscope\""))
        .containsExactly("INFO theme kaleidoscope applied", "kaleidoscopes everywhere");
  }

  @Test
  void theIndexQueryIsTheExactPartOrALongerOne() {
    String q = LineFilterQueries.needle("kaleidoscope").toString();
    assertThat(q).contains("parts[>=13]:*kaleidoscope*").doesNotContain("line:*kaleidoscope*");
  }
}
