package dev.osprey.pipeline;

import dev.osprey.core.labels.Labels;
import java.util.Objects;
import net.openhft.chronicle.bytes.Bytes;

/**
 * One sample of one series, as it travels through the metrics spool.
 *
 * @param labels the series, {@code __name__} included
 * @param t timestamp in milliseconds since the epoch
 * @param v the value (a stale NaN marker is kept bit for bit)
 */
public record MetricSample(Labels labels, long t, double v) implements SpoolRecord {
  public MetricSample {
    Objects.requireNonNull(labels, "labels");
  }

  @Override
  public int type() {
    return RecordFormat.TYPE_METRIC_SAMPLE;
  }

  /** Payload: i64 t, u64 raw bits of v, labels. */
  @Override
  public void writePayload(Bytes<?> out) {
    out.writeLong(t);
    out.writeLong(Double.doubleToRawLongBits(v));
    RecordFormat.writeLabels(out, labels);
  }

  public static MetricSample readPayload(Bytes<?> in) {
    long t = in.readLong();
    double v = Double.longBitsToDouble(in.readLong());
    return new MetricSample(RecordFormat.readLabels(in), t, v);
  }
}
