package dev.osprey.tsdb.block;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.osprey.core.http.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A block's {@code meta.json}: its id, its time range {@code [minTime, maxTime)} in milliseconds
 * (maxTime exclusive, as Prometheus), statistics, its compaction history, and for a downsampled
 * block its resolution and the raw block it was made from.
 *
 * @param resolution 0 for raw samples, else the width in milliseconds of the aggregation windows
 *     (docs/format/downsampled.md)
 * @param downsampledFrom the ULID of the raw block a downsampled block was made from, or null
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BlockMeta(
    String ulid,
    long minTime,
    long maxTime,
    Stats stats,
    Compaction compaction,
    int version,
    long resolution,
    String downsampledFrom) {
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

  /** True for a block of aggregates at {@link #resolution}, false for raw samples. */
  public boolean downsampled() {
    return resolution > 0;
  }

  void write(Path blockDir) throws IOException {
    Files.write(
        blockDir.resolve(FILE),
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(this));
  }
}
