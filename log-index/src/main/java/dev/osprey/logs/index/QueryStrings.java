package dev.osprey.logs.index;

import dev.osprey.core.http.ApiException;
import dev.osprey.core.labels.Labels;
import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.index.Term;
import org.apache.lucene.queryparser.classic.ParseException;
import org.apache.lucene.queryparser.classic.QueryParser;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopFieldDocs;
import org.apache.lucene.search.uhighlight.UnifiedHighlighter;

/** The dashboard's Lucene query-string mode: parsing and highlighting. */
final class QueryStrings {
  private QueryStrings() {}

  /**
   * A parsed query string. The line field has no positions, so a quoted phrase is the conjunction
   * of its words; when every phrase is required (a top-level MUST), hits are verified to hold the
   * words in sequence.
   */
  record Parsed(Query query, List<String> phrases) {}

  /** Exposes the field query of partitions written with older terms ({@link #parse}). */
  private static final class OlderTerms extends QueryParser {
    OlderTerms(LogTokens.Terms terms) {
      super(LogPartition.F_LINE, new LogAnalyzer(terms));
      setDefaultOperator(QueryParser.Operator.AND);
    }

    Query words(String text) throws ParseException {
      return super.getFieldQuery(LogPartition.F_LINE, text, false);
    }
  }

  /**
   * Classic query syntax; {@code name:value} on any field but {@code line} is a stream label. Words
   * and phrases with a {@code /} match the terms of {@link LogTokens.Terms#V1} partitions too (the
   * only place where the term versions differ); {@code foo*} and {@code f?o} match the current
   * ones.
   */
  static Parsed parse(String q) {
    Map<Query, String> phrases = new IdentityHashMap<>();
    OlderTerms v1 = new OlderTerms(LogTokens.Terms.V1);
    QueryParser p =
        new QueryParser(LogPartition.F_LINE, new LogAnalyzer()) {
          /** {@code foo*}: a coarse token or a part (behind its mark) that starts so. */
          @Override
          protected Query getPrefixQuery(String field, String termStr) throws ParseException {
            Query raw = super.getPrefixQuery(field, termStr);
            if (!field.equals(LogPartition.F_LINE)) {
              return raw;
            }
            String p = LogTokens.normalize(termStr);
            return anyOf(
                raw,
                new org.apache.lucene.search.AutomatonQuery(
                    new Term(LogPartition.F_LINE, p + "*"),
                    LogTokens.parts(
                        Math.max(1, p.length()),
                        p,
                        org.apache.lucene.util.automaton.Operations.concatenate(
                            List.of(
                                org.apache.lucene.util.automaton.Automata.makeString(p),
                                org.apache.lucene.util.automaton.Automata.makeAnyString())))));
          }

          /** {@code f?o*}: a coarse token or a part (behind its mark) that matches. */
          @Override
          protected Query getWildcardQuery(String field, String termStr) throws ParseException {
            Query raw = super.getWildcardQuery(field, termStr);
            if (!field.equals(LogPartition.F_LINE)) {
              return raw;
            }
            String w = LogTokens.normalize(termStr);
            return anyOf(
                raw,
                new org.apache.lucene.search.AutomatonQuery(
                    new Term(LogPartition.F_LINE, w),
                    LogTokens.parts(
                        1,
                        "",
                        org.apache.lucene.search.WildcardQuery.toAutomaton(
                            new Term(LogPartition.F_LINE, w),
                            org.apache.lucene.util.automaton.Operations
                                .DEFAULT_DETERMINIZE_WORK_LIMIT))));
          }

          @Override
          protected Query getFieldQuery(String field, String text, boolean quoted)
              throws ParseException {
            if (!field.equals(LogPartition.F_LINE)) {
              return new StreamLabelQuery(field, text);
            }
            boolean differs = text.indexOf('/') >= 0;
            if (!quoted) {
              Query now = super.getFieldQuery(field, text, false);
              Query old = differs && now != null ? v1.words(text) : null;
              return old != null ? anyOf(now, old) : now;
            }
            Query pq = allOf(LogTokens.needleTerms(" " + text + " "));
            if (differs) {
              pq = anyOf(pq, allOf(LogTokens.needleTerms(" " + text + " ", LogTokens.Terms.V1)));
            }
            phrases.put(pq, text);
            return pq;
          }
        };
    p.setDefaultOperator(QueryParser.Operator.AND);
    p.setAllowLeadingWildcard(false);
    Query parsed;
    try {
      parsed = p.parse(q);
    } catch (ParseException e) {
      throw ApiException.badData("cannot parse query string: " + e.getMessage());
    }
    List<String> verify = new ArrayList<>();
    if (phrases.containsKey(parsed)) {
      verify.add(phrases.get(parsed));
    } else if (parsed instanceof BooleanQuery bq) {
      for (BooleanClause c : bq.clauses()) {
        if (phrases.containsKey(c.query()) && c.isRequired()) {
          verify.add(phrases.get(c.query()));
        }
      }
    }
    if (verify.size() != phrases.size()) {
      verify.clear(); // a phrase under OR or NOT: its words only
    }
    return new Parsed(parsed, verify);
  }

  /** The conjunction of a needle's exact terms. */
  private static Query allOf(LogTokens.Needle n) {
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    for (String t : n.terms()) {
      b.add(new TermQuery(new Term(LogPartition.F_LINE, t)), BooleanClause.Occur.MUST);
    }
    return b.build();
  }

  private static Query anyOf(Query a, Query b) {
    return new BooleanQuery.Builder()
        .add(a, BooleanClause.Occur.SHOULD)
        .add(b, BooleanClause.Occur.SHOULD)
        .setMinimumNumberShouldMatch(1)
        .build();
  }

  /** Lower-cased words separated by single spaces, framed by spaces. */
  static String words(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append(' ');
    boolean space = true;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (LogTokens.isWordChar(c)) {
        b.append(Character.toLowerCase(c));
        space = false;
      } else if (!space) {
        b.append(' ');
        space = true;
      }
    }
    if (!space) {
      b.append(' ');
    }
    return b.toString();
  }

  static void highlight(
      IndexSearcher s, Query filtered, Parsed parsed, int limit, List<LogStore.Highlighted> out)
      throws IOException {
    Query q = parsed.query();
    int stopAt = out.size() + limit;
    List<String> phrases = new ArrayList<>();
    for (String ph : parsed.phrases()) {
      phrases.add(words(ph));
    }
    Sort sort = new Sort(new SortField(LogPartition.F_TS, SortField.Type.LONG, true));
    TopFieldDocs top =
        s.search(filtered, Math.max(1, phrases.isEmpty() ? limit : limit * 10), sort);
    if (top.scoreDocs.length == 0) {
      return;
    }
    UnifiedHighlighter h =
        UnifiedHighlighter.builder(s, new LogAnalyzer())
            .withBreakIterator(org.apache.lucene.search.uhighlight.WholeBreakIterator::new)
            .withMaxLength(1 << 20)
            .build();
    String[] hl = h.highlight(LogPartition.F_LINE, q, top, 1);
    List<org.apache.lucene.index.LeafReaderContext> leaves = s.getIndexReader().leaves();
    for (int i = 0; i < top.scoreDocs.length; i++) {
      ScoreDoc sd = top.scoreDocs[i];
      int li = org.apache.lucene.index.ReaderUtil.subIndex(sd.doc, leaves);
      var ctx = leaves.get(li);
      int d = sd.doc - ctx.docBase;
      var sdv = ctx.reader().getSortedDocValues(LogPartition.F_STREAM);
      Labels labels = Labels.EMPTY;
      if (sdv != null && sdv.advanceExact(d)) {
        var b = sdv.lookupOrd(sdv.ordValue());
        labels = Tenants.strip(Codec.decodeLabels(b.bytes, b.offset, b.length));
      }
      String line = s.storedFields().document(sd.doc).get(LogPartition.F_LINE);
      if (!phrases.isEmpty()) {
        String w = words(line);
        if (!phrases.stream().allMatch(w::contains)) {
          continue;
        }
      }
      if (out.size() >= stopAt) {
        return;
      }
      long t = (Long) ((org.apache.lucene.search.FieldDoc) sd).fields[0];
      out.add(new LogStore.Highlighted(labels, t, line, hl[i] != null ? hl[i] : line));
    }
  }
}
