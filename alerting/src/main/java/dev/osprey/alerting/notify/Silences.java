package dev.osprey.alerting.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.alerting.internal.GoTime;
import dev.osprey.alerting.internal.StateFile;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Alertmanager's silences: create, expire, list, match; persisted to a snapshot file. */
public final class Silences {
  private static final Logger log = LoggerFactory.getLogger(Silences.class);
  private static final byte[] MAGIC = {'O', 'A', 'S', 'I'};
  private static final int VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Expired silences are kept this long, as Alertmanager's default --data.retention. */
  static final java.time.Duration RETENTION = java.time.Duration.ofHours(120);

  /** A matcher as the API v2 carries it. */
  public record ApiMatcher(String name, String value, boolean isRegex, boolean isEqual) {
    LabelMatcher toMatcher() {
      LabelMatcher.Type t =
          isRegex
              ? (isEqual ? LabelMatcher.Type.REGEX : LabelMatcher.Type.NOT_REGEX)
              : (isEqual ? LabelMatcher.Type.EQUAL : LabelMatcher.Type.NOT_EQUAL);
      return LabelMatcher.of(t, name, value);
    }
  }

  public record Silence(
      String id,
      List<ApiMatcher> matchers,
      String startsAt,
      String endsAt,
      String updatedAt,
      String createdBy,
      String comment) {}

  private final Map<String, Silence> silences = new LinkedHashMap<>();
  private final Clock clock;
  private final Path file;

  public Silences(Clock clock, Path file) {
    this.clock = clock;
    this.file = file;
    load();
  }

  public static String state(Silence s, Instant now) {
    if (GoTime.parse(s.startsAt()).isAfter(now)) {
      return "pending";
    }
    if (!GoTime.parse(s.endsAt()).isAfter(now)) {
      return "expired";
    }
    return "active";
  }

  /** Creates or replaces a silence; returns its id. Validation messages as Alertmanager's. */
  public synchronized String set(Silence s) {
    Instant now = clock.instant();
    if (s.matchers() == null || s.matchers().isEmpty()) {
      throw new IllegalArgumentException("at least one matcher required");
    }
    boolean allEmpty = true;
    for (ApiMatcher m : s.matchers()) {
      if (m.name() == null || m.name().isEmpty()) {
        throw new IllegalArgumentException("invalid label matcher: missing label name");
      }
      m.toMatcher(); // compiles regexes
      if (!m.toMatcher().matchesEmpty()) {
        allEmpty = false;
      }
    }
    if (allEmpty) {
      throw new IllegalArgumentException("at least one matcher must not match the empty string");
    }
    Instant start = s.startsAt() == null ? now : GoTime.parse(s.startsAt());
    Instant end = s.endsAt() == null ? null : GoTime.parse(s.endsAt());
    if (end == null) {
      throw new IllegalArgumentException("invalid zero end timestamp");
    }
    if (end.isBefore(start)) {
      throw new IllegalArgumentException("end time must not be before start time");
    }
    if (!end.isAfter(now)) {
      throw new IllegalArgumentException("end time can't be in the past");
    }
    if (start.isBefore(now)) {
      start = now;
    }
    String id = s.id();
    if (id != null && !id.isEmpty()) {
      Silence old = silences.get(id);
      if (old == null) {
        throw new NoSuchElementException("silence " + id + " not found");
      }
      if (!state(old, now).equals("expired")) {
        expireLocked(old, now);
      }
    }
    String newId = UUID.randomUUID().toString();
    silences.put(
        newId,
        new Silence(
            newId,
            List.copyOf(s.matchers()),
            GoTime.format(start),
            GoTime.format(end),
            GoTime.format(now),
            s.createdBy() == null ? "" : s.createdBy(),
            s.comment() == null ? "" : s.comment()));
    persist();
    return newId;
  }

  /** Thrown for an unknown silence id (404). */
  public static final class NoSuchElementException extends RuntimeException {
    NoSuchElementException(String m) {
      super(m, null, false, false);
    }
  }

  public synchronized void expire(String id) {
    Silence s = silences.get(id);
    if (s == null) {
      throw new NoSuchElementException("silence " + id + " not found");
    }
    Instant now = clock.instant();
    if (state(s, now).equals("expired")) {
      throw new IllegalArgumentException("silence " + id + " already expired");
    }
    expireLocked(s, now);
    persist();
  }

  private void expireLocked(Silence s, Instant now) {
    String n = GoTime.format(now);
    boolean pending = state(s, now).equals("pending");
    silences.put(
        s.id(),
        new Silence(
            s.id(), s.matchers(), pending ? n : s.startsAt(), n, n, s.createdBy(), s.comment()));
  }

  public synchronized Silence get(String id) {
    Silence s = silences.get(id);
    if (s == null) {
      throw new NoSuchElementException("silence " + id + " not found");
    }
    return s;
  }

  public synchronized List<Silence> list() {
    gc();
    return List.copyOf(silences.values());
  }

  /** The ids of active silences that match {@code labels}. */
  public synchronized List<String> mutedBy(Labels labels) {
    Instant now = clock.instant();
    List<String> out = new ArrayList<>();
    for (Silence s : silences.values()) {
      if (!state(s, now).equals("active")) {
        continue;
      }
      boolean all = true;
      for (ApiMatcher m : s.matchers()) {
        if (!m.toMatcher().matches(labels.get(m.name()))) {
          all = false;
          break;
        }
      }
      if (all) {
        out.add(s.id());
      }
    }
    return out;
  }

  private void gc() {
    Instant limit = clock.instant().minus(RETENTION);
    silences.values().removeIf(s -> GoTime.parse(s.endsAt()).isBefore(limit));
  }

  private void persist() {
    if (file == null) {
      return;
    }
    List<byte[]> recs = new ArrayList<>();
    try {
      for (Silence s : silences.values()) {
        recs.add(JSON.writeValueAsBytes(s));
      }
      StateFile.write(file, MAGIC, VERSION, recs);
    } catch (IOException e) {
      log.error("cannot write silences path={} err={}", file, e.toString());
    }
  }

  private void load() {
    if (file == null) {
      return;
    }
    try {
      for (byte[] r : StateFile.read(file, MAGIC, VERSION)) {
        Silence s = JSON.readValue(r, Silence.class);
        silences.put(s.id(), s);
      }
    } catch (IOException e) {
      log.error("cannot read silences, starting without them path={} err={}", file, e.getMessage());
    }
  }
}
