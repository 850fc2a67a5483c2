package dev.osprey.collector.node;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What statvfs(3) says about a mount, through {@link FileStore} (the build targets Java 21, where
 * the foreign-function API that could call statvfs directly is still a preview). Inode counts are
 * therefore not available.
 */
final class Statvfs {
  /** Sizes in bytes: total, free (to root), available (to users). */
  record Result(long size, long free, long avail, boolean readonly) {}

  private Statvfs() {}

  /** The mount's figures, or null when it cannot be read (gone, stale NFS, no permission). */
  static Result of(String path) {
    try {
      FileStore fs = Files.getFileStore(Path.of(path));
      return new Result(
          fs.getTotalSpace(), fs.getUnallocatedSpace(), fs.getUsableSpace(), fs.isReadOnly());
    } catch (IOException | SecurityException e) {
      return null;
    }
  }
}
