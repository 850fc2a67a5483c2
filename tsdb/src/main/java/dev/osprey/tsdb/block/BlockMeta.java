package dev.osprey.tsdb.block;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.osprey.core.http.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A block's {@code meta.json}: its id, its time range {@code [minTime, maxTime)} in milliseconds
 * (maxTime exclusive, as Prometheus), statistics, and its compaction history.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BlockMeta(
    String ulid, long minTime, long maxTime, Stats stats, Compaction compaction, int version) {
  public static final int VERSION = 1;
  public static final String FILE = "meta.json";

  /** Counts of what the block holds. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Stats(long numSamples, long numSeries, long numChunks) {}

  /**
   * The level (1 for a block cut from the head), the ids of the level-1 blocks it came from, and
   * the blocks it directly replaces (merged or rewritten ones), which are deleted if found on open.
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Compaction(int level, List<String> sources, List<String> parents) {
    public Compaction {
      sources = sources == null ? List.of() : sources;
      parents = parents == null ? List.of() : parents;
    }
  }

  public static BlockMeta read(Path blockDir) throws IOException {
    BlockMeta m =
        Json.MAPPER.readValue(Files.readAllBytes(blockDir.resolve(FILE)), BlockMeta.class);
    if (m.version != VERSION) {
      throw new IOException("cannot read block " + blockDir + ": meta.json version " + m.version);
    }
    return m;
  }

  void write(Path blockDir) throws IOException {
    Files.write(
        blockDir.resolve(FILE),
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(this));
  }
}
