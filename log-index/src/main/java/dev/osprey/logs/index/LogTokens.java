package dev.osprey.logs.index;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The log-aware tokenization rules, shared by the analyzer (index side) and the line-filter
 * translation (query side) so that both agree on what a term is.
 *
 * <p>A line splits into <em>coarse tokens</em> at whitespace, bracketing punctuation and slashes
 * ({@code "'` ()[]{}<>,;=|/}; before {@link Terms#V2} not at {@code /}); trailing and leading
 * {@code .:} are trimmed. A coarse token that contains inner punctuation (an IP {@code 10.0.0.1}, a
 * UUID, {@code app.js}, {@code user_id}) is indexed whole, and each maximal run of letters and
 * digits inside it (a <em>part</em>) is indexed too, so {@code 10.0.0.1} is findable as {@code
 * 10.0.0.1} and as {@code 10}, {@code 0}, {@code 1}. Terms are lower-cased; terms longer than
 * {@link #MAX_TERM} chars are not indexed.
 *
 * <p>A part is indexed behind a <em>mark</em>, one private-use char that says its length and
 * whether it is all hex digits ({@link #part}). A needle that is one bare word ({@code |=
 * "kaleidoscope"}, a trace id) may sit inside a longer part, so it cannot be one exact term; with
 * the mark, the parts that could hold it are the exact term plus the longer parts of its class, a
 * small corner of the dictionary, instead of a walk over every term (unique ids and numbers make
 * most of them).
 */
public final class LogTokens {
  /** Longest term indexed; longer words are skipped on both sides. */
  public static final int MAX_TERM = 255;

  /**
   * Indexed (once per skipped word) for a line holding a word longer than {@link #MAX_TERM}, so
   * that a query looking for a part of a word can still find such lines.
   */
  public static final String LONG_WORD = "\u0001long";

  /** The mark of a hex-only part of length 0; add the length, and {@link #NON_HEX} otherwise. */
  public static final char PART_MARK = '\uE000';

  static final int NON_HEX = 256;

  private LogTokens() {}

  /** Whether every char is a lower-case hex digit (a part's class). */
  public static boolean isHexOnly(CharSequence s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  /** The indexed term of a normalized part (at most {@link #MAX_TERM} chars): mark, then text. */
  public static String part(String normalized) {
    return mark(normalized.length(), isHexOnly(normalized)) + normalized;
  }

  public static char mark(int length, boolean hexOnly) {
    return (char) (PART_MARK + (hexOnly ? 0 : NON_HEX) + length);
  }

  /** Whether a term is a marked part. */
  public static boolean isPart(String term) {
    return !term.isEmpty()
        && term.charAt(0) >= PART_MARK
        && term.charAt(0) < PART_MARK + 2 * NON_HEX;
  }

  /** The text of a term: a part without its mark, other terms as they are. */
  public static String text(String term) {
    return isPart(term) ? term.substring(1) : term;
  }

  /**
   * The part terms of length {@code minLength} to {@link #MAX_TERM} whose text {@code text}
   * accepts, in the classes a part holding {@code needle} can have (a needle with a non-hex char is
   * only in non-hex parts). Deterministic, for an {@code AutomatonQuery}.
   */
  public static org.apache.lucene.util.automaton.Automaton parts(
      int minLength, String needle, org.apache.lucene.util.automaton.Automaton text) {
    if (minLength > MAX_TERM) {
      return org.apache.lucene.util.automaton.Automata.makeEmpty();
    }
    List<org.apache.lucene.util.automaton.Automaton> marks = new ArrayList<>();
    marks.add(
        org.apache.lucene.util.automaton.Automata.makeCharRange(
            mark(minLength, false), mark(MAX_TERM, false)));
    if (isHexOnly(needle)) {
      marks.add(
          org.apache.lucene.util.automaton.Automata.makeCharRange(
              mark(minLength, true), mark(MAX_TERM, true)));
    }
    return org.apache.lucene.util.automaton.Operations.determinize(
        org.apache.lucene.util.automaton.Operations.concatenate(
            List.of(org.apache.lucene.util.automaton.Operations.union(marks), text)),
        org.apache.lucene.util.automaton.Operations.DEFAULT_DETERMINIZE_WORK_LIMIT);
  }

  /**
   * The term forms a partition was written with, part of its format (log-partition.md, "Terms").
   * They differ only at {@code /}: a line's parts are the same in both, and a needle without a
   * {@code /} has the same terms in both.
   */
  public enum Terms {
    /**
     * Until 2026-12-04: {@code /} is inside coarse tokens, so a path ({@code /api/v1/users/12675})
     * is also indexed whole: one unique term per request line.
     */
    V1,
    /**
     * {@code /} separates coarse tokens: a path is its segments ({@code api}, {@code v1}, ...; a
     * segment with inner punctuation such as {@code app.js} whole too), never one whole term.
     */
    V2;

    /** Whether {@code c} separates coarse tokens in these terms. */
    public boolean isCoarseSeparator(char c) {
      return c == '/' ? this != V1 : LogTokens.isCoarseSeparator(c);
    }
  }

  /** The terms written into partitions created by this version. */
  public static final Terms CURRENT = Terms.V2;

  /**
   * Whether {@code c} separates coarse tokens in {@link #CURRENT} terms (in every version but at
   * {@code /}, see {@link Terms#isCoarseSeparator}).
   */
  public static boolean isCoarseSeparator(char c) {
    if (Character.isWhitespace(c)) {
      return true;
    }
    return switch (c) {
      case '"', '\'', '`', '(', ')', '[', ']', '{', '}', '<', '>', ',', ';', '=', '|', '/' -> true;
      default -> false;
    };
  }

  /** Whether {@code c} belongs to a part (letters and digits). */
  public static boolean isWordChar(char c) {
    return Character.isLetterOrDigit(c);
  }

  private static boolean isTrim(char c) {
    return c == '.' || c == ':';
  }

  /** Lower-cases a term the way the index does. */
  public static String normalize(String s) {
    return s.toLowerCase(Locale.ROOT);
  }

  /**
   * Trims a coarse token [start, end) of its leading and trailing {@code .:}; returns {start, end}
   * or null when nothing is left.
   */
  static int[] trimCoarse(CharSequence s, int start, int end) {
    while (start < end && isTrim(s.charAt(start))) {
      start++;
    }
    while (end > start && isTrim(s.charAt(end - 1))) {
      end--;
    }
    return start < end ? new int[] {start, end} : null;
  }

  /** Whether a coarse token holds a non-word char, so it is indexed whole besides its parts. */
  static boolean hasInnerPunct(CharSequence s, int start, int end) {
    for (int i = start; i < end; i++) {
      if (!isWordChar(s.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The terms every line that contains {@code needle} as a substring must have in the index: the
   * parts that the needle holds entirely (bounded by non-word chars inside the needle), and the
   * coarse tokens it holds entirely. An empty list means the index cannot narrow the search.
   *
   * <p>Each returned term is already normalized, parts with their mark. A part cut at the needle's
   * end on the right only is returned in {@code prefixes} (the line's part starts with it); parts
   * cut on the left in {@code infixes}; both without a mark.
   */
  public static Needle needleTerms(String needle) {
    return needleTerms(needle, CURRENT);
  }

  /** {@link #needleTerms(String)} in the terms of partitions written as {@code version}. */
  public static Needle needleTerms(String needle, Terms version) {
    List<String> terms = new ArrayList<>();
    List<String> prefixes = new ArrayList<>();
    List<Infix> infixes = new ArrayList<>();
    int n = needle.length();
    // parts
    int i = 0;
    while (i < n) {
      if (!isWordChar(needle.charAt(i))) {
        i++;
        continue;
      }
      int s = i;
      while (i < n && isWordChar(needle.charAt(i))) {
        i++;
      }
      boolean leftClosed = s > 0;
      boolean rightClosed = i < n;
      String part = needle.substring(s, i);
      if (part.length() > MAX_TERM) {
        continue;
      }
      if (leftClosed && rightClosed) {
        terms.add(part(normalize(part)));
      } else if (leftClosed) {
        prefixes.add(normalize(part));
      } else {
        infixes.add(new Infix(normalize(part), rightClosed));
      }
    }
    // coarse tokens bounded by separators inside the needle
    i = 0;
    while (i < n) {
      if (version.isCoarseSeparator(needle.charAt(i))) {
        i++;
        continue;
      }
      int s = i;
      while (i < n && !version.isCoarseSeparator(needle.charAt(i))) {
        i++;
      }
      if (s > 0 && i < n) {
        int[] t = trimCoarse(needle, s, i);
        if (t != null && t[1] - t[0] <= MAX_TERM && hasInnerPunct(needle, t[0], t[1])) {
          terms.add(normalize(needle.substring(t[0], t[1])));
        }
      }
    }
    return new Needle(List.copyOf(terms), List.copyOf(prefixes), List.copyOf(infixes));
  }

  /**
   * Terms (exact) and prefixes that a matching line's index entry must hold; {@code infixes} are
   * the parts cut on the left (a line term contains them, or ends with them when {@code suffix}),
   * usable through a term-dictionary scan.
   */
  public record Needle(List<String> terms, List<String> prefixes, List<Infix> infixes) {
    public boolean isEmpty() {
      return terms.isEmpty() && prefixes.isEmpty();
    }
  }

  /** A part of a needle that is a substring of some line term (its suffix when {@code suffix}). */
  public record Infix(String text, boolean suffix) {}
}
