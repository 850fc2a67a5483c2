package dev.osprey.alerting.notify;

import dev.osprey.core.labels.Labels;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

/**
 * An alert as Alertmanager holds it. {@code timeout} is true when {@code endsAt} was not given by
 * the sender but set from {@code resolve_timeout}.
 */
public record Alert(
    Labels labels,
    Map<String, String> annotations,
    Instant startsAt,
    Instant endsAt,
    String generatorURL,
    Instant updatedAt,
    boolean timeout) {
  public Alert {
    annotations = Map.copyOf(annotations);
    generatorURL = generatorURL == null ? "" : generatorURL;
  }

  /** Resolved when an end time is set and has passed. */
  public boolean resolvedAt(Instant now) {
    return endsAt != null && !endsAt.isAfter(now);
  }

  public long fingerprint() {
    return fingerprint(labels);
  }

  public String fingerprintHex() {
    return String.format("%016x", fingerprint());
  }

  /** Prometheus's model.LabelSet.Fingerprint: FNV-1a 64 over name, 0xff, value, 0xff, sorted. */
  public static long fingerprint(Labels labels) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < labels.size(); i++) {
      h = fnv(h, labels.name(i));
      h = (h ^ 0xff) * 0x100000001b3L;
      h = fnv(h, labels.value(i));
      h = (h ^ 0xff) * 0x100000001b3L;
    }
    return h;
  }

  private static long fnv(long h, String s) {
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return h;
  }

  /** Alertmanager's Alert.Merge: {@code this} and {@code o} carry the same labels. */
  public Alert merge(Alert o, Instant now) {
    if (o.updatedAt.isBefore(updatedAt)) {
      return o.merge(this, now);
    }
    Instant starts = startsAt.isBefore(o.startsAt) ? startsAt : o.startsAt;
    Instant ends = o.endsAt;
    if (o.resolvedAt(now)) {
      if (resolvedAt(now) && endsAt.isAfter(o.endsAt)) {
        ends = endsAt;
      }
    } else if (endsAt != null && endsAt.isAfter(o.endsAt) && !timeout) {
      ends = endsAt;
    }
    return new Alert(o.labels, o.annotations, starts, ends, o.generatorURL, o.updatedAt, o.timeout);
  }
}
