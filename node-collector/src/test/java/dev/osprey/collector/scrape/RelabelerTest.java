package dev.osprey.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.labels.Labels;
import java.util.List;
import org.junit.jupiter.api.Test;

class RelabelerTest {
  static RelabelConfig rc(
      List<String> src, String regex, String target, String repl, String action) {
    return RelabelConfig.of(src, null, regex, null, target, repl, action);
  }

  static final Labels IN =
      Labels.of(
          "__address__",
          "10.0.0.1:9100",
          "__meta_kubernetes_pod_label_app",
          "web",
          "__meta_kubernetes_pod_label_tier",
          "front",
          "job",
          "node",
          "env",
          "prod");

  @Test
  void replaceWithGroupsAndDefaults() {
    Labels out =
        Relabeler.process(
            IN,
            List.of(
                rc(List.of("__address__"), "([^:]+):(\\d+)", "host", "${1}", null),
                rc(List.of("__address__"), "([^:]+):(?P<port>\\d+)", "port", "$port", null),
                rc(List.of("job", "env"), null, "combo", null, null),
                rc(List.of("nothere"), "x", "never", "y", null)));
    assertThat(out.get("host")).isEqualTo("10.0.0.1");
    assertThat(out.get("port")).isEqualTo("9100");
    assertThat(out.get("combo")).isEqualTo("node;prod");
    assertThat(out.has("never")).isFalse();
  }

  @Test
  void replaceWithEmptyResultDeletesAndTemplatedTarget() {
    Labels out =
        Relabeler.process(
            IN,
            List.of(
                rc(List.of("env"), ".*", "env", "", null),
                rc(List.of("job"), "(.*)", "target_$1", "x", null)));
    assertThat(out.has("env")).isFalse();
    assertThat(out.get("target_node")).isEqualTo("x");
  }

  @Test
  void goExpandRules() {
    Labels out =
        Relabeler.process(
            Labels.of("a", "foo"),
            List.of(
                rc(List.of("a"), "(f)(o+)", "b", "$1x-${2}x-$$-$9-$", null),
                rc(List.of("a"), "(f)(o+)", "c", "$1x", null))); // "$1x" names group "1x": empty
    // Go reads "$1x" as the group named "1x": empty
    assertThat(out.get("b")).isEqualTo("-oox-$--$");
    assertThat(out.has("c")).isFalse();
  }

  @Test
  void keepDropAndEqual() {
    assertThat(Relabeler.process(IN, List.of(rc(List.of("env"), "prod|stage", null, null, "keep"))))
        .isNotNull();
    assertThat(Relabeler.process(IN, List.of(rc(List.of("env"), "stage", null, null, "keep"))))
        .isNull();
    assertThat(Relabeler.process(IN, List.of(rc(List.of("env"), "pro", null, null, "drop"))))
        .as("anchored: 'pro' does not match 'prod'")
        .isNotNull();
    assertThat(Relabeler.process(IN, List.of(rc(List.of("env"), "p.*", null, null, "drop"))))
        .isNull();
    Labels eq = Labels.of("a", "1", "b", "1", "c", "2");
    assertThat(
            Relabeler.process(
                eq,
                List.of(RelabelConfig.of(List.of("a"), null, null, null, "b", null, "keepequal"))))
        .isNotNull();
    assertThat(
            Relabeler.process(
                eq,
                List.of(RelabelConfig.of(List.of("a"), null, null, null, "c", null, "keepequal"))))
        .isNull();
    assertThat(
            Relabeler.process(
                eq,
                List.of(RelabelConfig.of(List.of("a"), null, null, null, "b", null, "dropequal"))))
        .isNull();
  }

  @Test
  void hashmodAsPrometheus() {
    // md5("10.0.0.1:9100")'s low 8 bytes, big-endian, mod 1000 -- computed independently
    Labels out =
        Relabeler.process(
            Labels.of("__address__", "127.0.0.1:9100"),
            List.of(
                RelabelConfig.of(
                    List.of("__address__"), null, null, 1000L, "shard", null, "hashmod")));
    assertThat(out.get("shard")).isEqualTo("150");
    Labels foo =
        Relabeler.process(
            Labels.of("a", "foo"),
            List.of(RelabelConfig.of(List.of("a"), null, null, 1000L, "s", null, "hashmod")));
    assertThat(foo.get("s")).isEqualTo("696");
  }

  @Test
  void labelmapLabeldropLabelkeep() {
    Labels out =
        Relabeler.process(
            IN, List.of(rc(null, "__meta_kubernetes_pod_label_(.+)", null, null, "labelmap")));
    assertThat(out.get("app")).isEqualTo("web");
    assertThat(out.get("tier")).isEqualTo("front");
    assertThat(out.get("__meta_kubernetes_pod_label_app")).isEqualTo("web");
    Labels dropped =
        Relabeler.process(out, List.of(rc(null, "__meta_.*", null, null, "labeldrop")));
    assertThat(dropped.names()).containsExactly("__address__", "app", "env", "job", "tier");
    Labels kept = Relabeler.process(out, List.of(rc(null, "app|job", null, null, "labelkeep")));
    assertThat(kept.names()).containsExactly("app", "job");
  }

  @Test
  void caseActions() {
    Labels out =
        Relabeler.process(
            Labels.of("a", "MiXed"),
            List.of(
                rc(List.of("a"), null, "lo", null, "lowercase"),
                rc(List.of("a"), null, "up", null, "uppercase")));
    assertThat(out.get("lo")).isEqualTo("mixed");
    assertThat(out.get("up")).isEqualTo("MIXED");
  }

  @Test
  void validation() {
    assertThatThrownBy(() -> rc(List.of("a"), null, null, null, "replace"))
        .hasMessageContaining("requires 'target_label'");
    assertThatThrownBy(() -> RelabelConfig.of(List.of("a"), null, null, null, "t", null, "hashmod"))
        .hasMessageContaining("non-zero modulus");
    assertThatThrownBy(() -> rc(List.of("a"), null, null, null, "labeldrop"))
        .hasMessageContaining("requires only 'regex'");
    assertThatThrownBy(() -> rc(List.of("a"), "(", "t", null, null))
        .hasMessageContaining("invalid regex");
    assertThatThrownBy(() -> rc(List.of("a"), null, "t", null, "explode"))
        .hasMessageContaining("unknown relabel action \"explode\"");
    assertThatThrownBy(() -> rc(List.of("a"), null, "1bad", null, null))
        .hasMessageContaining("invalid 'target_label'");
  }
}
