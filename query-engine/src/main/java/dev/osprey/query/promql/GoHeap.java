package dev.osprey.query.promql;

import dev.osprey.query.promql.Values.Sample;
import java.util.ArrayList;
import java.util.List;

/**
 * topk/bottomk selection with the exact heap moves of Go's container/heap as Prometheus uses it, so
 * that ties at the k-th place pick the same series as upstream does.
 */
final class GoHeap {
  private GoHeap() {}

  /** The samples kept by upstream's bounded heap, in heap order. */
  static ArrayList<Sample> select(List<Sample> in, long k, boolean top) {
    ArrayList<Sample> h = new ArrayList<>();
    for (Sample s : in) {
      if (h.size() < k) {
        h.add(s);
        up(h, h.size() - 1, top);
      } else {
        Sample root = h.get(0);
        boolean replace =
            top
                ? root.v < s.v || (Double.isNaN(root.v) && !Double.isNaN(s.v))
                : root.v > s.v || (Double.isNaN(root.v) && !Double.isNaN(s.v));
        if (replace) {
          h.set(0, s);
          if (k > 1 && !down(h, 0, h.size(), top)) {
            up(h, 0, top);
          }
        }
      }
    }
    return h;
  }

  /** vectorByValueHeap / vectorByReverseValueHeap Less: NaN is always "less". */
  private static boolean less(List<Sample> h, int i, int j, boolean top) {
    double a = h.get(i).v;
    double b = h.get(j).v;
    if (Double.isNaN(a)) {
      return true;
    }
    return top ? a < b : a > b;
  }

  private static void swap(List<Sample> h, int i, int j) {
    Sample t = h.get(i);
    h.set(i, h.get(j));
    h.set(j, t);
  }

  private static void up(List<Sample> h, int j, boolean top) {
    while (true) {
      int i = (j - 1) / 2;
      if (i == j || !less(h, j, i, top)) {
        break;
      }
      swap(h, i, j);
      j = i;
    }
  }

  private static boolean down(List<Sample> h, int i0, int n, boolean top) {
    int i = i0;
    while (true) {
      int j1 = 2 * i + 1;
      if (j1 >= n || j1 < 0) {
        break;
      }
      int j = j1;
      int j2 = j1 + 1;
      if (j2 < n && less(h, j2, j1, top)) {
        j = j2;
      }
      if (!less(h, j, i, top)) {
        break;
      }
      swap(h, i, j);
      i = j;
    }
    return i > i0;
  }
}
