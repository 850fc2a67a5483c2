package dev.osprey.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Writes CRI-format container logs ({@code <RFC3339Nano> stdout F <text>}) as kubelet does, at a
 * fixed rate paced per 10 ms tick, into {@code <root>/<ns>_<pod>_<uid>/<container>/0.log}, one file
 * per {@link LogWorkload} stream, rotating a file at {@code rotateBytes} by renaming it to {@code
 * 0.log.<yyyyMMdd-HHmmss>} and starting a new {@code 0.log}. Line texts come from {@link
 * LogWorkload}: file {@code f} gets lines {@code 24 k + f}, which are the lines of stream {@code
 * f}.
 */
final class CriLogWriter implements Runnable {
  private static final DateTimeFormatter ROTATED =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
  private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private final int linesPerSecond;
  private final long rotateBytes;
  private final long endNanos;
  private final Path[] dirs;
  private final OutputStream[] out;
  private final long[] size;
  private final LogWorkload workload = new LogWorkload(Long.MAX_VALUE, 42);
  volatile long written;
  volatile long writtenBytes;
  volatile int rotations;
  volatile boolean stop;
  volatile IOException failure;

  CriLogWriter(Path root, int files, int linesPerSecond, long rotateBytes, long endNanos)
      throws IOException {
    if (files < 1 || files > LogWorkload.streams()) {
      throw new IllegalArgumentException("files must be 1.." + LogWorkload.streams());
    }
    this.linesPerSecond = linesPerSecond;
    this.rotateBytes = rotateBytes;
    this.endNanos = endNanos;
    dirs = new Path[files];
    out = new OutputStream[files];
    size = new long[files];
    for (int f = 0; f < files; f++) {
      int stream = LogWorkload.stream(f);
      String pod = LogWorkload.pod(stream);
      String uid = UUID.nameUUIDFromBytes(pod.getBytes(StandardCharsets.UTF_8)).toString();
      dirs[f] = root.resolve("bench_" + pod + "_" + uid).resolve(LogWorkload.app(stream));
      Files.createDirectories(dirs[f]);
      out[f] = Files.newOutputStream(dirs[f].resolve("0.log"));
    }
  }

  @Override
  public void run() {
    long t0 = System.nanoTime();
    long n = 0;
    long bytes = 0;
    StringBuilder[] pending = new StringBuilder[out.length];
    for (int f = 0; f < out.length; f++) {
      pending[f] = new StringBuilder(64 * 1024);
    }
    try {
      while (!stop) {
        long now = System.nanoTime();
        if (now >= endNanos) {
          break;
        }
        long due = (long) ((now - t0) / 1e9 * linesPerSecond);
        String ts = Instant.now().toString();
        for (; n < due; n++) {
          int f = (int) (n % out.length);
          long i = (long) LogWorkload.streams() * (n / out.length) + f;
          pending[f].append(ts).append(" stdout F ").append(workload.line(i)).append('\n');
        }
        for (int f = 0; f < out.length; f++) {
          if (pending[f].isEmpty()) {
            continue;
          }
          byte[] b = pending[f].toString().getBytes(StandardCharsets.UTF_8);
          pending[f].setLength(0);
          out[f].write(b);
          out[f].flush();
          size[f] += b.length;
          bytes += b.length;
          if (size[f] >= rotateBytes) {
            rotate(f);
          }
        }
        written = n;
        writtenBytes = bytes;
        long next = now + TICK_NANOS - System.nanoTime();
        if (next > 0) {
          TimeUnit.NANOSECONDS.sleep(next);
        }
      }
    } catch (IOException e) {
      failure = e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      for (OutputStream o : out) {
        try {
          o.close();
        } catch (IOException e) {
          failure = e;
        }
      }
    }
  }

  private void rotate(int f) throws IOException {
    out[f].close();
    Path rotated = dirs[f].resolve("0.log." + ROTATED.format(Instant.now()));
    for (int k = 1; Files.exists(rotated); k++) {
      rotated = dirs[f].resolve("0.log." + ROTATED.format(Instant.now()) + "-" + k);
    }
    Files.move(dirs[f].resolve("0.log"), rotated);
    out[f] = Files.newOutputStream(dirs[f].resolve("0.log"));
    size[f] = 0;
    rotations++;
  }
}
