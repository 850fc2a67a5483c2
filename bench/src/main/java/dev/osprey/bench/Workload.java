package dev.osprey.bench;

import dev.osprey.core.labels.Labels;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A generated Kubernetes cluster's metrics, deterministic for a seed: node_exporter, cAdvisor,
 * kube-state-metrics and application series with their real label sets, scraped every 15 s by one
 * target per node (node_exporter, kubelet/cAdvisor) or per pod (application), each target at its
 * own offset within the interval with a few milliseconds of jitter, as Prometheus scrapes.
 *
 * <p>Values follow what the exporters really produce: node CPU counters in 1/100 s steps, cAdvisor
 * CPU counters with nanosecond precision, byte counters and memory gauges in whole bytes (pages),
 * 0/1 state gauges, rarely moving restart counters, cumulative histogram buckets.
 */
public final class Workload {
  public static final long INTERVAL_MS = 15_000;

  enum Kind {
    NODE_CPU, // counter, +0.01 s steps
    CONTAINER_CPU, // counter, nanosecond precision
    BYTES_COUNTER, // integer counter
    MEMORY_GAUGE, // multiple of 4096, random walk
    STATE, // 0/1, almost constant
    RARE_COUNTER, // restarts
    BUCKET, // cumulative histogram bucket counter
    REQUESTS, // integer counter
    LOAD // gauge, two decimals
  }

  private final List<Labels> labels = new ArrayList<>();
  private final List<Kind> kinds = new ArrayList<>();
  private final List<Integer> targets = new ArrayList<>();
  private final List<Double> rates = new ArrayList<>();
  private int targetCount;
  private final long seed;

  // Per-series state, parallel arrays.
  private double[] value;
  private double[] rate;
  private Kind[] kind;
  private long[] offset;

  public Workload(int seriesCount, long seed) {
    this.seed = seed;
    SplittableRandom rnd = new SplittableRandom(seed);
    int node = 0;
    while (labels.size() < seriesCount) {
      addNode(node++, rnd, seriesCount);
    }
    int n = labels.size();
    value = new double[n];
    rate = new double[n];
    kind = new Kind[n];
    offset = new long[n];
    SplittableRandom r2 = new SplittableRandom(seed ^ 0x5DEECE66DL);
    long[] targetOffset = new long[targetCount];
    for (int t = 0; t < targetCount; t++) {
      targetOffset[t] = r2.nextLong(INTERVAL_MS);
    }
    for (int i = 0; i < n; i++) {
      kind[i] = kinds.get(i);
      rate[i] = rates.get(i);
      offset[i] = targetOffset[targets.get(i)];
      value[i] = kind[i] == Kind.STATE ? rate[i] : initial(kind[i], r2);
    }
  }

  private static double initial(Kind k, SplittableRandom r) {
    return switch (k) {
      case NODE_CPU -> Math.round(r.nextDouble(1e3, 1e6) * 100) / 100.0;
      case CONTAINER_CPU -> Math.round(r.nextDouble(10, 1e5) * 1e9) / 1e9;
      case BYTES_COUNTER, REQUESTS -> Math.floor(r.nextDouble(1e6, 1e11));
      case MEMORY_GAUGE -> 4096.0 * r.nextInt(10_000, 2_000_000);
      case STATE -> 1;
      case RARE_COUNTER -> r.nextInt(4);
      case BUCKET -> Math.floor(r.nextDouble(1e3, 1e7));
      case LOAD -> Math.round(r.nextDouble(0, 4) * 100) / 100.0;
    };
  }

  private void add(Labels l, Kind k, int target, double r) {
    labels.add(l);
    kinds.add(k);
    targets.add(target);
    rates.add(r);
  }

  private void addNode(int node, SplittableRandom rnd, int limit) {
    String instance = "10.0." + (node / 250) + "." + (node % 250 + 1) + ":9100";
    String nodeName = "node-" + node;
    int nodeTarget = targetCount++;
    String[] modes = {"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"};
    for (int cpu = 0; cpu < 4 && labels.size() < limit; cpu++) {
      for (String mode : modes) {
        add(
            Labels.of(
                "__name__",
                "node_cpu_seconds_total",
                "cpu",
                Integer.toString(cpu),
                "mode",
                mode,
                "instance",
                instance,
                "job",
                "node-exporter"),
            Kind.NODE_CPU,
            nodeTarget,
            mode.equals("idle") ? 0.7 : rnd.nextDouble(0, 0.1));
      }
    }
    for (String m :
        new String[] {
          "MemAvailable", "MemFree", "Buffers", "Cached", "Active", "Inactive", "Dirty", "Slab"
        }) {
      add(
          Labels.of(
              "__name__",
              "node_memory_" + m + "_bytes",
              "instance",
              instance,
              "job",
              "node-exporter"),
          Kind.MEMORY_GAUGE,
          nodeTarget,
          50);
    }
    for (String dev : new String[] {"eth0", "lo"}) {
      for (String m :
          new String[] {"receive_bytes", "transmit_bytes", "receive_packets", "transmit_packets"}) {
        add(
            Labels.of(
                "__name__",
                "node_network_" + m + "_total",
                "device",
                dev,
                "instance",
                instance,
                "job",
                "node-exporter"),
            Kind.BYTES_COUNTER,
            nodeTarget,
            rnd.nextDouble(10, 1e6));
      }
    }
    for (String l : new String[] {"node_load1", "node_load5", "node_load15"}) {
      add(
          Labels.of("__name__", l, "instance", instance, "job", "node-exporter"),
          Kind.LOAD,
          nodeTarget,
          0);
    }
    int kubeletTarget = targetCount++;
    String kubelet = "10.0." + (node / 250) + "." + (node % 250 + 1) + ":10250";
    for (int p = 0; p < 30 && labels.size() < limit; p++) {
      String ns = "ns-" + (p % 7);
      String app = "app-" + ((node * 31 + p) % 97);
      long h = mix(seed * 1_000_003L + node * 131L + p);
      String pod =
          app
              + "-"
              + Long.toHexString(h | (1L << 60)).substring(0, 10)
              + "-"
              + Long.toHexString(mix(h) | (1L << 60)).substring(0, 5);
      String uid =
          String.format(
              "%08x-%04x-4%03x-8%03x-%012x",
              (int) h, p, node % 4096, p % 4096, mix(h + 1) & 0xffffffffffffL);
      String container = app;
      String cid =
          String.format("%016x%016x%016x%016x", mix(h + 2), mix(h + 3), mix(h + 4), mix(h + 5));
      String id =
          "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
              + uid.replace('-', '_')
              + ".slice/cri-containerd-"
              + cid
              + ".scope";
      String image = "registry.example.com/" + app + ":v1." + (p % 5);
      Labels base =
          Labels.of(
              "container",
              container,
              "id",
              id,
              "image",
              image,
              "name",
              cid.substring(0, 12),
              "namespace",
              ns,
              "pod",
              pod,
              "instance",
              kubelet,
              "job",
              "kubelet",
              "metrics_path",
              "/metrics/cadvisor");
      add(
          base.toBuilder().set("__name__", "container_cpu_usage_seconds_total").build(),
          Kind.CONTAINER_CPU,
          kubeletTarget,
          rnd.nextDouble(0.001, 1.5));
      add(
          base.toBuilder().set("__name__", "container_cpu_user_seconds_total").build(),
          Kind.CONTAINER_CPU,
          kubeletTarget,
          rnd.nextDouble(0.001, 1));
      add(
          base.toBuilder().set("__name__", "container_cpu_system_seconds_total").build(),
          Kind.CONTAINER_CPU,
          kubeletTarget,
          rnd.nextDouble(0.001, 0.3));
      add(
          base.toBuilder().set("__name__", "container_memory_working_set_bytes").build(),
          Kind.MEMORY_GAUGE,
          kubeletTarget,
          20);
      add(
          base.toBuilder().set("__name__", "container_memory_usage_bytes").build(),
          Kind.MEMORY_GAUGE,
          kubeletTarget,
          20);
      add(
          base.toBuilder().set("__name__", "container_memory_rss").build(),
          Kind.MEMORY_GAUGE,
          kubeletTarget,
          10);
      add(
          base.toBuilder()
              .set("__name__", "container_network_receive_bytes_total")
              .set("interface", "eth0")
              .build(),
          Kind.BYTES_COUNTER,
          kubeletTarget,
          rnd.nextDouble(100, 1e5));
      add(
          base.toBuilder()
              .set("__name__", "container_network_transmit_bytes_total")
              .set("interface", "eth0")
              .build(),
          Kind.BYTES_COUNTER,
          kubeletTarget,
          rnd.nextDouble(100, 1e5));
      add(
          base.toBuilder()
              .set("__name__", "container_fs_reads_bytes_total")
              .set("device", "/dev/vda")
              .build(),
          Kind.BYTES_COUNTER,
          kubeletTarget,
          rnd.nextDouble(0, 1e4));
      add(
          base.toBuilder()
              .set("__name__", "container_fs_writes_bytes_total")
              .set("device", "/dev/vda")
              .build(),
          Kind.BYTES_COUNTER,
          kubeletTarget,
          rnd.nextDouble(0, 1e4));
      Labels ksm =
          Labels.of(
              "namespace",
              ns,
              "pod",
              pod,
              "uid",
              uid,
              "instance",
              "kube-state-metrics:8080",
              "job",
              "kube-state-metrics");
      for (String phase : new String[] {"Pending", "Running", "Succeeded", "Failed", "Unknown"}) {
        add(
            ksm.toBuilder().set("__name__", "kube_pod_status_phase").set("phase", phase).build(),
            Kind.STATE,
            kubeletTarget,
            phase.equals("Running") ? 1 : 0);
      }
      add(
          ksm.toBuilder()
              .set("__name__", "kube_pod_container_status_restarts_total")
              .set("container", container)
              .build(),
          Kind.RARE_COUNTER,
          kubeletTarget,
          0);
      if (p % 3 == 0) {
        int appTarget = targetCount++;
        Labels appBase =
            Labels.of(
                "namespace",
                ns,
                "pod",
                pod,
                "instance",
                "10.1." + (node % 250) + "." + p + ":8080",
                "job",
                app,
                "handler",
                "/api/v1/items");
        double reqRate = rnd.nextDouble(1, 200);
        for (String code : new String[] {"200", "404", "500"}) {
          for (String method : new String[] {"GET", "POST"}) {
            add(
                appBase.toBuilder()
                    .set("__name__", "http_requests_total")
                    .set("code", code)
                    .set("method", method)
                    .build(),
                Kind.REQUESTS,
                appTarget,
                reqRate * (code.equals("200") ? 1 : 0.01));
          }
        }
        String[] les = {
          "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"
        };
        for (int b = 0; b < les.length; b++) {
          add(
              appBase.toBuilder()
                  .set("__name__", "http_request_duration_seconds_bucket")
                  .set("le", les[b])
                  .build(),
              Kind.BUCKET,
              appTarget,
              reqRate * Math.min(1, (b + 1) / 8.0));
        }
        add(
            appBase.toBuilder().set("__name__", "http_request_duration_seconds_count").build(),
            Kind.REQUESTS,
            appTarget,
            reqRate);
        add(
            appBase.toBuilder().set("__name__", "http_request_duration_seconds_sum").build(),
            Kind.CONTAINER_CPU,
            appTarget,
            reqRate * 0.05);
      }
    }
  }

  private Workload(Workload o) {
    this.seed = o.seed;
    this.labels.addAll(o.labels);
    this.targetCount = o.targetCount;
    this.value = o.value.clone();
    this.rate = o.rate;
    this.kind = o.kind;
    this.offset = o.offset;
  }

  /** A copy with its own value state, so several replays can start from the same point. */
  public Workload copy() {
    return new Workload(this);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  public int size() {
    return labels.size();
  }

  public Labels labels(int i) {
    return labels.get(i);
  }

  /** The kind of series {@code i} (counter, gauge, bucket, ...), for size breakdowns. */
  String kind(int i) {
    return kind[i].name();
  }

  /** The timestamp (ms) of series {@code i}'s sample at scrape {@code step}, from {@code start}. */
  public long timestamp(long start, int i, int step, SplittableRandom jitter) {
    return start + step * INTERVAL_MS + offset[i] + jitter.nextInt(-2, 3);
  }

  /** Advances series {@code i} by one scrape and returns its new value. */
  public double next(int i, SplittableRandom r) {
    double v = value[i];
    double rt = rate[i];
    double nv =
        switch (kind[i]) {
          case NODE_CPU -> v + Math.round(rt * 15 * r.nextDouble(0.8, 1.2) * 100) / 100.0;
          case CONTAINER_CPU -> v + Math.round(rt * 15 * r.nextDouble(0.5, 1.5) * 1e9) / 1e9;
          case BYTES_COUNTER, REQUESTS, BUCKET -> v + Math.floor(rt * 15 * r.nextDouble(0.5, 1.5));
          case MEMORY_GAUGE -> Math.max(4096, v + 4096.0 * r.nextInt(-(int) rt, (int) rt + 1));
          case STATE -> v;
          case RARE_COUNTER -> r.nextInt(20_000) == 0 ? v + 1 : v;
          case LOAD -> Math.max(0, Math.round((v + r.nextDouble(-0.1, 0.1)) * 100) / 100.0);
        };
    value[i] = nv;
    return nv;
  }
}
