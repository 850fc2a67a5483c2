package dev.osprey.collector.kube;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a small cgroup v2 tree as kubelet's systemd driver lays it out, for pods whose UIDs are
 * only known at test time (the mock API server assigns them).
 */
final class V2Tree {
  private V2Tree() {}

  static void root(Path cgroup) throws IOException {
    write(cgroup.resolve("cgroup.controllers"), "cpuset cpu io memory pids\n");
    write(cgroup.resolve("cpu.stat"), "usage_usec 1000\nuser_usec 600\nsystem_usec 400\n");
    write(cgroup.resolve("memory.stat"), "anon 1\nfile 1\ninactive_file 0\n");
    write(cgroup.resolve("cgroup.procs"), "");
  }

  /** One container of a burstable pod, using {@code usageUsec} of CPU. */
  static void container(Path cgroup, String podUid, String containerId, long usageUsec)
      throws IOException {
    Path pod =
        cgroup.resolve(
            "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
                + podUid.replace('-', '_')
                + ".slice");
    group(pod, usageUsec);
    group(pod.resolve("cri-containerd-" + containerId + ".scope"), usageUsec);
  }

  private static void group(Path d, long usageUsec) throws IOException {
    write(
        d.resolve("cpu.stat"),
        "usage_usec "
            + usageUsec
            + "\nuser_usec "
            + usageUsec / 2
            + "\nsystem_usec "
            + usageUsec / 2
            + "\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n");
    write(d.resolve("cpu.max"), "max 100000\n");
    write(d.resolve("cpu.weight"), "100\n");
    write(d.resolve("memory.current"), "1048576\n");
    write(d.resolve("memory.max"), "max\n");
    write(d.resolve("memory.events"), "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
    write(d.resolve("memory.stat"), "anon 524288\nfile 524288\ninactive_file 0\n");
    write(d.resolve("cgroup.procs"), "");
  }

  private static void write(Path f, String s) throws IOException {
    Files.createDirectories(f.getParent());
    Files.writeString(f, s);
  }
}
