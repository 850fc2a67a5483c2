package dev.osprey.logs.index;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.util.BytesRef;

/**
 * The whole words of a segment's line field that sort among the marked parts: terms whose first
 * char is in the marks' range U+E000-U+E1FF (a line's word that begins with such a private-use
 * char) and that hold a char other than letters and digits after it. A marked part holds only
 * letters and digits after its mark, so a search for a punctuated word (an IP prefix {@code
 * 10.42.17}) can skip the marks' range of the dictionary, which holds most of its terms, and ask
 * for these few words by name instead. Found by one walk over that range per segment, kept while
 * the segment's terms are reachable (keyed by the {@link Terms} instance, which a segment reader
 * keeps for its life).
 */
public final class StrayWords {
  /** Above this many, {@link #of} says null: the segment is searched with the full walk. */
  public static final int MAX = 1024;

  /** Cached for a segment with more than {@link #MAX} stray words (compared by identity). */
  private static final List<String> TOO_MANY = Collections.unmodifiableList(new ArrayList<>());

  /** The first term of the marks' range and the first after it, as UTF-8. */
  static final BytesRef LOW = new BytesRef(String.valueOf(LogTokens.PART_MARK));

  static final BytesRef HIGH =
      new BytesRef(String.valueOf((char) (LogTokens.PART_MARK + 2 * LogTokens.NON_HEX)));

  private static final Map<Terms, List<String>> CACHE =
      Collections.synchronizedMap(new WeakHashMap<>());

  private StrayWords() {}

  /**
   * The stray words of a segment's line terms, sorted; null when there are more than {@link #MAX}.
   * Walked on first use.
   */
  public static List<String> of(Terms terms) throws IOException {
    List<String> s = CACHE.get(terms);
    if (s == null) {
      s = scan(terms);
      CACHE.put(terms, s);
    }
    return s == TOO_MANY ? null : s;
  }

  static List<String> scan(Terms terms) throws IOException {
    TermsEnum te = terms.iterator();
    if (te.seekCeil(LOW) == TermsEnum.SeekStatus.END) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (BytesRef t = te.term(); t != null && t.compareTo(HIGH) < 0; t = te.next()) {
      if (plainPart(t)) {
        continue;
      }
      String w = t.utf8ToString();
      for (int i = 1; i < w.length(); i++) {
        if (!LogTokens.isWordChar(w.charAt(i))) {
          if (out.size() == MAX) {
            return TOO_MANY;
          }
          out.add(w);
          break;
        }
      }
    }
    return List.copyOf(out);
  }

  /** Whether the bytes after a term's 3-byte first char are ASCII letters and digits only. */
  private static boolean plainPart(BytesRef t) {
    for (int i = t.offset + 3, e = t.offset + t.length; i < e; i++) {
      byte b = t.bytes[i];
      if (!((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z'))) {
        return false;
      }
    }
    return true;
  }
}
