package dev.osprey.query.logql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Expected outputs are what Go's text/template with Loki's functions prints for the same input. */
class LogTemplatesTest {
  private static final LogTemplates.Ctx CTX =
      new LogTemplates.Ctx(
          Map.of(
              "status", "500", "app", "api", "n", "7", "msg", "  hi  ", "path", "/a b", "empty",
              ""),
          "the line",
          0);

  private static String run(String t) {
    return LogTemplates.render(LogTemplates.compile("line", t), CTX);
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
    assertThat(run("{{ printf \"%s|%5.2f|%x|%t|%f\" 42 1.5 255 true 7 }}"))
        .isEqualTo("%!s(int=42)| 1.50|ff|true|%!f(int=7)"); // Go's fmt, the alerting templates' too
    assertThat(run("{{ printf \"%d\" .status }} {{ .app | printf \"%q\" }}"))
        .isEqualTo("%!d(string=500) \"api\"");
    assertThat(run("{{ default \"none\" .empty }} {{ default \"none\" .app }}"))
        .isEqualTo("none api");
    assertThat(run("{{ regexReplaceAll \"(\\\\w+) (\\\\w+)\" __line__ \"${2}-$1\" }}"))
        .isEqualTo("line-the");
  }

  @Test
  void errorsAtParseAndRunTime() {
    assertThatThrownBy(() -> LogTemplates.compile("line", "{{ range .x }}{{ break }}{{ end }}"))
        .hasMessageContaining("{{break}} is not supported");
    assertThatThrownBy(() -> LogTemplates.compile("line", "{{ if .x }}a"))
        .hasMessageContaining("line:1: unexpected EOF"); // as Go words it
    assertThatThrownBy(() -> LogTemplates.compile("line", "a{{ end }}"))
        .hasMessageContaining("unexpected {{end}}");
    assertThatThrownBy(
            () -> LogTemplates.compile("line", "{{ if true }}{{ $y := 1 }}{{ end }}{{ $y }}"))
        .hasMessageContaining("undefined variable \"$y\"");
    assertThatThrownBy(
            () -> LogTemplates.compile("line", "{{ range $i, $v := . }}{{ end }}{{ $v.x }}"))
        .hasMessageContaining("undefined variable \"$v\"");
    assertThatThrownBy(() -> LogTemplates.compile("line", "{{ $z = 1 }}"))
        .hasMessageContaining("undefined variable \"$z\"");
    assertThatThrownBy(() -> run("{{ range .app }}{{ end }}"))
        .hasMessageContaining("range can't iterate over api");
    assertThatThrownBy(() -> run("{{ unixEpoch .app }}"))
        .hasMessageContaining("expected time.Time; got string");
    assertThatThrownBy(() -> run("{{ unixToTime \"123\" }}"))
        .hasMessageContaining("unable to parse time '123'");
    assertThatThrownBy(() -> run("{{ duration \"1d\" }}"))
        .hasMessageContaining("invalid duration \"1d\"");
    assertThatThrownBy(() -> LogTemplates.compile("line", "{{ nope .x }}"))
        .hasMessageContaining("function \"nope\" not defined");
    assertThatThrownBy(() -> LogTemplates.compile("line", "{{ (lower .app }}"))
        .hasMessageContaining("unclosed left paren");
    assertThatThrownBy(() -> LogTemplates.compile("line", "{{ .a"))
        .hasMessageContaining("unclosed action");
    assertThatThrownBy(() -> run("{{ eq .status 500 }}"))
        .hasMessageContaining("incompatible types for comparison");
    assertThatThrownBy(() -> run("{{ div 1 0 }}")).hasMessageContaining("divide by zero");
    assertThatThrownBy(() -> run("{{ lower }}")).hasMessageContaining("wrong number of args");
  }

  private static final LogTemplates.Ctx AT =
      new LogTemplates.Ctx(
          Map.of(
              "app", "api",
              "js", "{\"foo\":{\"bar\":\"baz\"}}",
              "queries", "[{\"query\":\"a\"},{\"query\":\"b\"}]",
              "list", "[\"x\",\"y\"]"),
          "line",
          1_700_000_000_123_456_789L);

  private static String at(String t) {
    return LogTemplates.render(LogTemplates.compile("line", t), AT);
  }

  @Test
  void datesFormatWithGoLayouts() {
    assertThat(at("{{ __timestamp__ }}")).isEqualTo("2023-11-14 22:13:20.123456789 +0000 UTC");
    assertThat(at("{{ __timestamp__ | date \"2006-01-02T15:04:05.00Z-07:00\" }}"))
        .isEqualTo("2023-11-14T22:13:20.12Z+00:00");
    assertThat(at("{{ __timestamp__ | unixEpoch }} {{ unixEpochMillis __timestamp__ }}"))
        .isEqualTo("1700000000 1700000000123");
    assertThat(at("{{ __timestamp__ | unixEpochNanos }}")).isEqualTo("1700000000123456789");
    assertThat(at("{{ date \"Mon Jan _2 15:04:05 MST 2006\" __timestamp__ }}"))
        .isEqualTo("Tue Nov 14 22:13:20 UTC 2023");
    assertThat(at("{{ date \"Monday, January 2, 2006 3:04PM\" 0 }}"))
        .isEqualTo("Thursday, January 1, 1970 12:00AM");
    assertThat(at("{{ date \"02/01/06 03:04:05,000 pm Z07\" __timestamp__ }}"))
        .isEqualTo("14/11/23 10:13:20,123 pm Z");
    assertThat(at("{{ date \"2006 002 __2 .999 .9 _2\" __timestamp__ }}"))
        .isEqualTo("2023 318 318 .123 .1 14");
    assertThat(at("{{ date \"2006\" .app | len }}")).isEqualTo("4"); // not a time: now
  }

  @Test
  void datesParseWithGoLayouts() {
    assertThat(at("{{ toDate \"2006-01-02\" \"2021-11-02\" }}"))
        .isEqualTo("2021-11-02 00:00:00 +0000 UTC");
    assertThat(
            at("{{ toDate \"2006-01-02\" \"nope\" }} | {{ toDate \"2006-01-02\" \"2021-02-30\" }}"))
        .isEqualTo("0001-01-01 00:00:00 +0000 UTC | 0001-01-01 00:00:00 +0000 UTC");
    assertThat(
            at(
                "{{ toDateInZone \"2006-01-02 15:04\" \"Europe/Berlin\" \"2021-07-01 12:00\" }} {{"
                    + " toDateInZone \"2006-01-02 15:04\" \"Europe/Berlin\" \"2021-07-01 12:00\" |"
                    + " unixEpoch }}"))
        .isEqualTo("2021-07-01 12:00:00 +0200 CEST 1625133600");
    assertThat(at("{{ toDate \"2006-01-02T15:04:05Z07:00\" \"2021-11-02T10:00:00+05:30\" }}"))
        .isEqualTo("2021-11-02 10:00:00 +0530 +0530");
    assertThat(
            at("{{ toDate \"2006-01-02T15:04:05.999999999Z07:00\" \"2021-11-02T10:00:00.5Z\" }}"))
        .isEqualTo("2021-11-02 10:00:00.5 +0000 UTC");
    assertThat(at("{{ toDate \"15:04:05\" \"10:30:00.25\" }}"))
        .isEqualTo("0000-01-01 10:30:00.25 +0000 UTC");
    assertThat(at("{{ toDate \"3:04PM Jan  2\" \"1:05PM feb 3\" | date \"15:04 01-02\" }}"))
        .isEqualTo("13:05 02-03");
    assertThat(at("{{ toDate \"2006 002\" \"2024 060\" | date \"01-02\" }}")).isEqualTo("02-29");
    assertThat(at("{{ unixToTime \"1679577215\" | date \"2006-01-02 15:04:05\" }}"))
        .isEqualTo("2023-03-23 13:13:35");
    assertThat(at("{{ (unixToTime \"19373\") | date \"2006-01-02\" }}")).isEqualTo("2023-01-16");
    assertThat(at("{{ unixToTime \"1679577215123\" | unixEpochMillis }}"))
        .isEqualTo("1679577215123");
    assertThat(at("{{ now | unixEpoch | len }}")).isEqualTo("10");
  }

  @Test
  void conversionsAndStrings() {
    assertThat(at("{{ bytes \"1.5 KiB\" }} {{ bytes \"2MB\" }} {{ bytes \"42\" }}"))
        .isEqualTo("1536 2e+06 42");
    assertThat(
            at(
                "{{ duration \"1h30m\" }} {{ duration_seconds \"250ms\" }} {{ duration \"-1.5s\" }}"))
        .isEqualTo("5400 0.25 -1.5");
    assertThat(at("{{ indent 2 \"a\\nb\" }}|{{ nindent 1 \"c\" }}")).isEqualTo("  a\n  b|\n c");
    assertThat(
            at(
                "{{ Trim \"xxhixx\" \"x\" }} {{ TrimLeft \"xxhixx\" \"x\" }} {{ TrimRight \"xxhixx\""
                    + " \"x\" }} {{ TrimPrefix \"xxhi\" \"x\" }} {{ TrimSuffix \"hixx\" \"x\" }}"))
        .isEqualTo("hi hixx xxhi xhi hix");
    assertThat(at("{{ \"3\" | int }} {{ \"3.5\" | float64 }} {{ int 3.9 }}")).isEqualTo("3 3.5 3");
  }

  @Test
  void jsonRangeAndVariables() {
    assertThat(at("{{ fromJson \"{\\\"foo\\\": 55, \\\"a\\\": [1, \\\"x\\\", null]}\" }}"))
        .isEqualTo("map[a:[1 x <nil>] foo:55]");
    assertThat(at("{{ (fromJson .js).foo }} {{ (fromJson .js).foo.bar }} {{ fromJson \"nope\" }}"))
        .isEqualTo("map[bar:baz] baz <no value>");
    assertThat(at("{{ range $q := fromJson .queries }}[{{ $q.query }}]{{ end }}"))
        .isEqualTo("[a][b]");
    assertThat(at("{{ range $i, $v := fromJson .list }}{{ $i }}={{ $v }} {{ end }}"))
        .isEqualTo("0=x 1=y ");
    assertThat(at("{{ range fromJson \"[]\" }}x{{ else }}empty{{ end }}")).isEqualTo("empty");
    assertThat(at("{{ range $k, $v := . }}{{ $k }};{{ end }}")).isEqualTo("app;js;list;queries;");
    assertThat(
            at(
                "{{ range 3 }}{{ . }}{{ end }}|{{ range fromJson .list }}{{ $.app }}{{ . }}{{ end }}"))
        .isEqualTo("012|apixapiy");
    assertThat(at("{{ $x := .app }}{{ $x }}-{{ $x = \"b\" }}{{ $x }}")).isEqualTo("api-b");
    assertThat(at("{{ with $x := .app }}{{ $x }}{{ . }}{{ end }}")).isEqualTo("apiapi");
  }
}
