package dev.osprey.query.logql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.LogIndexConfig;
import dev.osprey.core.config.QueryConfig;
import dev.osprey.core.labels.Labels;
import dev.osprey.logs.index.LogEntry;
import dev.osprey.logs.index.LogSearchRequest.Direction;
import dev.osprey.logs.index.LogStore;
import dev.osprey.logs.index.LogStream;
import dev.osprey.logs.index.StrayWords;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A punctuated needle (an IP prefix) walks only the dictionary outside the marked parts, and takes
 * the whole words that sort among the parts (they begin with a char of the marks' range) by name:
 * it finds what a scan of the raw lines finds, those words included, also when a segment holds more
 * of them than are kept by name.
 */
class WholeWordsContainingQueryTest {
  static final long T = (System.currentTimeMillis() / 1000 - 600) * 1_000_000_000L;

  static final List<String> LINES =
      List.of(
          "10.42.17.5 - - [22/Nov/2026:04:10:11 +0000] \"GET /healthz HTTP/1.1\" 200 12",
          "peer=\uE005ab.10.42.17.9 closed", // a whole word that sorts among the parts
          "\uE00310.42.17.1 at the start",
          "x \uE1FFz.10.42.17.2",
          "y \uE200q.10.42.17.3",
          "\uE0ff.10.42.17. at the end \uE0ff.10.42.17.",
          "host 110.42.17.5 and 10.42.171.5",
          "near 10.42..17. miss",
          "a.10.42.17.",
          "ends 10.42.17",
          "::ffff:10.42.17.99",
          "\uE005abcde \uE01042 17 10 plain parts",
          "id=4bf92f3577b34da6a3ce929d0e0e4736 user_id=42 17.0");

  @TempDir Path dir;

  static List<String> find(LogQLEngine engine, String needle) {
    List<String> out = new ArrayList<>();
    String q = "|= \"" + needle + "\"";
    for (LogQLEngine.Stream s :
        engine
            .logs((Ast.LogExpr) LogQLParser.parse(q), T - 1, T + 1_000_000, Direction.FORWARD, 5000)
            .streams()) {
      for (LogQLEngine.Entry e : s.entries()) {
        out.add(e.line());
      }
    }
    return out;
  }

  static void append(LogStore store, List<String> lines, long from) {
    List<LogEntry> es = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      es.add(new LogEntry(T + from + i, lines.get(i)));
    }
    store.append(List.of(new LogStream(Labels.of("app", "a"), es)));
    store.refresh();
  }

  @Test
  void findsWhatAScanFinds() throws Exception {
    List<String> lines = new ArrayList<>(LINES);
    // noise: random lines over digits, dots, marks and separators
    Random r = new Random(7);
    String alphabet = "0123456789.ab \uE003\uE005\uE1FF\uE200:=";
    for (int i = 0; i < 3000; i++) {
      StringBuilder b = new StringBuilder();
      for (int k = 0, n = 5 + r.nextInt(25); k < n; k++) {
        b.append(alphabet.charAt(r.nextInt(alphabet.length())));
      }
      lines.add(b.toString());
    }
    try (LogStore store =
        LogStore.open(dir, LogIndexConfig.DEFAULTS, new SimpleMeterRegistry(), false)) {
      append(store, lines.subList(0, 1500), 0);
      append(store, lines.subList(1500, lines.size()), 1500); // a second segment
      LogQLEngine engine = new LogQLEngine(store, QueryConfig.DEFAULTS);
      for (String needle :
          List.of(
              "10.42.17.",
              "42.17.",
              "10.42.17",
              "ab.10.42",
              "\uE005ab.10",
              "z.10.42.17.2",
              "1.0",
              "7.9",
              ".5",
              "5.a",
              "3.\uE003",
              "ff:10.42.17.9")) {
        assertThat(find(engine, needle))
            .as(needle)
            .isEqualTo(lines.stream().filter(l -> l.contains(needle)).toList());
      }
      assertThat(find(engine, "10.42.17."))
          .contains("peer=\uE005ab.10.42.17.9 closed", "x \uE1FFz.10.42.17.2");
    }
  }

  @Test
  void aSegmentWithMoreStrayWordsThanKeptIsWalkedWhole() throws Exception {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i <= StrayWords.MAX + 10; i++) {
      lines.add("w " + (char) (0xE001 + i % 9) + "x" + i + ".10.42." + (i % 50) + ".1");
    }
    try (LogStore store =
        LogStore.open(dir, LogIndexConfig.DEFAULTS, new SimpleMeterRegistry(), false)) {
      append(store, lines, 0);
      LogQLEngine engine = new LogQLEngine(store, QueryConfig.DEFAULTS);
      for (String needle : List.of("10.42.17.", "x17.10.42.17.1", ".10.42.4")) {
        assertThat(find(engine, needle))
            .as(needle)
            .isEqualTo(lines.stream().filter(l -> l.contains(needle)).toList())
            .isNotEmpty();
      }
    }
  }

  @Test
  void theIndexQueryIsTheWholeWordWalk() {
    assertThat(LineFilterQueries.needle("10.42.17.").toString())
        .contains("line:words:*10.42.17*")
        .doesNotContain("line:*10.42.17*");
  }
}
