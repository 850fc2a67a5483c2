package dev.osprey.logs.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.labels.Labels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogWalTest {
  @TempDir Path dir;

  private static byte[] batch(int i) {
    return Codec.encodeBatch(
        List.of(
            new LogStream(
                Labels.of("app", "a" + i),
                List.of(new LogEntry(i, "line " + i, Labels.of("trace_id", "t" + i))))));
  }

  private List<byte[]> replay() throws IOException {
    List<byte[]> got = new ArrayList<>();
    LogWal.open(dir, got::add).close();
    return got;
  }

  private Path onlySegment() throws IOException {
    List<Long> s = LogWal.segments(dir);
    return dir.resolve(String.format("wal-%016d.log", s.get(0)));
  }

  @Test
  void recordsReplayInOrderAndDecode() throws IOException {
    try (LogWal w = LogWal.open(dir, b -> {})) {
      for (int i = 0; i < 5; i++) {
        w.append(batch(i));
      }
    }
    List<byte[]> got = replay();
    assertThat(got).hasSize(5);
    List<LogStream> b = Codec.decodeBatch(got.get(3), 0, got.get(3).length);
    assertThat(b.get(0).labels()).isEqualTo(Labels.of("app", "a3"));
    assertThat(b.get(0).entries().get(0).line()).isEqualTo("line 3");
    assertThat(b.get(0).entries().get(0).metadata().get("trace_id")).isEqualTo("t3");
  }

  @Test
  void tornTailIsTruncatedAndEarlierRecordsSurvive() throws IOException {
    try (LogWal w = LogWal.open(dir, b -> {})) {
      w.append(batch(1));
      w.append(batch(2));
    }
    Path seg = onlySegment();
    long full = Files.size(seg);
    try (FileChannel c = FileChannel.open(seg, StandardOpenOption.WRITE)) {
      c.truncate(full - 3); // a torn write of the last record
    }
    List<byte[]> got = replay();
    assertThat(got).hasSize(1);
    long after = Files.size(seg);
    assertThat(after).isLessThan(full - 3); // truncated to the end of the first record
  }

  @Test
  void corruptRecordIsDetectedByChecksum() throws IOException {
    try (LogWal w = LogWal.open(dir, b -> {})) {
      w.append(batch(1));
      w.append(batch(2));
    }
    Path seg = onlySegment();
    try (FileChannel c = FileChannel.open(seg, StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(new byte[] {42}), Files.size(seg) - 2);
    }
    assertThat(replay()).hasSize(1);
  }

  @Test
  void badHeaderDropsTheSegment() throws IOException {
    Files.write(dir.resolve("wal-0000000000000007.log"), new byte[] {'X', 'Y', 'Z', 'W', 1, 0});
    assertThat(replay()).isEmpty();
  }

  @Test
  void cutAndDeleteBeforeRemoveOldSegments() throws IOException {
    try (LogWal w = LogWal.open(dir, b -> {})) {
      w.append(batch(1));
      long keep = w.cut();
      w.append(batch(2));
      w.deleteBefore(keep);
    }
    List<byte[]> got = replay();
    assertThat(got).hasSize(1);
    assertThat(Codec.decodeBatch(got.get(0), 0, got.get(0).length).get(0).labels().get("app"))
        .isEqualTo("a2");
  }
}
