package dev.osprey.collector.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.osprey.collector.CapturingSink;
import dev.osprey.collector.CapturingSink.Sample;
import dev.osprey.collector.kube.KubeletPodList;
import dev.osprey.collector.kube.PodMetadata;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Creates real cgroups on this machine (v1 controllers under /sys/fs/cgroup, and the v2 hierarchy
 * mounted beside them at /sys/fs/cgroup/unified), runs a CPU-burning and a memory-allocating
 * process inside, and checks that the collector's numbers move as they must.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RealCgroupTest {
  static final Path ROOT = Path.of("/sys/fs/cgroup");
  static final Path UNIFIED = ROOT.resolve("unified");

  private final String name =
      "osprey-test-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 8);
  private final List<Path> created = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();

  @BeforeEach
  void makeCgroups() {
    assumeTrue(
        Files.isDirectory(ROOT.resolve("cpuacct"))
            || Files.isDirectory(ROOT.resolve("cpu,cpuacct")),
        "needs cgroup v1 cpuacct mounted under /sys/fs/cgroup");
    assumeTrue(Files.isDirectory(ROOT.resolve("memory")), "needs cgroup v1 memory controller");
    for (String c : new String[] {"cpu", "cpuacct", "memory"}) {
      Path base = ROOT.resolve(c);
      if (!Files.isDirectory(base)) {
        continue;
      }
      Path d = base.resolve(name);
      try {
        Files.createDirectory(d);
      } catch (IOException e) {
        assumeTrue(false, "cannot create cgroup " + d + " (not root, or read-only cgroupfs): " + e);
      }
      created.add(d);
    }
    if (Files.exists(UNIFIED.resolve("cgroup.controllers"))) {
      try {
        Files.createDirectory(UNIFIED.resolve(name));
        created.add(UNIFIED.resolve(name));
      } catch (IOException e) {
        // v2 part of the test is skipped below
      }
    }
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (Process p : processes) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    for (Path d : created.reversed()) {
      for (int i = 0; i < 50 && Files.exists(d); i++) {
        try {
          Files.delete(d); // rmdir of a cgroup: only once its processes are gone
        } catch (IOException e) {
          Thread.sleep(100);
        }
      }
    }
  }

  private List<String> procsFiles() {
    List<String> out = new ArrayList<>();
    for (Path d : created) {
      out.add(d.resolve("cgroup.procs").toString());
    }
    return out;
  }

  private static CapturingSink collect(Path root) {
    ContainerCollector c =
        new ContainerCollector(
            CgroupFs.open(root, Path.of("/proc")),
            Path.of("/proc"),
            Path.of("/sys"),
            PodMetadata.NONE,
            20_000);
    CapturingSink sink = new CapturingSink();
    c.collect(System.currentTimeMillis(), sink);
    return sink;
  }

  private double value(Path root, String metric) {
    List<Sample> s = collect(root).find(metric, "id", "/" + name);
    assertThat(s).as(metric + " for /" + name + " under " + root).hasSize(1);
    return s.get(0).v();
  }

  @Test
  void cpuBurnerMovesCpuCounters() throws Exception {
    double before = value(ROOT, "container_cpu_usage_seconds_total");
    assertThat(before).isLessThan(0.05);
    boolean v2 = created.contains(UNIFIED.resolve(name));
    double beforeV2 = v2 ? value(UNIFIED, "container_cpu_usage_seconds_total") : 0;

    // The shell joins every cgroup itself, then loops, so all of its CPU time is charged there.
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "/bin/sh",
                "-c",
                "for f in \"$@\"; do echo $$ > \"$f\"; done; i=0; while [ $i -lt 2000000000 ]; do i=$((i+1)); done",
                "burner"));
    cmd.addAll(procsFiles());
    processes.add(new ProcessBuilder(cmd).redirectErrorStream(true).start());

    double after = before;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (after < before + 0.5 && System.nanoTime() < deadline) {
      Thread.sleep(200);
      after = value(ROOT, "container_cpu_usage_seconds_total");
    }
    assertThat(after).as("cpu seconds after burning").isGreaterThanOrEqualTo(before + 0.5);
    double user = value(ROOT, "container_cpu_user_seconds_total");
    double system = value(ROOT, "container_cpu_system_seconds_total");
    // user+system ticks are 10 ms granular and lag usage a little; they must account for most of it
    assertThat(user + system).isGreaterThan(0.25).isLessThanOrEqualTo(after + 0.2);
    if (v2) {
      assertThat(value(UNIFIED, "container_cpu_usage_seconds_total"))
          .as("the v2 hierarchy counts the same process")
          .isGreaterThan(beforeV2 + 0.25);
    }
    // a counter: never backwards between two reads
    double again = value(ROOT, "container_cpu_usage_seconds_total");
    assertThat(again).isGreaterThanOrEqualTo(after);
  }

  @Test
  void kubeletLayoutOnRealCgroupsGetsPodLabelsAndNetwork() throws Exception {
    // kubelet's cgroupfs layout below our test cgroup (nested, as under kind)
    String rel = "kubepods/burstable/pod" + KubeCgroupPathTest.UID + "/" + KubeCgroupPathTest.CID;
    List<Path> leaves = new ArrayList<>();
    for (Path top : new ArrayList<>(created)) {
      if (top.startsWith(UNIFIED)) {
        continue;
      }
      Path d = top;
      for (String seg : rel.split("/")) {
        d = d.resolve(seg);
        Files.createDirectory(d);
        created.add(d);
      }
      leaves.add(d.resolve("cgroup.procs"));
    }
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "/bin/sh",
                "-c",
                "for f in \"$@\"; do echo $$ > \"$f\"; done; i=0; while [ $i -lt 2000000000 ]; do i=$((i+1)); done",
                "burner"));
    leaves.forEach(l -> cmd.add(l.toString()));
    processes.add(new ProcessBuilder(cmd).redirectErrorStream(true).start());

    KubeletPodList pods =
        new KubeletPodList(
            Path.of(getClass().getResource("/fixtures/pods.json").toURI()).toString(),
            java.time.Duration.ZERO);
    pods.refresh();
    ContainerCollector c =
        new ContainerCollector(
            CgroupFs.open(ROOT, Path.of("/proc")), Path.of("/proc"), Path.of("/sys"), pods, 20_000);
    String id = "/" + name + "/" + rel;
    double cpu = 0;
    CapturingSink sink = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (cpu < 0.2 && System.nanoTime() < deadline) {
      Thread.sleep(200);
      sink = new CapturingSink();
      c.collect(System.currentTimeMillis(), sink);
      cpu = sink.one("container_cpu_usage_seconds_total", "id", id).v();
    }
    assertThat(cpu).isGreaterThanOrEqualTo(0.2);
    Sample s = sink.one("container_cpu_usage_seconds_total", "id", id);
    assertThat(s.labels().get("pod")).isEqualTo("cart-7d9f8b6c5-x2x9q");
    assertThat(s.labels().get("namespace")).isEqualTo("shop");
    assertThat(s.labels().get("container")).isEqualTo("cart");
    assertThat(s.labels().get("image")).isEqualTo("ghcr.io/acme/cart:1.2");
    assertThat(s.labels().get("name")).isEqualTo(KubeCgroupPathTest.CID);
    // the pod-level cgroup reports the network namespace of the burner (this machine's)
    String podId = id.substring(0, id.lastIndexOf('/'));
    List<Sample> rx = sink.find("container_network_receive_bytes_total", "id", podId);
    List<String> ifaces =
        dev.osprey.collector.node.NetDev.parse(Files.readString(Path.of("/proc/self/net/dev")))
            .stream()
            .map(dev.osprey.collector.node.NetDev.Iface::name)
            .filter(n -> !n.startsWith("lo") && !n.startsWith("veth") && !n.startsWith("docker"))
            .toList();
    assertThat(rx)
        .extracting(x -> x.labels().get("interface"))
        .containsExactlyInAnyOrderElementsOf(ifaces);
    rx.forEach(x -> assertThat(x.labels().get("pod")).isEqualTo("cart-7d9f8b6c5-x2x9q"));
  }

  @Test
  void memoryAllocatorMovesMemoryGauges() throws Exception {
    Path java = Path.of(ProcessHandle.current().info().command().orElse(""));
    assumeTrue(Files.isExecutable(java), "needs the running JVM's java launcher");
    Path src = Path.of(getClass().getResource("/real/Alloc.java").toURI());
    double before = value(ROOT, "container_memory_usage_bytes");
    assertThat(before).isLessThan(16 << 20);

    List<String> cmd =
        new ArrayList<>(
            List.of(java.toString(), "-Xmx512m", "-XX:TieredStopAtLevel=1", src.toString(), "160"));
    cmd.addAll(procsFiles());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    processes.add(p);
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine(); // blocks until "ready" (bounded by the class @Timeout)
    assertThat(line).as("allocator output").startsWith("ready");

    CapturingSink s = collect(ROOT);
    String[] id = {"id", "/" + name};
    double usage = s.one("container_memory_usage_bytes", id).v();
    double ws = s.one("container_memory_working_set_bytes", id).v();
    double rss = s.one("container_memory_rss", id).v();
    assertThat(usage).isGreaterThan(150.0 * (1 << 20));
    assertThat(rss).isGreaterThan(150.0 * (1 << 20));
    assertThat(ws).isGreaterThan(150.0 * (1 << 20)).isLessThanOrEqualTo(usage);
    assertThat(s.one("container_memory_max_usage_bytes", id).v()).isGreaterThanOrEqualTo(usage);
    assertThat(s.one("container_start_time_seconds", id).v())
        .isGreaterThan(System.currentTimeMillis() / 1000.0 - 600);

    p.destroyForcibly();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    double freed = value(ROOT, "container_memory_usage_bytes");
    assertThat(freed).as("usage after the allocator exited").isLessThan(usage - 100.0 * (1 << 20));
  }

  private static double[] psiTotalsSeconds(Path dir, String resource) throws IOException {
    CgroupStats.Pressure p =
        CgroupFs.parsePressure(Files.readString(dir.resolve(resource + ".pressure")));
    return new double[] {p.waitingSeconds(), p.stalledSeconds()};
  }

  @Test
  void pressureAndProcessCountsMatchTheKernelsFiles() throws Exception {
    Path v2 = UNIFIED.resolve(name);
    boolean withV2 = created.contains(v2) && Files.exists(v2.resolve("cpu.pressure"));
    Path pidsDir = ROOT.resolve("pids").resolve(name);
    boolean withPids = Files.isDirectory(ROOT.resolve("pids"));
    assumeTrue(
        withV2 || withPids,
        "needs a v2 hierarchy with PSI files (CONFIG_PSI) or a v1 pids controller");
    if (withPids) {
      Files.createDirectory(pidsDir);
      created.add(pidsDir);
      Files.writeString(pidsDir.resolve("pids.max"), "50");
    }
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "/bin/sh",
                "-c",
                "for f in \"$@\"; do echo $$ > \"$f\"; done; i=0; while [ $i -lt 2000000000 ]; do i=$((i+1)); done",
                "burner"));
    cmd.addAll(procsFiles());
    processes.add(new ProcessBuilder(cmd).redirectErrorStream(true).start());
    // wait until the burner has joined every cgroup (its pid is in the last procs file)
    Path lastProcs = created.getLast().resolve("cgroup.procs");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (Files.readString(lastProcs).isBlank() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(Files.readString(lastProcs)).as("burner joined " + lastProcs).isNotBlank();

    if (withPids) {
      CapturingSink s = collect(ROOT);
      String[] id = {"id", "/" + name};
      assertThat(s.one("container_processes", id).v()).isEqualTo(1);
      assertThat(s.one("container_threads", id).v()).isEqualTo(1);
      assertThat(s.one("container_threads_max", id).v()).isEqualTo(50);
    }
    if (withV2) {
      String[] resources = {"cpu", "memory", "io"};
      for (String cg : new String[] {"/" + name, "/"}) {
        Path dir = cg.equals("/") ? UNIFIED : v2;
        double[][] before = new double[3][];
        double[][] after = new double[3][];
        for (int r = 0; r < 3; r++) {
          before[r] = psiTotalsSeconds(dir, resources[r]);
        }
        CapturingSink s = collect(UNIFIED);
        for (int r = 0; r < 3; r++) {
          after[r] = psiTotalsSeconds(dir, resources[r]);
        }
        for (int r = 0; r < 3; r++) {
          String p = "container_pressure_" + resources[r];
          double waiting = s.one(p + "_waiting_seconds_total", "id", cg).v();
          assertThat(waiting).as(p + " waiting of " + cg).isBetween(before[r][0], after[r][0]);
          if (!Double.isNaN(before[r][1])) {
            assertThat(s.one(p + "_stalled_seconds_total", "id", cg).v())
                .as(p + " stalled of " + cg)
                .isBetween(before[r][1], after[r][1]);
          }
        }
        if (cg.equals("/" + name)) {
          assertThat(s.one("container_processes", "id", cg).v()).isEqualTo(1);
        }
      }
    }
  }
}
