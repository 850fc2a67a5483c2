package dev.osprey.logs.index;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.util.ArrayUtil;
import org.apache.lucene.util.BytesRef;

/**
 * The terms of a segment's line field that can hold a punctuated word (an IP prefix {@code
 * 10.42.17}): every term outside the marks' range and the {@link StrayWords} inside it, i.e. all
 * terms but the marked parts, which hold only letters and digits after their mark. Kept in memory
 * as one Latin-1 string of their UTF-8 bytes in dictionary order, each followed by {@code '\n'} (no
 * term holds one: whitespace separates words), so finding the terms that contain a word is a {@link
 * String#indexOf(String, int)} scan (a vectorized intrinsic) instead of a walk of the terms
 * dictionary (a block decode and an automaton step per term, about 5 times slower). UTF-8 is
 * self-synchronizing, so a byte match of a word's UTF-8 is a char match.
 *
 * <p>Built by one walk of the dictionary per segment on first use and kept while the segment's
 * {@link Terms} are reachable (keyed by that instance, which a segment reader keeps for its life),
 * within a budget of heap for all segments ({@link #budget}); a segment that does not fit gets null
 * and is searched by the walk.
 */
public final class WholeWords {
  /** Bytes held by all segments' instances; lowered when a segment's terms are collected. */
  private static final AtomicLong HELD = new AtomicLong();

  private static final long BUDGET = Math.min(256L << 20, Runtime.getRuntime().maxMemory() / 8);

  private static final Cleaner CLEANER = Cleaner.create();

  private static final int CHUNK = 1 << 20;

  /** Cached for a segment that did not fit (compared by identity). */
  static final WholeWords TOO_BIG = new WholeWords("", 0);

  private static final Map<Terms, WholeWords> CACHE =
      Collections.synchronizedMap(new WeakHashMap<>());

  /** Set by the first use: from then on, merged segments are warmed ({@link #warm}). */
  private static volatile boolean used;

  private final String text;
  private final int count;

  private WholeWords(String text, int count) {
    this.text = text;
    this.count = count;
  }

  /** Heap all segments' instances may hold together. */
  public static long budget() {
    return BUDGET;
  }

  /** Heap held now by all segments' instances. */
  public static long held() {
    return HELD.get();
  }

  /**
   * The whole words of a segment's line terms, built on first use; null when they do not fit the
   * budget (or a term holds a {@code '\n'}).
   */
  public static WholeWords of(Terms terms) throws IOException {
    used = true;
    WholeWords w = CACHE.get(terms);
    if (w == null) {
      w = build(terms, BUDGET);
      if (w != TOO_BIG) {
        long n = w.text.length();
        if (HELD.addAndGet(n) > BUDGET) {
          HELD.addAndGet(-n);
          w = TOO_BIG;
        } else {
          CLEANER.register(terms, () -> HELD.addAndGet(-n));
        }
      }
      WholeWords had = CACHE.putIfAbsent(terms, w);
      if (had != null && w != TOO_BIG) {
        HELD.addAndGet(-w.text.length()); // another query built it meanwhile
        w = had;
      }
    }
    return w == TOO_BIG ? null : w;
  }

  /**
   * A merged-segment warmer ({@link
   * org.apache.lucene.index.IndexWriterConfig#setMergedSegmentWarmer}): once a search has used
   * whole words, builds a merged segment's before searches see the segment, so that the first
   * punctuated needle after a merge does not pay the walk of its dictionary.
   */
  public static void warm(LeafReader reader) throws IOException {
    if (used) {
      Terms t = reader.terms(LogPartition.F_LINE);
      if (t != null) {
        of(t);
      }
    }
  }

  /** Whether a segment's terms have been looked at (built, or found too big). */
  static boolean cached(Terms terms) {
    return CACHE.containsKey(terms);
  }

  /**
   * Walks every term once; TOO_BIG above {@code limit} bytes. The bytes go into chunks (up to 1
   * MiB) and then once into the string: growing one array would copy it about nine times over (and,
   * at tens of MiB, make garbage the serial collector grows the heap for).
   */
  static WholeWords build(Terms terms, long limit) throws IOException {
    TermsEnum te = terms.iterator();
    List<byte[]> full = new ArrayList<>();
    byte[] chunk = new byte[4096]; // chunks double up to CHUNK: small segments stay small
    int at = 0; // in chunk
    long len = 0;
    int count = 0;
    long max = Math.min(limit, ArrayUtil.MAX_ARRAY_LENGTH);
    for (BytesRef t = te.next(); t != null; t = te.next()) {
      if (t.compareTo(StrayWords.LOW) >= 0 && t.compareTo(StrayWords.HIGH) < 0 && !stray(t)) {
        continue;
      }
      len += t.length + 1;
      if (len > max) {
        return TOO_BIG;
      }
      for (int i = t.offset, e = t.offset + t.length; i <= e; i++) {
        byte b = i < e ? t.bytes[i] : (byte) '\n';
        if (b == '\n' && i < e) {
          return TOO_BIG;
        }
        if (at == chunk.length) {
          full.add(chunk);
          chunk = new byte[Math.min(CHUNK, 2 * chunk.length)];
          at = 0;
        }
        chunk[at++] = b;
      }
      count++;
    }
    byte[] all = new byte[(int) len];
    int pos = 0;
    for (byte[] c : full) {
      System.arraycopy(c, 0, all, pos, c.length);
      pos += c.length;
    }
    System.arraycopy(chunk, 0, all, pos, at);
    full.clear();
    return new WholeWords(new String(all, StandardCharsets.ISO_8859_1), count);
  }

  /** Whether a term of the marks' range is a whole word (a non-word char after its first char). */
  private static boolean stray(BytesRef t) {
    String w = t.utf8ToString();
    for (int i = 1; i < w.length(); i++) {
      if (!LogTokens.isWordChar(w.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  /** How many terms are kept. */
  public int size() {
    return count;
  }

  /** Bytes of heap the terms take (one per byte of UTF-8, plus a separator each). */
  public long bytes() {
    return text.length();
  }

  /**
   * The kept terms that contain {@code word} (a non-empty string without {@code '\n'}), in
   * dictionary order.
   */
  public List<BytesRef> containing(String word) {
    if (word.isEmpty() || word.indexOf('\n') >= 0) {
      throw new IllegalArgumentException(
          "BUG: cannot look up whole words containing '" + word + "': empty or has a newline");
    }
    String needle = new String(word.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    List<BytesRef> out = new ArrayList<>();
    String s = text;
    int at = s.indexOf(needle);
    while (at >= 0) {
      int start = s.lastIndexOf('\n', at) + 1;
      int end = s.indexOf('\n', at + needle.length());
      out.add(new BytesRef(s.substring(start, end).getBytes(StandardCharsets.ISO_8859_1)));
      at = s.indexOf(needle, end + 1);
    }
    return out;
  }
}
