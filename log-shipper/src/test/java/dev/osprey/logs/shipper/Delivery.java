package dev.osprey.logs.shipper;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Assertions shared by the end-to-end tests. */
final class Delivery {
  private Delivery() {}

  /** Waits for all lines; on time-out, fails with the first difference per writer. */
  static void awaitAll(LokiSink sink, List<LogWriter> writers, Duration limit)
      throws InterruptedException {
    int total = writers.stream().mapToInt(w -> w.lines).sum();
    long end = System.nanoTime() + limit.toNanos();
    while (sink.accepted() < total && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    Thread.sleep(500); // anything extra would arrive now
    assertExactlyOnceInOrder(sink, writers);
  }

  static void await(BooleanSupplier cond, Duration limit, String what) throws InterruptedException {
    long end = System.nanoTime() + limit.toNanos();
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("not within " + limit + ": " + what);
      }
      Thread.sleep(20);
    }
  }

  /** Every writer's lines arrived exactly once and in order, in the stream of its pod. */
  static void assertExactlyOnceInOrder(LokiSink sink, List<LogWriter> writers) {
    Map<String, List<LokiSink.Entry>> streams = sink.streams();
    List<String> problems = new ArrayList<>();
    for (LogWriter w : writers) {
      String podLabel = "pod=\"" + w.name + "\"";
      List<String> got = new ArrayList<>();
      streams.forEach(
          (labels, entries) -> {
            if (labels.contains(podLabel)) {
              entries.forEach(e -> got.add(e.line()));
            }
          });
      List<String> expected = new ArrayList<>(w.lines);
      for (int i = 0; i < w.lines; i++) {
        expected.add(LogWriter.expected(w.name, i));
      }
      if (!got.equals(expected)) {
        int i = 0;
        while (i < Math.min(got.size(), expected.size()) && got.get(i).equals(expected.get(i))) {
          i++;
        }
        problems.add(
            w.name
                + ": got "
                + got.size()
                + " lines, expected "
                + expected.size()
                + "; first difference at "
                + i
                + ": got "
                + (i < got.size()
                    ? got.get(i).substring(0, Math.min(40, got.get(i).length()))
                    : "<none>")
                + " expected "
                + (i < expected.size() ? expected.get(i).substring(0, 30) : "<none>"));
      }
    }
    assertThat(problems).as("delivery problems; replays=" + sink.replays.get()).isEmpty();
  }
}
