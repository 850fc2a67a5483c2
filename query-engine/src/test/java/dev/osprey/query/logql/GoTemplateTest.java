package dev.osprey.query.logql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Expected outputs are what Go's text/template with Loki's functions prints for the same input. */
class GoTemplateTest {
  private static final GoTemplate.Ctx CTX =
      new GoTemplate.Ctx(
          Map.of(
              "status", "500", "app", "api", "n", "7", "msg", "  hi  ", "path", "/a b", "empty",
              ""),
          "the line",
          0);

  private static String run(String t) {
    return GoTemplate.compile(t).render(CTX);
  }

  @Test
  void conditionals() {
    assertThat(run("{{ if eq .status \"500\" }}ERR{{ else }}ok{{ end }}")).isEqualTo("ERR");
    assertThat(
            run(
                "{{ if eq .status \"200\" }}A{{ else if eq .status \"500\" }}B{{ else }}C{{ end"
                    + " }}"))
        .isEqualTo("B");
    assertThat(run("{{ if eq .status \"1\" }}A{{ else if .empty }}B{{ end }}.")).isEqualTo(".");
    assertThat(run("{{ if .empty }}x{{ else }}none{{ end }}")).isEqualTo("none");
    assertThat(run("{{ if eq .app \"x\" \"api\" }}one of{{ end }}")).isEqualTo("one of");
    assertThat(run("{{ with .app }}app={{ . }}{{ end }}")).isEqualTo("app=api");
    assertThat(run("{{ with .empty }}x{{ else }}y{{ end }}")).isEqualTo("y");
    assertThat(run("[{{- if and (eq .app \"api\") (ne .status \"200\") -}}  bad  {{- end }}]"))
        .isEqualTo("[bad]");
    assertThat(run("{{ if .app }}{{ if .empty }}a{{ else }}b{{ end }}{{ end }}")).isEqualTo("b");
    assertThat(run("{{ or .empty .app }}|{{ and .app .empty }}|{{ not .empty }}"))
        .isEqualTo("api||true");
    assertThat(run("{{ lt 3 10 }} {{ lt \"3\" \"10\" }} {{ gt .n \"10\" }} {{ ge 2.5 2 }}"))
        .isEqualTo("true false true true");
    assertThat(run("{{/* a comment */}}x{{-3}}")).isEqualTo("x-3");
  }

  @Test
  void arithmetic() {
    assertThat(run("{{ add .n 3 }} {{ sub 10 .n }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ mod 7 2 }}"))
        .isEqualTo("10 3 24 3 1");
    assertThat(run("{{ .n | add 1 }} {{ add \"x\" 1 }} {{ max 1 9 3 }} {{ min 4 2 }}"))
        .isEqualTo("8 1 9 2");
    assertThat(run("{{ divf 1 4 }} {{ mulf 1.5 2 }} {{ addf .n 0.5 }} {{ subf 1 0.25 }}"))
        .isEqualTo("0.25 3 7.5 0.75");
    assertThat(run("{{ round 2.345 2 }} {{ ceil 1.2 }} {{ floor -1.2 }} {{ round -2.5 }}"))
        .isEqualTo("2.35 2 -2 -3");
    assertThat(run("{{ addf 1e21 0 }} {{ divf 1 100000 }} {{ divf 1 3 }} {{ mulf 1000 1000 }}"))
        .isEqualTo("1e+21 1e-05 0.3333333333333333 1e+06");
  }

  @Test
  void strings() {
    assertThat(run("{{ hasPrefix \"/a\" .path }} {{ hasSuffix \"x\" .path }}"))
        .isEqualTo("true false");
    assertThat(run("{{ .path | urlencode }} {{ \"%2Fa+b\" | urldecode }}"))
        .isEqualTo("%2Fa+b /a b");
    assertThat(run("{{ \"hello\" | b64enc }} {{ \"aGVsbG8=\" | b64dec }}"))
        .isEqualTo("aGVsbG8= hello");
    assertThat(run("{{ alignLeft 5 .app }}|{{ alignRight 5 .app }}|{{ alignLeft 2 .app }}"))
        .isEqualTo("api  |  api|ap");
    assertThat(run("{{ __line__ | count \"e\" }} {{ len \"é\" }} {{ trunc 2 .app }}"))
        .isEqualTo("2 2 ap");
    assertThat(run("[{{ trimAll \" \" .msg }}] [{{ .msg | trim }}] {{ .app | upper | lower }}"))
        .isEqualTo("[hi] [hi] api");
    assertThat(run("{{ printf \"%s-%05.1f|%d\" .app 3.14159 42 }}")).isEqualTo("api-003.1|42");
    assertThat(run("{{ printf \"%d\" .status }} {{ .app | printf \"%q\" }}"))
        .isEqualTo("%!d(string=500) \"api\"");
    assertThat(run("{{ default \"none\" .empty }} {{ default \"none\" .app }}"))
        .isEqualTo("none api");
    assertThat(run("{{ regexReplaceAll \"(\\\\w+) (\\\\w+)\" __line__ \"${2}-$1\" }}"))
        .isEqualTo("line-the");
  }

  @Test
  void errorsAtParseAndRunTime() {
    assertThatThrownBy(() -> GoTemplate.compile("{{ range .x }}{{ end }}"))
        .hasMessageContaining("{{range}} is not supported");
    assertThatThrownBy(() -> GoTemplate.compile("{{ if .x }}a"))
        .hasMessageContaining("missing {{end}}");
    assertThatThrownBy(() -> GoTemplate.compile("a{{ end }}"))
        .hasMessageContaining("unexpected {{end}}");
    assertThatThrownBy(() -> GoTemplate.compile("{{ $x := 1 }}"))
        .hasMessageContaining("variables are not supported");
    assertThatThrownBy(() -> GoTemplate.compile("{{ nope .x }}"))
        .hasMessageContaining("function \"nope\" not defined");
    assertThatThrownBy(() -> GoTemplate.compile("{{ (lower .app }}"))
        .hasMessageContaining("unclosed left paren");
    assertThatThrownBy(() -> GoTemplate.compile("{{ .a")).hasMessageContaining("unclosed action");
    assertThatThrownBy(() -> run("{{ eq .status 500 }}"))
        .hasMessageContaining("incompatible types for comparison");
    assertThatThrownBy(() -> run("{{ div 1 0 }}")).hasMessageContaining("divide by zero");
    assertThatThrownBy(() -> run("{{ lower }}")).hasMessageContaining("wrong number of args");
  }
}
