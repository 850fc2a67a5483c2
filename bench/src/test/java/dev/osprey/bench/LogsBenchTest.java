package dev.osprey.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogsBenchTest {
  @TempDir Path dir;

  @Test
  void traceIdNeedlesAreDistinctAndEachInOneLine() throws Exception {
    LogsBench b = new LogsBench();
    b.lines = 30_000;
    b.batch = 5000;
    b.warmup = 40;
    b.repeat = 5;
    Path raw = Files.createDirectories(dir.resolve("raw"));
    b.generate(raw, dir.resolve("spool"), 0, 1_000_000L);
    List<String> ids = b.traceIds;
    assertThat(ids).hasSize(b.warmup + b.repeat + 1);
    assertThat(new HashSet<>(ids)).hasSameSizeAs(ids);
    List<String> all;
    try (Stream<Path> files = Files.walk(raw)) {
      all =
          files
              .filter(Files::isRegularFile)
              .flatMap(
                  f -> {
                    try {
                      return Files.readAllLines(f).stream();
                    } catch (java.io.IOException e) {
                      throw new java.io.UncheckedIOException(e);
                    }
                  })
              .toList();
    }
    for (String id : ids) {
      assertThat(id).matches("[0-9a-f]{32}");
      assertThat(all.stream().filter(l -> l.contains(id)).count()).as(id).isEqualTo(1);
    }
    // the timed runs of the trace-id row ask for the ids the warm-up leaves, a new one each run
    List<String> timed = ids.subList(ids.size() - b.repeat - 1, ids.size());
    LogsBench.Query trace =
        LogsBench.queries(timed, b.repeat).stream()
            .filter(q -> q.name().startsWith("trace id"))
            .findFirst()
            .orElseThrow();
    for (int i = -1; i < b.repeat; i++) {
      assertThat(trace.logql(i)).isEqualTo("|= \"" + timed.get(i + 1) + "\"");
      assertThat(trace.needle(i)).isEqualTo(timed.get(i + 1));
    }
    // too few ids: the row falls back to the fixed trace id
    LogsBench.Query fixed =
        LogsBench.queries(List.of("x"), b.repeat).stream()
            .filter(q -> q.name().startsWith("trace id"))
            .findFirst()
            .orElseThrow();
    assertThat(fixed.logql(2)).contains(LogWorkload.TRACE);
  }
}
