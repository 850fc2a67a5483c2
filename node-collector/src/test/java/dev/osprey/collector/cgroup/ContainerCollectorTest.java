package dev.osprey.collector.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.osprey.collector.CapturingSink;
import dev.osprey.collector.CapturingSink.Sample;
import dev.osprey.collector.kube.KubeletPodList;
import dev.osprey.collector.kube.PodMetadata;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ContainerCollectorTest {
  static final String CID1 = KubeCgroupPathTest.CID;
  static final String CID2 = "aa11bb22cc33dd44ee55ff6677889900aa11bb22cc33dd44ee55ff6677889900";

  static Path fixture(String name) {
    try {
      return Path.of(ContainerCollectorTest.class.getResource("/fixtures/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static CapturingSink collect(String name) {
    Path root = fixture(name);
    PodMetadata pods = new KubeletPodList(fixture("pods.json").toString(), Duration.ZERO);
    pods.refresh();
    ContainerCollector c =
        new ContainerCollector(
            CgroupFs.open(root.resolve("cgroup"), root.resolve("proc")),
            root.resolve("proc"),
            root.resolve("sys"),
            pods,
            10_000);
    CapturingSink sink = new CapturingSink();
    c.collect(1_700_000_000_000L, sink);
    return sink;
  }

  @ParameterizedTest
  @ValueSource(strings = {"v1-cgroupfs", "v1-systemd", "v2-systemd", "v2-cgroupfs"})
  void containerMetricsAsCadvisorNamesThem(String tree) {
    CapturingSink s = collect(tree);
    String[] c = {"name", CID1};
    Sample cpu = s.one("container_cpu_usage_seconds_total", c);
    assertThat(cpu.labels().get("cpu")).isEqualTo("total");
    assertThat(cpu.labels().get("pod")).isEqualTo("cart-7d9f8b6c5-x2x9q");
    assertThat(cpu.labels().get("namespace")).isEqualTo("shop");
    assertThat(cpu.labels().get("container")).isEqualTo("cart");
    assertThat(cpu.labels().get("image")).isEqualTo("ghcr.io/acme/cart:1.2");
    assertThat(cpu.labels().get("id"))
        .startsWith("/kubepods")
        .endsWith(tree.endsWith("systemd") ? "cri-containerd-" + CID1 + ".scope" : CID1);
    assertThat(cpu.labels().names())
        .containsExactly("__name__", "container", "cpu", "id", "image", "name", "namespace", "pod");
    assertThat(cpu.v()).isEqualTo(119.0);
    assertThat(cpu.t()).isEqualTo(1_700_000_000_000L);
    assertThat(s.one("container_cpu_user_seconds_total", c).v()).isEqualTo(89.0);
    assertThat(s.one("container_cpu_system_seconds_total", c).v()).isEqualTo(30.0);
    assertThat(s.one("container_cpu_cfs_periods_total", c).v()).isEqualTo(1000);
    assertThat(s.one("container_cpu_cfs_throttled_periods_total", c).v()).isEqualTo(50);
    assertThat(s.one("container_cpu_cfs_throttled_seconds_total", c).v()).isEqualTo(2.5);
    assertThat(s.one("container_spec_cpu_quota", c).v()).isEqualTo(50000);
    assertThat(s.one("container_spec_cpu_period", c).v()).isEqualTo(100000);
    assertThat(s.one("container_spec_memory_limit_bytes", c).v()).isEqualTo(536870912);
    assertThat(s.one("container_memory_usage_bytes", c).v()).isEqualTo(290_000_000);
    assertThat(s.one("container_memory_working_set_bytes", c).v()).isEqualTo(200_000_000);
    assertThat(s.one("container_memory_rss", c).v()).isEqualTo(199_000_000);
    assertThat(s.one("container_memory_cache", c).v()).isEqualTo(91_000_000);
    assertThat(s.one("container_memory_mapped_file", c).v())
        .isEqualTo(tree.startsWith("v1") ? 8192 : 4096);
    assertThat(s.one("container_memory_failcnt", c).v()).isEqualTo(3);
    assertThat(s.one("container_oom_events_total", c).v()).isEqualTo(1);
    assertThat(s.one("container_fs_reads_bytes_total", "name", CID1, "device", "/dev/sda").v())
        .isEqualTo(1_048_576);
    assertThat(s.one("container_fs_writes_bytes_total", "name", CID1, "device", "/dev/sda").v())
        .isEqualTo(2_097_152);
    assertThat(s.one("container_fs_reads_total", "name", CID1, "device", "/dev/sda").v())
        .isEqualTo(16);
    assertThat(s.one("container_fs_writes_total", "name", CID1, "device", "/dev/sda").v())
        .isEqualTo(32);
    assertThat(s.one("container_start_time_seconds", c).v()).isGreaterThan(1e9);
    // network is the pod's, reported once on the pod-level cgroup, not per container
    assertThat(s.find("container_network_receive_bytes_total", c)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"v1-cgroupfs", "v1-systemd", "v2-systemd", "v2-cgroupfs"})
  void podLevelCgroupCarriesPodLabelsAndNetwork(String tree) {
    CapturingSink s = collect(tree);
    Sample ws =
        s.matching(
                x ->
                    x.labels().metricName().equals("container_memory_working_set_bytes")
                        && x.labels().get("pod").equals("cart-7d9f8b6c5-x2x9q")
                        && !x.labels().has("container"))
            .getFirst();
    assertThat(ws.labels().names()).containsExactly("__name__", "id", "namespace", "pod");
    // inactive_file (400 MB) above usage (300 MB): floored at zero
    assertThat(ws.v()).isEqualTo(0);
    String podId = ws.labels().get("id");
    Sample rx = s.one("container_network_receive_bytes_total", "id", podId, "interface", "eth0");
    assertThat(rx.v()).isEqualTo(1_234_567);
    assertThat(s.one("container_network_receive_packets_total", "id", podId).v()).isEqualTo(8910);
    assertThat(s.one("container_network_receive_errors_total", "id", podId).v()).isEqualTo(1);
    assertThat(s.one("container_network_receive_packets_dropped_total", "id", podId).v())
        .isEqualTo(2);
    assertThat(s.one("container_network_transmit_bytes_total", "id", podId).v()).isEqualTo(765_432);
    assertThat(s.one("container_network_transmit_packets_total", "id", podId).v()).isEqualTo(4321);
    assertThat(s.one("container_network_transmit_errors_total", "id", podId).v()).isEqualTo(4);
    assertThat(s.one("container_network_transmit_packets_dropped_total", "id", podId).v())
        .isEqualTo(5);
    // lo is ignored, as cAdvisor does
    assertThat(s.find("container_network_receive_bytes_total", "interface", "lo")).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"v1-cgroupfs", "v1-systemd", "v2-systemd", "v2-cgroupfs"})
  void rootCgroupIsTheMachine(String tree) {
    CapturingSink s = collect(tree);
    assertThat(s.one("container_cpu_usage_seconds_total", "id", "/").v()).isEqualTo(500.0);
    double usage = s.one("container_memory_usage_bytes", "id", "/").v();
    assertThat(usage)
        .isEqualTo(tree.startsWith("v1") ? 8_000_000_000.0 : (16_000_000 - 4_000_000) * 1024.0);
    assertThat(s.one("container_network_receive_bytes_total", "id", "/", "interface", "ens3").v())
        .isEqualTo(99_999_999);
    assertThat(s.find("container_network_receive_bytes_total", "interface", "vethabc1")).isEmpty();
    assertThat(s.one("container_cpu_usage_seconds_total", "id", "/").labels().names())
        .containsExactly("__name__", "cpu", "id");
  }

  @ParameterizedTest
  @ValueSource(strings = {"v1-cgroupfs", "v1-systemd", "v2-systemd", "v2-cgroupfs"})
  void pressureStallTotalsInSecondsWhereThePressureFilesExist(String tree) {
    CapturingSink s = collect(tree);
    String[] c = {"name", CID1};
    String[] names = {
      "container_pressure_cpu_waiting_seconds_total",
          "container_pressure_cpu_stalled_seconds_total",
      "container_pressure_memory_waiting_seconds_total",
          "container_pressure_memory_stalled_seconds_total",
      "container_pressure_io_waiting_seconds_total", "container_pressure_io_stalled_seconds_total"
    };
    if (tree.equals("v1-systemd")) {
      // no *.pressure files in this v1 tree (mainline kernels have PSI on v2 only): no series
      for (String n : names) {
        assertThat(s.find(n)).as(n).isEmpty();
      }
      return;
    }
    // fixture totals (microseconds): some 1500000/3000000/4500000, full 250000/1000000/2000000
    double[] expected = {1.5, 0.25, 3.0, 1.0, 4.5, 2.0};
    for (int i = 0; i < names.length; i++) {
      Sample p = s.one(names[i], c);
      assertThat(p.v()).as(names[i]).isEqualTo(expected[i]);
      assertThat(p.labels().names())
          .containsExactly("__name__", "container", "id", "image", "name", "namespace", "pod");
      assertThat(p.labels().get("pod")).isEqualTo("cart-7d9f8b6c5-x2x9q");
      // only the container's cgroup has pressure files in the fixtures
      assertThat(s.find(names[i])).hasSize(1);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"v1-cgroupfs", "v1-systemd", "v2-systemd", "v2-cgroupfs"})
  void processAndThreadCountsFromCgroupProcsAndPids(String tree) {
    CapturingSink s = collect(tree);
    String[] c = {"name", CID1};
    Sample procs = s.one("container_processes", c);
    assertThat(procs.v()).isEqualTo(3); // three lines in cgroup.procs
    assertThat(procs.labels().names())
        .containsExactly("__name__", "container", "id", "image", "name", "namespace", "pod");
    assertThat(s.one("container_threads", c).v()).isEqualTo(7); // pids.current
    assertThat(s.one("container_threads_max", c).v()).isEqualTo(100); // pids.max
    Sample threads = s.one("container_threads", c);
    assertThat(threads.labels().names()).isEqualTo(procs.labels().names());
    if (tree.endsWith("systemd")) {
      // pids.max "max" is reported as 0, as runc and cAdvisor do
      assertThat(s.one("container_threads_max", "name", CID2).v()).isEqualTo(0);
      assertThat(s.one("container_threads", "name", CID2).v()).isEqualTo(2);
    }
    // no pids files on the root cgroup: no thread series for it (cAdvisor would say 0)
    assertThat(s.find("container_threads", "id", "/")).isEmpty();
  }

  @Test
  void pressureFileParsing() {
    CgroupStats.Pressure p =
        CgroupFs.parsePressure(
            "some avg10=0.00 avg60=0.00 avg300=0.00 total=12345678\n"
                + "full avg10=0.00 avg60=0.00 avg300=0.00 total=1\n");
    assertThat(p.waitingSeconds()).isEqualTo(12.345678);
    assertThat(p.stalledSeconds()).isEqualTo(1e-6);
    // kernels before 5.13 have no "full" line in cpu.pressure
    CgroupStats.Pressure some = CgroupFs.parsePressure("some avg10=1 avg60=2 avg300=3 total=5\n");
    assertThat(some.waitingSeconds()).isEqualTo(5e-6);
    assertThat(some.stalledSeconds()).isNaN();
    assertThat(CgroupFs.parsePressure(null)).isEqualTo(CgroupStats.Pressure.ABSENT);
    assertThat(CgroupFs.processCount("1\n22\n\n")).isEqualTo(2);
    assertThat(CgroupFs.processCount("")).isEqualTo(0);
    assertThat(CgroupFs.threadsMax(Double.POSITIVE_INFINITY)).isEqualTo(0);
  }

  @Test
  void unlimitedIsReportedAsZeroAndNoCfsWithoutQuota() {
    for (String tree : new String[] {"v1-systemd", "v2-systemd"}) {
      CapturingSink s = collect(tree);
      assertThat(s.one("container_spec_memory_limit_bytes", "name", CID2).v()).isEqualTo(0);
      assertThat(s.find("container_spec_cpu_quota", "name", CID2)).isEmpty();
      assertThat(s.find("container_cpu_cfs_periods_total", "name", CID2)).isEmpty();
      assertThat(s.one("container_cpu_usage_seconds_total", "name", CID2).labels().get("image"))
          .isEqualTo("docker.io/library/python:3.12");
      assertThat(s.one("container_spec_cpu_shares", "name", CID2).v())
          .isCloseTo(tree.startsWith("v1") ? 102 : 2, within(0.5));
    }
  }

  @Test
  void v2WeightConvertsBackToShares() {
    CapturingSink s = collect("v2-systemd");
    // cpu.weight 10 is what runc writes for cpu.shares 262 -> 2 + 9*262142/9999 = 237.9
    assertThat(s.one("container_spec_cpu_shares", "name", CID1).v())
        .isCloseTo(2 + 9 * 262142.0 / 9999, within(1e-9));
    assertThat(s.one("container_fs_reads_bytes_total", "name", CID1, "device", "253:0").v())
        .isEqualTo(4096);
  }

  @Test
  void detectsVersionAndDriverLayouts() {
    assertThat(CgroupFs.open(fixture("v2-systemd").resolve("cgroup"), Path.of("/proc")).isV2())
        .isTrue();
    assertThat(CgroupFs.open(fixture("v1-systemd").resolve("cgroup"), Path.of("/proc")).isV2())
        .isFalse();
    assertThat(CgroupFs.open(fixture("v1-cgroupfs").resolve("cgroup"), Path.of("/proc")).list(100))
        .contains("/", "/kubepods", "/kubepods/burstable/pod" + KubeCgroupPathTest.UID);
  }
}
