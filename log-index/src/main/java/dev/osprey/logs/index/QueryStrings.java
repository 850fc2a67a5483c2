package dev.osprey.logs.index;

import dev.osprey.core.http.ApiException;
import dev.osprey.core.labels.Labels;
import java.io.IOException;
import java.util.List;
import org.apache.lucene.index.Term;
import org.apache.lucene.queryparser.classic.ParseException;
import org.apache.lucene.queryparser.classic.QueryParser;
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

  /** Classic query syntax; {@code name:value} on any field but {@code line} is a stream label. */
  static Query parse(String q) {
    QueryParser p =
        new QueryParser(LogPartition.F_LINE, new LogAnalyzer()) {
          @Override
          protected Query getFieldQuery(String field, String text, boolean quoted)
              throws ParseException {
            if (!field.equals(LogPartition.F_LINE)) {
              return new TermQuery(new Term(LogPartition.LABEL_PREFIX + field, text));
            }
            return super.getFieldQuery(field, text, quoted);
          }
        };
    p.setDefaultOperator(QueryParser.Operator.AND);
    p.setAllowLeadingWildcard(false);
    try {
      return p.parse(q);
    } catch (ParseException e) {
      throw ApiException.badData("cannot parse query string: " + e.getMessage());
    }
  }

  static void highlight(
      IndexSearcher s, Query filtered, Query q, int limit, List<LogStore.Highlighted> out)
      throws IOException {
    Sort sort = new Sort(new SortField(LogPartition.F_TS, SortField.Type.LONG, true));
    TopFieldDocs top = s.search(filtered, Math.max(1, limit), sort);
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
        labels = Codec.decodeLabels(b.bytes, b.offset, b.length);
      }
      String line = s.storedFields().document(sd.doc).get(LogPartition.F_LINE);
      long t = (Long) ((org.apache.lucene.search.FieldDoc) sd).fields[0];
      out.add(new LogStore.Highlighted(labels, t, line, hl[i] != null ? hl[i] : line));
    }
  }
}
