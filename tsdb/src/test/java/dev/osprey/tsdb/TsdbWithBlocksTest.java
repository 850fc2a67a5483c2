package dev.osprey.tsdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.storage.Storage;
import dev.osprey.core.storage.StorageContractTest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;

/**
 * The storage contract with the loaded data split between a block (before 15 s) and the head, so
 * that every select, label query and iterator goes through the block reader and the merge of block
 * and head.
 */
class TsdbWithBlocksTest extends StorageContractTest {
  @Override
  protected Storage open(Path dir) {
    // the cut is not aligned with the head's chunks: the head keeps samples the block has too,
    // and the merge must not return them twice
    return Tsdb.open(dir, new TsdbConfig(null, null, null, "never"), new SimpleMeterRegistry());
  }

  @Override
  protected void load() {
    super.load();
    Tsdb db = (Tsdb) storage;
    db.cutBefore(15_000);
    assertThat(db.blocks()).hasSize(1);
    assertThat(db.blocks().get(0).meta().stats().numSamples()).isEqualTo(4);
    assertThat(db.head().minTime()).isEqualTo(15_000);
  }

  @org.junit.jupiter.api.Test
  void iteratorMayBeAskedForTwice() {
    load();
    try (dev.osprey.core.storage.Querier q = storage.querier()) {
      dev.osprey.core.storage.SeriesSet set =
          q.select(
              0,
              1_000_000,
              dev.osprey.core.storage.SelectHints.of(0, 1_000_000),
              dev.osprey.core.labels.LabelMatcher.equal("job", "b"));
      assertThat(set.next()).isTrue();
      assertThat(samplesOf(set.iterator(null))).hasSize(10);
      assertThat(samplesOf(set.iterator(null))).hasSize(10);
    }
  }
}
