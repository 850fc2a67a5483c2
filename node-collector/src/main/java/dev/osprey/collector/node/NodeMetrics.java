package dev.osprey.collector.node;

import com.google.re2j.Pattern;
import dev.osprey.collector.SampleSink;
import dev.osprey.collector.cgroup.FileReads;
import dev.osprey.core.labels.Labels;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Node metrics with node_exporter's names and labels, read from the host's /proc (and the file
 * stores of mounts): cpu, meminfo, netdev, diskstats, filesystem, loadavg, stat, vmstat. Defaults
 * for the device and mount-point filters are node_exporter 1.5's.
 */
public final class NodeMetrics {
  /** USER_HZ, the unit of /proc/stat's cpu columns. */
  private static final double USER_HZ = 100.0;

  private static final String[] CPU_MODES = {
    "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"
  };
  private static final String[] DISK_FIELDS = {
    "reads_completed_total",
    "reads_merged_total",
    "read_bytes_total",
    "read_time_seconds_total",
    "writes_completed_total",
    "writes_merged_total",
    "written_bytes_total",
    "write_time_seconds_total",
    "io_now",
    "io_time_seconds_total",
    "io_time_weighted_seconds_total",
    "discards_completed_total",
    "discards_merged_total",
    "discarded_sectors_total",
    "discard_time_seconds_total",
    "flush_requests_total",
    "flush_requests_time_seconds_total"
  };

  /** Per DISK_FIELDS entry: multiply the raw number by this (sectors to bytes, ms to seconds). */
  private static final double[] DISK_SCALE = {
    1, 1, 512, 0.001, 1, 1, 512, 0.001, 1, 0.001, 0.001, 1, 1, 1, 0.001, 1, 0.001
  };

  private static final String[] NETDEV_RX = {
    "bytes", "packets", "errs", "drop", "fifo", "frame", "compressed", "multicast"
  };
  private static final String[] NETDEV_TX = {
    "bytes", "packets", "errs", "drop", "fifo", "colls", "carrier", "compressed"
  };
  private static final String[] VMSTAT = {
    "oom_kill", "pgfault", "pgmajfault", "pgpgin", "pgpgout", "pswpin", "pswpout"
  };

  public static final String DEFAULT_DISK_EXCLUDE =
      "^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$";
  public static final String DEFAULT_MOUNT_POINTS_EXCLUDE =
      "^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)";
  public static final String DEFAULT_FS_TYPES_EXCLUDE =
      "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs"
          + "|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs"
          + "|squashfs|sysfs|tracefs)$";

  private final Path procRoot;
  private final Path rootFs;
  private final Pattern diskExclude = Pattern.compile(DEFAULT_DISK_EXCLUDE);
  private final Pattern mountExclude = Pattern.compile(DEFAULT_MOUNT_POINTS_EXCLUDE);
  private final Pattern fsTypeExclude = Pattern.compile(DEFAULT_FS_TYPES_EXCLUDE);
  private final boolean filesystems;

  /**
   * @param procRoot the host's /proc
   * @param rootFs where the host's root file system is visible (node_exporter's --path.rootfs)
   * @param filesystems whether to statvfs the mounts (off for fixture trees)
   */
  public NodeMetrics(Path procRoot, Path rootFs, boolean filesystems) {
    this.procRoot = procRoot;
    this.rootFs = rootFs;
    this.filesystems = filesystems;
  }

  public void collect(long t, SampleSink sink) {
    stat(t, sink);
    meminfo(t, sink);
    loadavg(t, sink);
    netdev(t, sink);
    diskstats(t, sink);
    vmstat(t, sink);
    if (filesystems) {
      filesystems(t, sink);
    }
  }

  private static void put(SampleSink sink, String name, long t, double v, String... labels) {
    if (Double.isNaN(v)) {
      return;
    }
    Labels.Builder b = Labels.builder().set(Labels.METRIC_NAME, name);
    for (int i = 0; i < labels.length; i += 2) {
      b.set(labels[i], labels[i + 1]);
    }
    sink.accept(b.build(), t, v);
  }

  private void stat(long t, SampleSink sink) {
    String s = FileReads.read(procRoot.resolve("stat"));
    if (s == null) {
      return;
    }
    for (String line : s.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 2) {
        continue;
      }
      String key = f[0];
      if (key.startsWith("cpu") && key.length() > 3) {
        String cpu = key.substring(3);
        for (int i = 0; i < CPU_MODES.length && i + 1 < f.length; i++) {
          put(
              sink,
              "node_cpu_seconds_total",
              t,
              num(f[i + 1]) / USER_HZ,
              "cpu",
              cpu,
              "mode",
              CPU_MODES[i]);
        }
        if (f.length > 10) {
          put(
              sink,
              "node_cpu_guest_seconds_total",
              t,
              num(f[9]) / USER_HZ,
              "cpu",
              cpu,
              "mode",
              "user");
          put(
              sink,
              "node_cpu_guest_seconds_total",
              t,
              num(f[10]) / USER_HZ,
              "cpu",
              cpu,
              "mode",
              "nice");
        }
      } else {
        switch (key) {
          case "intr" -> put(sink, "node_intr_total", t, num(f[1]));
          case "ctxt" -> put(sink, "node_context_switches_total", t, num(f[1]));
          case "btime" -> put(sink, "node_boot_time_seconds", t, num(f[1]));
          case "processes" -> put(sink, "node_forks_total", t, num(f[1]));
          case "procs_running" -> put(sink, "node_procs_running", t, num(f[1]));
          case "procs_blocked" -> put(sink, "node_procs_blocked", t, num(f[1]));
          default -> {}
        }
      }
    }
  }

  private void meminfo(long t, SampleSink sink) {
    String s = FileReads.read(procRoot.resolve("meminfo"));
    if (s == null) {
      return;
    }
    for (String line : s.split("\n")) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        continue;
      }
      String key = line.substring(0, colon).replace("(", "_").replace(")", "");
      String[] f = line.substring(colon + 1).trim().split("\\s+");
      double v = num(f[0]);
      boolean kb = f.length > 1 && f[1].equals("kB");
      put(sink, "node_memory_" + key + (kb ? "_bytes" : ""), t, kb ? v * 1024 : v);
    }
  }

  private void loadavg(long t, SampleSink sink) {
    String s = FileReads.read(procRoot.resolve("loadavg"));
    if (s == null) {
      return;
    }
    String[] f = s.trim().split("\\s+");
    if (f.length >= 3) {
      put(sink, "node_load1", t, num(f[0]));
      put(sink, "node_load5", t, num(f[1]));
      put(sink, "node_load15", t, num(f[2]));
    }
  }

  private void netdev(long t, SampleSink sink) {
    for (NetDev.Iface i : NetDev.parse(FileReads.read(procRoot.resolve("net/dev")))) {
      for (int k = 0; k < 8; k++) {
        put(
            sink,
            "node_network_receive_" + NETDEV_RX[k] + "_total",
            t,
            i.rx(k),
            "device",
            i.name());
        put(
            sink,
            "node_network_transmit_" + NETDEV_TX[k] + "_total",
            t,
            i.tx(k),
            "device",
            i.name());
      }
    }
  }

  private void diskstats(long t, SampleSink sink) {
    String s = FileReads.read(procRoot.resolve("diskstats"));
    if (s == null) {
      return;
    }
    for (String line : s.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 14 || diskExclude.matches(f[2])) {
        continue;
      }
      String dev = f[2];
      put(sink, "node_disk_info", t, 1, "device", dev, "major", f[0], "minor", f[1]);
      for (int k = 0; k < DISK_FIELDS.length && k + 3 < f.length; k++) {
        put(sink, "node_disk_" + DISK_FIELDS[k], t, num(f[k + 3]) * DISK_SCALE[k], "device", dev);
      }
    }
  }

  private void vmstat(long t, SampleSink sink) {
    String s = FileReads.read(procRoot.resolve("vmstat"));
    if (s == null) {
      return;
    }
    for (String key : VMSTAT) {
      double v = FileReads.keyed(s, key);
      put(sink, "node_vmstat_" + key, t, v);
    }
  }

  /** Mount entries node_exporter would report: mountpoint to {device, fstype}. */
  Map<String, String[]> mounts() {
    String s = FileReads.read(procRoot.resolve("1/mounts"));
    if (s == null) {
      s = FileReads.read(procRoot.resolve("mounts"));
    }
    Map<String, String[]> out = new LinkedHashMap<>();
    if (s == null) {
      return out;
    }
    for (String line : s.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 3) {
        continue;
      }
      String device = unescape(f[0]);
      String mountpoint = unescape(f[1]);
      String fstype = f[2];
      if (mountExclude.matcher(mountpoint).find() || fsTypeExclude.matches(fstype)) {
        continue;
      }
      out.remove(mountpoint); // the last mount on a point is the one statvfs sees
      out.put(mountpoint, new String[] {device, fstype});
    }
    return out;
  }

  private void filesystems(long t, SampleSink sink) {
    for (Map.Entry<String, String[]> m : mounts().entrySet()) {
      String mp = m.getKey();
      String[] lv = {"device", m.getValue()[0], "fstype", m.getValue()[1], "mountpoint", mp};
      String path = rootFs.resolve(mp.substring(1)).toString();
      Statvfs.Result r = Statvfs.of(path);
      put(sink, "node_filesystem_device_error", t, r == null ? 1 : 0, lv);
      if (r == null) {
        continue;
      }
      put(sink, "node_filesystem_size_bytes", t, r.size(), lv);
      put(sink, "node_filesystem_free_bytes", t, r.free(), lv);
      put(sink, "node_filesystem_avail_bytes", t, r.avail(), lv);
      put(sink, "node_filesystem_readonly", t, r.readonly() ? 1 : 0, lv);
    }
  }

  /** /proc/mounts escapes space, tab, newline and backslash as octal. */
  static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && isOctal(s, i + 1)) {
        sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static boolean isOctal(String s, int from) {
    if (from + 3 > s.length()) {
      return false;
    }
    for (int i = from; i < from + 3; i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '7') {
        return false;
      }
    }
    return true;
  }

  private static double num(String s) {
    return FileReads.parseNumber(s);
  }
}
