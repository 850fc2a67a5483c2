package dev.osprey.logs.index;

import dev.osprey.core.labels.Labels;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchNoDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.QueryVisitor;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.util.BytesRef;

/**
 * Lines whose stream has the label {@code name} equal to {@code value}. Lines carry no per-label
 * field: the query rewrites, per index, to the stream ids of the streams there that have the label
 * (read from the few values of the stream doc values).
 */
final class StreamLabelQuery extends Query {
  private final String name;
  private final String value;

  StreamLabelQuery(String name, String value) {
    this.name = Objects.requireNonNull(name);
    this.value = Objects.requireNonNull(value);
  }

  @Override
  public Query rewrite(IndexSearcher searcher) throws IOException {
    TreeSet<String> sids = new TreeSet<>();
    for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
      SortedDocValues sdv = leaf.reader().getSortedDocValues(LogPartition.F_STREAM);
      if (sdv == null) {
        continue;
      }
      TermsEnum te = sdv.termsEnum();
      for (BytesRef b = te.next(); b != null; b = te.next()) {
        Labels l = Codec.decodeLabels(b.bytes, b.offset, b.length);
        if (value.equals(l.get(name))) {
          sids.add(LogPartition.sid(l));
        }
      }
    }
    if (sids.isEmpty()) {
      return new MatchNoDocsQuery("no stream with " + name + "=" + value);
    }
    List<BytesRef> terms = new ArrayList<>(sids.size());
    for (String s : sids) {
      terms.add(new BytesRef(s));
    }
    return new TermInSetQuery(LogPartition.F_SID, terms);
  }

  @Override
  public void visit(QueryVisitor visitor) {
    visitor.visitLeaf(this);
  }

  @Override
  public String toString(String field) {
    return name + ":" + value;
  }

  @Override
  public boolean equals(Object o) {
    return sameClassAs(o)
        && name.equals(((StreamLabelQuery) o).name)
        && value.equals(((StreamLabelQuery) o).value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(classHash(), name, value);
  }
}
