package dev.osprey.core.config;

import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.labels.SelectorParser;
import dev.osprey.core.util.ByteSize;
import dev.osprey.core.util.PromDuration;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The time-series database.
 *
 * @param retention how long raw samples are kept (of series that no retention rule matches)
 * @param retentionSize the most disk the blocks may use; the oldest go first (0 = no limit)
 * @param outOfOrderWindow how far behind a series' newest sample a sample may arrive (0 = none)
 * @param walFsync when the WAL is fsynced: {@code always}, {@code interval} or {@code never}
 * @param retentionRules per-metric retention and downsampling; the first rule whose selector
 *     matches a series decides for it, a series no rule matches keeps raw samples for {@code
 *     retention}
 */
public record TsdbConfig(
    Duration retention,
    ByteSize retentionSize,
    Duration outOfOrderWindow,
    String walFsync,
    List<RetentionRule> retentionRules) {
  public TsdbConfig {
    retention = retention != null ? retention : Duration.ofDays(15);
    retentionSize = retentionSize != null ? retentionSize : new ByteSize(0);
    outOfOrderWindow = outOfOrderWindow != null ? outOfOrderWindow : Duration.ZERO;
    walFsync = walFsync != null ? walFsync : "interval";
    if (!walFsync.equals("always") && !walFsync.equals("interval") && !walFsync.equals("never")) {
      throw new IllegalArgumentException(
          "wal_fsync must be always, interval or never, not \"" + walFsync + "\"");
    }
    if (retention.isNegative() || retention.isZero()) {
      throw new IllegalArgumentException("retention must be positive, not " + fmt(retention));
    }
    List<RetentionRule> rules = new ArrayList<>();
    if (retentionRules != null) {
      for (int i = 0; i < retentionRules.size(); i++) {
        RetentionRule r = retentionRules.get(i);
        if (r == null) {
          throw new IllegalArgumentException("retention_rules[" + i + "]: empty rule");
        }
        try {
          rules.add(r.withDefaultRaw(retention));
        } catch (IllegalArgumentException e) {
          // no cause: the config loader reports the innermost message
          throw new IllegalArgumentException("retention_rules[" + i + "]." + e.getMessage());
        }
      }
    }
    retentionRules = List.copyOf(rules);
  }

  /** Without retention rules. */
  public TsdbConfig(
      Duration retention, ByteSize retentionSize, Duration outOfOrderWindow, String walFsync) {
    this(retention, retentionSize, outOfOrderWindow, walFsync, null);
  }

  public static final TsdbConfig DEFAULTS = new TsdbConfig(null, null, null, null, null);

  /**
   * One retention rule: the series matching {@code match} keep raw samples for {@code raw}, then
   * (optionally) aggregates at each of the {@code downsample} resolutions for that resolution's
   * retention.
   *
   * @param match a PromQL series selector, such as {@code {__name__=~"container_.*"}}
   * @param raw how long raw samples of matching series are kept (default: {@code tsdb.retention})
   * @param downsample resolutions, finest first, each with how long it is kept
   */
  public record RetentionRule(String match, Duration raw, List<Downsample> downsample) {
    public RetentionRule {
      if (match == null || match.isBlank()) {
        throw new IllegalArgumentException("match: a series selector is required");
      }
      try {
        SelectorParser.parse(match);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "match: cannot parse " + Labels.quote(match) + ": " + e.getMessage());
      }
      if (raw != null && (raw.isNegative() || raw.isZero())) {
        throw new IllegalArgumentException("raw: must be positive, not " + fmt(raw));
      }
      downsample = downsample == null ? List.of() : List.copyOf(downsample);
      Duration prevRes = Duration.ZERO;
      Duration prevRet = raw;
      for (int i = 0; i < downsample.size(); i++) {
        Downsample d = downsample.get(i);
        String f = "downsample[" + i + "].";
        if (d == null) {
          throw new IllegalArgumentException(f + "resolution: is required");
        }
        if (d.resolution().compareTo(prevRes) <= 0) {
          throw new IllegalArgumentException(
              f
                  + "resolution: must be coarser than "
                  + fmt(prevRes)
                  + ", not "
                  + fmt(d.resolution()));
        }
        if (prevRet != null && d.retention().compareTo(prevRet) <= 0) {
          throw new IllegalArgumentException(
              f
                  + "retention: must be longer than the finer data's "
                  + fmt(prevRet)
                  + ", not "
                  + fmt(d.retention()));
        }
        prevRes = d.resolution();
        prevRet = d.retention();
      }
    }

    RetentionRule withDefaultRaw(Duration global) {
      if (raw != null) {
        return this;
      }
      return new RetentionRule(match, global, downsample);
    }

    /** The rule's selector as matchers (it was validated when the rule was made). */
    public LabelMatcher[] parsedMatchers() {
      return SelectorParser.parse(match);
    }

    /** How long the rule keeps any of its data: the longest of its retentions. */
    public Duration longestRetention() {
      return downsample.isEmpty() ? raw : downsample.get(downsample.size() - 1).retention();
    }
  }

  /**
   * A downsampled resolution and how long data at that resolution is kept (counted, like every
   * retention, back from the newest sample in the database).
   */
  public record Downsample(Duration resolution, Duration retention) {
    public Downsample {
      if (resolution == null || resolution.isNegative() || resolution.isZero()) {
        throw new IllegalArgumentException("resolution: must be positive");
      }
      if (resolution.toMillis() % 1000 != 0) {
        throw new IllegalArgumentException(
            "resolution: must be whole seconds, not " + fmt(resolution));
      }
      if (retention == null || retention.isNegative() || retention.isZero()) {
        throw new IllegalArgumentException("retention: must be positive");
      }
    }
  }

  private static String fmt(Duration d) {
    return d == null ? "none" : PromDuration.format(d.toMillis());
  }
}
