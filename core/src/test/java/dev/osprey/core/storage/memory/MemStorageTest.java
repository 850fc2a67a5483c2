package dev.osprey.core.storage.memory;

import dev.osprey.core.storage.Storage;
import dev.osprey.core.storage.StorageContractTest;
import java.nio.file.Path;

class MemStorageTest extends StorageContractTest {
  @Override
  protected Storage open(Path dir) {
    return new MemStorage();
  }
}
