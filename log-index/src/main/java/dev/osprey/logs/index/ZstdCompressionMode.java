package dev.osprey.logs.index;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import java.io.IOException;
import java.lang.ref.Cleaner;
import org.apache.lucene.codecs.compressing.CompressionMode;
import org.apache.lucene.codecs.compressing.Compressor;
import org.apache.lucene.codecs.compressing.Decompressor;
import org.apache.lucene.index.CorruptIndexException;
import org.apache.lucene.store.ByteBuffersDataInput;
import org.apache.lucene.store.DataInput;
import org.apache.lucene.store.DataOutput;
import org.apache.lucene.util.ArrayUtil;
import org.apache.lucene.util.BytesRef;

/**
 * Zstandard with a preset dictionary, the shape of Lucene's DEFLATE/LZ4 "with preset dict" modes: a
 * chunk is split into a dictionary (its first {@code dictLength} bytes, compressed alone) and
 * blocks of {@code blockLength} bytes, each compressed with the dictionary's content loaded as a
 * raw-content zstd dictionary. Reading one document decompresses the dictionary and the blocks it
 * overlaps, not the whole chunk. Layout of a chunk: {@code vint dictLength, vint blockLength, vint
 * compressed length of the dictionary and of each block, the compressed dictionary, the compressed
 * blocks} (zstd frames without checksum, content size or dictionary id; Lucene's codec footer
 * checksums the file). Documented in docs/format/log-partition.md.
 */
final class ZstdCompressionMode extends CompressionMode {
  private final int level;
  private final int dictLength;
  private final int blockLength;

  ZstdCompressionMode(int level, int dictLength, int blockLength) {
    this.level = level;
    this.dictLength = dictLength;
    this.blockLength = blockLength;
  }

  @Override
  public Compressor newCompressor() {
    return new ZCompressor();
  }

  @Override
  public Decompressor newDecompressor() {
    return new ZDecompressor();
  }

  @Override
  public String toString() {
    return "Zstd(level=" + level + ", dict=" + dictLength + ", block=" + blockLength + ")";
  }

  private final class ZCompressor extends Compressor {
    private final ZstdCompressCtx plain = ctx();
    private final ZstdCompressCtx withDict = ctx();
    private byte[] in = BytesRef.EMPTY_BYTES;
    private byte[] dict = BytesRef.EMPTY_BYTES;
    private byte[] out = BytesRef.EMPTY_BYTES;
    private int[] lengths = new int[16];

    private ZstdCompressCtx ctx() {
      return new ZstdCompressCtx()
          .setLevel(level)
          .setChecksum(false)
          .setContentSize(false)
          .setDictID(false);
    }

    @Override
    public void compress(ByteBuffersDataInput buffers, DataOutput output) throws IOException {
      int len = Math.toIntExact(buffers.length());
      in = ArrayUtil.growNoCopy(in, len);
      buffers.readBytes(in, 0, len);
      int dl = Math.min(dictLength, len);
      int blocks = (len - dl + blockLength - 1) / blockLength;
      output.writeVInt(dl);
      output.writeVInt(blockLength);
      out = ArrayUtil.growNoCopy(out, (int) Zstd.compressBound(len) + 64 * (blocks + 1));
      lengths = ArrayUtil.grow(lengths, blocks + 1);
      int pos = 0;
      lengths[0] = check(plain.compressByteArray(out, 0, out.length, in, 0, dl));
      pos += lengths[0];
      if (blocks > 0) {
        dict = ArrayUtil.growNoCopy(dict, dl);
        if (dict.length != dl) {
          dict = new byte[dl];
        }
        System.arraycopy(in, 0, dict, 0, dl);
        withDict.loadDict(dict);
        for (int b = 0; b < blocks; b++) {
          int from = dl + b * blockLength;
          int n = Math.min(blockLength, len - from);
          lengths[b + 1] =
              check(withDict.compressByteArray(out, pos, out.length - pos, in, from, n));
          pos += lengths[b + 1];
        }
      }
      for (int b = 0; b <= blocks; b++) {
        output.writeVInt(lengths[b]);
      }
      output.writeBytes(out, 0, pos);
    }

    private int check(int n) throws IOException {
      if (n < 0) {
        throw new IOException("cannot compress stored fields: zstd error " + n);
      }
      return n;
    }

    @Override
    public void close() {
      plain.close();
      withDict.close();
    }
  }

  /** Frees the native contexts of decompressors that are no longer reachable. */
  private static final Cleaner CLEANER = Cleaner.create();

  /**
   * Reads chunks. The blocks of a chunk are decompressed through one native context that holds the
   * chunk's dictionary, made on first use and freed when this decompressor (one per stored-fields
   * reader) is collected: a context made and freed per block cost about a quarter of the
   * decompression time of a 56 KiB block.
   */
  private static final class ZDecompressor extends Decompressor {
    private byte[] dict = BytesRef.EMPTY_BYTES;
    private byte[] comp = BytesRef.EMPTY_BYTES;
    private int[] lengths = new int[16];
    private ZstdDecompressCtx ctx;
    private boolean dictLoaded; // whether ctx holds this chunk's dictionary

    private ZstdDecompressCtx ctx() {
      if (ctx == null) {
        ZstdDecompressCtx c = new ZstdDecompressCtx();
        CLEANER.register(this, c::close);
        ctx = c;
      }
      return ctx;
    }

    @Override
    public void decompress(DataInput in, int originalLength, int offset, int length, BytesRef bytes)
        throws IOException {
      if (length == 0) {
        bytes.length = 0;
        return;
      }
      int dl = in.readVInt();
      int bl = in.readVInt();
      if (dl < 0 || dl > originalLength || bl <= 0) {
        throw new CorruptIndexException("bad zstd chunk header: dict=" + dl + " block=" + bl, in);
      }
      int blocks = (originalLength - dl + bl - 1) / bl;
      lengths = ArrayUtil.grow(lengths, blocks + 1);
      for (int b = 0; b <= blocks; b++) {
        lengths[b] = in.readVInt();
      }
      // The dictionary: every block needs it.
      if (dict.length != dl) {
        dict = new byte[dl];
      }
      dictLoaded = false;
      inflate(in, lengths[0], null, dict, 0, dl);
      int end = offset + length;
      bytes.bytes =
          ArrayUtil.growNoCopy(bytes.bytes, Math.max(1, offset < dl ? Math.max(end, dl) : end));
      int have; // bytes of the chunk in bytes.bytes, from chunk offset `base`
      int base;
      if (offset < dl) {
        System.arraycopy(dict, 0, bytes.bytes, 0, dl);
        base = 0;
        have = dl;
      } else {
        base = -1;
        have = 0;
      }
      int skip = 0;
      for (int b = 0; b < blocks; b++) {
        int from = dl + b * bl;
        int n = Math.min(bl, originalLength - from);
        if (from >= end) {
          break;
        }
        if (from + n <= offset) {
          skip += lengths[b + 1];
          continue;
        }
        if (skip > 0) {
          in.skipBytes(skip);
          skip = 0;
        }
        if (base < 0) {
          base = from;
        }
        bytes.bytes = ArrayUtil.grow(bytes.bytes, have + n);
        inflate(in, lengths[b + 1], dict, bytes.bytes, have, n);
        have += n;
      }
      bytes.offset = offset - base;
      bytes.length = length;
      if (bytes.offset < 0 || bytes.offset + length > have) {
        throw new CorruptIndexException("zstd chunk shorter than its documents", in);
      }
    }

    private void inflate(DataInput in, int compressed, byte[] d, byte[] dst, int off, int n)
        throws IOException {
      comp = ArrayUtil.growNoCopy(comp, compressed);
      in.readBytes(comp, 0, compressed);
      long r;
      if (d == null) {
        r = Zstd.decompressByteArray(dst, off, n, comp, 0, compressed);
      } else {
        try {
          ZstdDecompressCtx c = ctx();
          if (!dictLoaded) {
            c.loadDict(d); // copied into the context
            dictLoaded = true;
          }
          r = c.decompressByteArray(dst, off, n, comp, 0, compressed);
        } catch (ZstdException e) {
          throw new CorruptIndexException("cannot decompress stored fields: " + e.getMessage(), in);
        }
      }
      if (r != n) {
        throw new CorruptIndexException(
            "cannot decompress stored fields: zstd gave " + r + " of " + n + " bytes", in);
      }
    }

    @Override
    public Decompressor clone() {
      return new ZDecompressor();
    }
  }
}
