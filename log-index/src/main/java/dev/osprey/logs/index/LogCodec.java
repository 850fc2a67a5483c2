package dev.osprey.logs.index;

import org.apache.lucene.codecs.FilterCodec;
import org.apache.lucene.codecs.StoredFieldsFormat;
import org.apache.lucene.codecs.lucene104.Lucene104Codec;
import org.apache.lucene.codecs.lucene90.compressing.Lucene90CompressingStoredFieldsFormat;

/**
 * The codec of log partitions: Lucene's default codec except for stored fields, which are
 * compressed with zstd in large chunks ({@link ZstdCompressionMode}). Registered by name through
 * {@code META-INF/services/org.apache.lucene.codecs.Codec}, so a segment written with it opens by
 * its recorded name; segments written before (codec {@code Lucene104}) still open, and merges
 * rewrite them with this codec. A changed layout must get a new codec name (OspreyLogs2, ...) and
 * keep this class readable. Format: log-index/docs/format/log-partition.md.
 */
public final class LogCodec extends FilterCodec {
  public static final String NAME = "OspreyLogs1";

  /** Chunk of up to 256 KiB or 4,096 lines: a 32 KiB dictionary and 56 KiB blocks. */
  static final int CHUNK_BYTES = 256 * 1024;

  static final int CHUNK_DOCS = 4096;

  private final StoredFieldsFormat stored =
      new Lucene90CompressingStoredFieldsFormat(
          "OspreyZstdStoredFields1",
          new ZstdCompressionMode(1, 32 * 1024, 56 * 1024),
          CHUNK_BYTES,
          CHUNK_DOCS,
          10);

  public LogCodec() {
    super(NAME, new Lucene104Codec());
  }

  @Override
  public StoredFieldsFormat storedFieldsFormat() {
    return stored;
  }
}
