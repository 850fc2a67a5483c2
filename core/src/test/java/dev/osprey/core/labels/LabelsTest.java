package dev.osprey.core.labels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LabelsTest {
  @Test
  void sortedByNameAndEmptyValuesDropped() {
    Labels l = Labels.of("job", "api", "__name__", "up", "instance", "", "a", "1");
    assertThat(l.size()).isEqualTo(3);
    assertThat(l.names()).containsExactly("__name__", "a", "job");
    assertThat(l.get("instance")).isEmpty();
    assertThat(l.has("instance")).isFalse();
    assertThat(l.metricName()).isEqualTo("up");
    assertThat(l.toString()).isEqualTo("up{a=\"1\", job=\"api\"}");
  }

  @Test
  void equalityAndHashDoNotDependOnInputOrder() {
    Labels a = Labels.of("x", "1", "y", "2");
    Labels b = Labels.builder().set("y", "2").set("x", "1").build();
    assertThat(a).isEqualTo(b);
    assertThat(a.hash()).isEqualTo(b.hash());
    assertThat(a.hash()).isNotEqualTo(Labels.of("x", "1", "y", "3").hash());
    // name/value boundaries matter: {ab="c"} is not {a="bc"}
    assertThat(Labels.of("ab", "c").hash()).isNotEqualTo(Labels.of("a", "bc").hash());
  }

  @Test
  void compareIsPairwiseThenByLength() {
    Labels a = Labels.of("a", "1");
    Labels ab = Labels.of("a", "1", "b", "1");
    Labels b = Labels.of("b", "0");
    assertThat(a.compareTo(ab)).isNegative();
    assertThat(ab.compareTo(b)).isNegative();
    assertThat(Labels.of("a", "2").compareTo(Labels.of("a", "10"))).isPositive();
  }

  @Test
  void utf8OrderDiffersFromUtf16ForSupplementaryCharacters() {
    String bmpHigh = "\uFF61"; // U+FF61, 3 bytes in UTF-8
    String supplementary = new String(Character.toChars(0x1F600)); // 4 bytes, starts 0xF0
    assertThat(bmpHigh.compareTo(supplementary)).isPositive(); // Java's UTF-16 order
    assertThat(Utf8Order.compare(bmpHigh, supplementary)).isNegative(); // Go's byte order
  }

  @Test
  void builderDeletesAndOverwrites() {
    Labels l =
        Labels.of("__name__", "up", "job", "a").toBuilder().del("__name__").set("job", "b").build();
    assertThat(l).isEqualTo(Labels.of("job", "b"));
    assertThat(Labels.of("__name__", "x", "a", "b").withoutMetricName())
        .isEqualTo(Labels.of("a", "b"));
  }

  @Test
  void quotesLikeGo() {
    assertThat(Labels.of("path", "C:\\dir\n\"x\"").toString())
        .isEqualTo("{path=\"C:\\\\dir\\n\\\"x\\\"\"}");
  }

  @Test
  void nameSyntaxAsPrometheus() {
    assertThat(Labels.isValidMetricName("node:cpu:rate5m")).isTrue();
    assertThat(Labels.isValidLabelName("node:cpu")).isFalse();
    assertThat(Labels.isValidLabelName("_x9")).isTrue();
    assertThat(Labels.isValidLabelName("9x")).isFalse();
    assertThat(Labels.isValidMetricName("")).isFalse();
    assertThat(Labels.isValidMetricName("a-b")).isFalse();
  }

  /** keep() copies the kept pairs itself; a builder over the same pairs is the reference. */
  @Test
  void keepEqualsABuilderOfTheKeptPairs() {
    Random r = new Random(9);
    String[] names = {"__name__", "a", "b", "job", "le", "namespace", "pod", "zz"};
    for (int round = 0; round < 5_000; round++) {
      // Sorted pairs straight into the array, empty values included (a builder would drop them).
      List<String> nv = new ArrayList<>();
      for (String n : names) {
        if (r.nextInt(3) > 0) {
          nv.add(n);
          nv.add(r.nextInt(5) == 0 ? "" : "v" + r.nextInt(4));
        }
      }
      Labels metric = Labels.ofSortedUnsafe(nv.toArray(new String[0]));
      Set<String> by = new HashSet<>();
      for (String n : names) {
        if (r.nextInt(3) == 0) {
          by.add(n);
        }
      }
      if (r.nextInt(10) == 0) {
        by.add("absent");
      }
      Labels.Builder reference = Labels.builder();
      for (int i = 0; i < metric.size(); i++) {
        if (by.contains(metric.name(i))) {
          reference.set(metric.name(i), metric.value(i));
        }
      }
      Labels want = reference.build();
      Labels kept = metric.keep(by);
      assertThat(kept).as("%s by %s", metric, by).isEqualTo(want);
      assertThat(kept.hash()).isEqualTo(want.hash());
      assertThat(kept.compareTo(want)).isZero();
      assertThat(kept.size()).isEqualTo(want.size());
    }
  }
}
