package dev.osprey.bench;

import dev.osprey.core.labels.Labels;
import dev.osprey.core.wire.prompb.Remote;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.xerial.snappy.Snappy;

/**
 * Replays a workload as Prometheus's remote_write 1.0 sender does: series sharded over a few
 * concurrent connections, each shard in time order, batches of up to 2,000 samples, one sample per
 * TimeSeries entry, snappy-compressed protobuf. Every shard regenerates the same deterministic
 * values, so all peers receive identical samples.
 *
 * <p>After {@link #prepare}, the requests are built and snappy-compressed once, before any clock
 * starts, into one file per shard, and {@link #run} only streams those bytes: the measured rate is
 * then the receiver's, not the rate at which this process builds protobufs on the same cores.
 */
final class RemoteWriteReplay {
  static final int BATCH = 2000;

  private final Workload workload;
  private final long start;
  private final int steps;
  private final int shards;

  /** One file of pre-encoded requests per shard, once {@link #prepare} ran; null before. */
  private List<Path> prepared;

  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  RemoteWriteReplay(Workload workload, long start, int steps, int shards) {
    this.workload = workload;
    this.start = start;
    this.steps = steps;
    this.shards = shards;
  }

  long totalSamples() {
    return (long) workload.size() * steps;
  }

  /**
   * Sends everything to {@code url} and returns the number of samples the receiver accepted (2xx).
   * {@code progress} receives the running count.
   */
  long run(String url, LongConsumer progress) throws Exception {
    AtomicLong sent = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    List<Exception> errors = new ArrayList<>();
    for (int s = 0; s < shards; s++) {
      final int shard = s;
      Thread t =
          Thread.ofPlatform()
              .name("rw-shard-" + s)
              .start(
                  () -> {
                    try {
                      runShard(url, shard, sent, progress);
                    } catch (Exception e) {
                      synchronized (errors) {
                        errors.add(e);
                      }
                    }
                  });
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join();
    }
    if (!errors.isEmpty()) {
      throw errors.get(0);
    }
    return sent.get();
  }

  /**
   * Builds and compresses every request now, one thread per shard, into {@code dir}
   * (rw-shard-N.bin: per request the sample count and the body's length as ints, then the body), so
   * that {@link #run} sends the same bytes to every system without building them on the clock.
   * Returns the bytes written.
   */
  long prepare(Path dir) throws Exception {
    List<Path> files = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    List<Exception> errors = new ArrayList<>();
    for (int s = 0; s < shards; s++) {
      final int shard = s;
      Path f = dir.resolve("rw-shard-" + s + ".bin");
      files.add(f);
      threads.add(
          Thread.ofPlatform()
              .name("rw-encode-" + s)
              .start(
                  () -> {
                    try (DataOutputStream out =
                        new DataOutputStream(
                            new BufferedOutputStream(Files.newOutputStream(f), 1 << 20))) {
                      encodeShard(
                          shard,
                          (samples, body) -> {
                            out.writeInt(samples);
                            out.writeInt(body.length);
                            out.write(body);
                          });
                    } catch (Exception e) {
                      synchronized (errors) {
                        errors.add(e);
                      }
                    }
                  }));
    }
    for (Thread t : threads) {
      t.join();
    }
    if (!errors.isEmpty()) {
      throw errors.get(0);
    }
    long bytes = 0;
    for (Path f : files) {
      bytes += Files.size(f);
    }
    prepared = files;
    return bytes;
  }

  /** Removes the files {@link #prepare} wrote. */
  void deletePrepared() throws IOException {
    if (prepared != null) {
      for (Path f : prepared) {
        Files.deleteIfExists(f);
      }
      prepared = null;
    }
  }

  private interface Sink {
    void accept(int samples, byte[] body) throws Exception;
  }

  private void runShard(String url, int shard, AtomicLong sent, LongConsumer progress)
      throws Exception {
    if (prepared != null) {
      try (DataInputStream in =
          new DataInputStream(
              new BufferedInputStream(Files.newInputStream(prepared.get(shard)), 1 << 20))) {
        while (true) {
          int samples;
          try {
            samples = in.readInt();
          } catch (EOFException end) {
            return;
          }
          byte[] body = new byte[in.readInt()];
          in.readFully(body);
          send(url, body);
          sent.addAndGet(samples);
          progress.accept(sent.get());
        }
      }
    }
    encodeShard(
        shard,
        (samples, body) -> {
          send(url, body);
          sent.addAndGet(samples);
          progress.accept(sent.get());
        });
  }

  /** The shard's requests in order, each compressed, as Prometheus's sender would build them. */
  private void encodeShard(int shard, Sink sink) throws Exception {
    // A private copy of the generator state: values depend only on (seed, series, step).
    Workload w = workload.copy();
    SplittableRandom values = new SplittableRandom(42 + shard);
    SplittableRandom jitter = new SplittableRandom(4242 + shard);
    Remote.WriteRequest.Builder req = Remote.WriteRequest.newBuilder();
    int inBatch = 0;
    for (int step = 0; step < steps; step++) {
      for (int i = shard; i < w.size(); i += shards) {
        double v = w.next(i, values);
        long t = w.timestamp(start, i, step, jitter);
        Remote.TimeSeries.Builder ts = Remote.TimeSeries.newBuilder();
        Labels l = w.labels(i);
        for (int k = 0; k < l.size(); k++) {
          ts.addLabels(Remote.Label.newBuilder().setName(l.name(k)).setValue(l.value(k)));
        }
        ts.addSamples(Remote.Sample.newBuilder().setValue(v).setTimestamp(t));
        req.addTimeseries(ts);
        if (++inBatch == BATCH) {
          sink.accept(inBatch, Snappy.compress(req.build().toByteArray()));
          req.clear();
          inBatch = 0;
        }
      }
    }
    if (inBatch > 0) {
      sink.accept(inBatch, Snappy.compress(req.build().toByteArray()));
    }
  }

  /**
   * Builds and compresses {@code requests} requests without sending them, so that the client's own
   * code is compiled before the first system is measured (otherwise the first system in the run
   * pays for the client's JIT warm-up and the later ones do not).
   */
  void warmUp(int requests) throws IOException {
    Workload w = workload.copy();
    SplittableRandom values = new SplittableRandom(1);
    SplittableRandom jitter = new SplittableRandom(2);
    long sink = 0;
    for (int r = 0; r < requests; r++) {
      Remote.WriteRequest.Builder req = Remote.WriteRequest.newBuilder();
      for (int k = 0; k < BATCH; k++) {
        int i = (r * BATCH + k) % w.size();
        Remote.TimeSeries.Builder ts = Remote.TimeSeries.newBuilder();
        Labels l = w.labels(i);
        for (int j = 0; j < l.size(); j++) {
          ts.addLabels(Remote.Label.newBuilder().setName(l.name(j)).setValue(l.value(j)));
        }
        ts.addSamples(
            Remote.Sample.newBuilder()
                .setValue(w.next(i, values))
                .setTimestamp(w.timestamp(start, i, 0, jitter)));
        req.addTimeseries(ts);
      }
      sink += Snappy.compress(req.build().toByteArray()).length;
    }
    if (sink < 0) {
      throw new IllegalStateException("BUG: negative size");
    }
  }

  private void send(String url, byte[] body) throws IOException, InterruptedException {
    long backoff = 50;
    for (int attempt = 0; ; attempt++) {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create(url))
                  .timeout(Duration.ofSeconds(60))
                  .header("Content-Type", "application/x-protobuf")
                  .header("Content-Encoding", "snappy")
                  .header("X-Prometheus-Remote-Write-Version", "0.1.0")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      int code = r.statusCode();
      if (code / 100 == 2) {
        return;
      }
      if ((code == 429 || code / 100 == 5) && attempt < 20) {
        Thread.sleep(backoff);
        backoff = Math.min(5000, backoff * 2);
        continue;
      }
      throw new IOException("remote_write to " + url + " answered " + code + ": " + r.body());
    }
  }
}
