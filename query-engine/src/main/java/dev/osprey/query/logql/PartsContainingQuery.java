package dev.osprey.query.logql;

import dev.osprey.logs.index.LogTokens;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.lucene.index.FilteredTermsEnum;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.MultiTermQuery;
import org.apache.lucene.search.QueryVisitor;
import org.apache.lucene.util.AttributeSource;
import org.apache.lucene.util.BytesRef;

/**
 * Lines with a marked part (see {@link LogTokens#part}) of length {@code minLength} or more that
 * contains {@code text} (ends with it, when {@code suffix}). The dictionary is walked only over the
 * mark ranges of those lengths in the classes a part holding {@code text} can have: a seek and a
 * short walk, where a {@code *text*} wildcard walks every term. Built without an automaton, so
 * building it costs nothing either.
 */
final class PartsContainingQuery extends MultiTermQuery {
  private final String text;
  private final int minLength;
  private final boolean suffix;
  private final byte[] needle;
  private final BytesRef[] lows;
  private final BytesRef[] highs;

  PartsContainingQuery(String field, String text, int minLength, boolean suffix) {
    super(field, CONSTANT_SCORE_BLENDED_REWRITE);
    this.text = text;
    this.minLength = minLength;
    this.suffix = suffix;
    this.needle = text.getBytes(StandardCharsets.UTF_8);
    List<BytesRef> lo = new ArrayList<>();
    List<BytesRef> hi = new ArrayList<>();
    if (minLength <= LogTokens.MAX_TERM) {
      // hex marks sort before non-hex ones
      if (LogTokens.isHexOnly(text)) {
        lo.add(new BytesRef(String.valueOf(LogTokens.mark(minLength, true))));
        hi.add(new BytesRef(String.valueOf((char) (LogTokens.mark(LogTokens.MAX_TERM, true) + 1))));
      }
      lo.add(new BytesRef(String.valueOf(LogTokens.mark(minLength, false))));
      hi.add(new BytesRef(String.valueOf((char) (LogTokens.mark(LogTokens.MAX_TERM, false) + 1))));
    }
    this.lows = lo.toArray(new BytesRef[0]);
    this.highs = hi.toArray(new BytesRef[0]);
  }

  /** Whether a marked term's text (after its 3-byte mark) holds the needle. */
  private boolean matches(BytesRef term) {
    int from = term.offset + 3;
    int end = term.offset + term.length;
    if (end - from < needle.length) {
      return false;
    }
    if (suffix) {
      return java.util.Arrays.equals(
          term.bytes, end - needle.length, end, needle, 0, needle.length);
    }
    for (int i = from; i + needle.length <= end; i++) {
      if (java.util.Arrays.equals(term.bytes, i, i + needle.length, needle, 0, needle.length)) {
        return true;
      }
    }
    return false;
  }

  @Override
  protected TermsEnum getTermsEnum(Terms terms, AttributeSource atts) throws IOException {
    if (lows.length == 0) {
      return TermsEnum.EMPTY;
    }
    return new FilteredTermsEnum(terms.iterator(), true) {
      private int range;
      private boolean started;

      @Override
      protected BytesRef nextSeekTerm(BytesRef current) {
        if (!started) {
          started = true;
          return lows[0];
        }
        return range < lows.length ? lows[range] : null;
      }

      @Override
      protected AcceptStatus accept(BytesRef term) {
        while (term.compareTo(highs[range]) >= 0) {
          range++;
          if (range == lows.length) {
            return AcceptStatus.END;
          }
          if (term.compareTo(lows[range]) < 0) {
            return AcceptStatus.NO_AND_SEEK;
          }
        }
        return matches(term) ? AcceptStatus.YES : AcceptStatus.NO;
      }
    };
  }

  @Override
  public void visit(QueryVisitor visitor) {
    if (visitor.acceptField(field)) {
      visitor.visitLeaf(this);
    }
  }

  @Override
  public String toString(String f) {
    return field + ":parts[>=" + minLength + "]:*" + text + (suffix ? "" : "*");
  }

  @Override
  public boolean equals(Object o) {
    return super.equals(o)
        && o instanceof PartsContainingQuery p
        && p.text.equals(text)
        && p.minLength == minLength
        && p.suffix == suffix;
  }

  @Override
  public int hashCode() {
    return Objects.hash(super.hashCode(), text, minLength, suffix);
  }
}
