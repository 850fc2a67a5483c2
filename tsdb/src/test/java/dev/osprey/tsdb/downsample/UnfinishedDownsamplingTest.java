package dev.osprey.tsdb.downsample;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.tsdb.Tsdb;
import dev.osprey.tsdb.block.BlockReader;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crash after a downsampled block was published but before its raw block was replaced: on open
 * the downsampled block is deleted (the step is redone by the next compaction), the raw data stays.
 */
class UnfinishedDownsamplingTest {
  @TempDir Path dir;

  @Test
  void downsampledBlockWhoseRawBlockStillExistsIsDeletedOnOpen() throws Exception {
    TsdbConfig config = new TsdbConfig(null, null, null, "never");
    BlockReader raw;
    try (Tsdb db = Tsdb.open(dir, config, new SimpleMeterRegistry())) {
      for (long t = 0; t < 4 * 3_600_000L; t += 15_000) {
        Appender a = db.appender();
        a.append(0, Labels.of("__name__", "m_total"), t, t / 1000.0);
        a.commit();
      }
      db.flush();
      raw = db.blocks().get(0);
    }
    BlockReader ds =
        RetentionApplier.downsample(dir, BlockReader.open(raw.dir()), 300_000, raw.all());
    assertThat(Files.exists(ds.dir())).isTrue();
    assertThat(ds.meta().downsampledFrom()).isEqualTo(raw.meta().ulid());
    try (Tsdb db = Tsdb.open(dir, config, new SimpleMeterRegistry())) {
      assertThat(db.downsampledBlocks()).isEmpty();
      assertThat(Files.exists(ds.dir())).isFalse();
      assertThat(db.blocks()).extracting(b -> b.meta().ulid()).contains(raw.meta().ulid());
    }
  }
}
