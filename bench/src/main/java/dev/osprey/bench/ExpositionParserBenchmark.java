package dev.osprey.bench;

import dev.osprey.collector.scrape.ExpositionParseException;
import dev.osprey.collector.scrape.ExpositionParser;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The scraper's exposition parser on a real body: this machine's {@code prometheus-node-exporter}
 * is started on 127.0.0.1, its /metrics read once, and the body repeated 20 times (series names
 * stay as they are: the parser does not care about duplicates). Scores are per body; the setup
 * prints the body's samples and bytes, so samples/s = samples / score. Run with {@code ./osprey
 * bench jmh ExpositionParser -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ExpositionParserBenchmark {
  static final String NODE_EXPORTER = "/usr/bin/prometheus-node-exporter";

  private byte[] body;

  @Setup(Level.Trial)
  public void setup() throws Exception {
    byte[] one = nodeExporterBody();
    body = new byte[one.length * 20];
    for (int i = 0; i < 20; i++) {
      System.arraycopy(one, 0, body, i * one.length, one.length);
    }
    System.out.printf(
        "%nbody: %,d samples, %,d bytes (node_exporter's /metrics x 20)%n",
        samples(body), body.length);
  }

  /** Every sample's name and value, as the scraper reads them when it reuses known series. */
  @Benchmark
  public double parse() throws ExpositionParseException {
    ExpositionParser p = new ExpositionParser(body, 0, body.length, false);
    double sum = 0;
    for (ExpositionParser.Entry e = p.next(); e != ExpositionParser.Entry.EOF; e = p.next()) {
      if (e == ExpositionParser.Entry.SERIES) {
        sum += p.value() + p.labelCount();
      }
    }
    return sum;
  }

  /** As {@link #parse}, and a label set built per sample (a scrape of series never seen before). */
  @Benchmark
  public int parseWithLabels() throws ExpositionParseException {
    ExpositionParser p = new ExpositionParser(body, 0, body.length, false);
    int h = 0;
    for (ExpositionParser.Entry e = p.next(); e != ExpositionParser.Entry.EOF; e = p.next()) {
      if (e == ExpositionParser.Entry.SERIES) {
        h += p.labels().hashCode();
      }
    }
    return h;
  }

  static int samples(byte[] b) throws ExpositionParseException {
    ExpositionParser p = new ExpositionParser(b, 0, b.length, false);
    int n = 0;
    for (ExpositionParser.Entry e = p.next(); e != ExpositionParser.Entry.EOF; e = p.next()) {
      if (e == ExpositionParser.Entry.SERIES) {
        n++;
      }
    }
    return n;
  }

  /** Starts the real node_exporter on a free 127.0.0.1 port, reads /metrics once, stops it. */
  static byte[] nodeExporterBody() throws IOException, InterruptedException {
    if (!Files.isExecutable(Path.of(NODE_EXPORTER))) {
      throw new IllegalStateException(
          NODE_EXPORTER + " is not installed (apt-get install prometheus-node-exporter)");
    }
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Process p =
        new ProcessBuilder(NODE_EXPORTER, "--web.listen-address=127.0.0.1:" + port)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    try (HttpClient client = HttpClient.newHttpClient()) {
      HttpRequest req =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
              .timeout(Duration.ofSeconds(5))
              .build();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      IOException last = null;
      while (System.nanoTime() < deadline) {
        try {
          HttpResponse<byte[]> r = client.send(req, HttpResponse.BodyHandlers.ofByteArray());
          if (r.statusCode() == 200) {
            return r.body();
          }
        } catch (IOException e) {
          last = e; // not listening yet
        }
        Thread.sleep(100);
      }
      throw new IOException(
          "node_exporter on 127.0.0.1:" + port + " gave no /metrics in 20 s", last);
    } finally {
      p.destroy();
      p.waitFor(5, TimeUnit.SECONDS);
    }
  }
}
