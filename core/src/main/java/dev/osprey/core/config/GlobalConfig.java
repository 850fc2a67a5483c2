package dev.osprey.core.config;

import dev.osprey.core.labels.Labels;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Settings of the whole server, spelled as in {@code prometheus.yml}'s {@code global} section.
 *
 * @param externalLabels labels added to every alert sent to a receiver or an external Alertmanager
 *     (an alert's own label of the same name wins), as Prometheus does
 */
public record GlobalConfig(Map<String, String> externalLabels) {
  public GlobalConfig {
    TreeMap<String, String> sorted = new TreeMap<>();
    if (externalLabels != null) {
      for (Map.Entry<String, String> e : externalLabels.entrySet()) {
        String name = e.getKey();
        if (!Labels.isValidLabelName(name)) {
          throw new IllegalArgumentException(
              "external_labels: \"" + name + "\" is not a valid label name");
        }
        if (name.startsWith("__")) {
          throw new IllegalArgumentException(
              "external_labels: \""
                  + name
                  + "\" is reserved (names starting with __ are internal)");
        }
        if (e.getValue() == null || e.getValue().isEmpty()) {
          throw new IllegalArgumentException(
              "external_labels: \"" + name + "\" has an empty value");
        }
        sorted.put(name, e.getValue());
      }
    }
    externalLabels = Collections.unmodifiableMap(sorted);
  }

  public static final GlobalConfig DEFAULTS = new GlobalConfig(null);
}
