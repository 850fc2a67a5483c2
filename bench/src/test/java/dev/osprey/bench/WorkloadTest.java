package dev.osprey.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.labels.Labels;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WorkloadTest {
  @Test
  void deterministicUniqueAndRealistic() {
    Workload a = new Workload(5000, 1);
    Workload b = new Workload(5000, 1);
    assertThat(a.size()).isGreaterThanOrEqualTo(5000).isEqualTo(b.size());
    Set<Labels> seen = new HashSet<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < a.size(); i++) {
      assertThat(a.labels(i)).isEqualTo(b.labels(i));
      assertThat(seen.add(a.labels(i))).as("unique series %s", a.labels(i)).isTrue();
      names.add(a.labels(i).metricName());
    }
    assertThat(names)
        .contains(
            "node_cpu_seconds_total",
            "container_cpu_usage_seconds_total",
            "container_memory_working_set_bytes",
            "kube_pod_status_phase",
            "http_request_duration_seconds_bucket");
  }

  @Test
  void countersNeverDecreaseAndCopiesReplayTheSameValues() {
    Workload w = new Workload(2000, 7);
    Workload c1 = w.copy();
    Workload c2 = w.copy();
    SplittableRandom r1 = new SplittableRandom(3);
    SplittableRandom r2 = new SplittableRandom(3);
    double[] prev = new double[w.size()];
    java.util.Arrays.fill(prev, Double.NEGATIVE_INFINITY);
    for (int step = 0; step < 50; step++) {
      for (int i = 0; i < w.size(); i++) {
        double v1 = c1.next(i, r1);
        assertThat(c2.next(i, r2)).isEqualTo(v1);
        String name = w.labels(i).metricName();
        if (name.endsWith("_total") || name.endsWith("_bucket")) {
          assertThat(v1).as("%s at step %d", w.labels(i), step).isGreaterThanOrEqualTo(prev[i]);
        }
        prev[i] = v1;
      }
    }
  }
}
