package dev.osprey.logs.shipper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.config.MultilineRule;
import dev.osprey.core.labels.Labels;
import dev.osprey.pipeline.LogEntry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Multi-line joining on real samples (a JVM's printStackTrace with a cause, CPython's chained
 * traceback, a Go panic with two goroutines), written as CRI files the way the runtime does.
 */
class MultilineTest {
  @TempDir Path dir;
  final ShipperMetrics metrics = new ShipperMetrics(new SimpleMeterRegistry());
  private int ts;

  static List<String> sample(String name) throws IOException {
    try (InputStream in = MultilineTest.class.getResourceAsStream("/multiline/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
  }

  private String cri(String stream, String line) {
    return String.format("2026-12-03T08:00:00.%09dZ %s F %s%n", ++ts, stream, line);
  }

  private String criFile(String stream, List<String> lines) {
    StringBuilder sb = new StringBuilder();
    lines.forEach(l -> sb.append(cri(stream, l)));
    return sb.toString();
  }

  /** Reads {@code content} from {@code offset} to its end with joining; the entries shipped. */
  private List<LogEntry> read(String content, long offset, MultilineConfig c) throws IOException {
    Path f = dir.resolve("0.log");
    Files.writeString(f, content);
    List<LogEntry> out = new ArrayList<>();
    long[] ino = FileIdentity.inode(f);
    try (var ch = FileTailer.openChannel(f)) {
      FileTailer t =
          new FileTailer(
                  f,
                  ch,
                  FileIdentity.of(ino[0], ino[1], ch),
                  offset,
                  Labels.of("pod", "p"),
                  1 << 20,
                  FileTailer.Sink.entries(out::add),
                  metrics)
              .multiline(c);
      for (int i = 0; i < 1000 && t.poll() > 0; i++) {}
      t.flushAtEnd();
    }
    return out;
  }

  private static List<String> lines(List<LogEntry> es) {
    return es.stream().map(LogEntry::line).toList();
  }

  @Test
  void javaStackTraceWithCauseIsOneRecord() throws Exception {
    List<String> s = sample("java-stacktrace.txt");
    List<LogEntry> out = read(criFile("stderr", s), 0, MultilineConfig.preset("java"));
    assertThat(lines(out))
        .containsExactly(
            s.get(0), s.get(1), String.join("\n", s.subList(2, s.size() - 1)), s.getLast());
    assertThat(out.get(2).line())
        .startsWith("java.lang.IllegalStateException: cannot load config: bad port\n\tat Boom.load")
        .contains("\nCaused by: java.lang.NumberFormatException")
        .endsWith("\n\t... 7 more");
  }

  @Test
  void pythonChainedTracebackIsOneRecord() throws Exception {
    List<String> s = sample("python-traceback.txt");
    List<LogEntry> out = read(criFile("stderr", s), 0, MultilineConfig.preset("python"));
    assertThat(lines(out))
        .containsExactly(s.get(0), String.join("\n", s.subList(1, s.size() - 1)), s.getLast());
    assertThat(out.get(1).line())
        .contains("ValueError: invalid literal", "The above exception was the direct cause")
        .endsWith("RuntimeError: cannot load config");
  }

  @Test
  void goPanicWithGoroutinesIsOneRecord() throws Exception {
    List<String> s = sample("go-panic.txt");
    List<LogEntry> out = read(criFile("stderr", s), 0, MultilineConfig.preset("go"));
    assertThat(lines(out))
        .containsExactly(s.get(0), String.join("\n", s.subList(1, s.size() - 1)), s.getLast());
  }

  @Test
  void startRegexOnPlainLines() throws Exception {
    String text =
        "2026-12-03 first\n  detail a\nno date here\n2026-12-03 second\n2026-12-03 third\n x\n";
    List<LogEntry> out = read(text, 0, MultilineConfig.start("^\\d{4}-"));
    assertThat(lines(out))
        .containsExactly(
            "2026-12-03 first\n  detail a\nno date here",
            "2026-12-03 second",
            "2026-12-03 third\n x");
    assertThat(out.get(0).nextOffset()).isEqualTo(text.indexOf("2026-12-03 second"));
  }

  @Test
  void streamsAreJoinedSeparatelyWhenTheyInterleave() throws Exception {
    List<String> trace = sample("java-stacktrace.txt").subList(2, 7);
    String content =
        cri("stderr", trace.get(0))
            + cri("stderr", trace.get(1))
            + cri("stdout", "GET /healthz 200")
            + cri("stderr", trace.get(2))
            + cri("stdout", "GET /ready 200")
            + cri("stderr", trace.get(3))
            + cri("stderr", trace.get(4))
            + cri("stdout", "bye");
    List<LogEntry> out = read(content, 0, MultilineConfig.preset("java"));
    Map<String, List<String>> byStream = new java.util.TreeMap<>();
    out.forEach(
        e ->
            byStream
                .computeIfAbsent(e.stream().get("stream"), k -> new ArrayList<>())
                .add(e.line()));
    assertThat(byStream.get("stderr")).containsExactly(String.join("\n", trace));
    assertThat(byStream.get("stdout")).containsExactly("GET /healthz 200", "GET /ready 200", "bye");
  }

  /**
   * Resuming at any entry's nextOffset (what a restart does) never ships part of a record and never
   * loses one: the entries up to it plus a fresh read from it cover every record, and every record
   * of the fresh read is a whole record of the full read.
   */
  @Test
  void everyResumePointCutsBetweenRecords() throws Exception {
    List<String> java = sample("java-stacktrace.txt");
    List<String> py = sample("python-traceback.txt");
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.max(java.size(), py.size()); i++) {
      if (i < java.size()) {
        sb.append(cri("stderr", java.get(i)));
      }
      if (i % 3 == 0 && i < py.size()) {
        sb.append(cri("stdout", py.get(i)));
      }
    }
    String content = sb.toString();
    MultilineConfig c = MultilineConfig.start("^\\d{4}-|^java|^Traceback");
    List<LogEntry> all = read(content, 0, c);
    Set<String> whole = new HashSet<>();
    all.forEach(e -> whole.add(e.stream().get("stream") + "|" + e.line()));
    for (int k = 0; k < all.size(); k++) {
      long resume = all.get(k).nextOffset();
      List<LogEntry> again = read(content, resume, c);
      Set<String> seen = new HashSet<>();
      for (int j = 0; j <= k; j++) {
        seen.add(all.get(j).stream().get("stream") + "|" + all.get(j).line());
      }
      for (LogEntry e : again) {
        String key = e.stream().get("stream") + "|" + e.line();
        assertThat(whole).as("resume at %d shipped part of a record", resume).contains(key);
        seen.add(key);
      }
      assertThat(seen).as("resume at %d lost a record", resume).containsAll(whole);
    }
  }

  @Test
  void limitsCutLongRecordsAndTheRestStaysTogether() throws Exception {
    List<String> s =
        sample("java-stacktrace.txt").subList(2, 16); // header, frames, cause: 14 lines
    List<LogEntry> out =
        read(
            criFile("stderr", s),
            0,
            MultilineConfig.preset("java").withLimits(5, 0, Duration.ofSeconds(1)));
    assertThat(out).hasSize(3);
    assertThat(String.join("\n", lines(out))).isEqualTo(String.join("\n", s));
    List<LogEntry> bytes =
        read(
            criFile("stderr", s),
            0,
            MultilineConfig.preset("java").withLimits(0, 200, Duration.ofSeconds(1)));
    assertThat(bytes).allSatisfy(e -> assertThat(e.line().length()).isLessThanOrEqualTo(200));
    assertThat(String.join("\n", lines(bytes))).isEqualTo(String.join("\n", s));
  }

  @Test
  void anOpenRecordIsShippedAfterTheFlushTimeout() throws Exception {
    Path f = dir.resolve("1.log");
    List<String> s = sample("java-stacktrace.txt").subList(2, 6);
    Files.writeString(f, criFile("stderr", s));
    List<LogEntry> out = new ArrayList<>();
    long[] ino = FileIdentity.inode(f);
    try (var ch = FileTailer.openChannel(f)) {
      FileTailer t =
          new FileTailer(
                  f,
                  ch,
                  FileIdentity.of(ino[0], ino[1], ch),
                  0,
                  Labels.of("pod", "p"),
                  1 << 20,
                  FileTailer.Sink.entries(out::add),
                  metrics)
              .multiline(MultilineConfig.preset("java"));
      while (t.poll() > 0) {}
      assertThat(out).isEmpty(); // the trace may go on
      assertThat(t.position()).as("resume before the open record").isZero();
      t.flushIdle(System.nanoTime() + Duration.ofSeconds(2).toNanos());
      assertThat(lines(out)).containsExactly(String.join("\n", s));
      assertThat(t.position()).isEqualTo(Files.size(f));
    }
  }

  @Test
  void configErrorsNameTheField() {
    assertThatThrownBy(() -> MultilineConfig.start("^(\\d{4}"))
        .hasMessageContaining("multiline.start: invalid regex \"^(\\d{4}\"");
    assertThatThrownBy(() -> MultilineConfig.preset("ruby"))
        .hasMessageContaining("multiline.preset: unknown preset \"ruby\"");
    assertThatThrownBy(() -> new MultilineConfig(null, null, null, "go", "^x", 0, 0, null))
        .hasMessageContaining("multiline.preset: give exactly one");
    MultilineConfig ok =
        MultilineConfig.of(
            new MultilineRule(
                null, null, List.of("api-.*"), "java", null, null, null, Duration.ofMillis(500)));
    assertThat(ok.flushTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(ok.maxLines()).isEqualTo(500);
    assertThat(ok.selects(Labels.of("container", "api-v2"))).isTrue();
    assertThat(ok.selects(Labels.of("container", "web"))).isFalse();
  }
}
