package dev.osprey.tsdb.http;

import dev.osprey.core.http.ApiException;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.RouteProvider;
import dev.osprey.core.http.Router;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.util.Utf8;
import dev.osprey.tsdb.Tsdb;
import dev.osprey.tsdb.head.Head;
import dev.osprey.tsdb.index.MemPostings;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/v1/status/tsdb?limit=10}: the head's cardinality as Prometheus reports it, the
 * page an SRE opens when memory grows: series, label pairs, chunks and time range of the head, and
 * the top {@code limit} metric names by series, label names by number of values, label names by
 * bytes of values over their series, and label pairs by series.
 */
public final class StatusRoutes implements RouteProvider {
  private final Tsdb tsdb;

  public StatusRoutes(Tsdb tsdb) {
    this.tsdb = tsdb;
  }

  @Override
  public void register(Router router) {
    router.get("/api/v1/status/tsdb", this::status);
  }

  /** A name and a count, as Prometheus's {@code {"name": ..., "value": ...}}. */
  public record Stat(String name, long value) {}

  HttpResponse status(HttpRequest r) {
    int limit = 10;
    String l = r.param("limit");
    if (l != null && !l.isEmpty()) {
      try {
        limit = Integer.parseInt(l);
      } catch (NumberFormatException e) {
        limit = 0;
      }
      if (limit < 1) {
        throw ApiException.badData("limit must be a positive number");
      }
    }
    return HttpResponse.success(stats(tsdb.head(), limit));
  }

  static Map<String, Object> stats(Head head, int limit) {
    MemPostings p = head.postings();
    List<Stat> metrics = new ArrayList<>();
    List<Stat> valuesPerName = new ArrayList<>();
    List<Stat> bytesPerName = new ArrayList<>();
    List<Stat> pairs = new ArrayList<>();
    long numPairs = 0;
    for (String name : p.labelNames()) {
      List<String> values = p.labelValues(name);
      valuesPerName.add(new Stat(name, values.size()));
      numPairs += values.size();
      long bytes = 0;
      for (String v : values) {
        long series = p.select(LabelMatcher.equal(name, v)).getLongCardinality();
        if (name.equals("__name__")) {
          metrics.add(new Stat(v, series));
        }
        pairs.add(new Stat(name + "=" + v, series));
        bytes += (long) Utf8.length(v) * series; // Prometheus counts the value's bytes per series
      }
      bytesPerName.add(new Stat(name, bytes));
    }
    Map<String, Object> headStats = new LinkedHashMap<>();
    headStats.put("numSeries", head.numSeries());
    headStats.put("numLabelPairs", numPairs);
    headStats.put("chunkCount", head.chunkCount());
    headStats.put("minTime", head.minTime());
    headStats.put("maxTime", head.maxTime());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("headStats", headStats);
    out.put("seriesCountByMetricName", top(metrics, limit));
    out.put("labelValueCountByLabelName", top(valuesPerName, limit));
    out.put("memoryInBytesByLabelName", top(bytesPerName, limit));
    out.put("seriesCountByLabelValuePair", top(pairs, limit));
    return out;
  }

  private static List<Stat> top(List<Stat> all, int limit) {
    return all.stream()
        .sorted(Comparator.comparingLong(Stat::value).reversed().thenComparing(Stat::name))
        .limit(limit)
        .toList();
  }
}
