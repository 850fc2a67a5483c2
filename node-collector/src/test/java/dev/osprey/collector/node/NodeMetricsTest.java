package dev.osprey.collector.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.osprey.collector.CapturingSink;
import dev.osprey.collector.CapturingSink.Sample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeMetricsTest {
  static Path fixtureProc() throws Exception {
    return Path.of(NodeMetricsTest.class.getResource("/fixtures/node/proc").toURI());
  }

  static CapturingSink collectFixture() throws Exception {
    CapturingSink s = new CapturingSink();
    new NodeMetrics(fixtureProc(), Path.of("/"), false).collect(1000, s);
    return s;
  }

  @Test
  void cpuFromProcStat() throws Exception {
    CapturingSink s = collectFixture();
    assertThat(s.one("node_cpu_seconds_total", "cpu", "0", "mode", "user").v()).isEqualTo(277.78);
    assertThat(s.one("node_cpu_seconds_total", "cpu", "1", "mode", "idle").v()).isEqualTo(1792.32);
    assertThat(s.one("node_cpu_seconds_total", "cpu", "0", "mode", "steal").v()).isEqualTo(1.78);
    assertThat(s.find("node_cpu_seconds_total")).hasSize(16); // 2 cpus x 8 modes, no "total" row
    assertThat(s.one("node_cpu_guest_seconds_total", "cpu", "0", "mode", "user").v())
        .isEqualTo(0.12);
    assertThat(s.one("node_boot_time_seconds").v()).isEqualTo(1795318744);
    assertThat(s.one("node_context_switches_total").v()).isEqualTo(1442218);
    assertThat(s.one("node_forks_total").v()).isEqualTo(21376);
    assertThat(s.one("node_intr_total").v()).isEqualTo(526299);
    assertThat(s.one("node_procs_running").v()).isEqualTo(3);
    assertThat(s.one("node_procs_blocked").v()).isEqualTo(1);
  }

  @Test
  void memoryLoadNetworkVmstat() throws Exception {
    CapturingSink s = collectFixture();
    assertThat(s.one("node_memory_MemTotal_bytes").v()).isEqualTo(24683656.0 * 1024);
    assertThat(s.one("node_memory_Active_anon_bytes").v()).isEqualTo(1588.0 * 1024);
    assertThat(s.one("node_memory_HugePages_Total").v()).isEqualTo(0);
    assertThat(s.one("node_memory_Hugepagesize_bytes").v()).isEqualTo(2048.0 * 1024);
    assertThat(s.one("node_load1").v()).isEqualTo(6.05);
    assertThat(s.one("node_load5").v()).isEqualTo(3.24);
    assertThat(s.one("node_load15").v()).isEqualTo(1.42);
    assertThat(s.one("node_network_receive_bytes_total", "device", "eth0").v())
        .isEqualTo(100966126);
    assertThat(s.one("node_network_receive_multicast_total", "device", "eth0").v()).isEqualTo(6);
    assertThat(s.one("node_network_transmit_colls_total", "device", "eth0").v()).isEqualTo(10);
    assertThat(s.one("node_network_transmit_compressed_total", "device", "eth0").v()).isEqualTo(12);
    assertThat(s.one("node_network_receive_bytes_total", "device", "lo").v()).isEqualTo(5000);
    assertThat(s.one("node_vmstat_pgmajfault").v()).isEqualTo(1200);
    assertThat(s.one("node_vmstat_oom_kill").v()).isEqualTo(1);
  }

  @Test
  void diskstatsSkipPartitionsAndLoops() throws Exception {
    CapturingSink s = collectFixture();
    assertThat(s.one("node_disk_read_bytes_total", "device", "vda").v()).isEqualTo(3832818.0 * 512);
    assertThat(s.one("node_disk_read_time_seconds_total", "device", "vda").v())
        .isCloseTo(25.354, within(1e-9));
    assertThat(s.one("node_disk_io_now", "device", "vda").v()).isEqualTo(2);
    assertThat(s.one("node_disk_flush_requests_total", "device", "vda").v()).isEqualTo(1297);
    assertThat(s.one("node_disk_info", "device", "vda").labels().get("major")).isEqualTo("254");
    // an older kernel's 11-field line still gives the first 11 metrics
    assertThat(s.one("node_disk_written_bytes_total", "device", "nvme0n1").v()).isEqualTo(5120);
    assertThat(s.find("node_disk_discards_completed_total", "device", "nvme0n1")).isEmpty();
    for (String excluded : List.of("loop0", "vda1", "nvme0n1p1")) {
      assertThat(s.find("node_disk_reads_completed_total", "device", excluded)).isEmpty();
    }
  }

  @Test
  void mountFilterAsNodeExporter() throws Exception {
    NodeMetrics m = new NodeMetrics(fixtureProc(), Path.of("/"), true);
    assertThat(m.mounts().keySet()).containsExactly("/", "/var/lib/kubelet", "/mnt/my data");
    assertThat(m.mounts().get("/mnt/my data")).containsExactly("/dev/vdc", "xfs");
  }

  @Test
  void realProcAndStatvfs() {
    Path proc = Path.of("/proc");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(proc.resolve("stat")), "needs Linux");
    CapturingSink s = new CapturingSink();
    new NodeMetrics(proc, Path.of("/"), true).collect(System.currentTimeMillis(), s);
    int cpus = Runtime.getRuntime().availableProcessors();
    assertThat(s.find("node_cpu_seconds_total", "mode", "idle")).hasSizeGreaterThanOrEqualTo(cpus);
    assertThat(s.one("node_memory_MemTotal_bytes").v()).isGreaterThan(64.0 * (1 << 20));
    assertThat(s.one("node_boot_time_seconds").v()).isLessThan(System.currentTimeMillis() / 1000.0);
    assertThat(s.one("node_load1").v()).isGreaterThanOrEqualTo(0);
    assertThat(s.find("node_network_receive_bytes_total")).isNotEmpty();
    {
      Sample root = s.one("node_filesystem_size_bytes", "mountpoint", "/");
      assertThat(root.v()).isGreaterThan(0);
      assertThat(s.one("node_filesystem_avail_bytes", "mountpoint", "/").v())
          .isLessThanOrEqualTo(s.one("node_filesystem_free_bytes", "mountpoint", "/").v());
      assertThat(s.one("node_filesystem_device_error", "mountpoint", "/").v()).isEqualTo(0);
    }
  }
}
