package dev.osprey.tsdb.http;

import dev.osprey.core.util.Utf8;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Reads a serialized {@code prometheus.WriteRequest} (remote_write 1.0) in place, without the
 * generated protobuf classes: no object per label, sample or series. The labels of a series are a
 * byte range of the request; {@link #labelsHash()} hashes those bytes (128 bits) so that a known
 * series is found without decoding or comparing its label strings (see {@link SeriesRefCache}).
 *
 * <p>{@link #validate} walks the whole request first (every length, wire type and UTF-8 string the
 * generated parser checks), so that a malformed request is refused before any sample is stored; the
 * reading methods then trust the structure. Given a {@link SeriesRefCache}, the walk hashes each
 * series' label run and skips checking the labels of a run the cache knows (its very bytes passed
 * this check before). As in protobuf, a field with an unknown number or an unexpected wire type is
 * skipped, and a scalar field that occurs twice takes its last value.
 */
final class RemoteWriteReader {
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private static final int VARINT = 0;
  private static final int I64 = 1;
  private static final int LEN = 2;
  private static final int SGROUP = 3;
  private static final int EGROUP = 4;
  private static final int I32 = 5;

  /** Thrown by {@link #validate} for a malformed request; the message names the byte offset. */
  static final class MalformedException extends Exception {
    MalformedException(String message) {
      super(message);
    }
  }

  private final byte[] b;
  private final int end;
  private int pos; // next WriteRequest field

  // the current TimeSeries
  private int tsStart;
  private int tsEnd;
  private int labelsStart;
  private int labelsEnd;
  private boolean labelsContiguous;
  private int labelCount;
  private int sampleCount;
  private int histogramCount;
  // sample cursor: the next Sample field is at or after samplePos; samplesLeft not yet returned
  private int samplePos;
  private int samplesLeft;
  private long t;
  private double v;

  // the series table the validation filled
  private final int[] rows;
  private final int nRows;
  private int row;

  private RemoteWriteReader(byte[] b, int len, int[] rows, int nRows) {
    this.b = b;
    this.end = len;
    this.rows = rows;
    this.nRows = nRows;
  }

  /**
   * Checks the whole request as {@link #validate} does and returns a reader over it that reuses
   * what the check found about each series (where its labels and samples are, how many of each), so
   * that reading walks no series' fields a second time to find them.
   */
  static RemoteWriteReader validated(byte[] b, int len) throws MalformedException {
    return validated(b, len, null);
  }

  /**
   * {@link #validated(byte[], int)} with a series table to fill (null: a new one); the table the
   * reader ended up with, grown if it had to, is {@link #table()}, for the caller to reuse.
   */
  static RemoteWriteReader validated(byte[] b, int len, int[] table) throws MalformedException {
    return validated(b, len, table, null, null);
  }

  /**
   * {@link #validated(byte[], int, int[])} that also hashes each series' label run as it meets it
   * and looks the hash up in {@code known}: a run whose 128-bit hash is there was checked, byte for
   * byte the same, in an earlier request (entries are only put after that), so its labels are not
   * checked field by field again, and {@link #knownEntry()} has the entry. {@code keys} is a table
   * for the hashes, reused like {@code table} ({@link #keys()}).
   */
  static RemoteWriteReader validated(
      byte[] b, int len, int[] table, long[] keys, SeriesRefCache known) throws MalformedException {
    Validator v = new Validator(b);
    v.rows = table != null && table.length >= ROW ? table : new int[ROW * 64];
    v.known = known;
    v.keys = keys != null && keys.length >= KEYS ? keys : new long[KEYS * 64];
    v.message(0, len, Validator.WRITE_REQUEST);
    RemoteWriteReader r = new RemoteWriteReader(b, len, v.rows, v.nRows);
    r.keys = v.keys;
    return r;
  }

  /** The series table this reader reads (the caller's, or a larger one the validation grew). */
  int[] table() {
    return rows;
  }

  /** The table of longs per series the validation filled (hashes, first samples), for reuse. */
  long[] keys() {
    return keys;
  }

  // per series: when the validation looked its label run up, the run's hash and the entry found;
  // when its first sample has the usual layout, that sample's timestamp and value bits
  private static final int KEYS = 5;
  private static final int K_HASH = 0;
  private static final int K_HASH2 = 1;
  private static final int K_ENTRY = 2;
  private static final int K_FIRST_T = 3;
  private static final int K_FIRST_V = 4;
  private long[] keys;
  private int keyRow = -1; // the row of the current series in keys, or -1 when not hashed
  private int firstRow = -1; // the row of the current series in keys, or -1: first sample not read
  private int firstEnd; // where the first sample's field ends, when firstRow >= 0

  // a series table row: where the TimeSeries and its label run are, and its field counts
  private static final int ROW = 11;
  private static final int R_START = 0;
  private static final int R_END = 1;
  private static final int R_LABELS_START = 2;
  private static final int R_LABELS_END = 3;
  private static final int R_CONTIGUOUS = 4;
  private static final int R_LABELS = 5;
  private static final int R_SAMPLES = 6;
  private static final int R_HISTOGRAMS = 7;
  private static final int R_FIRST_SAMPLE = 8;
  private static final int R_HASHED = 9; // 1: keys holds the hash of the label run (and its entry)
  private static final int R_FIRST_END =
      10; // > 0: keys holds the first sample, whose field ends here

  // ---- validation --------------------------------------------------------------------------

  /** Checks the whole request; throws with the reason and byte offset when it is malformed. */
  static void validate(byte[] b, int len) throws MalformedException {
    new Validator(b).message(0, len, Validator.WRITE_REQUEST);
  }

  private static final class Validator {
    static final int WRITE_REQUEST = 0;
    static final int TIME_SERIES = 1;
    static final int LABEL = 2;
    static final int SAMPLE = 3;
    static final int EXEMPLAR = 4;
    static final int METADATA = 5;
    static final int HISTOGRAM = 6;
    static final int OTHER = 7; // bucket spans: scalars only

    private final byte[] b;
    private int p;
    int[] rows; // when not null, one row per TimeSeries is added (see ROW)
    int nRows;
    SeriesRefCache known; // when not null, label runs are hashed and looked up here
    long[] keys; // KEYS per row: label run hash and entry, first sample (see K_*)

    Validator(byte[] b) {
      this.b = b;
    }

    /**
     * A TimeSeries message, checked as {@link #message} checks it, and its row added to the series
     * table: where its label run and first sample are, and how many labels, samples and histograms
     * it has, which is all {@link RemoteWriteReader#nextSeries} needs to read it.
     */
    private void timeSeries(int start, int end) throws MalformedException {
      int labelsStart = -1;
      int labelsEnd = -1;
      boolean contiguous = true;
      boolean inLabels = false;
      int labels = 0;
      int samples = 0;
      int histograms = 0;
      int firstSample = start;
      int hashedEnd = -1; // end of the label run hashed, when it was
      long h1 = 0;
      long h2 = 0;
      long entry = 0;
      int firstEnd = 0; // end of the first sample's field when it was read here
      long firstT = 0;
      long firstV = 0;
      p = start;
      while (p < end) {
        int tagAt = p;
        if (labelsStart < 0 && known != null && b[p] == (1 << 3 | LEN)) {
          // the series' first label: hash its run of labels, and skip checking them if known
          int runEnd = labelRunEnd(p, end);
          hash128(b, p, runEnd, SEED, hash);
          h1 = hash[0];
          h2 = hash[1];
          hashedEnd = runEnd;
          entry = known.get(h1, h2);
          if (entry != 0) {
            labelsStart = tagAt;
            labelsEnd = runEnd;
            labels = labelCount;
            p = runEnd;
            inLabels = true;
            continue;
          }
        }
        long tag = varint(end);
        int field = (int) (tag >>> 3);
        int wt = (int) (tag & 7);
        if (field == 0) {
          throw new MalformedException("invalid tag (zero) at byte " + tagAt);
        }
        boolean label = false;
        switch (wt) {
          case VARINT -> varint(end);
          case I64 -> skip(8, end);
          case I32 -> skip(4, end);
          case LEN -> {
            int n = length(end);
            int s = p;
            int e = s + n;
            switch (field) {
              case 1 -> {
                label(s, e);
                label = true;
              }
              case 2 -> {
                if (samples == 0 && usualSample(s, e)) {
                  // value then timestamp, as every sender writes them: read here, once
                  firstV = (long) LONG_LE.get(b, s + 1);
                  firstT = sampleT;
                  firstEnd = e;
                } else {
                  message(s, e, SAMPLE);
                }
                if (samples++ == 0) {
                  firstSample = tagAt;
                }
              }
              case 3 -> message(s, e, EXEMPLAR);
              case 4 -> {
                message(s, e, HISTOGRAM);
                histograms++;
              }
              default -> {}
            }
            p = e;
          }
          case SGROUP -> group(field, end, tagAt);
          default -> throw new MalformedException("invalid wire type " + wt + " at byte " + tagAt);
        }
        if (label) {
          if (labelsStart < 0) {
            labelsStart = tagAt;
          } else if (!inLabels) {
            contiguous = false;
          }
          labelsEnd = p;
          labels++;
        }
        inLabels = label;
      }
      if (p != end) {
        throw new MalformedException("truncated message at byte " + end);
      }
      if (labelsStart < 0) {
        labelsStart = start;
        labelsEnd = start;
      }
      if ((nRows + 1) * ROW > rows.length) {
        rows = java.util.Arrays.copyOf(rows, rows.length * 2);
      }
      int r = nRows++ * ROW;
      rows[r + R_START] = start;
      rows[r + R_END] = end;
      rows[r + R_LABELS_START] = labelsStart;
      rows[r + R_LABELS_END] = labelsEnd;
      rows[r + R_CONTIGUOUS] = contiguous ? 1 : 0;
      rows[r + R_LABELS] = labels;
      rows[r + R_SAMPLES] = samples;
      rows[r + R_HISTOGRAMS] = histograms;
      rows[r + R_FIRST_SAMPLE] = firstSample;
      // the hash stands for the series only if the run hashed is all of its labels
      boolean hashed = hashedEnd >= 0 && contiguous && labelsEnd == hashedEnd;
      rows[r + R_HASHED] = hashed ? 1 : 0;
      rows[r + R_FIRST_END] = firstEnd;
      if (nRows * KEYS > keys.length) {
        keys = java.util.Arrays.copyOf(keys, Math.max(nRows * KEYS, keys.length * 2));
      }
      int k = (nRows - 1) * KEYS;
      keys[k + K_HASH] = h1;
      keys[k + K_HASH2] = h2;
      keys[k + K_ENTRY] = hashed ? entry : 0;
      keys[k + K_FIRST_T] = firstT;
      keys[k + K_FIRST_V] = firstV;
    }

    private long sampleT; // the timestamp usualSample read

    /**
     * Whether {@code [s, e)} is a Sample message of the usual layout: value (field 1, fixed64),
     * then timestamp (field 2, a varint that ends the message); its timestamp goes to {@link
     * #sampleT}. Anything else is left to {@link #message}, which checks every layout.
     */
    private boolean usualSample(int s, int e) {
      if (e - s < 11 || b[s] != (1 << 3 | I64) || b[s + 9] != (2 << 3 | VARINT)) {
        return false;
      }
      long r = 0;
      int q = s + 10;
      for (int shift = 0; shift < 64 && q < e; shift += 7) {
        byte x = b[q++];
        r |= (long) (x & 0x7F) << shift;
        if (x >= 0) {
          sampleT = r;
          return q == e;
        }
      }
      return false;
    }

    private final long[] hash = new long[2];
    private int labelCount; // labels in the run labelRunEnd last walked

    /**
     * The end of the run of label fields (one-byte tag, as every sender writes it) that starts at
     * {@code q}, walked by their lengths only (bounds checked, contents not); their number goes to
     * {@link #labelCount}.
     */
    private int labelRunEnd(int q, int end) throws MalformedException {
      int saved = p;
      int n = 0;
      p = q;
      while (p < end && b[p] == (1 << 3 | LEN)) {
        p++;
        int len = length(end);
        p += len;
        n++;
      }
      int runEnd = p;
      p = saved;
      labelCount = n;
      return runEnd;
    }

    /**
     * A Label message, checked as {@link #message} checks it: the name and value fields (one-byte
     * tags, as every sender writes them) directly, anything else through {@link #message}.
     */
    private void label(int start, int end) throws MalformedException {
      p = start;
      while (p < end) {
        byte tag = b[p];
        if (tag != (1 << 3 | LEN) && tag != (2 << 3 | LEN)) {
          message(p, end, LABEL); // checks the rest of the message field by field
          return;
        }
        p++;
        int n = length(end);
        utf8(p, p + n);
        p += n;
      }
    }

    void message(int start, int end, int type) throws MalformedException {
      p = start;
      while (p < end) {
        int tagAt = p;
        long tag = varint(end);
        int field = (int) (tag >>> 3);
        int wt = (int) (tag & 7);
        if (field == 0) {
          throw new MalformedException("invalid tag (zero) at byte " + tagAt);
        }
        switch (wt) {
          case VARINT -> varint(end);
          case I64 -> skip(8, end);
          case I32 -> skip(4, end);
          case LEN -> {
            int n = length(end);
            int s = p;
            int e = s + n;
            int sub = nested(type, field);
            if (sub == TIME_SERIES && rows != null) {
              timeSeries(s, e);
            } else if (sub >= 0) {
              message(s, e, sub);
            } else if (isString(type, field)) {
              utf8(s, e);
            }
            p = e;
          }
          case SGROUP -> group(field, end, tagAt);
          default -> throw new MalformedException("invalid wire type " + wt + " at byte " + tagAt);
        }
      }
      if (p != end) {
        throw new MalformedException("truncated message at byte " + end);
      }
    }

    private static int nested(int type, int field) {
      return switch (type) {
        case WRITE_REQUEST -> field == 1 ? TIME_SERIES : field == 3 ? METADATA : -1;
        case TIME_SERIES ->
            switch (field) {
              case 1 -> LABEL;
              case 2 -> SAMPLE;
              case 3 -> EXEMPLAR;
              case 4 -> HISTOGRAM;
              default -> -1;
            };
        case EXEMPLAR -> field == 1 ? LABEL : -1;
        case HISTOGRAM -> field == 8 || field == 11 ? OTHER : -1;
        default -> -1;
      };
    }

    private static boolean isString(int type, int field) {
      return (type == LABEL && (field == 1 || field == 2))
          || (type == METADATA && (field == 2 || field == 4 || field == 5));
    }

    private void group(int field, int end, int at) throws MalformedException {
      group(field, end, at, 0);
    }

    private void group(int field, int end, int at, int depth) throws MalformedException {
      if (depth >= 100) {
        throw new MalformedException("groups nested too deep at byte " + at);
      }
      while (true) {
        if (p >= end) {
          throw new MalformedException("unterminated group at byte " + at);
        }
        int tagAt = p;
        long tag = varint(end);
        int wt = (int) (tag & 7);
        switch (wt) {
          case VARINT -> varint(end);
          case I64 -> skip(8, end);
          case I32 -> skip(4, end);
          case LEN -> skip(length(end), end);
          case SGROUP -> group((int) (tag >>> 3), end, tagAt, depth + 1);
          case EGROUP -> {
            if ((int) (tag >>> 3) != field) {
              throw new MalformedException("mismatched end group at byte " + tagAt);
            }
            return;
          }
          default -> throw new MalformedException("invalid wire type " + wt + " at byte " + tagAt);
        }
      }
    }

    private void skip(int n, int end) throws MalformedException {
      if (n > end - p) {
        throw new MalformedException("truncated field at byte " + p);
      }
      p += n;
    }

    private int length(int end) throws MalformedException {
      int at = p;
      long n = varint(end);
      if (n < 0 || n > end - p) {
        throw new MalformedException("length " + n + " past the end of its message at byte " + at);
      }
      return (int) n;
    }

    private long varint(int end) throws MalformedException {
      long r = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (p >= end) {
          throw new MalformedException("truncated varint at byte " + p);
        }
        byte x = b[p++];
        r |= (long) (x & 0x7F) << shift;
        if (x >= 0) {
          return r;
        }
      }
      throw new MalformedException("malformed varint at byte " + p);
    }

    private void utf8(int s, int e) throws MalformedException {
      int at = Utf8.invalidAt(b, s, e - s);
      if (at >= 0) {
        throw new MalformedException("invalid UTF-8 in a string at byte " + at);
      }
    }
  }

  // ---- reading (after validate) ------------------------------------------------------------

  /** Moves to the next TimeSeries; false at the end of the request. */
  boolean nextSeries() {
    if (row == nRows) {
      return false;
    }
    int r = row++ * ROW;
    tsStart = rows[r + R_START];
    tsEnd = rows[r + R_END];
    labelsStart = rows[r + R_LABELS_START];
    labelsEnd = rows[r + R_LABELS_END];
    labelsContiguous = rows[r + R_CONTIGUOUS] != 0;
    labelCount = rows[r + R_LABELS];
    sampleCount = rows[r + R_SAMPLES];
    histogramCount = rows[r + R_HISTOGRAMS];
    samplePos = rows[r + R_FIRST_SAMPLE];
    keyRow = rows[r + R_HASHED] != 0 ? (row - 1) * KEYS : -1;
    firstEnd = rows[r + R_FIRST_END];
    firstRow = firstEnd > 0 ? (row - 1) * KEYS : -1;
    samplesLeft = sampleCount;
    histogramPos = -1;
    pos = tsEnd;
    return true;
  }

  int sampleCount() {
    return sampleCount;
  }

  int histogramCount() {
    return histogramCount;
  }

  /**
   * Whether the series' labels are one run of bytes (as every sender writes them), so that {@link
   * #labelsHash()} identifies them.
   */
  boolean labelsContiguous() {
    return labelsContiguous;
  }

  /**
   * The first half of a 128-bit hash (MurmurHash3 x64 128, seeded per process) of the bytes of the
   * series' label fields; {@link #labelsHash2()} is the second half. Two different label byte
   * strings share both halves with a probability of about 2^-128, which is why a cache hit needs no
   * comparison of label bytes (see {@link SeriesRefCache}).
   */
  long labelsHash() {
    if (keyRow >= 0) {
      hash[0] = keys[keyRow + K_HASH];
      hash[1] = keys[keyRow + K_HASH2];
      return hash[0];
    }
    hash128(b, labelsStart, labelsEnd, SEED, hash);
    return hash[0];
  }

  /**
   * The cache entry the validation found for the series' label run ({@link SeriesRefCache#get} of
   * {@link #labelsHash()}), or 0: not found, or not looked up (then the caller may look it up).
   */
  long knownEntry() {
    return keyRow >= 0 ? keys[keyRow + K_ENTRY] : 0;
  }

  /** Whether the validation looked the series' label run up (so a 0 entry means not known). */
  boolean lookedUp() {
    return keyRow >= 0;
  }

  /** The second half of the hash computed by the last {@link #labelsHash()}. */
  long labelsHash2() {
    return hash[1];
  }

  private final long[] hash = new long[2];

  /**
   * Random per process: precomputed collisions (MurmurHash3 has seed-independent ones, so this is
   * not a defence against a sender who studies it; such a sender may write to any series anyway).
   */
  private static final long SEED = java.util.concurrent.ThreadLocalRandom.current().nextLong();

  private static final long C1 = 0x87c37b91114253d5L;
  private static final long C2 = 0x4cf5ad432745937fL;

  /** MurmurHash3 x64 128 of {@code b[off, end)} with a 64-bit seed into {@code out[0..1]}. */
  static void hash128(byte[] b, int off, int end, long seed, long[] out) {
    long h1 = seed;
    long h2 = seed;
    int i = off;
    for (; i + 16 <= end; i += 16) {
      long k1 = (long) LONG_LE.get(b, i);
      long k2 = (long) LONG_LE.get(b, i + 8);
      h1 ^= Long.rotateLeft(k1 * C1, 31) * C2;
      h1 = Long.rotateLeft(h1, 27) + h2;
      h1 = h1 * 5 + 0x52dce729;
      h2 ^= Long.rotateLeft(k2 * C2, 33) * C1;
      h2 = Long.rotateLeft(h2, 31) + h1;
      h2 = h2 * 5 + 0x38495ab5;
    }
    int tail = end - i;
    if (tail > 0) {
      long k1 = 0;
      long k2 = 0;
      for (int s = 0; s < tail; s++) {
        long x = (b[i + s] & 0xFFL) << ((s & 7) * 8);
        if (s < 8) {
          k1 |= x;
        } else {
          k2 |= x;
        }
      }
      if (tail > 8) {
        h2 ^= Long.rotateLeft(k2 * C2, 33) * C1;
      }
      h1 ^= Long.rotateLeft(k1 * C1, 31) * C2;
    }
    int len = end - off;
    h1 ^= len;
    h2 ^= len;
    h1 += h2;
    h2 += h1;
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1 += h2;
    h2 += h1;
    out[0] = h1;
    out[1] = h2;
  }

  private static long fmix(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }

  // Label field ranges of the label being read: name [nameOff, nameEnd), value [valueOff, valueEnd)
  private int nameOff;
  private int nameEnd;
  private int valueOff;
  private int valueEnd;

  /** Reads the Label message at {@code p} (its tag already read); returns the end of it. */
  private int readLabel(int p) {
    int n = (int) varintAt(p);
    int s = varintEnd;
    int e = s + n;
    nameOff = nameEnd = valueOff = valueEnd = s;
    int q = s;
    while (q < e) {
      int tag = (int) varintAt(q);
      q = varintEnd;
      if (tag == (1 << 3 | LEN) || tag == (2 << 3 | LEN)) {
        int len = (int) varintAt(q);
        int o = varintEnd;
        if (tag == (1 << 3 | LEN)) {
          nameOff = o;
          nameEnd = o + len;
        } else {
          valueOff = o;
          valueEnd = o + len;
        }
        q = o + len;
      } else {
        q = skipValue(q, tag & 7, tag >>> 3);
      }
    }
    return e;
  }

  /** The series' label pairs as strings, in the request's order: {@code nv[2i], nv[2i+1]}. */
  String[] labelStrings() {
    String[] nv = new String[2 * labelCount];
    int p = tsStart;
    int k = 0;
    while (p < tsEnd) {
      int tag = (int) varintAt(p);
      p = varintEnd;
      if (tag == (1 << 3 | LEN)) {
        p = readLabel(p);
        nv[k++] = string(nameOff, nameEnd);
        nv[k++] = string(valueOff, valueEnd);
      } else {
        p = skipValue(p, tag & 7, tag >>> 3);
      }
    }
    return nv;
  }

  private String string(int off, int e) {
    return off == e ? "" : new String(b, off, e - off, StandardCharsets.UTF_8);
  }

  /** Moves to the series' next sample; false after the last. */
  boolean nextSample() {
    if (samplesLeft == 0) {
      samplePos = tsEnd; // the fields after the last sample need no walk
      return false;
    }
    if (firstRow >= 0) {
      // the validation read the first sample
      samplesLeft--;
      samplePos = firstEnd;
      t = keys[firstRow + K_FIRST_T];
      v = Double.longBitsToDouble(keys[firstRow + K_FIRST_V]);
      firstRow = -1;
      return true;
    }
    int p = samplePos;
    while (p < tsEnd) {
      int tag = (int) varintAt(p);
      p = varintEnd;
      if (tag == (2 << 3 | LEN)) {
        int n = (int) varintAt(p);
        int s = varintEnd;
        int e = s + n;
        samplePos = e;
        samplesLeft--;
        long ts = 0;
        long vBits = 0;
        int q = s;
        while (q < e) {
          int ft = (int) varintAt(q);
          q = varintEnd;
          if (ft == (1 << 3 | I64)) {
            vBits = (long) LONG_LE.get(b, q);
            q += 8;
          } else if (ft == (2 << 3 | VARINT)) {
            ts = varintAt(q);
            q = varintEnd;
          } else {
            q = skipValue(q, ft & 7, ft >>> 3);
          }
        }
        t = ts;
        v = Double.longBitsToDouble(vBits);
        return true;
      }
      p = skipValue(p, tag & 7, tag >>> 3);
    }
    samplePos = tsEnd;
    return false;
  }

  long t() {
    return t;
  }

  /**
   * Moves to the series' next native histogram (the TimeSeries' field 4); false after the last. Its
   * Histogram message is {@code [histogramStart(), histogramEnd())} of {@link #bytes()}.
   */
  boolean nextHistogram() {
    int p = histogramPos < tsStart ? tsStart : histogramPos;
    while (p < tsEnd) {
      int tag = (int) varintAt(p);
      p = varintEnd;
      if (tag == (4 << 3 | LEN)) {
        int n = (int) varintAt(p);
        histogramStart = varintEnd;
        histogramEnd = histogramStart + n;
        histogramPos = histogramEnd;
        return true;
      }
      p = skipValue(p, tag & 7, tag >>> 3);
    }
    histogramPos = tsEnd;
    return false;
  }

  private int histogramPos = -1; // within the current series; before tsStart: not started
  private int histogramStart;
  private int histogramEnd;

  int histogramStart() {
    return histogramStart;
  }

  int histogramEnd() {
    return histogramEnd;
  }

  byte[] bytes() {
    return b;
  }

  double v() {
    return v;
  }

  // ---- primitives (on validated input) -----------------------------------------------------

  private int varintEnd;

  /** The varint at {@code p}; its end goes to {@link #varintEnd}. */
  private long varintAt(int p) {
    byte x = b[p];
    if (x >= 0) {
      varintEnd = p + 1;
      return x;
    }
    long r = x & 0x7F;
    for (int shift = 7; ; shift += 7) {
      x = b[++p];
      r |= (long) (x & 0x7F) << shift;
      if (x >= 0) {
        varintEnd = p + 1;
        return r;
      }
    }
  }

  private int varintEnd(int p) {
    while (b[p] < 0) {
      p++;
    }
    return p + 1;
  }

  /** Skips the value of a field whose tag ended at {@code p}; returns the position after it. */
  private int skipValue(int p, int wt, int field) {
    return switch (wt) {
      case VARINT -> varintEnd(p);
      case I64 -> p + 8;
      case I32 -> p + 4;
      case LEN -> {
        int n = (int) varintAt(p);
        yield varintEnd + n;
      }
      case SGROUP -> {
        int q = p;
        while (true) {
          int tag = (int) varintAt(q);
          q = varintEnd;
          if ((tag & 7) == EGROUP && (tag >>> 3) == field) {
            yield q;
          }
          q = skipValue(q, tag & 7, tag >>> 3);
        }
      }
      default -> throw new IllegalStateException("BUG: wire type " + wt + " after validation");
    };
  }
}
