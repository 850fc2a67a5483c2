package dev.osprey.logs.shipper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.labels.Labels;
import dev.osprey.pipeline.LogEntry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTailerTest {
  @TempDir Path dir;
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final ShipperMetrics metrics = new ShipperMetrics(registry);
  final List<LogEntry> out = new ArrayList<>();

  private FileTailer tail(byte[] content, long offset, int maxLine) throws Exception {
    Path f = dir.resolve("0.log");
    Files.write(f, content);
    var ch = FileTailer.openChannel(f);
    long[] ino = FileIdentity.inode(f);
    FileTailer t =
        new FileTailer(
            f,
            ch,
            FileIdentity.of(ino[0], ino[1], ch),
            offset,
            Labels.of("pod", "p"),
            maxLine,
            FileTailer.Sink.entries(out::add),
            metrics);
    while (t.poll() > 0) {}
    return t;
  }

  private List<String> lines() {
    return out.stream().map(LogEntry::line).toList();
  }

  @Test
  void criPartialLinesAreJoinedAndOffsetsCoverThem() throws Exception {
    String a = "2026-11-22T04:05:06.000000001Z stdout P hel\n";
    String b = "2026-11-22T04:05:06.000000002Z stdout F lo\n";
    String c = "2026-11-22T04:05:06.000000003Z stderr F oops\n";
    FileTailer t = tail((a + b + c).getBytes(StandardCharsets.UTF_8), 0, 1024);
    assertThat(lines()).containsExactly("hello", "oops");
    assertThat(out.get(0).offset()).isZero();
    assertThat(out.get(0).nextOffset()).isEqualTo(a.length() + b.length());
    assertThat(out.get(0).timestampNanos() % 10).isEqualTo(1);
    assertThat(out.get(0).stream().get("stream")).isEqualTo("stdout");
    assertThat(out.get(1).stream().get("stream")).isEqualTo("stderr");
    assertThat(out.get(1).offset()).isEqualTo(a.length() + b.length());
    assertThat(t.position()).isEqualTo((a + b + c).length());
    assertThat(t.format()).isEqualTo(FileTailer.Format.CRI);
  }

  @Test
  void pendingPartialLinesDoNotAdvanceTheResumePosition() throws Exception {
    String a = "2026-11-22T04:05:06Z stdout F one\n";
    String p = "2026-11-22T04:05:06Z stdout P tw";
    FileTailer t = tail((a + p + "\n").getBytes(StandardCharsets.UTF_8), 0, 1024);
    assertThat(lines()).containsExactly("one");
    assertThat(t.position()).isEqualTo(a.length());
    t.flushAtEnd();
    assertThat(lines()).containsExactly("one", "tw");
  }

  @Test
  void resumesAtAnOffset() throws Exception {
    String a = "2026-11-22T04:05:06Z stdout F one\n";
    String b = "2026-11-22T04:05:06Z stdout F two\n";
    tail((a + b).getBytes(StandardCharsets.UTF_8), a.length(), 1024);
    assertThat(lines()).containsExactly("two");
    assertThat(out.get(0).offset()).isEqualTo(a.length());
  }

  @Test
  void longLinesAreSplitAndCountedNeverDropped() throws Exception {
    String msg = "x".repeat(250);
    String line = "2026-11-22T04:05:06Z stdout F " + msg + "\n";
    tail((line + "2026-11-22T04:05:06Z stdout F next\n").getBytes(StandardCharsets.UTF_8), 0, 100);
    assertThat(String.join("", lines().subList(0, lines().size() - 1))).isEqualTo(msg);
    assertThat(lines().getLast()).isEqualTo("next");
    assertThat(lines().size()).isGreaterThan(2);
    assertThat(registry.counter("osprey_log_shipper_lines_split").count()).isGreaterThan(0);
    // Pieces of a line resume at the line's start; the full line at its end.
    assertThat(out.get(0).nextOffset()).isZero();
    assertThat(out.get(lines().size() - 2).nextOffset()).isEqualTo(line.length());
  }

  @Test
  void joinedPartialsOverTheLimitAreSplitAtLineBoundaries() throws Exception {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 5; i++) {
      sb.append("2026-11-22T04:05:06Z stdout P ").append("y".repeat(40)).append('\n');
    }
    sb.append("2026-11-22T04:05:06Z stdout F end\n");
    tail(sb.toString().getBytes(StandardCharsets.UTF_8), 0, 100);
    assertThat(String.join("", lines())).isEqualTo("y".repeat(200) + "end");
    assertThat(lines()).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(100));
    assertThat(registry.counter("osprey_log_shipper_lines_split").count()).isGreaterThan(0);
  }

  @Test
  void invalidUtf8IsReplacedAndMalformedCriShippedAsPlain() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes("2026-11-22T04:05:06Z stdout F ok\n".getBytes(StandardCharsets.UTF_8));
    b.writeBytes("2026-11-22T04:05:06Z stdout F bad ".getBytes(StandardCharsets.UTF_8));
    b.write(0xC3);
    b.write(0x28);
    b.write('\n');
    b.writeBytes("not cri at all\n".getBytes(StandardCharsets.UTF_8));
    tail(b.toByteArray(), 0, 1024);
    assertThat(lines()).containsExactly("ok", "bad \uFFFD(", "not cri at all");
    assertThat(out.get(2).stream().has("stream")).isFalse();
    assertThat(registry.counter("osprey_log_shipper_malformed_lines", "format", "cri").count())
        .isEqualTo(1);
  }

  @Test
  void dockerJsonFileWithPartials() throws Exception {
    String s =
        "{\"log\":\"ab\",\"stream\":\"stdout\",\"time\":\"2026-11-22T04:05:06Z\"}\n"
            + "{\"log\":\"cd\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-22T04:05:07Z\"}\n"
            + "{\"log\":\"e\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-22T04:05:08Z\"}\n";
    FileTailer t = tail(s.getBytes(StandardCharsets.UTF_8), 0, 1024);
    assertThat(t.format()).isEqualTo(FileTailer.Format.DOCKER);
    assertThat(lines()).containsExactly("abcd", "e");
    assertThat(out.get(1).stream().get("stream")).isEqualTo("stderr");
  }

  @Test
  void plainLines() throws Exception {
    FileTailer t = tail("first\n\nsecond\r\nthird".getBytes(StandardCharsets.UTF_8), 0, 1024);
    assertThat(t.format()).isEqualTo(FileTailer.Format.PLAIN);
    assertThat(lines()).containsExactly("first", "second\r");
    t.flushAtEnd();
    assertThat(lines()).containsExactly("first", "second\r", "third");
  }

  @Test
  void aVerifyingTailerShipsNothingReadAfterTheContentWasReplaced() throws Exception {
    String a = "2026-11-22T04:05:06.000000001Z stdout F first generation\n";
    FileTailer t = tail(a.getBytes(StandardCharsets.UTF_8), 0, 1024);
    t.verifyReads = true;
    assertThat(lines()).containsExactly("first generation");
    // copytruncate, and the new content grows past our position before we read again
    String b =
        "2026-11-22T04:05:07.000000002Z stdout F second generation, longer than the first one\n";
    Files.writeString(dir.resolve("0.log"), b);
    assertThat(t.poll()).isEqualTo(-1);
    assertThat(lines()).containsExactly("first generation");
    assertThat(t.position()).isEqualTo(a.length());
  }
}
