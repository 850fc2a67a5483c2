package dev.osprey.bench;

import java.io.PrintStream;

/** A one-line progress bar on stderr, redrawn at most ten times a second. */
final class Progress {
  private final PrintStream out = System.err;
  private final String label;
  private final long total;
  private final long t0 = System.nanoTime();
  private volatile long lastDraw;

  Progress(String label, long total) {
    this.label = label;
    this.total = total;
  }

  synchronized void update(long done) {
    long now = System.nanoTime();
    if (now - lastDraw < 100_000_000L && done < total) {
      return;
    }
    lastDraw = now;
    double frac = total == 0 ? 1 : Math.min(1, (double) done / total);
    int width = 30;
    int filled = (int) (frac * width);
    double secs = (now - t0) / 1e9;
    out.printf(
        "\r  %-16s [%s%s] %3d%%  %s/%s samples  %s/s   ",
        label,
        "=".repeat(filled),
        " ".repeat(width - filled),
        (int) (frac * 100),
        human(done),
        human(total),
        human((long) (done / Math.max(secs, 1e-9))));
    out.flush();
  }

  void done() {
    out.println();
  }

  static String human(long n) {
    if (n >= 10_000_000) {
      return String.format("%.1fM", n / 1e6);
    }
    if (n >= 10_000) {
      return String.format("%.0fk", n / 1e3);
    }
    return Long.toString(n);
  }
}
