package dev.osprey.collector.cgroup;

import dev.osprey.collector.SampleSink;
import dev.osprey.collector.cgroup.CgroupStats.DeviceIo;
import dev.osprey.collector.kube.PodInfo;
import dev.osprey.collector.kube.PodMetadata;
import dev.osprey.collector.node.NetDev;
import dev.osprey.core.labels.Labels;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads every cgroup and emits cAdvisor's container metrics with the labels the kubelet's {@code
 * /metrics/cadvisor} endpoint gives them: {@code id} (the cgroup path), {@code name} (the runtime's
 * container ID), {@code image}, {@code pod}, {@code namespace}, {@code container}. Pod-level
 * cgroups carry pod and namespace only, and the pod's network counters (all its containers share
 * one network namespace).
 */
public final class ContainerCollector {
  /** Network interfaces cAdvisor ignores. */
  private static final String[] IGNORED_IFACE_PREFIXES = {"lo", "veth", "docker", "nerdctl"};

  private final CgroupFs fs;
  private final Path procRoot;
  private final Path sysRoot;
  private final PodMetadata pods;
  private final int maxCgroups;
  private final Map<Long, String> deviceNames = new HashMap<>();
  private long readErrors;

  public ContainerCollector(
      CgroupFs fs, Path procRoot, Path sysRoot, PodMetadata pods, int maxCgroups) {
    this.fs = fs;
    this.procRoot = procRoot;
    this.sysRoot = sysRoot;
    this.pods = pods;
    this.maxCgroups = maxCgroups;
  }

  /** One pass over the hierarchy; returns the number of cgroups read. */
  public int collect(long nowMillis, SampleSink sink) {
    List<String> ids = fs.list(maxCgroups);
    Map<String, Long> podPid = new HashMap<>();
    Map<String, CgroupStats> stats = new HashMap<>();
    Map<String, KubeCgroupPath> kube = new HashMap<>();
    List<String> readable = new java.util.ArrayList<>(ids.size());
    for (String id : ids) {
      CgroupStats s;
      try {
        s = fs.read(id);
      } catch (java.io.UncheckedIOException e) {
        // one unreadable cgroup (a dying one, a permission) must not cost all the others
        readErrors++;
        continue;
      }
      readable.add(id);
      KubeCgroupPath k = KubeCgroupPath.parse(id);
      stats.put(id, s);
      kube.put(id, k);
      if (k.isContainer() && s.pid() > 0) {
        podPid.putIfAbsent(k.podUid(), s.pid());
      }
    }
    for (String id : readable) {
      KubeCgroupPath k = kube.get(id);
      CgroupStats s = stats.get(id);
      Labels base = baseLabels(id, k);
      emit(base, s, nowMillis, sink);
      if (id.equals("/")) {
        String dev = FileReads.read(procRoot.resolve("1/net/dev"));
        emitNetwork(
            base, dev != null ? dev : FileReads.read(procRoot.resolve("net/dev")), nowMillis, sink);
      } else if (k.isPod() && podPid.containsKey(k.podUid())) {
        emitNetwork(
            base,
            FileReads.read(procRoot.resolve(podPid.get(k.podUid()) + "/net/dev")),
            nowMillis,
            sink);
      }
    }
    return readable.size();
  }

  /** Cgroups skipped because a file of theirs could not be read, since creation. */
  public long readErrors() {
    return readErrors;
  }

  Labels baseLabels(String id, KubeCgroupPath k) {
    Labels.Builder b = Labels.builder().set("id", id);
    if (!k.podUid().isEmpty()) {
      PodInfo p = pods.pod(k.podUid());
      if (p != null) {
        b.set("pod", p.name()).set("namespace", p.namespace());
      }
    }
    if (k.isContainer()) {
      b.set("name", k.containerId());
      PodInfo.ContainerInfo c = pods.container(k.containerId());
      if (c != null) {
        b.set("container", c.name()).set("image", c.image());
      }
    }
    return b.build();
  }

  private void emit(Labels base, CgroupStats s, long t, SampleSink sink) {
    put(sink, base, "container_cpu_usage_seconds_total", "cpu", "total", t, s.cpuUsageSeconds());
    put(sink, base, "container_cpu_user_seconds_total", t, s.cpuUserSeconds());
    put(sink, base, "container_cpu_system_seconds_total", t, s.cpuSystemSeconds());
    if (s.cpuQuotaMicros() > 0) {
      // cAdvisor exports the CFS counters only for cgroups with a quota.
      put(sink, base, "container_cpu_cfs_periods_total", t, s.cfsPeriods());
      put(sink, base, "container_cpu_cfs_throttled_periods_total", t, s.cfsThrottledPeriods());
      put(sink, base, "container_cpu_cfs_throttled_seconds_total", t, s.cfsThrottledSeconds());
      put(sink, base, "container_spec_cpu_quota", t, s.cpuQuotaMicros());
    }
    if (s.cpuPeriodMicros() > 0) {
      put(sink, base, "container_spec_cpu_period", t, s.cpuPeriodMicros());
    }
    put(sink, base, "container_spec_cpu_shares", t, s.cpuShares());
    put(sink, base, "container_spec_memory_limit_bytes", t, specMemory(s.memoryLimit()));
    put(
        sink,
        base,
        "container_spec_memory_reservation_limit_bytes",
        t,
        specMemory(s.memoryReservation()));
    put(sink, base, "container_spec_memory_swap_limit_bytes", t, specMemory(s.memorySwapLimit()));
    put(sink, base, "container_memory_usage_bytes", t, s.memoryUsage());
    put(sink, base, "container_memory_max_usage_bytes", t, s.memoryMaxUsage());
    put(sink, base, "container_memory_working_set_bytes", t, s.memoryWorkingSet());
    put(sink, base, "container_memory_rss", t, s.memoryRss());
    put(sink, base, "container_memory_cache", t, s.memoryCache());
    put(sink, base, "container_memory_mapped_file", t, s.memoryMappedFile());
    put(sink, base, "container_memory_swap", t, s.memorySwap());
    put(sink, base, "container_memory_failcnt", t, s.memoryFailcnt());
    put(sink, base, "container_oom_events_total", t, s.oomEvents());
    for (DeviceIo d : s.io()) {
      String dev = deviceName(d.major(), d.minor());
      put(sink, base, "container_fs_reads_bytes_total", "device", dev, t, d.readBytes());
      put(sink, base, "container_fs_writes_bytes_total", "device", dev, t, d.writeBytes());
      put(sink, base, "container_fs_reads_total", "device", dev, t, d.reads());
      put(sink, base, "container_fs_writes_total", "device", dev, t, d.writes());
    }
    pressure(sink, base, "cpu", s.cpuPressure(), t);
    pressure(sink, base, "memory", s.memoryPressure(), t);
    pressure(sink, base, "io", s.ioPressure(), t);
    put(sink, base, "container_processes", t, s.processes());
    put(sink, base, "container_threads", t, s.threads());
    put(sink, base, "container_threads_max", t, s.threadsMax());
    put(sink, base, "container_start_time_seconds", t, s.startTimeSeconds());
    put(sink, base, "container_last_seen", t, t / 1000.0);
  }

  private static void pressure(
      SampleSink sink, Labels base, String resource, CgroupStats.Pressure p, long t) {
    String prefix = "container_pressure_" + resource;
    put(sink, base, prefix + "_waiting_seconds_total", t, p.waitingSeconds());
    put(sink, base, prefix + "_stalled_seconds_total", t, p.stalledSeconds());
  }

  private void emitNetwork(Labels base, String netDev, long t, SampleSink sink) {
    for (NetDev.Iface i : NetDev.parse(netDev)) {
      if (ignoredIface(i.name())) {
        continue;
      }
      String n = i.name();
      put(sink, base, "container_network_receive_bytes_total", "interface", n, t, i.rx(0));
      put(sink, base, "container_network_receive_packets_total", "interface", n, t, i.rx(1));
      put(sink, base, "container_network_receive_errors_total", "interface", n, t, i.rx(2));
      put(
          sink,
          base,
          "container_network_receive_packets_dropped_total",
          "interface",
          n,
          t,
          i.rx(3));
      put(sink, base, "container_network_transmit_bytes_total", "interface", n, t, i.tx(0));
      put(sink, base, "container_network_transmit_packets_total", "interface", n, t, i.tx(1));
      put(sink, base, "container_network_transmit_errors_total", "interface", n, t, i.tx(2));
      put(
          sink,
          base,
          "container_network_transmit_packets_dropped_total",
          "interface",
          n,
          t,
          i.tx(3));
    }
  }

  private static boolean ignoredIface(String name) {
    for (String p : IGNORED_IFACE_PREFIXES) {
      if (name.startsWith(p)) {
        return true;
      }
    }
    return false;
  }

  /** cAdvisor reports "unlimited" (v1's 2^63-4096, v2's "max") as 0. */
  static double specMemory(double v) {
    return v > 1e18 ? 0 : v;
  }

  /** "/dev/sda" from sysfs's uevent for major:minor, else "major:minor". */
  String deviceName(int major, int minor) {
    long key = ((long) major << 32) | (minor & 0xffffffffL);
    return deviceNames.computeIfAbsent(
        key,
        k -> {
          String uevent =
              FileReads.read(sysRoot.resolve("dev/block/" + major + ":" + minor + "/uevent"));
          if (uevent != null) {
            for (String line : uevent.split("\n")) {
              if (line.startsWith("DEVNAME=")) {
                return "/dev/" + line.substring("DEVNAME=".length()).trim();
              }
            }
          }
          return major + ":" + minor;
        });
  }

  private static void put(SampleSink sink, Labels base, String name, long t, double v) {
    if (!Double.isNaN(v)) {
      sink.accept(base.toBuilder().set(Labels.METRIC_NAME, name).build(), t, v);
    }
  }

  private static void put(
      SampleSink sink, Labels base, String name, String ln, String lv, long t, double v) {
    if (!Double.isNaN(v)) {
      sink.accept(base.toBuilder().set(Labels.METRIC_NAME, name).set(ln, lv).build(), t, v);
    }
  }
}
