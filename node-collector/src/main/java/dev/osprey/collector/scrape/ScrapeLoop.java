package dev.osprey.collector.scrape;

import dev.osprey.collector.SampleSink;
import dev.osprey.collector.StalenessTracker;
import dev.osprey.collector.scrape.ExpositionParser.Entry;
import dev.osprey.core.labels.Labels;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * Scrapes one target: fetch with a timeout and a body-size limit, parse, merge target labels
 * (honor_labels), metric_relabel_configs, limits, staleness markers, and the report series {@code
 * up}, {@code scrape_duration_seconds}, {@code scrape_samples_scraped}, {@code
 * scrape_samples_post_metric_relabeling}, {@code scrape_series_added}. A failed scrape emits no
 * samples of its body, {@code up 0}, and stale markers for what the last good scrape produced. Not
 * thread-safe: the manager runs one scrape of a loop at a time.
 */
public final class ScrapeLoop {
  static final String ACCEPT =
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
          + "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

  /** Closes bodies that outlive their scrape timeout. */
  private static final java.util.concurrent.ScheduledExecutorService CANCELLER =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "osprey-scrape-timeout");
            t.setDaemon(true);
            return t;
          });

  private final Target target;
  private final HttpClient http;
  private final SampleSink sink;
  private final Labels externalLabels;
  private final StalenessTracker staleness = new StalenessTracker();
  private final Set<Labels> reportSeries = new HashSet<>();
  private Set<Labels> lastSeries = new HashSet<>();
  private volatile String lastError = "";
  private volatile long lastScrapeMillis;
  private volatile boolean lastUp;
  private boolean stopped;

  // the current scrape's accepted samples, emitted only when the whole scrape succeeded
  private Labels[] bufLabels = new Labels[256];
  private long[] bufT = new long[256];
  private double[] bufV = new double[256];
  private int bufN;

  /** What one scrape did. */
  public record Result(boolean up, int scraped, int postRelabel, int seriesAdded, String error) {}

  /** A scrape that failed for a reason of its own (limits, HTTP status). */
  static final class ScrapeException extends Exception {
    ScrapeException(String m) {
      super(m);
    }
  }

  public ScrapeLoop(Target target, HttpClient http, SampleSink sink, Labels externalLabels) {
    this.target = target;
    this.http = http;
    this.sink = sink;
    this.externalLabels = externalLabels;
  }

  public Target target() {
    return target;
  }

  public String lastError() {
    return lastError;
  }

  public boolean lastUp() {
    return lastUp;
  }

  public long lastScrapeMillis() {
    return lastScrapeMillis;
  }

  /** One scrape starting at {@code startMillis} (the sample timestamp, as Prometheus uses). */
  public synchronized Result scrapeOnce(long startMillis) {
    if (stopped) {
      return new Result(false, 0, 0, 0, "stopped");
    }
    long t0 = System.nanoTime();
    bufN = 0;
    int scraped = 0;
    String error = "";
    Set<Labels> seenNow = new HashSet<>();
    try {
      byte[] body = fetch();
      scraped = parse(body, contentType, startMillis, seenNow);
      int limit = target.config().sampleLimit();
      if (limit > 0 && bufN > limit) {
        throw new ScrapeException("sample limit exceeded: " + bufN + " > " + limit);
      }
    } catch (ScrapeException | ExpositionParseException e) {
      error = e.getMessage();
    } catch (HttpTimeoutException e) {
      error = "scrape timed out after " + target.timeout().toMillis() + "ms";
    } catch (IOException e) {
      error = "cannot scrape " + target.url() + ": " + e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      error = "interrupted";
    }
    boolean up = error.isEmpty();
    int added = 0;
    if (up) {
      for (int i = 0; i < bufN; i++) {
        Labels l = bufLabels[i];
        if (!lastSeries.contains(l)) {
          added++;
        }
        sink.accept(l, bufT[i], bufV[i]);
      }
      lastSeries = seenNow;
      staleness.endBatch(startMillis, sink);
    } else {
      lastSeries = new HashSet<>();
      staleness.allStale(startMillis, sink);
    }
    double duration = (System.nanoTime() - t0) / 1e9;
    report("up", startMillis, up ? 1 : 0);
    report("scrape_duration_seconds", startMillis, duration);
    report("scrape_samples_scraped", startMillis, scraped);
    report("scrape_samples_post_metric_relabeling", startMillis, up ? bufN : 0);
    report("scrape_series_added", startMillis, added);
    sink.flush();
    Arrays.fill(bufLabels, 0, bufN, null);
    lastError = error;
    lastUp = up;
    lastScrapeMillis = startMillis;
    return new Result(up, scraped, up ? bufN : 0, added, error);
  }

  /** The target is gone: every series it produced, report series included, goes stale. */
  public synchronized void stop(long nowMillis) {
    if (stopped) {
      return;
    }
    stopped = true;
    staleness.allStale(nowMillis, sink);
    for (Labels l : reportSeries) {
      sink.accept(l, nowMillis, dev.osprey.core.storage.StaleNaN.VALUE);
    }
    reportSeries.clear();
    sink.flush();
  }

  private void report(String name, long t, double v) {
    Labels.Builder b = target.labels().toBuilder().set(Labels.METRIC_NAME, name);
    addExternal(b);
    Labels l = b.build();
    reportSeries.add(l);
    sink.accept(l, t, v);
  }

  private void addExternal(Labels.Builder b) {
    for (int i = 0; i < externalLabels.size(); i++) {
      if (b.get(externalLabels.name(i)).isEmpty()) {
        b.set(externalLabels.name(i), externalLabels.value(i));
      }
    }
  }

  private String contentType;

  private byte[] fetch() throws IOException, InterruptedException, ScrapeException {
    HttpRequest req =
        HttpRequest.newBuilder(target.url())
            .timeout(target.timeout())
            .header("Accept", ACCEPT)
            .header("Accept-Encoding", "gzip")
            .header("User-Agent", "Osprey-agent/0.1")
            .header(
                "X-Prometheus-Scrape-Timeout-Seconds",
                Double.toString(target.timeout().toMillis() / 1000.0))
            .GET()
            .build();
    long deadline = System.nanoTime() + target.timeout().toNanos();
    HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
    // the request timeout ends at the headers; the body must also arrive within the scrape timeout
    long left = deadline - System.nanoTime();
    java.util.concurrent.atomic.AtomicBoolean timedOut =
        new java.util.concurrent.atomic.AtomicBoolean();
    InputStream body = r.body();
    java.util.concurrent.ScheduledFuture<?> guard =
        CANCELLER.schedule(
            () -> {
              timedOut.set(true);
              try {
                body.close();
              } catch (IOException e) {
                // closing to unblock a read; nothing else to do
              }
            },
            Math.max(left, 0),
            java.util.concurrent.TimeUnit.NANOSECONDS);
    try (InputStream raw = body) {
      if (r.statusCode() != 200) {
        throw new ScrapeException("server returned HTTP status " + r.statusCode());
      }
      contentType = r.headers().firstValue("Content-Type").orElse("");
      boolean gzip =
          r.headers()
              .firstValue("Content-Encoding")
              .orElse("")
              .toLowerCase(Locale.ROOT)
              .contains("gzip");
      InputStream in = gzip ? new GZIPInputStream(raw, 8192) : raw;
      return readLimited(in, target.config().bodySizeLimit());
    } catch (IOException e) {
      if (timedOut.get()) {
        throw new HttpTimeoutException("body not read within the scrape timeout");
      }
      throw e;
    } finally {
      guard.cancel(false);
    }
  }

  private static byte[] readLimited(InputStream in, long limit)
      throws IOException, ScrapeException {
    byte[] buf = new byte[16384];
    int n = 0;
    while (true) {
      if (n == buf.length) {
        buf = Arrays.copyOf(buf, buf.length * 2);
      }
      int r = in.read(buf, n, buf.length - n);
      if (r < 0) {
        return n == buf.length ? buf : Arrays.copyOf(buf, n);
      }
      n += r;
      if (limit > 0 && n > limit) {
        throw new ScrapeException("body size limit exceeded (" + limit + " bytes)");
      }
    }
  }

  private int parse(byte[] body, String ct, long start, Set<Labels> seenNow)
      throws ExpositionParseException, ScrapeException {
    ScrapeConfig c = target.config();
    ExpositionParser p =
        new ExpositionParser(body, 0, body.length, ExpositionParser.isOpenMetrics(ct));
    Labels tl = target.labels();
    int scraped = 0;
    for (Entry e; (e = p.next()) != Entry.EOF; ) {
      if (e != Entry.SERIES) {
        continue;
      }
      scraped++;
      Labels.Builder b = Labels.builder();
      if (c.honorLabels()) {
        b.set(Labels.METRIC_NAME, p.metricName());
        for (int i = 0; i < p.labelCount(); i++) {
          b.set(p.labelName(i), p.labelValue(i));
        }
        for (int i = 0; i < tl.size(); i++) {
          if (b.get(tl.name(i)).isEmpty()) {
            b.set(tl.name(i), tl.value(i));
          }
        }
      } else {
        for (int i = 0; i < tl.size(); i++) {
          b.set(tl.name(i), tl.value(i));
        }
        b.set(Labels.METRIC_NAME, p.metricName());
        for (int i = 0; i < p.labelCount(); i++) {
          String n = p.labelName(i);
          String v = p.labelValue(i);
          if (v.isEmpty()) {
            continue;
          }
          if (!tl.get(n).isEmpty()) {
            b.set("exported_" + n, v); // the target's label wins, the scraped one is kept aside
          } else {
            b.set(n, v);
          }
        }
      }
      Labels l = Relabeler.process(b.build(), c.metricRelabelConfigs());
      if (l == null || l.isEmpty() || l.metricName().isEmpty()) {
        continue;
      }
      if (!externalLabels.isEmpty()) {
        Labels.Builder eb = l.toBuilder();
        addExternal(eb);
        l = eb.build();
      }
      checkLabelLimits(l, c);
      if (!seenNow.add(l)) {
        continue; // a duplicate series in one body: Prometheus keeps the first
      }
      boolean explicit = c.honorTimestamps() && p.hasTimestamp();
      if (!explicit) {
        staleness.seen(l); // series with their own timestamps get no stale markers
      }
      append(l, explicit ? p.timestampMillis() : start, p.value());
    }
    return scraped;
  }

  private static void checkLabelLimits(Labels l, ScrapeConfig c) throws ScrapeException {
    if (c.labelLimit() > 0 && l.size() > c.labelLimit()) {
      throw new ScrapeException(
          "label_limit exceeded (metric: "
              + l.metricName()
              + ", "
              + "number of labels: "
              + l.size()
              + ", limit: "
              + c.labelLimit()
              + ")");
    }
    for (int i = 0; i < l.size(); i++) {
      if (c.labelNameLengthLimit() > 0 && l.name(i).length() > c.labelNameLengthLimit()) {
        throw new ScrapeException(
            "label_name_length_limit exceeded (metric: "
                + l.metricName()
                + ", label name: "
                + l.name(i)
                + ", limit: "
                + c.labelNameLengthLimit()
                + ")");
      }
      if (c.labelValueLengthLimit() > 0 && l.value(i).length() > c.labelValueLengthLimit()) {
        throw new ScrapeException(
            "label_value_length_limit exceeded (metric: "
                + l.metricName()
                + ", label name: "
                + l.name(i)
                + ", limit: "
                + c.labelValueLengthLimit()
                + ")");
      }
    }
  }

  private void append(Labels l, long t, double v) {
    if (bufN == bufLabels.length) {
      int n = bufN * 2;
      bufLabels = Arrays.copyOf(bufLabels, n);
      bufT = Arrays.copyOf(bufT, n);
      bufV = Arrays.copyOf(bufV, n);
    }
    bufLabels[bufN] = l;
    bufT[bufN] = t;
    bufV[bufN] = v;
    bufN++;
  }

  static List<String> reportNames() {
    return List.of(
        "up",
        "scrape_duration_seconds",
        "scrape_samples_scraped",
        "scrape_samples_post_metric_relabeling",
        "scrape_series_added");
  }
}
