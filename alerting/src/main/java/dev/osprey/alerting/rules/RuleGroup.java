package dev.osprey.alerting.rules;

import dev.osprey.alerting.Sample;
import dev.osprey.alerting.internal.XxHash64;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.SampleRejectedException;
import dev.osprey.core.storage.StaleNaN;
import dev.osprey.core.storage.Storage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A group of rules evaluated in order at one timestamp, every interval, at Prometheus's per-group
 * offset within the interval (the group's hash of file and name, modulo the interval). Results are
 * appended to storage; series a rule no longer returns get a staleness marker.
 */
public final class RuleGroup {
  private static final Logger log = LoggerFactory.getLogger(RuleGroup.class);

  private final String name;
  private final String file;
  private final long intervalNanos;
  private final long queryOffsetNanos;
  private final int limit;
  private final List<Rule> rules;
  private final List<Set<Labels>> seriesInPreviousEval;
  private volatile double evaluationSeconds;
  private volatile long lastEvaluation;
  private volatile long lastEvalTimestamp;
  private long rejectedSamples;

  public RuleGroup(
      String name,
      String file,
      long intervalNanos,
      long queryOffsetNanos,
      int limit,
      List<Rule> rules) {
    if (intervalNanos <= 0) {
      throw new IllegalArgumentException("cannot create rule group " + name + ": interval <= 0");
    }
    this.name = name;
    this.file = file;
    this.intervalNanos = intervalNanos;
    this.queryOffsetNanos = queryOffsetNanos;
    this.limit = limit;
    this.rules = List.copyOf(rules);
    this.seriesInPreviousEval = new ArrayList<>();
    for (int i = 0; i < rules.size(); i++) {
      seriesInPreviousEval.add(new HashSet<>());
    }
  }

  /** Prometheus's Group.hash(): the hash of the labels {file, name}. */
  public long hash() {
    return XxHash64.hashLabels(Labels.of("name", name, "file", file));
  }

  /** The latest evaluation time at or before {@code startNanos} on this group's schedule. */
  public long evalTimestamp(long startNanos) {
    long offset = Long.remainderUnsigned(hash(), intervalNanos);
    long adjNow = startNanos - offset;
    long base = adjNow - Math.floorMod(adjNow, intervalNanos);
    return base + offset;
  }

  /**
   * Evaluates every rule at {@code ts} (Unix nanoseconds), appends the results, and hands due
   * alerts to {@code notify}. Rule errors are recorded on the rule (health "err"), never thrown.
   */
  public synchronized void eval(
      long ts,
      EvalContext ctx,
      Storage storage,
      NotifyFunction notify,
      long resendDelayNanos,
      LongConsumer rejected,
      java.util.function.LongSupplier wallNanos) {
    long start = System.nanoTime();
    long groupWall = wallNanos.getAsLong();
    for (int i = 0; i < rules.size(); i++) {
      Rule rule = rules.get(i);
      long rs = System.nanoTime();
      long ruleWall = wallNanos.getAsLong();
      List<Sample> vec;
      try {
        if (rule instanceof AlertingRule ar) {
          vec = ar.eval(ts, queryOffsetNanos, ctx, limit);
        } else {
          vec = ((RecordingRule) rule).eval(ts, queryOffsetNanos, ctx.query(), limit);
        }
        setHealth(rule, "ok", "", rs, ruleWall);
      } catch (Exception e) {
        String msg = e.getMessage() == null ? e.toString() : e.getMessage();
        setHealth(rule, "err", msg, rs, ruleWall);
        log.warn("rule evaluation failed group={} rule={} err={}", name, rule.name(), msg);
        continue;
      }
      if (rule instanceof AlertingRule ar) {
        List<RuleAlert.View> due = ar.alertsToSend(ts, resendDelayNanos, intervalNanos);
        notify.notify(rule.query(), due);
      }
      long t = Math.floorDiv(ts - queryOffsetNanos, 1_000_000L);
      Set<Labels> returned = new HashSet<>();
      Appender app = storage.appender();
      long rej = 0;
      for (Sample s : vec) {
        returned.add(s.labels());
        try {
          app.append(0, s.labels(), s.timestampMillis(), s.value());
        } catch (SampleRejectedException e) {
          rej++;
        }
      }
      for (Labels prev : seriesInPreviousEval.get(i)) {
        if (!returned.contains(prev)) {
          try {
            app.append(0, prev, t, StaleNaN.VALUE);
          } catch (SampleRejectedException e) {
            rej++;
          }
        }
      }
      app.commit();
      seriesInPreviousEval.set(i, returned);
      if (rej > 0) {
        rejectedSamples += rej;
        rejected.accept(rej);
        log.warn("rule samples rejected group={} rule={} count={}", name, rule.name(), rej);
      }
    }
    evaluationSeconds = (System.nanoTime() - start) / 1e9;
    // as Prometheus: lastEvaluation is the wall clock at the start, the timestamp is the slot
    lastEvaluation = groupWall;
    lastEvalTimestamp = ts;
  }

  /** Writes staleness markers for everything this group wrote last, when the group goes away. */
  public synchronized void markStale(Storage storage, long nowNanos) {
    long t = Math.floorDiv(nowNanos - queryOffsetNanos, 1_000_000L);
    Appender app = storage.appender();
    for (Set<Labels> s : seriesInPreviousEval) {
      for (Labels l : s) {
        try {
          app.append(0, l, t, StaleNaN.VALUE);
        } catch (SampleRejectedException e) {
          rejectedSamples++;
        }
      }
    }
    app.commit();
  }

  private static void setHealth(Rule r, String health, String err, long startNanos, long ts) {
    double secs = (System.nanoTime() - startNanos) / 1e9;
    if (r instanceof AlertingRule a) {
      a.health = health;
      a.lastError = err;
      a.evaluationSeconds = secs;
      a.lastEvaluation = ts;
    } else if (r instanceof RecordingRule rr) {
      rr.health = health;
      rr.lastError = err;
      rr.evaluationSeconds = secs;
      rr.lastEvaluation = ts;
    }
  }

  /**
   * Takes over the state of the same group before a reload: alerts and previous series of rules
   * with the same type, name and labels (Prometheus's CopyState), and the last evaluation.
   */
  synchronized void copyState(RuleGroup old) {
    synchronized (old) {
      lastEvaluation = old.lastEvaluation;
      lastEvalTimestamp = old.lastEvalTimestamp;
      evaluationSeconds = old.evaluationSeconds;
      boolean[] used = new boolean[old.rules.size()];
      for (int i = 0; i < rules.size(); i++) {
        Rule r = rules.get(i);
        for (int j = 0; j < old.rules.size(); j++) {
          Rule o = old.rules.get(j);
          if (used[j] || !sameIdentity(r, o)) {
            continue;
          }
          used[j] = true;
          seriesInPreviousEval.set(i, new HashSet<>(old.seriesInPreviousEval.get(j)));
          if (r instanceof AlertingRule ar && o instanceof AlertingRule oa) {
            ar.restore(oa.allAlerts());
          }
          break;
        }
      }
    }
  }

  static boolean sameIdentity(Rule a, Rule b) {
    return a.getClass() == b.getClass()
        && a.name().equals(b.name())
        && a.labels().equals(b.labels());
  }

  public String name() {
    return name;
  }

  public String file() {
    return file;
  }

  public long intervalNanos() {
    return intervalNanos;
  }

  public long queryOffsetNanos() {
    return queryOffsetNanos;
  }

  public int limit() {
    return limit;
  }

  public List<Rule> rules() {
    return rules;
  }

  public double evaluationSeconds() {
    return evaluationSeconds;
  }

  /** The scheduled timestamp of the last evaluation (samples and activeAt use it). */
  public long lastEvalTimestampNanos() {
    return lastEvalTimestamp;
  }

  /** The wall clock when the last evaluation started, as Prometheus's lastEvaluation. */
  public long lastEvaluationNanos() {
    return lastEvaluation;
  }

  public long rejectedSamples() {
    return rejectedSamples;
  }
}
