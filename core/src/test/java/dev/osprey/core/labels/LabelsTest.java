package dev.osprey.core.labels;

import static org.assertj.core.api.Assertions.assertThat;

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
}
