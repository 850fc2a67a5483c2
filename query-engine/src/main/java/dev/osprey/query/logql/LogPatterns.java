package dev.osprey.query.logql;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the patterns of log lines, as Loki's {@code /loki/api/v1/patterns} reports them: each
 * pattern is a line with its varying parts replaced by {@code <_>}, with the count of its lines per
 * step.
 *
 * <p>A simplified Drain (He et al., 2017): a line is split at spaces into tokens; a token holding a
 * digit is a variable from the start (ids, numbers, times, addresses), and a {@code key=value}
 * token whose value holds a digit keeps its key ({@code duration=<_>}). Lines are grouped by token
 * count and first token; within a group a line joins the pattern that shares the most positions
 * with it, if at least {@link #SIMILARITY} of them, and the positions where they differ become
 * {@code <_>}; otherwise it starts a pattern of its own. Consecutive {@code <_>} are printed as
 * one, as Loki prints them.
 *
 * <p>Bounded: lines are cut to {@link #MAX_TOKENS} tokens, a group holds at most {@link
 * #MAX_PER_GROUP} patterns and the whole at most {@code maxPatterns}; a line that finds no room is
 * counted in {@link #dropped()}.
 */
final class LogPatterns {
  static final String VAR = "<_>";
  static final double SIMILARITY = 0.5;
  static final int MAX_TOKENS = 80;
  static final int MAX_PER_GROUP = 100;

  /** One pattern: its tokens and its line count per step bucket. */
  static final class Pattern {
    final String[] tokens;
    final Map<Long, long[]> counts = new HashMap<>();
    long total;

    Pattern(String[] tokens) {
      this.tokens = tokens;
    }

    /** The pattern as a line, runs of variables printed as one. */
    String text() {
      StringBuilder b = new StringBuilder();
      boolean lastVar = false;
      for (String t : tokens) {
        boolean var = t.equals(VAR);
        if (var && lastVar) {
          continue;
        }
        if (!b.isEmpty()) {
          b.append(' ');
        }
        b.append(t);
        lastVar = var;
      }
      return b.toString();
    }
  }

  private final Map<String, List<Pattern>> groups = new HashMap<>();
  private final List<Pattern> all = new ArrayList<>();
  private final int maxPatterns;
  private long dropped;

  LogPatterns(int maxPatterns) {
    this.maxPatterns = maxPatterns;
  }

  /** Adds a line seen at a step bucket (any long that names the bucket). */
  void add(String line, long bucket) {
    String[] tokens = tokens(line);
    if (tokens.length == 0) {
      return;
    }
    String key = tokens.length + " " + tokens[0];
    List<Pattern> group = groups.computeIfAbsent(key, k -> new ArrayList<>());
    Pattern best = null;
    int bestSame = -1;
    for (Pattern p : group) {
      int same = same(p.tokens, tokens);
      if (same > bestSame) {
        best = p;
        bestSame = same;
      }
    }
    if (best == null || bestSame < SIMILARITY * tokens.length) {
      if (group.size() >= MAX_PER_GROUP || all.size() >= maxPatterns) {
        dropped++;
        return;
      }
      best = new Pattern(tokens);
      group.add(best);
      all.add(best);
    } else {
      merge(best.tokens, tokens);
    }
    best.counts.computeIfAbsent(bucket, b -> new long[1])[0]++;
    best.total++;
  }

  /** Patterns, most lines first. */
  List<Pattern> patterns() {
    List<Pattern> out = new ArrayList<>(all);
    out.sort((a, b) -> Long.compare(b.total, a.total));
    return out;
  }

  /** Lines that found no room (the pattern limits were reached). */
  long dropped() {
    return dropped;
  }

  /** Positions where the pattern's token equals the line's, or the pattern has a variable. */
  private static int same(String[] pattern, String[] line) {
    int n = 0;
    for (int i = 0; i < line.length; i++) {
      if (pattern[i].equals(line[i]) || pattern[i].equals(VAR)) {
        n++;
      }
    }
    return n;
  }

  private static void merge(String[] pattern, String[] line) {
    for (int i = 0; i < line.length; i++) {
      String p = pattern[i];
      if (p.equals(line[i]) || p.equals(VAR)) {
        continue;
      }
      int eq = p.indexOf('=');
      if (eq > 0 && p.endsWith("=" + VAR) && line[i].startsWith(p.substring(0, eq + 1))) {
        continue;
      }
      if (eq > 0 && line[i].startsWith(p.substring(0, eq + 1))) {
        pattern[i] = p.substring(0, eq + 1) + VAR; // same key, another value
      } else {
        pattern[i] = VAR;
      }
    }
  }

  static String[] tokens(String line) {
    List<String> out = new ArrayList<>();
    int i = 0;
    int n = line.length();
    while (i < n && out.size() < MAX_TOKENS) {
      while (i < n && Character.isWhitespace(line.charAt(i))) {
        i++;
      }
      int s = i;
      while (i < n && !Character.isWhitespace(line.charAt(i))) {
        i++;
      }
      if (i > s) {
        out.add(mask(line.substring(s, i)));
      }
    }
    return out.toArray(new String[0]);
  }

  /** A token with a digit is a variable; a key=value pair keeps its key. */
  private static String mask(String t) {
    int eq = t.indexOf('=');
    if (eq > 0 && isKey(t, eq)) {
      String v = t.substring(eq + 1);
      return hasDigit(v) ? t.substring(0, eq + 1) + VAR : t;
    }
    return hasDigit(t) ? VAR : t;
  }

  private static boolean isKey(String t, int eq) {
    for (int i = 0; i < eq; i++) {
      char c = t.charAt(i);
      if (!(Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '-')) {
        return false;
      }
    }
    return true;
  }

  private static boolean hasDigit(String t) {
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (c >= '0' && c <= '9') {
        return true;
      }
    }
    return false;
  }
}
