package dev.osprey.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.wire.logproto.Push;
import dev.osprey.core.wire.prompb.Remote;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ForwarderTest {
  @TempDir Path dir;
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private static Remote.WriteRequest parseWrite(byte[] b) {
    try {
      return Remote.WriteRequest.parseFrom(b);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private ForwarderConfig fast(String name, HttpSink sink, String path) {
    return ForwarderConfig.of(name, sink.uri(path))
        .withBatch(50, 1 << 20, Duration.ofMillis(20))
        .withBackoff(Duration.ofMillis(5), Duration.ofMillis(40))
        .withRequestTimeout(Duration.ofSeconds(5));
  }

  private static void await(BooleanSupplier cond) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("condition not met within 20 s");
      }
      Thread.sleep(10);
    }
  }

  @Test
  void remoteWriteRetriesServerErrorsAndDeliversEverySampleOnceInOrder() throws Exception {
    List<Double> received = new CopyOnWriteArrayList<>();
    try (HttpSink sink =
            new HttpSink(
                b -> {
                  for (Remote.TimeSeries ts : parseWrite(b).getTimeseriesList()) {
                    ts.getSamplesList().forEach(s -> received.add(s.getValue()));
                  }
                });
        MetricsSpool spool =
            new MetricsSpool(
                Spool.open(
                    SpoolConfig.metrics(dir, 1L << 30).withRollCycle("FAST_HOURLY"), registry))) {
      sink.script.addAll(List.of(503, 429, 500));
      for (int i = 0; i < 200; i++) {
        spool.appendSample(Labels.of("__name__", "m", "job", "j"), 1000L + i, i);
      }
      try (Forwarder f =
          Forwarder.remoteWrite(spool.spool(), fast("osprey", sink, "/api/v1/write"), registry)
              .start()) {
        await(
            () ->
                registry
                        .counter(
                            "osprey_pipeline_records_sent",
                            "spool",
                            "metrics",
                            "destination",
                            "osprey")
                        .count()
                    == 200);
      }
      List<Double> expected = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        expected.add((double) i);
      }
      assertThat(received).containsExactlyElementsOf(expected);
      HttpSink.Request first = sink.all.get(0);
      assertThat(first.headers().get("Content-encoding")).containsExactly("snappy");
      assertThat(first.headers().get("X-prometheus-remote-write-version")).containsExactly("0.1.0");
      assertThat(first.headers().get("Content-type")).containsExactly("application/x-protobuf");
      Remote.TimeSeries ts = parseWrite(first.body()).getTimeseries(0);
      assertThat(ts.getLabelsList())
          .extracting(Remote.Label::getName)
          .containsExactly("__name__", "job");
      assertThat(
              registry
                  .counter(
                      "osprey_pipeline_records_retried",
                      "spool",
                      "metrics",
                      "destination",
                      "osprey")
                  .count())
          .isEqualTo(150);
      assertThat(
              registry
                  .counter(
                      "osprey_pipeline_records_sent", "spool", "metrics", "destination", "osprey")
                  .count())
          .isEqualTo(200);
    }
  }

  @Test
  void otherClientErrorsGoToTheDeadLetterQueueAndTheForwarderMovesOn() throws Exception {
    List<Double> received = new CopyOnWriteArrayList<>();
    try (HttpSink sink =
            new HttpSink(
                b ->
                    parseWrite(b)
                        .getTimeseriesList()
                        .forEach(
                            ts -> ts.getSamplesList().forEach(s -> received.add(s.getValue()))));
        Spool spool =
            Spool.open(SpoolConfig.metrics(dir, 1L << 30).withRollCycle("FAST_HOURLY"), registry)) {
      sink.script.add(400);
      ForwarderConfig cfg = fast("d", sink, "/w").withBatch(10, 1 << 20, Duration.ofMillis(20));
      for (int i = 0; i < 10; i++) {
        spool.append(new MetricSample(Labels.of("__name__", "m"), i, i));
      }
      try (Forwarder f = Forwarder.remoteWrite(spool, cfg, registry).start()) {
        await(
            () ->
                registry
                        .counter(
                            "osprey_pipeline_records_dead_lettered",
                            "spool",
                            "metrics",
                            "destination",
                            "d")
                        .count()
                    == 10);
        for (int i = 10; i < 15; i++) {
          spool.append(new MetricSample(Labels.of("__name__", "m"), i, i));
        }
        await(() -> received.size() == 5);
        List<DeadLetterQueue.Letter> letters = f.deadLetters().readAll();
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0).status()).isEqualTo(400);
        assertThat(letters.get(0).entries()).hasSize(10);
      }
      assertThat(received).containsExactly(10.0, 11.0, 12.0, 13.0, 14.0);
    }
  }

  @Test
  void eachDestinationHasItsOwnCursorAndAnOutageOfOneDoesNotStopTheOther() throws Exception {
    List<String> a = new CopyOnWriteArrayList<>();
    List<String> b = new CopyOnWriteArrayList<>();
    try (HttpSink sa = new HttpSink(body -> a.addAll(lines(body)));
        HttpSink sb = new HttpSink(body -> b.addAll(lines(body)));
        Spool spool =
            Spool.open(SpoolConfig.logs(dir, 1L << 30).withRollCycle("FAST_HOURLY"), registry)) {
      for (int i = 0; i < 20; i++) {
        sb.script.add(503);
      }
      for (int i = 0; i < 100; i++) {
        spool.append(
            new LogEntry(
                Labels.of("s", Integer.toString(i % 3)), i, "line " + i, null, "f", i, i + 1));
      }
      try (Forwarder fa =
              Forwarder.lokiPush(spool, fast("a", sa, "/loki/api/v1/push"), registry, true)
                  .start();
          Forwarder fb =
              Forwarder.lokiPush(spool, fast("b", sb, "/loki/api/v1/push"), registry, true)
                  .start()) {
        await(() -> a.size() == 100);
        await(() -> b.size() == 100);
      }
      for (List<String> got : List.of(a, b)) {
        for (int s = 0; s < 3; s++) {
          String prefix = s + ":";
          List<String> stream = got.stream().filter(l -> l.startsWith(prefix)).toList();
          List<String> expected = new ArrayList<>();
          for (int i = s; i < 100; i += 3) {
            expected.add(prefix + "line " + i);
          }
          assertThat(stream).containsExactlyElementsOf(expected);
        }
      }
    }
  }

  /**
   * Appends {@code batches} log batches of {@code lines} lines each ("line <k>", k counting up).
   */
  private static void appendBatches(Spool spool, int batches, int lines) {
    LogBatchWriter w = spool.logBatchWriter();
    int k = 0;
    for (int b = 0; b < batches; b++) {
      w.begin("f", new Labels[] {Labels.of("s", "0")});
      for (int i = 0; i < lines; i++, k++) {
        byte[] line = ("line " + k).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        w.add(0, 1000L + k, k, k + 1, line, 0, line.length);
      }
      assertThat(w.commit()).isNotNegative();
    }
  }

  private double sent(String destination) {
    return registry
        .counter("osprey_pipeline_records_sent", "spool", "logs", "destination", destination)
        .count();
  }

  @Test
  void batchRecordsLimitCountsTheLinesOfLogBatchesNotTheBatches() throws Exception {
    List<Integer> perRequest = new CopyOnWriteArrayList<>();
    List<String> got = new CopyOnWriteArrayList<>();
    try (HttpSink sink =
            new HttpSink(
                body -> {
                  List<String> l = lines(body, false);
                  perRequest.add(l.size());
                  got.addAll(l);
                });
        Spool spool =
            Spool.open(SpoolConfig.logs(dir, 1L << 30).withRollCycle("FAST_HOURLY"), registry)) {
      appendBatches(spool, 10, 100); // written before the forwarder starts: one read sees them all
      ForwarderConfig cfg =
          fast("n", sink, "/loki/api/v1/push").withBatch(250, 1 << 20, Duration.ofSeconds(2));
      try (Forwarder f = Forwarder.lokiPush(spool, cfg, registry).start()) {
        await(() -> sent("n") == 1000);
      }
      // A request ends with the batch that reaches 250 lines: three batches, 300 lines. Counted
      // per batch, the limit would let one request carry all ten.
      assertThat(perRequest).containsExactly(300, 300, 300, 100);
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        expected.add("0:line " + i);
      }
      assertThat(got).containsExactlyElementsOf(expected);
    }
  }

  @Test
  void aReceiverThatNeverAnswersIsTimedOutAndRetriedAndNothingIsLost() throws Exception {
    List<String> got = new CopyOnWriteArrayList<>();
    try (HttpSink sink = new HttpSink(body -> got.addAll(lines(body, false)));
        Spool spool =
            Spool.open(SpoolConfig.logs(dir, 1L << 30).withRollCycle("FAST_HOURLY"), registry)) {
      sink.script.addAll(List.of(HttpSink.HANG, HttpSink.HANG));
      appendBatches(spool, 3, 40);
      ForwarderConfig cfg =
          fast("t", sink, "/loki/api/v1/push")
              .withBatch(1000, 1 << 20, Duration.ofMillis(50))
              .withRequestTimeout(Duration.ofMillis(300));
      long t0 = System.nanoTime();
      try (Forwarder f = Forwarder.lokiPush(spool, cfg, registry).start()) {
        await(() -> sent("t") == 120);
        appendBatches(spool, 1, 5); // and the forwarder goes on after the outage
        await(() -> got.size() == 125);
      }
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
      // Two requests hung and timed out; the third carried the same body and was accepted.
      assertThat(sink.all).hasSizeGreaterThanOrEqualTo(3);
      assertThat(sink.all.get(1).body()).isEqualTo(sink.all.get(0).body());
      assertThat(sink.accepted.get(0).body()).isEqualTo(sink.all.get(0).body());
      assertThat(
              registry
                  .counter("osprey_pipeline_records_retried", "spool", "logs", "destination", "t")
                  .count())
          .isEqualTo(240);
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < 120; i++) {
        expected.add("0:line " + i);
      }
      for (int i = 0; i < 5; i++) {
        expected.add("0:line " + i); // the second appendBatches counts from 0 again
      }
      assertThat(got).containsExactlyElementsOf(expected);
    }
  }

  @Test
  void aBatchThatIsNotFullGoesOnceTheWriterIsQuietNotAfterItsWholeAge() throws Exception {
    List<String> got = new CopyOnWriteArrayList<>();
    try (HttpSink sink = new HttpSink(body -> got.addAll(lines(body, false)));
        Spool spool =
            Spool.open(SpoolConfig.logs(dir, 1L << 30).withRollCycle("FAST_HOURLY"), registry)) {
      // An age of 10 minutes: the test's 20 s bound fails unless the quiet writer lets it go.
      ForwarderConfig cfg =
          fast("q", sink, "/loki/api/v1/push").withBatch(1000, 1 << 20, Duration.ofMinutes(10));
      try (Forwarder f = Forwarder.lokiPush(spool, cfg, registry).start()) {
        appendBatches(spool, 2, 10); // published after the forwarder parked: it is woken
        await(() -> sent("q") == 20);
      }
      // One request, or two when this thread was off a core for 50 ms between the batches.
      assertThat(sink.all).hasSizeBetween(1, 2);
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        expected.add("0:line " + i);
      }
      assertThat(got).containsExactlyElementsOf(expected);
    }
  }

  @Test
  void theNextPushWaitsForTheOneInFlightSoRetriesKeepTheSpoolOrder() throws Exception {
    List<String> got = new CopyOnWriteArrayList<>();
    try (HttpSink sink = new HttpSink(body -> got.addAll(lines(body, false)));
        Spool spool =
            Spool.open(SpoolConfig.logs(dir, 1L << 30).withRollCycle("FAST_HOURLY"), registry)) {
      appendBatches(spool, 10, 100);
      sink.script.addAll(List.of(503, 200, 500, 503)); // the first and the second push retried
      ForwarderConfig cfg =
          fast("o", sink, "/loki/api/v1/push").withBatch(250, 1 << 20, Duration.ofSeconds(2));
      try (Forwarder f = Forwarder.lokiPush(spool, cfg, registry).start()) {
        await(() -> sent("o") == 1000);
      }
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        expected.add("0:line " + i);
      }
      assertThat(got).containsExactlyElementsOf(expected);
      // 503 / then the first push again (200) / 500, 503 on the second / the second, third, fourth
      assertThat(sink.all).hasSize(7);
      assertThat(sink.all.get(1).body()).isEqualTo(sink.all.get(0).body());
      assertThat(sink.all.get(4).body()).isEqualTo(sink.all.get(2).body());
      assertThat(spool.cursor("o").committed()).isEqualTo(spool.lastIndex());
    }
  }

  /** "stream:line" for every entry, in request order. */
  private static List<String> lines(byte[] body) {
    return lines(body, true);
  }

  private static List<String> lines(byte[] body, boolean withPosition) {
    try {
      List<String> out = new ArrayList<>();
      for (Push.StreamAdapter s : Push.PushRequest.parseFrom(body).getStreamsList()) {
        String stream = s.getLabels().replaceAll("\\{s=\"(\\d)\"}", "$1");
        for (Push.EntryAdapter e : s.getEntriesList()) {
          if (withPosition) {
            assertThat(e.getStructuredMetadataList())
                .extracting(Push.LabelPairAdapter::getName)
                .containsExactly("source", "offset");
          }
          out.add(stream + ":" + e.getLine());
        }
      }
      return out;
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
