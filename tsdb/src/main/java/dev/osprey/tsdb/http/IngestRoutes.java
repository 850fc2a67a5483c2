package dev.osprey.tsdb.http;

import dev.osprey.core.http.ApiException;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.RouteProvider;
import dev.osprey.core.http.Router;
import dev.osprey.core.http.SnappyBodies;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Storage;
import dev.osprey.tsdb.Tsdb;
import dev.osprey.tsdb.head.Head;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xerial.snappy.Snappy;

/**
 * The metric ingest endpoints:
 *
 * <ul>
 *   <li>{@code POST /api/v1/write}: Prometheus remote_write 1.0 (protobuf in snappy block format).
 *   <li>{@code POST /api/v1/import/prometheus}: Prometheus text exposition (millisecond timestamps)
 *       or OpenMetrics 1.0 (second timestamps, {@code # EOF}), streamed.
 * </ul>
 *
 * <p>The import is a backfill: on a {@link dev.osprey.tsdb.Tsdb} it may carry samples older than
 * remote_write's bound (an hour behind the newest sample), series by series, down to the end of the
 * newest block.
 *
 * <p>Both store every good sample and answer 204, or 400 with the reasons when some samples were
 * refused (out of order, duplicate, too old, invalid labels, unparsable lines); the good ones are
 * stored all the same, so a sender must not retry a 400.
 */
public final class IngestRoutes implements RouteProvider {
  private static final Logger log = LoggerFactory.getLogger(IngestRoutes.class);
  static final int COMMIT_EVERY = 50_000;

  private final Storage storage;
  private final Counter rwSamples;
  private final Counter rwInvalid;
  private final Counter importSamples;
  private final Counter importInvalid;
  private final SeriesRefCache refs = new SeriesRefCache();

  public IngestRoutes(Storage storage, MeterRegistry registry) {
    this.storage = storage;
    this.rwSamples = samples(registry, "remote_write");
    this.rwInvalid = invalid(registry, "remote_write");
    this.importSamples = samples(registry, "import");
    this.importInvalid = invalid(registry, "import");
  }

  private static Counter samples(MeterRegistry registry, String endpoint) {
    return Counter.builder("osprey_tsdb_ingest_samples_total")
        .description("Samples accepted by an ingest endpoint")
        .tag("endpoint", endpoint)
        .register(registry);
  }

  private static Counter invalid(MeterRegistry registry, String endpoint) {
    return Counter.builder("osprey_tsdb_ingest_refused_total")
        .description("Samples or lines an ingest endpoint refused (invalid input or rejected)")
        .tag("endpoint", endpoint)
        .register(registry);
  }

  SeriesRefCache refsForTest() {
    return refs;
  }

  @Override
  public void register(Router router) {
    router.post("/api/v1/write", this::remoteWrite);
    router.postStreaming("/api/v1/import/prometheus", this::importText);
  }

  /**
   * Each worker thread's buffer for decompressed requests, reused from request to request (a
   * 2,000-series request is about 300 KB that would otherwise be allocated and zeroed each time).
   * Nothing read from it outlives the request: labels and histograms are copied out.
   */
  private static final ThreadLocal<byte[]> DECOMPRESSED = new ThreadLocal<>();

  /** Buffers larger than this are not kept for the next request. */
  static final int MAX_KEPT_BUFFER = 8 << 20;

  /**
   * Each worker thread's series table for {@link RemoteWriteReader#validated(byte[], int, int[])}
   * (36 bytes per series of a request; grown by doubling, it was the handler's largest allocation
   * after the bodies).
   */
  private static final ThreadLocal<int[]> SERIES_TABLE = new ThreadLocal<>();

  /** Each worker thread's table of label-run hashes, reused as {@link #SERIES_TABLE}. */
  private static final ThreadLocal<long[]> KEY_TABLE = new ThreadLocal<>();

  /** Series tables larger than this (ints; 4 MiB) are not kept for the next request. */
  static final int MAX_KEPT_TABLE = 1 << 20;

  HttpResponse remoteWrite(HttpRequest request) {
    Head head = storage instanceof Tsdb db ? db.head() : null;
    byte[] body = request.body();
    byte[] raw;
    int rawLength;
    try {
      rawLength = SnappyBodies.decodedLength(body);
      raw = DECOMPRESSED.get();
      if (raw == null || raw.length < rawLength) {
        raw = new byte[Math.max(rawLength, 64 << 10)];
        if (raw.length <= MAX_KEPT_BUFFER) {
          DECOMPRESSED.set(raw);
        }
      }
      if (Snappy.uncompress(body, 0, body.length, raw, 0) != rawLength) {
        throw new IOException("decoded length differs from the header's");
      }
    } catch (IOException e) {
      throw ApiException.badData("cannot decode remote write request: snappy: " + e.getMessage());
    }
    RemoteWriteReader r;
    try {
      r =
          RemoteWriteReader.validated(
              raw, rawLength, SERIES_TABLE.get(), KEY_TABLE.get(), head != null ? refs : null);
      if (r.table().length <= MAX_KEPT_TABLE) {
        SERIES_TABLE.set(r.table());
      }
      if (r.keys() != null && r.keys().length <= MAX_KEPT_TABLE) {
        KEY_TABLE.set(r.keys());
      }
    } catch (RemoteWriteReader.MalformedException e) {
      throw ApiException.badData("cannot decode remote write request: protobuf: " + e.getMessage());
    }
    IngestBatch batch = new IngestBatch(storage, Integer.MAX_VALUE, false);
    Labels.Builder b = Labels.builder();
    String[] why = new String[1];
    boolean ok = false;
    try {
      while (r.nextSeries()) {
        // a known series is found by the 128-bit hash of its label bytes, its labels never
        // decoded nor compared; the hit must name a live series with the labels hash stored
        long hash = 0;
        long hash2 = 0;
        long ref = 0;
        Labels labels = null;
        boolean cacheable = head != null && r.labelsContiguous();
        if (cacheable) {
          hash = r.labelsHash();
          hash2 = r.labelsHash2();
          // the validation looked the label run up already (and skipped checking a known one)
          long cached = r.lookedUp() ? r.knownEntry() : refs.get(hash, hash2);
          if (cached != 0) {
            Labels known = head.labelsOf(SeriesRefCache.ref(cached));
            if (known != null && SeriesRefCache.confirms(cached, known.hash())) {
              ref = SeriesRefCache.ref(cached);
              labels = known;
            }
          }
        }
        if (labels == null) {
          labels = RemoteWriteDecoder.labels(r.labelStrings(), b, why);
          if (labels == null) {
            for (int i = 0; i < r.sampleCount() + r.histogramCount(); i++) {
              batch.reject(why[0]);
            }
            continue;
          }
        }
        long first = ref;
        while (r.nextSample()) {
          ref = batch.append(ref, labels, r.t(), r.v());
        }
        if (r.histogramCount() > 0) {
          ref = appendHistograms(r, batch, ref, labels);
        }
        if (cacheable && ref != first) {
          refs.put(hash, hash2, ref, labels.hash(), head.numSeries());
        }
      }
      batch.commit();
      ok = true;
    } finally {
      if (!ok) {
        batch.rollback();
      }
    }
    return answer(batch, rwSamples, rwInvalid, "remote_write", request);
  }

  /** Appends the series' native histograms; each invalid one is refused with its reason. */
  private static long appendHistograms(
      RemoteWriteReader r, IngestBatch batch, long ref, Labels labels) {
    while (r.nextHistogram()) {
      RemoteWriteHistogram rh;
      dev.osprey.core.histogram.FloatHistogram h;
      try {
        rh = RemoteWriteHistogram.read(r.bytes(), r.histogramStart(), r.histogramEnd());
        h = rh.toFloatHistogram();
      } catch (RemoteWriteHistogram.InvalidException e) {
        batch.reject(e.getMessage() + " (series " + labels + ")");
        continue;
      } catch (RuntimeException e) {
        // a packed field cut inside its own length (the wire check does not look inside them)
        batch.reject("malformed native histogram (series " + labels + ")");
        continue;
      }
      ref = batch.appendHistogram(ref, labels, rh.timestamp, h);
    }
    return ref;
  }

  HttpResponse importText(HttpRequest request) throws IOException {
    InputStream in = new BufferedInputStream(request.bodyStream(), 1 << 16);
    boolean openMetrics = isOpenMetrics(request.contentType(), in);
    IngestBatch batch = new IngestBatch(storage, COMMIT_EVERY, true);
    ExpositionParser parser = new ExpositionParser(openMetrics, System.currentTimeMillis());
    boolean ok = false;
    try {
      parser.parse(
          in,
          new ExpositionParser.Sink() {
            private Labels last;
            private long ref;

            @Override
            public void sample(Labels labels, long t, double v) {
              if (labels != last) {
                last = labels;
                ref = 0;
              }
              ref = batch.append(ref, labels, t, v);
            }

            @Override
            public void error(String message) {
              batch.reject(message);
            }
          });
      batch.commit();
      ok = true;
    } finally {
      if (!ok) {
        batch.commit(); // what was parsed before the stream broke is good data
      }
    }
    return answer(batch, importSamples, importInvalid, "import", request);
  }

  /**
   * OpenMetrics when the Content-Type says so; otherwise when the first 64 KiB hold an OpenMetrics
   * only line ({@code # EOF} or {@code # UNIT}); otherwise the Prometheus text format.
   */
  static boolean isOpenMetrics(String contentType, InputStream in) throws IOException {
    String ct = contentType.toLowerCase(java.util.Locale.ROOT);
    if (ct.startsWith("application/openmetrics-text")) {
      return true;
    }
    if (ct.startsWith("text/plain")) {
      return false;
    }
    int peek = 1 << 16;
    in.mark(peek);
    byte[] head = in.readNBytes(peek);
    in.reset();
    String s = new String(head, StandardCharsets.UTF_8);
    return s.startsWith("# EOF")
        || s.contains("\n# EOF")
        || s.startsWith("# UNIT ")
        || s.contains("\n# UNIT ");
  }

  private static HttpResponse answer(
      IngestBatch batch, Counter samples, Counter invalid, String endpoint, HttpRequest request) {
    samples.increment(batch.accepted());
    if (batch.bad() == 0) {
      return HttpResponse.noContent();
    }
    invalid.increment(batch.bad());
    String report = batch.report();
    log.warn(
        "event=ingest_partial endpoint={} remote={} accepted={} refused={}",
        endpoint,
        request.remoteAddress(),
        batch.accepted(),
        batch.bad());
    return HttpResponse.text(400, report + "\n");
  }
}
