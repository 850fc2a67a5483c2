package dev.osprey.collector.cgroup;

import dev.osprey.collector.cgroup.CgroupStats.DeviceIo;
import dev.osprey.collector.cgroup.CgroupStats.Pressure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A mounted cgroup hierarchy: v2 (unified: {@code cgroup.controllers} at the root) or v1 (one
 * directory per controller, possibly combined as {@code cpu,cpuacct}). Cgroups are named by their
 * id, the path below the mount ({@code /}, {@code /kubepods.slice}, ...), as cAdvisor's {@code id}
 * label does. Reads what the kernel offers and leaves the rest NaN.
 */
public final class CgroupFs {
  /** USER_HZ: cpuacct.stat counts in these ticks on every Linux architecture Kubernetes runs on. */
  private static final double USER_HZ = 100.0;

  private final Path root;
  private final boolean v2;
  private final Path cpu;
  private final Path cpuacct;
  private final Path memory;
  private final Path blkio;
  private final Path pids;
  private final Path procRoot;

  private CgroupFs(
      Path root,
      boolean v2,
      Path cpu,
      Path cpuacct,
      Path memory,
      Path blkio,
      Path pids,
      Path procRoot) {
    this.root = root;
    this.v2 = v2;
    this.cpu = cpu;
    this.cpuacct = cpuacct;
    this.memory = memory;
    this.blkio = blkio;
    this.pids = pids;
    this.procRoot = procRoot;
  }

  /**
   * Looks at {@code root} (the agent's {@code --cgroup-root}) and decides v1 or v2.
   *
   * @param procRoot the host's /proc (the v2 root cgroup's memory usage comes from meminfo)
   */
  public static CgroupFs open(Path root, Path procRoot) {
    if (!Files.isDirectory(root)) {
      throw new IllegalArgumentException("cannot open cgroup root " + root + ": not a directory");
    }
    if (Files.exists(root.resolve("cgroup.controllers"))) {
      return new CgroupFs(root, true, root, root, root, root, root, procRoot);
    }
    Path cpu = controller(root, "cpu");
    Path cpuacct = controller(root, "cpuacct");
    Path memory = controller(root, "memory");
    Path blkio = controller(root, "blkio");
    Path pids = controller(root, "pids");
    if (cpu == null && cpuacct == null && memory == null) {
      throw new IllegalArgumentException(
          "cannot open cgroup root "
              + root
              + ": neither cgroup v2 (cgroup.controllers) nor v1 controller directories"
              + " (cpu, cpuacct, memory) found");
    }
    return new CgroupFs(root, false, cpu, cpuacct, memory, blkio, pids, procRoot);
  }

  private static Path controller(Path root, String name) {
    Path direct = root.resolve(name);
    if (Files.isDirectory(direct)) {
      return direct;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        if (Files.isDirectory(p) && n.contains(",") && Set.of(n.split(",")).contains(name)) {
          return p;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list cgroup root " + root, e);
    }
    return null;
  }

  public boolean isV2() {
    return v2;
  }

  public Path root() {
    return root;
  }

  /**
   * Every cgroup id in the hierarchy, parents before children, at most {@code max} of them. In v1
   * the cpu, cpuacct and memory trees are walked and merged.
   */
  public List<String> list(int max) {
    Set<String> ids = new LinkedHashSet<>();
    for (Path base : v2 ? List.of(root) : nonNull(cpuacct, cpu, memory)) {
      walk(base, ids, max);
    }
    return new ArrayList<>(ids);
  }

  private static List<Path> nonNull(Path... ps) {
    List<Path> out = new ArrayList<>();
    for (Path p : ps) {
      if (p != null && !out.contains(p)) {
        out.add(p);
      }
    }
    return out;
  }

  private static void walk(Path base, Set<String> ids, int max) {
    Deque<Path> todo = new ArrayDeque<>();
    todo.add(base);
    while (!todo.isEmpty() && ids.size() < max) {
      Path dir = todo.poll();
      String rel = base.relativize(dir).toString();
      ids.add(rel.isEmpty() ? "/" : "/" + rel);
      List<Path> children = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, Files::isDirectory)) {
        ds.forEach(children::add);
      } catch (NoSuchFileException | java.nio.file.AccessDeniedException e) {
        continue; // removed while we walked, or not ours to read: its subtree is skipped
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list cgroup " + dir, e);
      }
      children.sort(null);
      todo.addAll(children);
    }
  }

  private static Path dir(Path base, String id) {
    if (base == null) {
      return null;
    }
    return id.equals("/") ? base : base.resolve(id.substring(1));
  }

  /** Whether the cgroup still exists. */
  public boolean exists(String id) {
    for (Path base : v2 ? List.of(root) : nonNull(cpuacct, cpu, memory)) {
      if (Files.isDirectory(dir(base, id))) {
        return true;
      }
    }
    return false;
  }

  public CgroupStats read(String id) {
    return v2 ? readV2(id) : readV1(id);
  }

  private CgroupStats readV1(String id) {
    Path acct = dir(cpuacct, id);
    Path cpuDir = dir(cpu, id);
    Path mem = dir(memory, id);
    Path blk = dir(blkio, id);
    Path pidsDir = dir(pids, id);

    double usage =
        acct == null ? Double.NaN : FileReads.number(acct.resolve("cpuacct.usage")) / 1e9;
    String acctStat = acct == null ? null : FileReads.read(acct.resolve("cpuacct.stat"));
    double user = FileReads.keyed(acctStat, "user") / USER_HZ;
    double system = FileReads.keyed(acctStat, "system") / USER_HZ;
    String cpuStat = cpuDir == null ? null : FileReads.read(cpuDir.resolve("cpu.stat"));
    double shares = cpuDir == null ? Double.NaN : FileReads.number(cpuDir.resolve("cpu.shares"));
    double quota =
        cpuDir == null ? Double.NaN : FileReads.number(cpuDir.resolve("cpu.cfs_quota_us"));
    double period =
        cpuDir == null ? Double.NaN : FileReads.number(cpuDir.resolve("cpu.cfs_period_us"));
    if (quota < 0) {
      quota = 0; // -1 is "no quota"; cAdvisor reports 0
    }

    double memUsage = Double.NaN;
    double memMax = Double.NaN;
    double failcnt = Double.NaN;
    double limit = Double.NaN;
    double reservation = Double.NaN;
    double swapLimit = Double.NaN;
    String memStat = null;
    if (mem != null) {
      memUsage = FileReads.number(mem.resolve("memory.usage_in_bytes"));
      memMax = FileReads.number(mem.resolve("memory.max_usage_in_bytes"));
      failcnt = FileReads.number(mem.resolve("memory.failcnt"));
      limit = FileReads.number(mem.resolve("memory.limit_in_bytes"));
      reservation = FileReads.number(mem.resolve("memory.soft_limit_in_bytes"));
      swapLimit = FileReads.number(mem.resolve("memory.memsw.limit_in_bytes"));
      memStat = FileReads.read(mem.resolve("memory.stat"));
    }
    // v1 memory.stat: total_* include descendants, which is what cAdvisor reports.
    double inactiveFile = FileReads.keyed(memStat, "total_inactive_file");
    List<DeviceIo> io = List.of();
    if (blk != null) {
      String bytes = FileReads.read(blk.resolve("blkio.io_service_bytes_recursive"));
      String ops = FileReads.read(blk.resolve("blkio.io_serviced_recursive"));
      if (isEmptyBlkio(bytes)) {
        bytes = FileReads.read(blk.resolve("blkio.throttle.io_service_bytes_recursive"));
        ops = FileReads.read(blk.resolve("blkio.throttle.io_serviced_recursive"));
      }
      if (isEmptyBlkio(bytes)) {
        bytes = FileReads.read(blk.resolve("blkio.throttle.io_service_bytes"));
        ops = FileReads.read(blk.resolve("blkio.throttle.io_serviced"));
      }
      io = blkioV1(bytes, ops);
    }
    return new CgroupStats(
        usage,
        user,
        system,
        FileReads.keyed(cpuStat, "nr_periods"),
        FileReads.keyed(cpuStat, "nr_throttled"),
        FileReads.keyed(cpuStat, "throttled_time") / 1e9,
        shares,
        quota,
        period,
        memUsage,
        memMax,
        workingSet(memUsage, inactiveFile),
        FileReads.keyed(memStat, "total_rss"),
        FileReads.keyed(memStat, "total_cache"),
        FileReads.keyed(memStat, "total_mapped_file"),
        FileReads.keyed(memStat, "total_swap"),
        failcnt,
        mem == null
            ? Double.NaN
            : FileReads.keyed(FileReads.read(mem.resolve("memory.oom_control")), "oom_kill"),
        limit,
        reservation,
        swapLimit,
        io,
        startTime(nonNull(acct, cpuDir, mem, blk)),
        firstPid(nonNull(acct, cpuDir, mem)),
        // Mainline kernels have PSI files on v2 only; kernels with v1 PSI (psi_v1) put them in the
        // cpuacct hierarchy. Read them wherever they are.
        pressure(firstExisting("cpu.pressure", acct, cpuDir)),
        pressure(firstExisting("memory.pressure", acct, mem)),
        pressure(firstExisting("io.pressure", acct, blk)),
        // cAdvisor counts the processes of the cpu controller's cgroup
        processCount(readIfAny(firstExisting("cgroup.procs", cpuDir, acct))),
        pidsDir == null ? Double.NaN : FileReads.number(pidsDir.resolve("pids.current")),
        pidsDir == null ? Double.NaN : threadsMax(FileReads.number(pidsDir.resolve("pids.max"))));
  }

  private static boolean isEmptyBlkio(String s) {
    if (s == null) {
      return true;
    }
    for (String line : s.split("\n")) {
      if (!line.isBlank() && !line.startsWith("Total")) {
        return false;
      }
    }
    return true;
  }

  /** "8:0 Read 123" lines (v1 blkio), bytes and ops files merged per device. */
  static List<DeviceIo> blkioV1(String bytes, String ops) {
    Map<Long, double[]> byDev = new TreeMap<>();
    addBlkio(bytes, byDev, 0);
    addBlkio(ops, byDev, 2);
    List<DeviceIo> out = new ArrayList<>();
    byDev.forEach(
        (k, v) -> out.add(new DeviceIo((int) (k >> 32), (int) (long) k, v[0], v[1], v[2], v[3])));
    return out;
  }

  private static void addBlkio(String s, Map<Long, double[]> byDev, int off) {
    if (s == null) {
      return;
    }
    for (String line : s.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length != 3) {
        continue;
      }
      long dev = devKey(f[0]);
      if (dev < 0) {
        continue;
      }
      int slot;
      if (f[1].equals("Read")) {
        slot = off;
      } else if (f[1].equals("Write")) {
        slot = off + 1;
      } else {
        continue;
      }
      double[] v = byDev.computeIfAbsent(dev, k -> new double[] {0, 0, 0, 0});
      v[slot] += FileReads.parseNumber(f[2]);
    }
  }

  private static long devKey(String majMin) {
    int c = majMin.indexOf(':');
    if (c <= 0) {
      return -1;
    }
    try {
      return (Long.parseLong(majMin.substring(0, c)) << 32)
          | Long.parseLong(majMin.substring(c + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private CgroupStats readV2(String id) {
    Path d = dir(root, id);
    String cpuStat = FileReads.read(d.resolve("cpu.stat"));
    double quota = Double.NaN;
    double period = Double.NaN;
    String cpuMax = FileReads.read(d.resolve("cpu.max"));
    if (cpuMax != null) {
      String[] f = cpuMax.trim().split("\\s+");
      quota = f[0].equals("max") ? 0 : FileReads.parseNumber(f[0]);
      period = f.length > 1 ? FileReads.parseNumber(f[1]) : Double.NaN;
    }
    double weight = FileReads.number(d.resolve("cpu.weight"));
    // cAdvisor reports v1-style shares, converting the weight back as runc converts shares to it.
    double shares = Double.isNaN(weight) ? Double.NaN : 2 + ((weight - 1) * 262142) / 9999;

    double usage = FileReads.number(d.resolve("memory.current"));
    String memStat = FileReads.read(d.resolve("memory.stat"));
    if (id.equals("/") && Double.isNaN(usage)) {
      usage = rootMemoryUsage();
    }
    String events = FileReads.read(d.resolve("memory.events"));
    double swapCurrent = FileReads.number(d.resolve("memory.swap.current"));
    String procs = FileReads.read(d.resolve("cgroup.procs")); // read once: first pid and count
    return new CgroupStats(
        FileReads.keyed(cpuStat, "usage_usec") / 1e6,
        FileReads.keyed(cpuStat, "user_usec") / 1e6,
        FileReads.keyed(cpuStat, "system_usec") / 1e6,
        FileReads.keyed(cpuStat, "nr_periods"),
        FileReads.keyed(cpuStat, "nr_throttled"),
        FileReads.keyed(cpuStat, "throttled_usec") / 1e6,
        shares,
        quota,
        period,
        usage,
        FileReads.number(d.resolve("memory.peak")),
        workingSet(usage, FileReads.keyed(memStat, "inactive_file")),
        FileReads.keyed(memStat, "anon"),
        FileReads.keyed(memStat, "file"),
        FileReads.keyed(memStat, "file_mapped"),
        swapCurrent,
        FileReads.keyed(events, "max"),
        FileReads.keyed(events, "oom_kill"),
        FileReads.number(d.resolve("memory.max")),
        FileReads.number(d.resolve("memory.low")),
        FileReads.number(d.resolve("memory.swap.max")),
        ioV2(FileReads.read(d.resolve("io.stat"))),
        startTime(List.of(d)),
        firstPid(procs),
        pressure(d.resolve("cpu.pressure")),
        pressure(d.resolve("memory.pressure")),
        pressure(d.resolve("io.pressure")),
        processCount(procs),
        FileReads.number(d.resolve("pids.current")),
        threadsMax(FileReads.number(d.resolve("pids.max"))));
  }

  /** The v2 root has no memory.current: used memory from meminfo, as runc does for the root. */
  private double rootMemoryUsage() {
    String meminfo = FileReads.read(procRoot.resolve("meminfo"));
    if (meminfo == null) {
      return Double.NaN;
    }
    double total = Double.NaN;
    double free = Double.NaN;
    for (String line : meminfo.split("\n")) {
      String[] f = line.split("\\s+");
      if (f.length >= 2 && f[0].equals("MemTotal:")) {
        total = FileReads.parseNumber(f[1]) * 1024;
      } else if (f.length >= 2 && f[0].equals("MemFree:")) {
        free = FileReads.parseNumber(f[1]) * 1024;
      }
    }
    return total - free;
  }

  /** "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" lines. */
  static List<DeviceIo> ioV2(String s) {
    List<DeviceIo> out = new ArrayList<>();
    if (s == null) {
      return out;
    }
    for (String line : s.split("\n")) {
      String[] f = line.trim().split("\\s+");
      long dev = f.length > 0 ? devKey(f[0]) : -1;
      if (dev < 0) {
        continue;
      }
      double rb = 0;
      double wb = 0;
      double ri = 0;
      double wi = 0;
      for (int i = 1; i < f.length; i++) {
        int eq = f[i].indexOf('=');
        if (eq < 0) {
          continue;
        }
        double v = FileReads.parseNumber(f[i].substring(eq + 1));
        switch (f[i].substring(0, eq)) {
          case "rbytes" -> rb = v;
          case "wbytes" -> wb = v;
          case "rios" -> ri = v;
          case "wios" -> wi = v;
          default -> {}
        }
      }
      out.add(new DeviceIo((int) (dev >> 32), (int) dev, rb, wb, ri, wi));
    }
    return out;
  }

  /** The first of {@code dir/name} that exists, or null. */
  private static Path firstExisting(String name, Path... dirs) {
    for (Path d : dirs) {
      if (d != null && Files.exists(d.resolve(name))) {
        return d.resolve(name);
      }
    }
    return null;
  }

  private static String readIfAny(Path file) {
    return file == null ? null : FileReads.read(file);
  }

  private static Pressure pressure(Path file) {
    return parsePressure(readIfAny(file));
  }

  /**
   * A PSI file: "some avg10=0.00 avg60=0.00 avg300=0.00 total=123" and a "full ..." line; totals
   * are microseconds.
   */
  static Pressure parsePressure(String s) {
    if (s == null) {
      return Pressure.ABSENT;
    }
    double some = Double.NaN;
    double full = Double.NaN;
    for (String line : s.split("\n")) {
      int t = line.lastIndexOf(" total=");
      if (t < 0) {
        continue;
      }
      double micros = FileReads.parseNumber(line.substring(t + " total=".length()).trim());
      if (line.startsWith("some ")) {
        some = micros / 1e6;
      } else if (line.startsWith("full ")) {
        full = micros / 1e6;
      }
    }
    return new Pressure(some, full);
  }

  /** Lines of a cgroup.procs file; NaN when absent. */
  static double processCount(String procs) {
    if (procs == null) {
      return Double.NaN;
    }
    int n = 0;
    for (String line : procs.split("\n")) {
      if (!line.isBlank()) {
        n++;
      }
    }
    return n;
  }

  /** pids.max "max" is reported as 0, as runc and cAdvisor do. */
  static double threadsMax(double v) {
    return Double.isInfinite(v) ? 0 : v;
  }

  static double workingSet(double usage, double inactiveFile) {
    if (Double.isNaN(usage)) {
      return Double.NaN;
    }
    if (Double.isNaN(inactiveFile)) {
      return usage;
    }
    return inactiveFile < usage ? usage - inactiveFile : 0;
  }

  private static double startTime(List<Path> dirs) {
    double min = Double.NaN;
    for (Path d : dirs) {
      try {
        FileTime t = Files.getLastModifiedTime(d);
        double s = t.toMillis() / 1000.0;
        if (Double.isNaN(min) || s < min) {
          min = s;
        }
      } catch (IOException e) {
        // the cgroup went away between listing and reading: no start time
      }
    }
    return min;
  }

  private static long firstPid(List<Path> dirs) {
    for (Path d : dirs) {
      long pid = firstPid(FileReads.read(d.resolve("cgroup.procs")));
      if (pid != 0) {
        return pid;
      }
    }
    return 0;
  }

  /** The first pid of a cgroup.procs content, 0 when there is none. */
  private static long firstPid(String procs) {
    if (procs == null) {
      return 0;
    }
    int eol = procs.indexOf('\n');
    String first = (eol < 0 ? procs : procs.substring(0, eol)).trim();
    try {
      return first.isEmpty() ? 0 : Long.parseLong(first);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
