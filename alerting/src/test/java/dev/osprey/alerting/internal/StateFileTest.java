package dev.osprey.alerting.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateFileTest {
  static final byte[] MAGIC = {'T', 'E', 'S', 'T'};
  @TempDir Path dir;

  List<byte[]> recs() {
    return List.of(
        "first".getBytes(StandardCharsets.UTF_8),
        "second".getBytes(StandardCharsets.UTF_8),
        "third".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void roundTripAndNoTemporaryLeftBehind() throws Exception {
    Path f = dir.resolve("s");
    StateFile.write(f, MAGIC, 1, recs());
    assertThat(StateFile.read(f, MAGIC, 1)).hasSize(3);
    assertThat(new String(StateFile.read(f, MAGIC, 1).get(1), StandardCharsets.UTF_8))
        .isEqualTo("second");
    assertThat(Files.list(dir).map(p -> p.getFileName().toString()).toList()).containsExactly("s");
    assertThat(StateFile.read(dir.resolve("absent"), MAGIC, 1)).isEmpty();
  }

  @Test
  void corruptRecordEndsTheReadAndTornTailIsIgnored() throws Exception {
    Path f = dir.resolve("s");
    StateFile.write(f, MAGIC, 1, recs());
    byte[] b = Files.readAllBytes(f);
    // header 8, record 1 = 8 + 5 bytes; flip a payload byte of record 2
    b[8 + 13 + 8 + 2] ^= 0x40;
    Files.write(f, b);
    assertThat(StateFile.read(f, MAGIC, 1)).hasSize(1);
    StateFile.write(f, MAGIC, 1, recs());
    byte[] full = Files.readAllBytes(f);
    Files.write(f, java.util.Arrays.copyOf(full, full.length - 3));
    assertThat(StateFile.read(f, MAGIC, 1)).hasSize(2);
  }

  @Test
  void wrongMagicOrVersionIsAnError() throws Exception {
    Path f = dir.resolve("s");
    StateFile.write(f, MAGIC, 1, recs());
    assertThatThrownBy(() -> StateFile.read(f, new byte[] {'X', 'X', 'X', 'X'}, 1))
        .hasMessageContaining("bad magic");
    assertThatThrownBy(() -> StateFile.read(f, MAGIC, 2))
        .hasMessageContaining("version 1 unsupported");
  }
}
