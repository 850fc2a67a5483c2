package dev.osprey.tsdb.downsample;

import dev.osprey.core.config.TsdbConfig;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.tsdb.index.PostingsSource;
import java.util.ArrayList;
import java.util.List;
import org.roaringbitmap.RoaringBitmap;

/**
 * The retention rules of a {@link TsdbConfig}, compiled: which series of a block each rule decides
 * for (the first rule whose selector matches; series no rule matches keep raw samples for the
 * global retention), and how long each keeps raw samples and each resolution.
 */
public final class RetentionPolicy {
  /** One rule: its matchers, raw retention, and resolutions (finest first) with retentions. */
  record Rule(LabelMatcher[] matchers, long raw, long[] resolutions, long[] retentions) {
    /** How long data at {@code resolution} is kept; the longest of the rule's for a foreign one. */
    long retentionAt(long resolution) {
      long longest = raw;
      for (int i = 0; i < resolutions.length; i++) {
        if (resolutions[i] == resolution) {
          return retentions[i];
        }
        longest = Math.max(longest, retentions[i]);
      }
      return longest;
    }
  }

  private final long global;
  private final List<Rule> rules;

  private RetentionPolicy(long global, List<Rule> rules) {
    this.global = global;
    this.rules = rules;
  }

  public static RetentionPolicy of(TsdbConfig config) {
    List<Rule> rules = new ArrayList<>();
    for (TsdbConfig.RetentionRule r : config.retentionRules()) {
      long[] res = new long[r.downsample().size()];
      long[] ret = new long[res.length];
      for (int i = 0; i < res.length; i++) {
        res[i] = r.downsample().get(i).resolution().toMillis();
        ret[i] = r.downsample().get(i).retention().toMillis();
      }
      rules.add(new Rule(r.parsedMatchers(), r.raw().toMillis(), res, ret));
    }
    return new RetentionPolicy(config.retention().toMillis(), List.copyOf(rules));
  }

  public boolean hasRules() {
    return !rules.isEmpty();
  }

  List<Rule> rules() {
    return rules;
  }

  /** The global raw retention (ms), for series no rule matches. */
  public long global() {
    return global;
  }

  /** The longest time anything is kept (ms): data older than that goes whatever its series. */
  public long longest() {
    long m = global;
    for (Rule r : rules) {
      m = Math.max(m, r.raw);
      for (long x : r.retentions) {
        m = Math.max(m, x);
      }
    }
    return m;
  }

  /** The shortest raw retention (ms): raw data younger than that stays whatever its series. */
  public long shortestRaw() {
    long m = global;
    for (Rule r : rules) {
      m = Math.min(m, r.raw);
    }
    return m;
  }

  /**
   * The series (ordinals) of {@code block} by the rule that decides for them: element {@code i} for
   * rule {@code i}, the last element for the series no rule matches.
   */
  RoaringBitmap[] groups(PostingsSource block) {
    RoaringBitmap[] out = new RoaringBitmap[rules.size() + 1];
    RoaringBitmap taken = new RoaringBitmap();
    for (int i = 0; i < rules.size(); i++) {
      RoaringBitmap m = PostingsSource.select(block, rules.get(i).matchers());
      m.andNot(taken);
      taken.or(m);
      out[i] = m;
    }
    RoaringBitmap rest = block.all().clone();
    rest.andNot(taken);
    out[rules.size()] = rest;
    return out;
  }

  /**
   * How wide merged downsampled blocks of {@code resolution} may get (ms): a tenth of the shortest
   * retention at that resolution, so that retention still removes them in small steps.
   */
  public long maxMergedRange(long resolution) {
    long m = Long.MAX_VALUE;
    for (Rule r : rules) {
      for (int j = 0; j < r.resolutions.length; j++) {
        if (r.resolutions[j] == resolution) {
          m = Math.min(m, r.retentions[j]);
        }
      }
    }
    return (m == Long.MAX_VALUE ? longest() : m) / 10;
  }

  /**
   * How far back (ms) from the newest sample new blocks of {@code resolution} can still appear: the
   * longest retention of the finer data they are made from. Older windows are settled and their
   * blocks can be merged once.
   */
  public long settledAge(long resolution) {
    long m = 0;
    for (Rule r : rules) {
      for (int j = 0; j < r.resolutions.length; j++) {
        if (r.resolutions[j] == resolution) {
          m = Math.max(m, j == 0 ? r.raw : r.retentions[j - 1]);
        }
      }
    }
    return m == 0 ? longest() : m;
  }
}
