package dev.osprey.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/** Compares two Prometheus API answers: same series, same timestamps, values within 1e-9. */
final class Differ {
  private Differ() {}

  /** Null when equal; otherwise the first difference, in words. */
  static String compare(JsonNode want, JsonNode got) {
    if (!want.path("status").asText().equals(got.path("status").asText())) {
      return "status "
          + want.path("status")
          + " vs "
          + got.path("status")
          + " "
          + got.path("error");
    }
    Map<String, JsonNode> a = bySeries(want.at("/data/result"));
    Map<String, JsonNode> b = bySeries(got.at("/data/result"));
    if (!a.keySet().equals(b.keySet())) {
      return "series differ: "
          + a.size()
          + " vs "
          + b.size()
          + " (first of Prometheus: "
          + a.keySet().stream().findFirst().orElse("none")
          + ", of Osprey: "
          + b.keySet().stream().findFirst().orElse("none")
          + ")";
    }
    for (var e : a.entrySet()) {
      JsonNode va = e.getValue().get("values");
      JsonNode vb = b.get(e.getKey()).get("values");
      if (va.size() != vb.size()) {
        return e.getKey() + ": " + va.size() + " vs " + vb.size() + " points";
      }
      for (int i = 0; i < va.size(); i++) {
        if (va.get(i).get(0).asDouble() != vb.get(i).get(0).asDouble()) {
          return e.getKey() + ": timestamp " + va.get(i).get(0) + " vs " + vb.get(i).get(0);
        }
        double x = Double.parseDouble(va.get(i).get(1).asText());
        double y = Double.parseDouble(vb.get(i).get(1).asText());
        if (!(Double.isNaN(x) && Double.isNaN(y))
            && x != y
            && Math.abs(x - y) > 1e-9 * Math.max(Math.abs(x), Math.abs(y))) {
          return e.getKey() + " at " + va.get(i).get(0) + ": " + x + " vs " + y;
        }
      }
    }
    return null;
  }

  private static Map<String, JsonNode> bySeries(JsonNode result) {
    Map<String, JsonNode> out = new TreeMap<>();
    for (JsonNode s : result) {
      StringBuilder key = new StringBuilder("{");
      Iterator<Map.Entry<String, JsonNode>> it = s.get("metric").fields();
      TreeMap<String, String> sorted = new TreeMap<>();
      it.forEachRemaining(f -> sorted.put(f.getKey(), f.getValue().asText()));
      sorted.forEach((k, v) -> key.append(k).append("=\"").append(v).append("\","));
      out.put(key.append('}').toString(), s);
    }
    return out;
  }
}
