package dev.osprey.alerting.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.template.Template;
import dev.osprey.core.template.TemplateException;
import dev.osprey.core.util.GoFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TemplateTest {
  private static String expand(String text, double value) {
    return PromTemplates.expand(
        "__alert_Test",
        text,
        Map.of("instance", "host:9100", "job", "node"),
        Map.of("cluster", "prod"),
        "http://prom.example:9090",
        value,
        null,
        0);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '¦',
      textBlock =
          """
          {{ $labels.instance }} down ¦ 1 ¦ host:9100 down
          {{ $value }} ¦ 1.5 ¦ 1.5
          {{ $value }} ¦ 1000000 ¦ 1e+06
          {{ $value }} ¦ 123456 ¦ 123456
          {{ $value }} ¦ 0.0001 ¦ 0.0001
          {{ $value }} ¦ 0.00001 ¦ 1e-05
          {{ $value | humanize }} ¦ 1234567 ¦ 1.235M
          {{ humanize $value }} ¦ 0.001234 ¦ 1.234m
          {{ humanize $value }} ¦ 0 ¦ 0
          {{ humanize1024 $value }} ¦ 1048576 ¦ 1Mi
          {{ humanize1024 $value }} ¦ 512 ¦ 512
          {{ humanizeDuration $value }} ¦ 3661 ¦ 1h 1m 1s
          {{ humanizeDuration $value }} ¦ 90061 ¦ 1d 1h 1m 1s
          {{ humanizeDuration $value }} ¦ 1.5 ¦ 1.5s
          {{ humanizeDuration $value }} ¦ 0.5 ¦ 500ms
          {{ humanizeDuration $value }} ¦ 0 ¦ 0s
          {{ humanizePercentage $value }} ¦ 0.1234 ¦ 12.34%
          {{ humanizeTimestamp $value }} ¦ 1435065584.128 ¦ 2015-06-23 13:19:44.128 +0000 UTC
          {{ printf "%.2f" $value }} ¦ 3.14159 ¦ 3.14
          {{ printf "%s=%d" "x" 42 }} ¦ 0 ¦ x=42
          {{ printf "%5.1f|" $value }} ¦ 2.25 ¦ '  2.2|'
          {{ $labels.job | toUpper }} ¦ 0 ¦ NODE
          {{ "HeLLo" | toLower }} ¦ 0 ¦ hello
          {{ title "hello wide world" }} ¦ 0 ¦ Hello Wide World
          {{ $externalLabels.cluster }}/{{ $externalURL }} ¦ 0 ¦ prod/http://prom.example:9090
          {{ $labels.missing }}x ¦ 0 ¦ x
          {{ if gt $value 10.0 }}big{{ else }}small{{ end }} ¦ 11 ¦ big
          {{ if gt $value 10.0 }}big{{ else if gt $value 5.0 }}mid{{ else }}small{{ end }} ¦ 6 ¦ mid
          {{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }} ¦ 0 ¦ instance=host:9100;job=node;
          {{ with $labels.job }}job {{ . }}{{ end }} ¦ 0 ¦ job node
          a {{- " b " -}} c ¦ 0 ¦ a b c
          {{/* a comment */}}ok ¦ 0 ¦ ok
          {{ $x := 5 }}{{ $x }} ¦ 0 ¦ 5
          {{ if and (eq $labels.job "node") (ne $value 0.0) }}y{{ end }} ¦ 1 ¦ y
          {{ len $labels }} ¦ 0 ¦ 2
          {{ index $labels "job" }} ¦ 0 ¦ node
          {{ reReplaceAll "(.*):.*" "$1" $labels.instance }} ¦ 0 ¦ host
          {{ match "^host" $labels.instance }} ¦ 0 ¦ true
          {{ stripPort $labels.instance }} ¦ 0 ¦ host
          {{ .Labels.job }} {{ .Value }} ¦ 2 ¦ node 2
          {{ "a&b" | html }} ¦ 0 ¦ a&amp;b
          {{ "a b/c" | urlquery }} ¦ 0 ¦ a+b%2Fc
          """)
  void expandsAsPrometheus(String text, double value, String want) {
    assertThat(expand(text, value)).isEqualTo(want);
  }

  @Test
  void executionErrorsBecomeText() {
    assertThat(expand("{{ humanize \"x\" }}", 0))
        .startsWith("<error expanding template: template: __alert_Test:1:")
        .contains("error calling humanize: strconv.ParseFloat: parsing \"x\": invalid syntax");
  }

  @Test
  void parseErrorsNameTheProblem() {
    assertThat(PromTemplates.check("__alert_A", "{{ nosuch $value }}"))
        .isEqualTo("template: __alert_A:1: function \"nosuch\" not defined");
    assertThat(PromTemplates.check("__alert_A", "{{ $labls.x }}"))
        .isEqualTo("template: __alert_A:1: undefined variable \"$labls\"");
    assertThat(PromTemplates.check("__alert_A", "{{ if $value }}x")).contains("unexpected EOF");
    assertThat(PromTemplates.check("__alert_A", "line\n{{ $value")).contains("__alert_A:2:");
    assertThat(PromTemplates.check("__alert_A", "{{ $labels.x }} {{ humanize $value }}")).isNull();
  }

  @Test
  void defineAndTemplate() throws Exception {
    Template t =
        Template.parse(
            "t",
            "{{ define \"greet\" }}hi {{ . }}{{ end }}{{ template \"greet\" \"bob\" }}!",
            Map.of(),
            java.util.Set.of());
    assertThat(t.execute(null, Map.of())).isEqualTo("hi bob!");
    assertThat(t.executeDefined("greet", "al")).isEqualTo("hi al");
  }

  @Test
  void goFloatFormatting() {
    assertThat(GoFormat.formatG(1000, 4)).isEqualTo("1000");
    assertThat(GoFormat.formatG(12345, 4)).isEqualTo("1.234e+04");
    assertThat(GoFormat.formatG(Double.NaN, 4)).isEqualTo("NaN");
    assertThat(GoFormat.formatV(Double.POSITIVE_INFINITY)).isEqualTo("+Inf");
    assertThat(GoFormat.formatV(-2.5e-7)).isEqualTo("-2.5e-07");
    assertThat(GoFormat.formatE(1234.5, 2)).isEqualTo("1.23e+03");
    assertThatThrownBy(
            () ->
                Template.parse("x", "{{ 1 | 2 }}", Map.of(), java.util.Set.of())
                    .execute(null, Map.of()))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("can't give argument to non-function");
  }
}
