package dev.osprey.logs.index;

import java.io.IOException;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.OffsetAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;

/**
 * The line analyzer as it was before its tokenizer was rewritten for speed (2026-12-03): the
 * reference that {@link LogAnalyzerTest} compares the current one with.
 */
final class ReferenceLogAnalyzer extends Analyzer {
  private final LogTokens.Terms terms;

  ReferenceLogAnalyzer() {
    this(LogTokens.CURRENT);
  }

  /** The reference of {@code new LogAnalyzer(terms)}. */
  ReferenceLogAnalyzer(LogTokens.Terms terms) {
    this.terms = terms;
  }

  @Override
  protected TokenStreamComponents createComponents(String fieldName) {
    return new TokenStreamComponents(new LogTokenizer(terms));
  }

  /** Reads the whole value (lines are bounded in size) and walks it. */
  static final class LogTokenizer extends Tokenizer {
    private final LogTokens.Terms terms;

    LogTokenizer(LogTokens.Terms terms) {
      this.terms = terms;
    }

    private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
    private final OffsetAttribute offset = addAttribute(OffsetAttribute.class);
    private final PositionIncrementAttribute posInc =
        addAttribute(PositionIncrementAttribute.class);
    private final StringBuilder buf = new StringBuilder();
    private final char[] chunk = new char[4096];
    private int pos; // scan position in buf
    private int coarseStart;
    private int coarseEnd; // current coarse token, when emitting parts
    private int partPos; // next part scan position, or -1 when none pending
    private boolean afterWhole; // the next part shares the whole token's position

    @Override
    public void reset() throws IOException {
      super.reset();
      buf.setLength(0);
      int n;
      while ((n = input.read(chunk)) > 0) {
        buf.append(chunk, 0, n);
      }
      pos = 0;
      partPos = -1;
    }

    @Override
    public boolean incrementToken() {
      clearAttributes();
      while (true) {
        if (partPos >= 0) {
          if (nextPart()) {
            return true;
          }
          partPos = -1;
        }
        int n = buf.length();
        while (pos < n && terms.isCoarseSeparator(buf.charAt(pos))) {
          pos++;
        }
        if (pos >= n) {
          return false;
        }
        int s = pos;
        while (pos < n && !terms.isCoarseSeparator(buf.charAt(pos))) {
          pos++;
        }
        int[] t = LogTokens.trimCoarse(buf, s, pos);
        if (t == null) {
          continue;
        }
        coarseStart = t[0];
        coarseEnd = t[1];
        partPos = coarseStart;
        afterWhole = false;
        if (LogTokens.hasInnerPunct(buf, coarseStart, coarseEnd)) {
          if (coarseEnd - coarseStart <= LogTokens.MAX_TERM) {
            emit(coarseStart, coarseEnd, 1, false);
            afterWhole = true;
          } else { // too long to index whole: mark the line instead
            term.setEmpty().append(LogTokens.LONG_WORD);
            offset.setOffset(correctOffset(coarseStart), correctOffset(coarseEnd));
            posInc.setPositionIncrement(1);
          }
          return true;
        }
      }
    }

    private boolean nextPart() {
      int i = partPos;
      while (i < coarseEnd) {
        while (i < coarseEnd && !LogTokens.isWordChar(buf.charAt(i))) {
          i++;
        }
        if (i >= coarseEnd) {
          break;
        }
        int s = i;
        while (i < coarseEnd && LogTokens.isWordChar(buf.charAt(i))) {
          i++;
        }
        if (i - s > LogTokens.MAX_TERM) {
          partPos = i;
          term.setEmpty().append(LogTokens.LONG_WORD);
          offset.setOffset(correctOffset(s), correctOffset(i));
          posInc.setPositionIncrement(1);
          afterWhole = false;
          return true;
        }
        partPos = i;
        emit(s, i, afterWhole ? 0 : 1, true);
        afterWhole = false;
        return true;
      }
      partPos = coarseEnd;
      return false;
    }

    /** A term; a part gets its mark (length and class, see {@link LogTokens#part}). */
    private void emit(int s, int e, int inc, boolean part) {
      term.setEmpty();
      if (part) {
        term.append(LogTokens.PART_MARK);
      }
      boolean hex = true;
      for (int i = s; i < e; i++) {
        char c = buf.charAt(i);
        char l = Character.isUpperCase(c) ? Character.toLowerCase(c) : c;
        hex &= (l >= '0' && l <= '9') || (l >= 'a' && l <= 'f');
        term.append(l);
      }
      if (part) {
        term.buffer()[0] = LogTokens.mark(e - s, hex);
      }
      offset.setOffset(correctOffset(s), correctOffset(e));
      posInc.setPositionIncrement(inc);
    }

    @Override
    public void end() throws IOException {
      super.end();
      int f = correctOffset(buf.length());
      offset.setOffset(f, f);
    }
  }
}
