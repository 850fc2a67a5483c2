package dev.osprey.logs.index;

/** 64-bit hashes for dedup keys. */
final class Hashing {
  private Hashing() {}

  private static long fmix(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }

  /** The dedup key of an entry: its stream, timestamp and line. */
  static long entryKey(long streamHash, long ts, String line) {
    long h1 = fmix(streamHash ^ 0x9E3779B97F4A7C15L) ^ fmix(ts);
    long h2 = 0xcbf29ce484222325L;
    int n = line.length();
    for (int i = 0; i < n; i++) {
      h2 = (h2 ^ line.charAt(i)) * 0x100000001b3L;
      h1 = Long.rotateLeft(h1 ^ (line.charAt(i) * 0x87c37b91114253d5L), 27) * 5 + 0x52dce729;
    }
    return fmix(h1 ^ fmix(h2 + n));
  }

  /** The key of a stream and timestamp: what the index can rebuild without reading lines. */
  static long streamTimeKey(long streamHash, long ts) {
    return fmix(fmix(streamHash ^ 0x2545F4914F6CDD1DL) + ts);
  }
}
