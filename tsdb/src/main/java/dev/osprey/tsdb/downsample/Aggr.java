package dev.osprey.tsdb.downsample;

import dev.osprey.core.storage.SelectHints;
import dev.osprey.tsdb.block.BlockWriter;

/**
 * The columns of a downsampled block. A downsampled series has the labels of its raw series and
 * holds its chunks column by column; a chunk's column is in the low {@value #COLUMN_BITS} bits of
 * the count field of its index entry (docs/format/downsampled.md).
 */
public final class Aggr {
  public static final int COLUMN_BITS = BlockWriter.DOWNSAMPLED_COLUMN_BITS;

  /** Raw samples in the window (stale markers not counted). */
  public static final int COUNT = 0;

  /** Sum of the raw values in the window. */
  public static final int SUM = 1;

  /** Smallest raw value in the window. */
  public static final int MIN = 2;

  /** Largest raw value in the window. */
  public static final int MAX = 3;

  /**
   * The window's last raw value (at the window's stamp), plus the samples on both sides of each
   * rare drop (counter reset) at their own timestamps: PromQL's rate/increase/resets over this
   * column count every increase the raw samples had.
   */
  public static final int COUNTER = 4;

  public static final int COLUMNS = 5;

  /** The count field of a chunk's index entry in a downsampled block. */
  public static long packCount(int samples, int column) {
    return ((long) samples << COLUMN_BITS) | column;
  }

  public static int column(long packedCount) {
    return (int) (packedCount & ((1 << COLUMN_BITS) - 1));
  }

  public static int samples(long packedCount) {
    return (int) (packedCount >>> COLUMN_BITS);
  }

  /** What a select reads from a downsampled block: one column, or sum / count. */
  public enum View {
    COUNT(Aggr.COUNT),
    SUM(Aggr.SUM),
    MIN(Aggr.MIN),
    MAX(Aggr.MAX),
    COUNTER(Aggr.COUNTER),
    AVG(Aggr.SUM);

    private final int column;

    View(int column) {
      this.column = column;
    }

    /** The column read (for AVG the sum, divided by the count column). */
    public int column() {
      return column;
    }
  }

  private Aggr() {}

  /**
   * The view a select reads: by the function its series feed when the engine says (as Thanos
   * chooses its aggregate), else by the metric name (counters are named {@code _total}, {@code
   * _count}, {@code _sum}, {@code _bucket} by Prometheus and OpenMetrics convention), else the
   * average.
   */
  public static View viewFor(SelectHints hints, String metricName) {
    String f = hints == null ? null : hints.func();
    if (f != null) {
      switch (f) {
        case "rate", "increase", "irate", "resets" -> {
          return View.COUNTER;
        }
        case "min_over_time" -> {
          return View.MIN;
        }
        case "max_over_time" -> {
          return View.MAX;
        }
        case "sum_over_time" -> {
          return View.SUM;
        }
        case "avg_over_time", "delta", "deriv", "idelta" -> {
          return View.AVG;
        }
        default -> {}
      }
    }
    return isCounterName(metricName) ? View.COUNTER : View.AVG;
  }

  static boolean isCounterName(String name) {
    return name != null
        && (name.endsWith("_total")
            || name.endsWith("_count")
            || name.endsWith("_sum")
            || name.endsWith("_bucket"));
  }
}
