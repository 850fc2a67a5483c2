package dev.osprey.query.logql;

import dev.osprey.logs.index.LogTokens;
import dev.osprey.logs.index.StrayWords;
import dev.osprey.logs.index.WholeWords;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.index.FilteredTermsEnum;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.MultiTermQuery;
import org.apache.lucene.search.QueryVisitor;
import org.apache.lucene.util.AttributeSource;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.automaton.Automata;
import org.apache.lucene.util.automaton.Automaton;
import org.apache.lucene.util.automaton.CompiledAutomaton;
import org.apache.lucene.util.automaton.Operations;

/**
 * Lines with a whole word (a coarse token with inner punctuation, indexed unmarked) that contains
 * {@code word}, a normalized word that holds a char other than letters and digits (an IP prefix
 * {@code 10.42.17}). A {@code *word*} wildcard walks every term of the line field; most of them are
 * marked parts ({@link LogTokens#part}), which hold only letters and digits after their mark and so
 * can never contain {@code word}. This query takes the segment's other terms from {@link
 * WholeWords} (an in-memory scan, then a seek per term found); for a segment that does not fit its
 * budget, it walks the terms outside the marks' range and takes the few whole words that sort
 * inside it ({@link StrayWords}) by name. Either way, the same terms as the wildcard.
 */
final class WholeWordsContainingQuery extends MultiTermQuery {
  private final String word;
  private final Automaton outside;
  private final CompiledAutomaton outsideCompiled;
  private final CompiledAutomaton everywhere;

  WholeWordsContainingQuery(String field, String word) {
    super(field, CONSTANT_SCORE_BLENDED_REWRITE);
    boolean punct = false;
    for (int i = 0; i < word.length(); i++) {
      punct |= !LogTokens.isWordChar(word.charAt(i));
    }
    if (!punct) {
      throw new IllegalArgumentException(
          "BUG: a whole-word search needs a punctuated word, got '" + word + "'");
    }
    this.word = word;
    Automaton any = Automata.makeAnyString();
    Automaton w = Automata.makeString(word);
    // first char outside the marks' range (and the word anywhere after it), or the word first
    Automaton first =
        Operations.union(
            List.of(
                Automata.makeCharRange(0, LogTokens.PART_MARK - 1),
                Automata.makeCharRange(
                    LogTokens.mark(LogTokens.MAX_TERM, false) + 1, Character.MAX_CODE_POINT)));
    this.outside =
        determinize(
            Operations.union(
                List.of(
                    Operations.concatenate(List.of(first, any, w, any)),
                    Operations.concatenate(List.of(w, any)))));
    this.outsideCompiled = new CompiledAutomaton(outside);
    this.everywhere =
        new CompiledAutomaton(determinize(Operations.concatenate(List.of(any, w, any))));
  }

  private static Automaton determinize(Automaton a) {
    return Operations.determinize(a, Operations.DEFAULT_DETERMINIZE_WORK_LIMIT);
  }

  @Override
  protected TermsEnum getTermsEnum(Terms terms, AttributeSource atts) throws IOException {
    WholeWords words = WholeWords.of(terms);
    if (words != null) {
      List<BytesRef> found = words.containing(word);
      return found.isEmpty() ? TermsEnum.EMPTY : seeking(terms.iterator(), found);
    }
    List<String> stray = StrayWords.of(terms);
    if (stray == null) {
      return everywhere.getTermsEnum(terms);
    }
    List<Automaton> named = new ArrayList<>();
    for (String s : stray) {
      if (s.contains(word)) {
        named.add(Automata.makeString(s));
      }
    }
    if (named.isEmpty()) {
      return outsideCompiled.getTermsEnum(terms);
    }
    named.add(outside);
    return new CompiledAutomaton(determinize(Operations.union(named))).getTermsEnum(terms);
  }

  /** Visits exactly {@code found}, dictionary terms in dictionary order, by seeking each. */
  private static TermsEnum seeking(TermsEnum te, List<BytesRef> found) {
    return new FilteredTermsEnum(te, true) {
      private int next;

      @Override
      protected BytesRef nextSeekTerm(BytesRef current) {
        return next < found.size() ? found.get(next++) : null;
      }

      @Override
      protected AcceptStatus accept(BytesRef term) {
        return term.bytesEquals(found.get(next - 1))
            ? AcceptStatus.YES_AND_SEEK
            : AcceptStatus.NO_AND_SEEK;
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
    return field + ":words:*" + word + "*";
  }

  @Override
  public boolean equals(Object o) {
    return super.equals(o) && o instanceof WholeWordsContainingQuery q && q.word.equals(word);
  }

  @Override
  public int hashCode() {
    return 31 * super.hashCode() + word.hashCode();
  }
}
