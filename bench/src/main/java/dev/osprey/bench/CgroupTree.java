package dev.osprey.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A cgroup v2 tree as kubelet's systemd driver lays it out (the shape of node-collector's {@code
 * v2-systemd} fixture), with N containers in N/2 burstable pods, and the matching kubelet pod list
 * ({@code v1.PodList} JSON) so the agent names them.
 */
final class CgroupTree {
  private CgroupTree() {}

  static void write(Path cgroup, Path podList, int containers) throws IOException {
    write(cgroup.resolve("cgroup.controllers"), "cpuset cpu io memory pids\n");
    group(cgroup, 500_000_000, true);
    Path qos = cgroup.resolve("kubepods.slice/kubepods-burstable.slice");
    group(qos.getParent(), 200_000_000, false);
    group(qos, 150_000_000, false);
    StringBuilder pods =
        new StringBuilder("{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"items\":[");
    int podCount = (containers + 1) / 2;
    for (int p = 0; p < podCount; p++) {
      String uid = String.format("%08x-0000-4000-8000-%012x", p, p);
      Path pod = qos.resolve("kubepods-burstable-pod" + uid.replace('-', '_') + ".slice");
      group(pod, 1_000_000L * (p + 1), false);
      StringBuilder specs = new StringBuilder();
      StringBuilder statuses = new StringBuilder();
      for (int c = 0; c < 2 && p * 2 + c < containers; c++) {
        String cid =
            String.format("%064x", (long) (p * 2 + c + 1) * 0x9E3779B97F4A7C15L & Long.MAX_VALUE);
        group(pod.resolve("cri-containerd-" + cid + ".scope"), 400_000L * (p + c + 1), false);
        String name = c == 0 ? "app" : "sidecar";
        String image = "ghcr.io/acme/" + name + ":1." + p % 5;
        specs
            .append(c > 0 ? "," : "")
            .append("{\"name\":\"")
            .append(name)
            .append("\",\"image\":\"")
            .append(image)
            .append("\"}");
        statuses
            .append(c > 0 ? "," : "")
            .append("{\"name\":\"")
            .append(name)
            .append("\",\"containerID\":\"containerd://")
            .append(cid)
            .append("\",\"image\":\"")
            .append(image)
            .append("\",\"restartCount\":")
            .append(p % 3)
            .append(",\"state\":{\"running\":{\"startedAt\":\"2026-12-01T10:00:00Z\"}}}");
      }
      pods.append(p > 0 ? "," : "")
          .append("{\"metadata\":{\"name\":\"app-")
          .append(p)
          .append("-7d9f8b6c5-x2x9q\",\"namespace\":\"ns-")
          .append(p % 10)
          .append("\",\"uid\":\"")
          .append(uid)
          .append("\",\"labels\":{\"app\":\"app-")
          .append(p)
          .append("\"}},\"spec\":{\"nodeName\":\"bench-node\",\"containers\":[")
          .append(specs)
          .append(
              "]},\"status\":{\"phase\":\"Running\",\"startTime\":\"2026-12-01T10:00:00Z\","
                  + "\"containerStatuses\":[")
          .append(statuses)
          .append("]}}");
    }
    pods.append("]}");
    write(podList, pods.toString());
  }

  private static void group(Path d, long usageUsec, boolean root) throws IOException {
    write(
        d.resolve("cpu.stat"),
        "usage_usec "
            + usageUsec
            + "\nuser_usec "
            + usageUsec * 3 / 4
            + "\nsystem_usec "
            + usageUsec / 4
            + "\nnr_periods 100\nnr_throttled 3\nthrottled_usec 2500\n");
    write(
        d.resolve("memory.stat"),
        "anon 104857600\nfile 52428800\nfile_mapped 4096\ninactive_anon 0\nactive_anon 104857600\n"
            + "inactive_file 20971520\nactive_file 31457280\n");
    write(d.resolve("cgroup.procs"), "");
    if (root) {
      return;
    }
    write(d.resolve("cpu.max"), "50000 100000\n");
    write(d.resolve("cpu.weight"), "10\n");
    write(d.resolve("memory.current"), "157286400\n");
    write(d.resolve("memory.max"), "536870912\n");
    write(d.resolve("memory.low"), "0\n");
    write(d.resolve("memory.swap.current"), "0\n");
    write(d.resolve("memory.swap.max"), "max\n");
    write(d.resolve("memory.events"), "low 0\nhigh 0\nmax 2\noom 0\noom_kill 0\n");
    write(d.resolve("memory.peak"), "167286400\n");
    write(
        d.resolve("io.stat"),
        "8:0 rbytes=1048576 wbytes=2097152 rios=16 wios=32 dbytes=0 dios=0\n");
  }

  private static void write(Path f, String s) throws IOException {
    Files.createDirectories(f.getParent());
    Files.writeString(f, s);
  }
}
