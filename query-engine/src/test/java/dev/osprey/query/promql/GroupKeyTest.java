package dev.osprey.query.promql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.labels.Labels;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The grouping key of {@code by (...)} against {@link Labels#keep}, which it does without. */
class GroupKeyTest {
  @Test
  void byKeysEqualKeep() {
    Random r = new Random(9);
    String[] names = {"__name__", "a", "b", "job", "le", "namespace", "pod", "zz"};
    for (int round = 0; round < 5_000; round++) {
      Labels.Builder b = Labels.builder();
      for (String n : names) {
        if (r.nextInt(3) > 0) {
          b.set(n, r.nextInt(5) == 0 ? "" : "v" + r.nextInt(4));
        }
      }
      Labels metric = b.build();
      Set<String> by = new HashSet<>();
      for (String n : names) {
        if (r.nextInt(3) == 0) {
          by.add(n);
        }
      }
      if (r.nextInt(10) == 0) {
        by.add("absent");
      }
      Labels key = Aggregations.groupKey(metric, false, by);
      assertThat(key).as("%s by %s", metric, by).isEqualTo(metric.keep(by));
      assertThat(key.hashCode()).isEqualTo(metric.keep(by).hashCode());
      assertThat(key.compareTo(metric.keep(by))).isZero();
      List<String> kept = new ArrayList<>();
      for (int i = 0; i < key.size(); i++) {
        kept.add(key.name(i));
      }
      assertThat(kept).isSorted().allMatch(by::contains);
    }
  }
}
