package dev.osprey.collector;

import dev.osprey.core.labels.Labels;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Collects samples for assertions. Thread-safe. */
public final class CapturingSink implements SampleSink {
  public record Sample(Labels labels, long t, double v) {}

  private final List<Sample> samples = new ArrayList<>();
  private int flushes;

  @Override
  public synchronized void accept(Labels labels, long timestampMillis, double value) {
    samples.add(new Sample(labels, timestampMillis, value));
  }

  @Override
  public synchronized void flush() {
    flushes++;
  }

  public synchronized int flushes() {
    return flushes;
  }

  public synchronized List<Sample> all() {
    return List.copyOf(samples);
  }

  public synchronized void clear() {
    samples.clear();
  }

  public synchronized List<Sample> find(String name, String... labelPairs) {
    List<Sample> out = new ArrayList<>();
    for (Sample s : samples) {
      if (!s.labels().metricName().equals(name)) {
        continue;
      }
      boolean ok = true;
      for (int i = 0; i < labelPairs.length; i += 2) {
        if (!s.labels().get(labelPairs[i]).equals(labelPairs[i + 1])) {
          ok = false;
          break;
        }
      }
      if (ok) {
        out.add(s);
      }
    }
    return out;
  }

  /** The one sample matching, failing when there is not exactly one. */
  public Sample one(String name, String... labelPairs) {
    List<Sample> f = find(name, labelPairs);
    if (f.size() != 1) {
      throw new AssertionError(
          "expected one " + name + " " + List.of(labelPairs) + ", found " + f.size() + ": " + f);
    }
    return f.get(0);
  }

  public synchronized List<Sample> matching(Predicate<Sample> p) {
    return samples.stream().filter(p).toList();
  }
}
