package dev.osprey.alerting.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.alerting.internal.StateFile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Alertmanager's notification log: per group key, receiver and integration, what was last sent
 * (firing and resolved alert fingerprints) and when. The dedup decision reads it, so a group is
 * never notified twice for the same state within its repeat interval, across restarts too.
 */
public final class NotificationLog {
  private static final Logger log = LoggerFactory.getLogger(NotificationLog.class);
  private static final byte[] MAGIC = {'O', 'A', 'N', 'L'};
  private static final int VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper();
  static final java.time.Duration RETENTION = java.time.Duration.ofHours(120);

  public record Entry(String key, long timestampMillis, Set<Long> firing, Set<Long> resolved) {}

  private final Map<String, Entry> entries = new HashMap<>();
  private final Path file;

  public NotificationLog(Path file) {
    this.file = file;
    if (file != null) {
      try {
        for (byte[] r : StateFile.read(file, MAGIC, VERSION)) {
          Entry e = JSON.readValue(r, Entry.class);
          entries.put(e.key(), e);
        }
      } catch (IOException e) {
        log.error("cannot read notification log path={} err={}", file, e.getMessage());
      }
    }
  }

  public static String key(String groupKey, String receiver, String integration, int idx) {
    return groupKey + "\u0000" + receiver + "/" + integration + "/" + idx;
  }

  public synchronized Entry get(String key) {
    return entries.get(key);
  }

  public synchronized void log(String key, Instant now, Set<Long> firing, Set<Long> resolved) {
    entries.put(key, new Entry(key, now.toEpochMilli(), Set.copyOf(firing), Set.copyOf(resolved)));
    long limit = now.minus(RETENTION).toEpochMilli();
    entries.values().removeIf(e -> e.timestampMillis() < limit);
    persist();
  }

  public synchronized int size() {
    return entries.size();
  }

  private void persist() {
    if (file == null) {
      return;
    }
    try {
      List<byte[]> recs = new ArrayList<>();
      for (Entry e : entries.values()) {
        recs.add(JSON.writeValueAsBytes(e));
      }
      StateFile.write(file, MAGIC, VERSION, recs);
    } catch (IOException e) {
      log.error("cannot write notification log path={} err={}", file, e.toString());
    }
  }
}
