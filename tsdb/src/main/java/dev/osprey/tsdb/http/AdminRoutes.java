package dev.osprey.tsdb.http;

import dev.osprey.core.http.ApiException;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.RouteProvider;
import dev.osprey.core.http.Router;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.SelectorParser;
import dev.osprey.tsdb.Tsdb;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Prometheus's TSDB admin API plus two of Osprey's own, each answering only when the work is done:
 *
 * <ul>
 *   <li>{@code POST|PUT /api/v1/admin/tsdb/snapshot?skip_head=} → {@code {"name": ...}}
 *   <li>{@code POST|PUT /api/v1/admin/tsdb/delete_series?match[]=&start=&end=} → 204
 *   <li>{@code POST|PUT /api/v1/admin/tsdb/clean_tombstones} → 204 (deletes are applied at once, so
 *       there are never tombstones left to clean)
 *   <li>{@code POST /api/v1/admin/tsdb/flush} → 204: cut the whole head into blocks now
 *   <li>{@code POST /api/v1/admin/tsdb/compact} → 204: cut, compact and apply retention now
 * </ul>
 */
public final class AdminRoutes implements RouteProvider {
  private static final Set<String> POST_PUT = Set.of("POST", "PUT");

  private final Tsdb tsdb;

  public AdminRoutes(Tsdb tsdb) {
    this.tsdb = tsdb;
  }

  @Override
  public void register(Router router) {
    router.add(POST_PUT, "/api/v1/admin/tsdb/snapshot", this::snapshot, false);
    router.add(POST_PUT, "/api/v1/admin/tsdb/delete_series", this::deleteSeries, false);
    router.add(
        POST_PUT, "/api/v1/admin/tsdb/clean_tombstones", r -> HttpResponse.noContent(), false);
    router.post(
        "/api/v1/admin/tsdb/flush",
        r -> {
          tsdb.flush();
          return HttpResponse.noContent();
        });
    router.post(
        "/api/v1/admin/tsdb/compact",
        r -> {
          tsdb.compact();
          return HttpResponse.noContent();
        });
  }

  HttpResponse snapshot(HttpRequest r) {
    String skip = r.param("skip_head", "false");
    boolean skipHead;
    if (skip.equals("true") || skip.equals("1")) {
      skipHead = true;
    } else if (skip.equals("false") || skip.equals("0")) {
      skipHead = false;
    } else {
      throw ApiException.badData("unable to parse boolean 'skip_head' argument: " + skip);
    }
    return HttpResponse.success(Map.of("name", tsdb.snapshot(skipHead)));
  }

  HttpResponse deleteSeries(HttpRequest r) {
    List<String> matches = r.params("match[]");
    if (matches.isEmpty()) {
      throw ApiException.badData("no match[] parameter provided");
    }
    long start = parseTime(r.param("start"), Long.MIN_VALUE, "start");
    long end = parseTime(r.param("end"), Long.MAX_VALUE, "end");
    List<LabelMatcher[]> sets = new ArrayList<>();
    for (String m : matches) {
      try {
        sets.add(SelectorParser.parse(m));
      } catch (IllegalArgumentException e) {
        throw ApiException.badData("invalid parameter \"match[]\": " + e.getMessage());
      }
    }
    tsdb.deleteSeries(start, end, sets);
    return HttpResponse.noContent();
  }

  /** A time as Prometheus's API takes it: Unix seconds (with fraction) or RFC 3339. */
  static long parseTime(String s, long dflt, String param) {
    if (s == null || s.isEmpty()) {
      return dflt;
    }
    try {
      return new BigDecimal(s)
          .movePointRight(3)
          .setScale(0, java.math.RoundingMode.HALF_EVEN)
          .longValueExact();
    } catch (NumberFormatException | ArithmeticException e) {
      // not a number: try RFC 3339
    }
    try {
      return OffsetDateTime.parse(s).toInstant().toEpochMilli();
    } catch (DateTimeParseException e) {
      throw ApiException.badData(
          "invalid parameter \"" + param + "\": cannot parse \"" + s + "\" to a valid timestamp");
    }
  }
}
