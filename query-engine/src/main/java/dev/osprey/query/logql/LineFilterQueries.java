package dev.osprey.query.logql;

import dev.osprey.logs.index.LogStore;
import dev.osprey.logs.index.LogTokens;
import dev.osprey.query.logql.Ast.*;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.AutomatonQuery;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.util.automaton.Automata;
import org.apache.lucene.util.automaton.Automaton;
import org.apache.lucene.util.automaton.Operations;

/**
 * Turns line filters into Lucene queries that every matching line satisfies (a necessary
 * condition), so the index finds candidates and the pipeline verifies them exactly. Only filters
 * before the first {@code line_format}, {@code unpack} or {@code decolorize} (which change the
 * line) are used; negative filters and regexes without a required literal cannot narrow the search
 * and are left to the pipeline.
 */
final class LineFilterQueries {
  static final int MIN_PREFIX = 3;
  static final int MIN_INFIX = 4;
  static final int MIN_SELECTIVE = 3;

  /**
   * The needle as a single coarse word (no separator inside, inner punctuation, at least 4 chars),
   * trimmed of the outer {@code .:} the analyzer trims, lower-cased; null otherwise. A line holding
   * the needle holds a whole-word term containing this.
   */
  static String wholeWord(String s) {
    return wholeWord(s, LogTokens.CURRENT);
  }

  /** {@link #wholeWord(String)} in the terms of partitions written as {@code version}. */
  static String wholeWord(String s, LogTokens.Terms version) {
    int a = 0;
    int e = s.length();
    while (a < e && (s.charAt(a) == '.' || s.charAt(a) == ':')) {
      a++;
    }
    while (e > a && (s.charAt(e - 1) == '.' || s.charAt(e - 1) == ':')) {
      e--;
    }
    if (e - a < 4) {
      return null;
    }
    boolean punct = false;
    for (int i = a; i < e; i++) {
      char c = s.charAt(i);
      if (version.isCoarseSeparator(c) || c == '*' || c == '?' || c == '\\') {
        return null;
      }
      punct |= !LogTokens.isWordChar(c);
    }
    return punct ? LogTokens.normalize(s.substring(a, e)) : null;
  }

  /** A word query that also accepts lines holding a word too long to be indexed. */
  private static Query orLongWord(Query q) {
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    b.add(q, BooleanClause.Occur.SHOULD);
    b.add(
        new TermQuery(new Term(LogStore.LINE_FIELD, LogTokens.LONG_WORD)),
        BooleanClause.Occur.SHOULD);
    b.setMinimumNumberShouldMatch(1);
    return b.build();
  }

  private LineFilterQueries() {}

  /** The index query of a pipeline, or null when the index cannot narrow it. */
  static Query of(List<Stage> stages) {
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    int n = 0;
    for (Stage st : stages) {
      if (st instanceof LineFormat || st instanceof Unpack || st instanceof Decolorize) {
        break;
      }
      if (st instanceof LineFilter lf) {
        Query q = filter(lf);
        if (q != null) {
          b.add(q, BooleanClause.Occur.FILTER);
          n++;
        }
      }
    }
    return n == 0 ? null : b.build();
  }

  static Query filter(LineFilter lf) {
    if (lf.op() == FilterOp.PATTERN) {
      BooleanQuery.Builder any = new BooleanQuery.Builder();
      for (String v : lf.values()) {
        Query q = pattern(v);
        if (q == null) {
          return null;
        }
        any.add(q, BooleanClause.Occur.SHOULD);
      }
      any.setMinimumNumberShouldMatch(1);
      return any.build();
    }
    List<String> needles = new ArrayList<>();
    switch (lf.op()) {
      case CONTAINS -> needles.addAll(lf.values());
      case REGEX -> {
        for (String re : lf.values()) {
          List<String> lits = regexLiterals(re);
          if (lits == null) {
            return null;
          }
          needles.addAll(lits);
        }
      }
      default -> {
        return null;
      }
    }
    List<Query> alts = new ArrayList<>();
    for (String n : needles) {
      Query q = needle(n);
      if (q == null) {
        return null; // one alternative matches anything: no narrowing
      }
      alts.add(q);
    }
    if (alts.size() == 1) {
      return alts.get(0);
    }
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    for (Query q : alts) {
      b.add(q, BooleanClause.Occur.SHOULD);
    }
    b.setMinimumNumberShouldMatch(1);
    return b.build();
  }

  /**
   * A {@code |>} pattern: every literal is in the line; the first and last are at its ends, so
   * their outer words are whole words there.
   */
  static Query pattern(String pattern) {
    List<String> lits = Pipeline.patternLiterals(pattern);
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    int n = 0;
    for (int i = 0; i < lits.size(); i++) {
      String l = lits.get(i);
      if (l.isEmpty()) {
        continue;
      }
      String framed = (i == 0 ? " " : "") + l + (i == lits.size() - 1 ? " " : "");
      Query q = needle(framed);
      if (q != null) {
        b.add(q, BooleanClause.Occur.FILTER);
        n++;
      }
    }
    return n == 0 ? null : b.build();
  }

  /**
   * Terms that a line containing {@code s} must hold, as a conjunction; null if none. A needle with
   * a {@code /} has other terms in {@link LogTokens.Terms#V1} partitions (a path was one whole term
   * there): either conjunction then, each matching the lines of its partitions.
   */
  static Query needle(String s) {
    Query now = needle(s, LogTokens.CURRENT);
    if (s.indexOf('/') < 0 || now == null) {
      return now;
    }
    Query old = needle(s, LogTokens.Terms.V1);
    if (old == null) {
      return null;
    }
    return new BooleanQuery.Builder()
        .add(now, BooleanClause.Occur.SHOULD)
        .add(old, BooleanClause.Occur.SHOULD)
        .setMinimumNumberShouldMatch(1)
        .build();
  }

  /** {@link #needle(String)} in the terms of partitions written as {@code version}. */
  static Query needle(String s, LogTokens.Terms version) {
    LogTokens.Needle n = LogTokens.needleTerms(s, version);
    Set<String> terms = new LinkedHashSet<>(n.terms());
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    int c = 0;
    boolean selective = false;
    for (String t : terms) {
      b.add(new TermQuery(new Term(LogStore.LINE_FIELD, t)), BooleanClause.Occur.FILTER);
      c++;
      selective |= LogTokens.text(t).length() >= MIN_SELECTIVE;
    }
    // A needle that is one punctuated word (an IP, a version) yields only short parts ("0", "1")
    // that match most lines; the whole word that holds it is selective: scan the dictionary.
    String word = wholeWord(s, version);
    if (!selective && word != null) {
      b.add(
          orLongWord(new WholeWordsContainingQuery(LogStore.LINE_FIELD, word)),
          BooleanClause.Occur.FILTER);
      c++;
    }
    for (String p : n.prefixes()) {
      if (p.length() >= MIN_PREFIX) {
        b.add(orLongWord(startsWith(p)), BooleanClause.Occur.FILTER);
        c++;
      }
    }
    if (c == 0) {
      // only parts cut on the left: scan the term dictionary for the longest one
      LogTokens.Infix best = null;
      for (LogTokens.Infix in : n.infixes()) {
        if (in.text().length() >= MIN_INFIX
            && (best == null || in.text().length() > best.text().length())) {
          best = in;
        }
      }
      if (best == null) {
        return null;
      }
      return orLongWord(holding(best.text(), best.suffix()));
    }
    return b.build();
  }

  /** An automaton over marked parts, printed as {@code line:parts[>=N]:pattern}. */
  static final class PartsQuery extends AutomatonQuery {
    private final String pattern;
    private final int minLength;

    PartsQuery(String pattern, int minLength, Automaton a) {
      super(new Term(LogStore.LINE_FIELD, pattern), a);
      this.pattern = pattern;
      this.minLength = minLength;
    }

    @Override
    public String toString(String field) {
      return LogStore.LINE_FIELD + ":parts[>=" + minLength + "]:" + pattern;
    }
  }

  /** Lines with a part that starts with {@code p} (its length or longer, in p's classes). */
  static Query startsWith(String p) {
    return new PartsQuery(
        p + "*",
        p.length(),
        LogTokens.parts(
            p.length(),
            p,
            Operations.concatenate(List.of(Automata.makeString(p), Automata.makeAnyString()))));
  }

  /**
   * Lines with a part that contains {@code w} (ends with it, when {@code suffix}): the part that is
   * exactly {@code w}, an exact term, or a longer one of w's classes, found by walking only the
   * dictionary's corner of longer parts, not every term.
   */
  static Query holding(String w, boolean suffix) {
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    b.add(
        new TermQuery(new Term(LogStore.LINE_FIELD, LogTokens.part(w))),
        BooleanClause.Occur.SHOULD);
    b.add(
        new PartsContainingQuery(LogStore.LINE_FIELD, w, w.length() + 1, suffix),
        BooleanClause.Occur.SHOULD);
    b.setMinimumNumberShouldMatch(1);
    return b.build();
  }

  /**
   * The literal alternatives one of which a line matching {@code re} must contain: for a regex that
   * is a literal, an alternation of literals, or either wrapped in {@code .*}; null when no such
   * literal is known. A leading {@code (?i)} is fine: the index is lower-cased.
   */
  static List<String> regexLiterals(String re) {
    String r = re;
    if (r.startsWith("(?i)")) {
      r = r.substring(4);
    }
    while (r.startsWith(".*")) {
      r = r.substring(2);
    }
    while (r.endsWith(".*") && !r.endsWith("\\.*")) {
      r = r.substring(0, r.length() - 2);
    }
    if (r.startsWith("(") && r.endsWith(")") && r.indexOf('(', 1) < 0) {
      r = r.substring(1, r.length() - 1);
      if (r.startsWith("?:")) {
        r = r.substring(2);
      }
    }
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (int i = 0; i < r.length(); i++) {
      char c = r.charAt(i);
      if (c == '\\' && i + 1 < r.length()) {
        char e = r.charAt(i + 1);
        if (Character.isLetterOrDigit(e)) {
          return null; // \d, \w, \b ...
        }
        cur.append(e);
        i++;
      } else if (c == '|') {
        out.add(cur.toString());
        cur.setLength(0);
      } else if (".+*?()[]{}^$".indexOf(c) >= 0) {
        return null;
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString());
    return out;
  }
}
