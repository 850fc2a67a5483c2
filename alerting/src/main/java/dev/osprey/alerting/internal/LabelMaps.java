package dev.osprey.alerting.internal;

import dev.osprey.core.labels.Labels;
import java.util.LinkedHashMap;
import java.util.Map;

/** Conversions between {@link Labels} and the ordered maps templates and JSON see. */
public final class LabelMaps {
  private LabelMaps() {}

  /** The labels as a map in label order (Prometheus's sorted order). */
  public static Map<String, String> toMap(Labels l) {
    Map<String, String> m = new LinkedHashMap<>();
    l.forEach(m::put);
    return m;
  }
}
