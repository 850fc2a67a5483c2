package dev.osprey.tsdb.http;

import dev.osprey.core.labels.Labels;
import dev.osprey.core.labels.Utf8Order;
import dev.osprey.core.wire.prompb.Remote;
import java.util.List;

/** Turns remote_write label protos into {@link Labels}, validating them as Prometheus does. */
final class RemoteWriteDecoder {
  private RemoteWriteDecoder() {}

  /**
   * The series' labels, or null with {@code why[0]} set when they are invalid: empty, a duplicate
   * or invalid name, or an invalid metric name.
   */
  static Labels labels(List<Remote.Label> protos, Labels.Builder b, String[] why) {
    String[] raw = new String[2 * protos.size()];
    for (int i = 0; i < protos.size(); i++) {
      raw[2 * i] = protos.get(i).getName();
      raw[2 * i + 1] = protos.get(i).getValue();
    }
    return labels(raw, b, why);
  }

  /**
   * The same from the request's label pairs in its order ({@code raw[2i]} a name, {@code raw[2i+1]}
   * its value); {@code raw} may be reused for the result.
   */
  static Labels labels(String[] raw, Labels.Builder b, String[] why) {
    // fast path: senders write labels sorted by name (the spec asks them to), so the array can be
    // used as it is once checked; otherwise the builder sorts
    int n = raw.length / 2;
    String[] nv = raw;
    int k = 0;
    boolean sorted = true;
    for (int i = 0; i < n; i++) {
      String name = raw[2 * i];
      if (!Labels.isValidLabelName(name)) {
        why[0] = "invalid label name " + Labels.quote(name);
        return null;
      }
      String value = raw[2 * i + 1];
      if (value.isEmpty()) {
        continue; // x="" is the same as no label x
      }
      if (k > 0) {
        int c = Utf8Order.compare(nv[k - 2], name);
        if (c == 0) {
          why[0] = "duplicate label name " + Labels.quote(name);
          return null;
        }
        sorted &= c < 0;
      }
      nv[k++] = name;
      nv[k++] = value;
    }
    Labels labels;
    if (sorted) {
      labels = Labels.ofSortedUnsafe(k == nv.length ? nv : java.util.Arrays.copyOf(nv, k));
    } else {
      b.reset();
      for (int i = 0; i < k; i += 2) {
        if (!b.get(nv[i]).isEmpty()) {
          why[0] = "duplicate label name " + Labels.quote(nv[i]);
          return null;
        }
        b.set(nv[i], nv[i + 1]);
      }
      labels = b.build();
    }
    if (labels.isEmpty()) {
      why[0] = "series without labels";
      return null;
    }
    String metric = labels.metricName();
    if (labels.has(Labels.METRIC_NAME) && !Labels.isValidMetricName(metric)) {
      why[0] = "invalid metric name " + Labels.quote(metric);
      return null;
    }
    return labels;
  }
}
