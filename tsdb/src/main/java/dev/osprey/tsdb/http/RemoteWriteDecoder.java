package dev.osprey.tsdb.http;

import dev.osprey.core.labels.Labels;
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
    b.reset();
    for (Remote.Label l : protos) {
      String name = l.getName();
      if (!validLabelName(name)) {
        why[0] = "invalid label name " + Labels.quote(name);
        return null;
      }
      if (!b.get(name).isEmpty()) {
        why[0] = "duplicate label name " + Labels.quote(name);
        return null;
      }
      b.set(name, l.getValue());
    }
    Labels labels = b.build();
    if (labels.isEmpty()) {
      why[0] = "series without labels";
      return null;
    }
    String metric = labels.metricName();
    if (labels.has(Labels.METRIC_NAME) && !validMetricName(metric)) {
      why[0] = "invalid metric name " + Labels.quote(metric);
      return null;
    }
    return labels;
  }

  static boolean validLabelName(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || c == '_'
              || (i > 0 && c >= '0' && c <= '9');
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  static boolean validMetricName(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || c == '_'
              || c == ':'
              || (i > 0 && c >= '0' && c <= '9');
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
