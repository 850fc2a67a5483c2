package dev.osprey.logs.index;

import java.io.IOException;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.OffsetAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;

/**
 * The analyzer of the {@code line} field: see {@link LogTokens} for the rules. A coarse token with
 * inner punctuation is emitted whole, then its parts, the first part at the same position as the
 * whole token, so a phrase query analyzed the same way matches across both.
 */
public final class LogAnalyzer extends Analyzer {
  private final LogTokens.Terms terms;

  /** The analyzer of {@link LogTokens#CURRENT} terms. */
  public LogAnalyzer() {
    this(LogTokens.CURRENT);
  }

  /** The analyzer of partitions written with {@code terms}. */
  public LogAnalyzer(LogTokens.Terms terms) {
    this.terms = terms;
  }

  @Override
  protected TokenStreamComponents createComponents(String fieldName) {
    return new TokenStreamComponents(new LogTokenizer(terms));
  }

  /**
   * Reads the whole value (lines are bounded in size) into a char array and walks it once per
   * token; ASCII chars are classified through a table. Emits exactly the tokens {@link LogTokens}
   * describes.
   */
  static final class LogTokenizer extends Tokenizer {
    private static final byte SEP = 1;
    private static final byte WORD = 2;
    private static final byte TRIM = 4;
    private static final byte[][] ASCII = new byte[LogTokens.Terms.values().length][128];

    static {
      for (LogTokens.Terms t : LogTokens.Terms.values()) {
        for (char c = 0; c < 128; c++) {
          ASCII[t.ordinal()][c] =
              (byte)
                  ((t.isCoarseSeparator(c) ? SEP : 0)
                      | (LogTokens.isWordChar(c) ? WORD : 0)
                      | (c == '.' || c == ':' ? TRIM : 0));
        }
      }
    }

    private final byte[] ascii;

    LogTokenizer(LogTokens.Terms terms) {
      this.ascii = ASCII[terms.ordinal()];
    }

    private boolean isSep(char c) {
      return c < 128 ? (ascii[c] & SEP) != 0 : LogTokens.isCoarseSeparator(c);
    }

    private boolean isWord(char c) {
      return c < 128 ? (ascii[c] & WORD) != 0 : LogTokens.isWordChar(c);
    }

    private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
    private final OffsetAttribute offset = addAttribute(OffsetAttribute.class);
    private final PositionIncrementAttribute posInc =
        addAttribute(PositionIncrementAttribute.class);
    private char[] buf = new char[1024];
    private int len;
    private int pos; // scan position in buf
    private int coarseEnd; // current coarse token, when emitting parts
    private int partPos; // next part scan position, or -1 when none pending
    private boolean afterWhole; // the next part shares the whole token's position

    @Override
    public void reset() throws IOException {
      super.reset();
      len = 0;
      while (true) {
        if (len == buf.length) {
          buf = java.util.Arrays.copyOf(buf, buf.length * 2);
        }
        int n = input.read(buf, len, buf.length - len);
        if (n < 0) {
          break;
        }
        len += n;
      }
      pos = 0;
      partPos = -1;
    }

    @Override
    public boolean incrementToken() {
      clearAttributes();
      final char[] b = buf;
      final int n = len;
      while (true) {
        if (partPos >= 0) {
          if (nextPart()) {
            return true;
          }
          partPos = -1;
        }
        while (pos < n && isSep(b[pos])) {
          pos++;
        }
        if (pos >= n) {
          return false;
        }
        int s = pos;
        boolean punct = false;
        while (pos < n && !isSep(b[pos])) {
          punct |= !isWord(b[pos]);
          pos++;
        }
        int e = pos;
        if (punct) { // trim the leading and trailing .: (only non-word chars can be trimmed)
          while (s < e && (b[s] == '.' || b[s] == ':')) {
            s++;
          }
          while (e > s && (b[e - 1] == '.' || b[e - 1] == ':')) {
            e--;
          }
          if (s == e) {
            continue;
          }
          punct = false;
          for (int i = s; i < e; i++) {
            if (!isWord(b[i])) {
              punct = true;
              break;
            }
          }
        }
        coarseEnd = e;
        partPos = s;
        afterWhole = false;
        if (punct) {
          if (e - s <= LogTokens.MAX_TERM) {
            emit(s, e, 1, false);
            afterWhole = true;
          } else { // too long to index whole: mark the line instead
            term.setEmpty().append(LogTokens.LONG_WORD);
            offset.setOffset(correctOffset(s), correctOffset(e));
            posInc.setPositionIncrement(1);
          }
          return true;
        }
      }
    }

    private boolean nextPart() {
      final char[] b = buf;
      int i = partPos;
      int end = coarseEnd;
      while (i < end && !isWord(b[i])) {
        i++;
      }
      if (i >= end) {
        partPos = end;
        return false;
      }
      int s = i;
      while (i < end && isWord(b[i])) {
        i++;
      }
      partPos = i;
      if (i - s > LogTokens.MAX_TERM) {
        term.setEmpty().append(LogTokens.LONG_WORD);
        offset.setOffset(correctOffset(s), correctOffset(i));
        posInc.setPositionIncrement(1);
        afterWhole = false;
        return true;
      }
      emit(s, i, afterWhole ? 0 : 1, true);
      afterWhole = false;
      return true;
    }

    /** A term; a part gets its mark (length and class, see {@link LogTokens#part}). */
    private void emit(int s, int e, int inc, boolean part) {
      int k = part ? 1 : 0;
      char[] t = term.resizeBuffer(e - s + k);
      final char[] b = buf;
      boolean hex = true;
      for (int i = s; i < e; i++) {
        char c = b[i];
        char l;
        if (c < 128) {
          l = c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
        } else {
          l = Character.isUpperCase(c) ? Character.toLowerCase(c) : c;
        }
        hex &= (l >= '0' && l <= '9') || (l >= 'a' && l <= 'f');
        t[k++] = l;
      }
      if (part) {
        t[0] = LogTokens.mark(e - s, hex);
      }
      term.setLength(k);
      offset.setOffset(correctOffset(s), correctOffset(e));
      posInc.setPositionIncrement(inc);
    }

    @Override
    public void end() throws IOException {
      super.end();
      int f = correctOffset(len);
      offset.setOffset(f, f);
    }
  }
}
