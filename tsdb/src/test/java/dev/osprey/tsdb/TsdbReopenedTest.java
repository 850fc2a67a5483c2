package dev.osprey.tsdb;

import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.storage.Storage;
import dev.osprey.core.storage.StorageContractTest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;

/**
 * The storage contract on a tsdb closed and reopened after loading: the head is rebuilt from the
 * WAL.
 */
class TsdbReopenedTest extends StorageContractTest {
  @Override
  protected Storage open(Path dir) {
    return Tsdb.open(dir, new TsdbConfig(null, null, null, "never"), new SimpleMeterRegistry());
  }

  @Override
  protected void load() {
    super.load();
    storage.close();
    storage = open(dir);
  }
}
