package dev.osprey.tsdb.http;

import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.SampleRejectedException;
import dev.osprey.core.storage.Storage;
import java.util.ArrayList;
import java.util.List;

/**
 * Feeds one ingest request into storage with Prometheus's partial-acceptance rules: every good
 * sample is stored, every bad one (rejected by storage, or invalid input) is counted and the first
 * few are described for the 400 answer. Commits every {@code commitEvery} samples so that a huge
 * import never holds more than that in an appender.
 */
final class IngestBatch {
  private static final int MAX_REPORTED = 10;

  private final Storage storage;
  private final int commitEvery;
  private Appender app;
  private int inApp;
  private long accepted;
  private long bad;
  private final List<String> reasons = new ArrayList<>();

  private final boolean backfill;

  IngestBatch(Storage storage, int commitEvery, boolean backfill) {
    this.storage = storage;
    this.commitEvery = commitEvery;
    this.backfill = backfill;
  }

  /** The open appender: the backfill appender for imports of old samples, else the head's. */
  private Appender appender() {
    if (app == null) {
      app =
          backfill && storage instanceof dev.osprey.tsdb.Tsdb db
              ? db.backfillAppender()
              : storage.appender();
    }
    return app;
  }

  /** One more sample accepted; commits every {@code commitEvery}. */
  private void counted() {
    accepted++;
    if (++inApp >= commitEvery) {
      commit();
    }
  }

  /** Appends one sample; returns the series reference for the next sample of the same series. */
  long append(long ref, Labels labels, long t, double v) {
    try {
      long r = appender().append(ref, labels, t, v);
      counted();
      return r;
    } catch (SampleRejectedException e) {
      reject(e.getMessage());
      return ref;
    }
  }

  /** Appends one native-histogram sample, as {@link #append}. */
  long appendHistogram(
      long ref, Labels labels, long t, dev.osprey.core.histogram.FloatHistogram h) {
    try {
      long r = appender().appendHistogram(ref, labels, t, h);
      counted();
      return r;
    } catch (SampleRejectedException e) {
      reject(e.getMessage());
      return ref;
    } catch (UnsupportedOperationException e) {
      reject(e.getMessage() + " (series " + labels + ")");
      return ref;
    }
  }

  /** Records an invalid input that never reached storage. */
  void reject(String reason) {
    bad++;
    if (reasons.size() < MAX_REPORTED) {
      reasons.add(reason);
    }
  }

  void commit() {
    if (app != null) {
      Appender a = app;
      app = null;
      inApp = 0;
      a.commit();
    }
  }

  void rollback() {
    if (app != null) {
      app.rollback();
      app = null;
    }
  }

  long accepted() {
    return accepted;
  }

  long bad() {
    return bad;
  }

  /** The 400 message: how many were refused and why (the first few). */
  String report() {
    StringBuilder sb = new StringBuilder();
    sb.append(bad).append(bad == 1 ? " sample" : " samples").append(" rejected, ");
    sb.append(accepted).append(" accepted: ");
    sb.append(String.join("; ", reasons));
    if (bad > reasons.size()) {
      sb.append("; ...");
    }
    return sb.toString();
  }
}
