package dev.osprey.server;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo's built-in workload: a few pods writing container logs exactly as kubelet lays them out
 * ({@code pods/<namespace>_<pod>_<uid>/<container>/0.log}, CRI format, rotated by renaming to
 * {@code 0.log.<timestamp>} and starting a new file), so the log shipper has real files to tail and
 * the dashboard has something to show within seconds. Bounded: each file rotates at 1 MiB and at
 * most two rotated files are kept.
 */
final class DemoWorkload implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DemoWorkload.class);
  private static final long ROTATE_BYTES = 1 << 20;
  private static final DateTimeFormatter CRI_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter ROTATED =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  private record Pod(String namespace, String name, String uid, String container, String kind) {}

  private final Path podsDir;
  private final List<Pod> pods = new ArrayList<>();
  private final SplittableRandom rnd = new SplittableRandom();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "osprey-demo-workload");
            t.setDaemon(true);
            return t;
          });
  private long lines;

  DemoWorkload(Path dataDir) {
    this.podsDir = dataDir.resolve("demo/pods");
    pods.add(
        new Pod(
            "shop",
            "frontend-7d9c8b6f5-x2k4q",
            "0b7a0f9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
            "nginx",
            "nginx"));
    pods.add(
        new Pod(
            "shop",
            "checkout-5f6d7c8b9-m3n8p",
            "1c8b1f0a-2d3e-4f60-9b0c-1d2e3f4a5b6c",
            "app",
            "json"));
    pods.add(
        new Pod("payments", "ledger-0", "2d9c2a1b-3e4f-4071-8c1d-2e3f4a5b6c7d", "java", "java"));
  }

  /** The glob the shipper tails to pick up these files. */
  String glob() {
    return podsDir.toAbsolutePath() + "/*/*/*.log";
  }

  DemoWorkload start() throws IOException {
    for (Pod p : pods) {
      Files.createDirectories(dir(p));
    }
    timer.scheduleAtFixedRate(this::tick, 0, 200, TimeUnit.MILLISECONDS);
    log.info("event=demo_workload_started dir={}", podsDir);
    return this;
  }

  private Path dir(Pod p) {
    return podsDir.resolve(p.namespace + "_" + p.name + "_" + p.uid).resolve(p.container);
  }

  private void tick() {
    try {
      for (Pod p : pods) {
        int n = 1 + rnd.nextInt(4);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
          for (String line : lines(p)) {
            sb.append(CRI_TIME.format(Instant.now())).append(' ');
            sb.append(line.startsWith("!") ? "stderr" : "stdout").append(" F ");
            sb.append(line.startsWith("!") ? line.substring(1) : line).append('\n');
            lines++;
          }
        }
        append(p, sb.toString());
      }
    } catch (IOException | RuntimeException e) {
      log.warn("event=demo_workload_failed error={}", e.toString());
    }
  }

  private void append(Pod p, String text) throws IOException {
    Path file = dir(p).resolve("0.log");
    if (Files.exists(file) && Files.size(file) > ROTATE_BYTES) {
      // As kubelet rotates: rename, then the writer opens a new file.
      Files.move(
          file,
          dir(p).resolve("0.log." + ROTATED.format(Instant.now())),
          StandardCopyOption.ATOMIC_MOVE);
      try (var old = Files.list(dir(p))) {
        List<Path> rotated =
            old.filter(f -> f.getFileName().toString().startsWith("0.log.")).sorted().toList();
        for (int i = 0; i < rotated.size() - 2; i++) {
          Files.deleteIfExists(rotated.get(i));
        }
      }
    }
    try (OutputStream out =
        Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  private static final String[] PATHS = {
    "/", "/cart", "/api/v1/items", "/api/v1/items/42", "/checkout", "/static/app.js"
  };
  private static final String[] USERS = {"alice", "bob", "carol", "dave"};

  private List<String> lines(Pod p) {
    int status = rnd.nextInt(100) < 93 ? 200 : rnd.nextInt(100) < 70 ? 404 : 503;
    String traceId = Long.toHexString(rnd.nextLong()) + Long.toHexString(rnd.nextLong());
    return switch (p.kind) {
      case "nginx" ->
          List.of(
              String.format(
                  "10.244.%d.%d - - [%s] \"GET %s HTTP/1.1\" %d %d \"-\" \"Mozilla/5.0\" %.3f",
                  rnd.nextInt(4),
                  rnd.nextInt(250),
                  DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z")
                      .withZone(ZoneOffset.UTC)
                      .format(Instant.now()),
                  PATHS[rnd.nextInt(PATHS.length)],
                  status,
                  200 + rnd.nextInt(20_000),
                  rnd.nextDouble(0.001, 0.4)));
      case "json" ->
          List.of(
              String.format(
                  "{\"level\":\"%s\",\"msg\":\"%s\",\"user\":\"%s\",\"duration_ms\":%d,\"trace_id\":\"%s\"}",
                  status == 200 ? "info" : "error",
                  status == 200 ? "order placed" : "payment gateway timeout",
                  USERS[rnd.nextInt(USERS.length)],
                  rnd.nextInt(1, 900),
                  traceId));
      default ->
          status == 503
              ? List.of(
                  "!ERROR ledger.TransferService - transfer failed trace_id=" + traceId,
                  "!java.net.SocketTimeoutException: connection reset by peer",
                  "!\tat ledger.BankClient.post(BankClient.java:88)",
                  "!\tat ledger.TransferService.run(TransferService.java:41)")
              : List.of(
                  "INFO  ledger.TransferService - transfer ok amount="
                      + rnd.nextInt(1, 5000)
                      + " trace_id="
                      + traceId);
    };
  }

  long linesWritten() {
    return lines;
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
