package dev.osprey.collector.node;

import java.util.ArrayList;
import java.util.List;

/** Parses {@code /proc/net/dev} (and {@code /proc/<pid>/net/dev}). */
public final class NetDev {
  private NetDev() {}

  /**
   * One interface's counters, in the file's column order: receive bytes, packets, errs, drop, fifo,
   * frame, compressed, multicast; transmit bytes, packets, errs, drop, fifo, colls, carrier,
   * compressed.
   */
  public record Iface(String name, double[] counters) {
    public double rx(int i) {
      return counters[i];
    }

    public double tx(int i) {
      return counters[8 + i];
    }
  }

  public static List<Iface> parse(String content) {
    List<Iface> out = new ArrayList<>();
    if (content == null) {
      return out;
    }
    for (String line : content.split("\n")) {
      int colon = line.indexOf(':');
      if (colon < 0 || line.contains("|")) {
        continue; // the two header lines
      }
      String name = line.substring(0, colon).trim();
      String[] f = line.substring(colon + 1).trim().split("\\s+");
      if (name.isEmpty() || f.length < 16) {
        continue;
      }
      double[] c = new double[16];
      for (int i = 0; i < 16; i++) {
        try {
          c[i] = Long.parseUnsignedLong(f[i]);
        } catch (NumberFormatException e) {
          c[i] = Double.NaN;
        }
      }
      out.add(new Iface(name, c));
    }
    return out;
  }
}
