package dev.osprey.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens a data or spool directory, failing with one clear line when it cannot be written. */
final class DataDir {
  private DataDir() {}

  static Path open(String dir, String what) {
    Path p = Path.of(dir).toAbsolutePath().normalize();
    try {
      Files.createDirectories(p);
      Path probe = Files.createTempFile(p, ".osprey-write-check", "");
      Files.delete(probe);
    } catch (IOException | SecurityException e) {
      throw new UserError(
          "cannot use "
              + what
              + " "
              + p
              + ": not writable ("
              + e.getClass().getSimpleName()
              + ": "
              + e.getMessage()
              + ")");
    }
    return p;
  }
}
