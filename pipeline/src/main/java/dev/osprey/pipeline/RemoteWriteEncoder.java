package dev.osprey.pipeline;

import dev.osprey.core.labels.Labels;
import dev.osprey.core.wire.prompb.Remote;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xerial.snappy.Snappy;

/**
 * Prometheus remote_write 1.0: a {@code WriteRequest} protobuf, snappy block-compressed. Samples of
 * one series keep their spool order.
 */
public final class RemoteWriteEncoder implements PayloadEncoder {
  static final Map<String, String> HEADERS =
      Map.of(
          "Content-Encoding", "snappy",
          "Content-Type", "application/x-protobuf",
          "X-Prometheus-Remote-Write-Version", "0.1.0");

  @Override
  public Payload encode(List<SpoolEntry> batch) {
    Map<Labels, Remote.TimeSeries.Builder> series = new LinkedHashMap<>();
    int n = 0;
    for (SpoolEntry e : batch) {
      if (!(e.record() instanceof MetricSample s)) {
        continue;
      }
      Remote.TimeSeries.Builder ts =
          series.computeIfAbsent(s.labels(), RemoteWriteEncoder::newSeries);
      ts.addSamples(Remote.Sample.newBuilder().setTimestamp(s.t()).setValue(s.v()));
      n++;
    }
    if (n == 0) {
      return null;
    }
    Remote.WriteRequest.Builder req = Remote.WriteRequest.newBuilder();
    for (Remote.TimeSeries.Builder ts : series.values()) {
      req.addTimeseries(ts);
    }
    try {
      return new Payload(Snappy.compress(req.build().toByteArray()), HEADERS, n);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot compress remote_write request", e);
    }
  }

  private static Remote.TimeSeries.Builder newSeries(Labels labels) {
    Remote.TimeSeries.Builder ts = Remote.TimeSeries.newBuilder();
    for (int i = 0; i < labels.size(); i++) {
      ts.addLabels(Remote.Label.newBuilder().setName(labels.name(i)).setValue(labels.value(i)));
    }
    return ts;
  }
}
