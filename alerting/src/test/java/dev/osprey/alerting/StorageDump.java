package dev.osprey.alerting;

import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import dev.osprey.core.storage.StaleNaN;
import dev.osprey.core.storage.Storage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Reads every sample of a storage as "labels -> [t=v, ...]" for assertions. */
public final class StorageDump {
  private StorageDump() {}

  public static Map<String, List<String>> dump(Storage s, String metric) {
    Map<String, List<String>> out = new TreeMap<>();
    try (Querier q = s.querier()) {
      SeriesSet ss =
          q.select(
              0,
              Long.MAX_VALUE - 1,
              SelectHints.of(0, Long.MAX_VALUE - 1),
              LabelMatcher.equal(Labels.METRIC_NAME, metric));
      while (ss.next()) {
        List<String> pts = new ArrayList<>();
        SampleIterator it = ss.iterator(null);
        while (it.next()) {
          pts.add(it.t() + "=" + (StaleNaN.is(it.v()) ? "stale" : String.valueOf(it.v())));
        }
        out.put(ss.labels().toString(), pts);
      }
    }
    return out;
  }
}
