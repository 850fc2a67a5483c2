package dev.osprey.alerting.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.alerting.ExpressionValidator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuleFilesTest {
  static List<String> errors(String yaml) {
    try {
      RuleFiles.parse(
          "rules.yml", yaml, e -> e.contains("(((") ? "unclosed left parenthesis" : null);
      return List.of();
    } catch (RuleFileException e) {
      return e.errors();
    }
  }

  @Test
  void parsesEveryField() throws Exception {
    var groups =
        RuleFiles.parse(
            "f.yml",
            """
            groups:
              - name: g1
                interval: 30s
                query_offset: 1m
                limit: 10
                rules:
                  - alert: A
                    expr: up == 0
                    for: 5m
                    keep_firing_for: 10m
                    labels: {severity: page}
                    annotations: {summary: "{{ $labels.job }} down"}
                  - record: job:up:sum
                    expr: sum(up)
            """,
            ExpressionValidator.NONE);
    GroupSpec g = groups.get(0);
    assertThat(g.intervalMillis()).isEqualTo(30_000);
    assertThat(g.queryOffsetMillis()).isEqualTo(60_000);
    assertThat(g.limit()).isEqualTo(10);
    assertThat(g.rules().get(0).forMillis()).isEqualTo(300_000);
    assertThat(g.rules().get(0).keepFiringForMillis()).isEqualTo(600_000);
    assertThat(g.rules().get(1).record()).isEqualTo("job:up:sum");
  }

  @Test
  void errorsReadAsPromtool() {
    assertThat(
            errors(
                """
                groups:
                  - name: g
                    rules:
                      - record: bad-name
                        expr: up
                        for: 1m
                      - alert: X
                        record: y
                        expr: up
                      - alert: Y
                      - alert: Z
                        expr: rate(x[5m]
                        labels: {__name__: x, 0bad: y}
                        annotations: {summary: "{{ nosuch }}"}
                      - alert: P
                        expr: (((
                """))
        .containsExactly(
            "rules.yml: 4:17: group \"g\", rule 1, \"bad-name\": invalid field 'for' in recording rule",
            "rules.yml: 4:17: group \"g\", rule 1, \"bad-name\": invalid recording rule name: bad-name",
            "rules.yml: 8:17: 7:16: group \"g\", rule 2, \"X\": only one of 'record' and 'alert' must be set",
            "rules.yml: 0:0: group \"g\", rule 3, \"Y\": field 'expr' must be set in rule",
            "rules.yml: group \"g\", rule 4, \"Z\": invalid label name: 0bad",
            "rules.yml: group \"g\", rule 4, \"Z\": invalid label name: __name__",
            "rules.yml: group \"g\", rule 4, \"Z\": annotation \"summary\": template: __alert_Z:1: function \"nosuch\" not defined",
            "rules.yml: 16:15: group \"g\", rule 5, \"P\": could not parse expression: unclosed left parenthesis");
  }

  @Test
  void groupErrors() {
    assertThat(
            errors(
                """
                groups:
                  - name: a
                  - name: a
                  - name: ""
                """))
        .containsExactly(
            "rules.yml: 3:5: groupname: \"a\" is repeated in the same file",
            "rules.yml: 4:5: Groupname must not be empty");
    assertThat(
            errors(
                "groups:\n  - name: a\n    rules:\n      - alert: x\n        expr: up\n        fro: 5m\n"))
        .containsExactly(
            "rules.yml: yaml: unmarshal errors:\n  line 6: field fro not found in type rulefmt.RuleNode");
    assertThat(errors("groups:\n  - name: a\n    interval: 5 minutes\n"))
        .containsExactly("rules.yml: not a valid duration string: \"5 minutes\"");
  }

  @Test
  void checkPrintsLikePromtool(@TempDir Path dir) throws Exception {
    Path ok = dir.resolve("ok.yml");
    Files.writeString(
        ok,
        "groups:\n- name: g\n  rules:\n  - record: a\n    expr: up\n  - alert: B\n    expr: up\n");
    Path dup = dir.resolve("dup.yml");
    Files.writeString(
        dup,
        "groups:\n- name: g\n  rules:\n  - record: a\n    expr: up\n  - record: a\n    expr: down\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        RuleFiles.check(
            RuleFiles.expand(List.of(dir + "/*.yml")),
            ExpressionValidator.NONE,
            new PrintStream(out, true),
            new PrintStream(err, true));
    assertThat(code).isZero(); // duplicates are a lint finding, as in promtool
    assertThat(out.toString()).contains("Checking " + ok + "\n  SUCCESS: 2 rules found\n");
    assertThat(err.toString())
        .contains(
            "  FAILED:\nlint error 1 duplicate rule(s) found.\nMetric: a\nLabel(s):\nMight cause inconsistency while recording expressions");
  }

  @Test
  void emptyFileHasNoGroups() throws Exception {
    assertThat(RuleFiles.parse("e.yml", "", ExpressionValidator.NONE)).isEmpty();
    assertThatThrownBy(() -> RuleFiles.parse("e.yml", "groups: [", ExpressionValidator.NONE))
        .isInstanceOf(RuleFileException.class)
        .hasMessageContaining("e.yml: ");
  }
}
