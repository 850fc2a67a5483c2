package dev.osprey.query.promql;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.labels.Labels;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** {@code load_with_nhcb}: classic histogram series of a block as custom-bucket histograms. */
final class Nhcb {
  private Nhcb() {}

  private static final class Target {
    final TreeMap<Long, TreeMap<Double, Double>> buckets = new TreeMap<>();
    final TreeMap<Long, Double> sum = new TreeMap<>();
    final TreeMap<Long, Double> count = new TreeMap<>();
  }

  static void convert(
      Map<Labels, List<double[]>> series, Map<Labels, TreeMap<Long, FloatHistogram>> out) {
    LinkedHashMap<Labels, Target> targets = new LinkedHashMap<>();
    for (Map.Entry<Labels, List<double[]>> en : series.entrySet()) {
      Labels l = en.getKey();
      String name = l.metricName();
      String suffix = null;
      for (String sfx : new String[] {"_bucket", "_sum", "_count"}) {
        if (name.endsWith(sfx)) {
          suffix = sfx;
        }
      }
      if (suffix == null) {
        continue;
      }
      double le = 0;
      if (suffix.equals("_bucket")) {
        try {
          le = goFloat(l.get("le"));
        } catch (NumberFormatException e) {
          continue;
        }
        if (Double.isNaN(le)) {
          continue;
        }
      }
      Labels tl =
          l.toBuilder()
              .set("__name__", name.substring(0, name.length() - suffix.length()))
              .del("le")
              .build();
      Target t = targets.computeIfAbsent(tl, x -> new Target());
      for (double[] p : en.getValue()) {
        long ts = (long) p[0];
        switch (suffix) {
          case "_bucket" ->
              t.buckets.computeIfAbsent(ts, x -> new TreeMap<>()).putIfAbsent(le, p[1]);
          case "_sum" -> t.sum.put(ts, p[1]);
          default -> t.count.put(ts, p[1]);
        }
      }
    }
    for (Map.Entry<Labels, Target> en : targets.entrySet()) {
      Target t = en.getValue();
      java.util.TreeSet<Long> times = new java.util.TreeSet<>(t.buckets.keySet());
      times.addAll(t.sum.keySet());
      times.addAll(t.count.keySet());
      for (long ts : times) {
        TreeMap<Double, Double> b = new TreeMap<>(t.buckets.getOrDefault(ts, new TreeMap<>()));
        double last = b.isEmpty() ? 0 : b.lastEntry().getValue();
        double count = t.count.getOrDefault(ts, last);
        double sum = t.sum.getOrDefault(ts, 0.0);
        if (b.isEmpty() || b.lastKey() != Double.POSITIVE_INFINITY) {
          b.put(Double.POSITIVE_INFINITY, count);
        }
        double[] cv = new double[b.size() - 1];
        double[] cnt = new double[b.size()];
        int k = 0;
        double prev = 0;
        for (Map.Entry<Double, Double> e : b.entrySet()) {
          if (e.getValue() < prev) {
            throw new IllegalArgumentException("nhcb: counts decrease at le=" + e.getKey());
          }
          if (k < cv.length) {
            cv[k] = e.getKey();
          }
          cnt[k++] = e.getValue() - prev;
          prev = e.getValue();
        }
        out.computeIfAbsent(en.getKey(), x -> new TreeMap<>())
            .put(
                ts,
                FloatHistogram.of(
                    FloatHistogram.CUSTOM_BUCKETS_SCHEMA,
                    0,
                    0,
                    count,
                    sum,
                    new int[] {0, cnt.length},
                    cnt,
                    null,
                    null,
                    cv,
                    FloatHistogram.CounterResetHint.UNKNOWN));
      }
    }
  }

  static double goFloat(String s) {
    String l = s.toLowerCase(java.util.Locale.ROOT);
    return switch (l) {
      case "+inf", "inf", "+infinity", "infinity" -> Double.POSITIVE_INFINITY;
      case "-inf", "-infinity" -> Double.NEGATIVE_INFINITY;
      case "nan" -> Double.NaN;
      default -> {
        if (l.endsWith("d") || l.endsWith("f") || l.isEmpty()) {
          throw new NumberFormatException(s);
        }
        yield Double.parseDouble(s.replace("_", ""));
      }
    };
  }
}
