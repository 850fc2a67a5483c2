package dev.osprey.query.logql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.labels.Labels;
import dev.osprey.logs.index.LogTokens;
import dev.osprey.query.logql.Ast.LogExpr;
import org.junit.jupiter.api.Test;

class PipelineTest {
  static final Labels STREAM = Labels.of("app", "api", "level", "stream-level");

  static Pipeline.State run(String pipeline, String line) {
    LogExpr e = (LogExpr) LogQLParser.parse("{app=\"api\"} " + pipeline);
    return Pipeline.compile(e.stages()).process(STREAM, Labels.EMPTY, 1_000_000_000L, line);
  }

  @Test
  void lineFilters() {
    assertThat(run("|= \"err\"", "an error")).isNotNull();
    assertThat(run("|= \"Err\"", "an error")).isNull();
    assertThat(run("|~ \"(?i)ERR\"", "an error")).isNotNull();
    assertThat(run("!= \"err\" or \"x\"", "an x")).isNull();
    assertThat(run("|= \"a\" or \"zz\"", "zz")).isNotNull();
    assertThat(run("!~ \"e.r\"", "an error")).isNull();
  }

  @Test
  void jsonFlattensAndMarksCollisions() {
    Pipeline.State s =
        run(
            "| json",
            "{\"level\":\"error\",\"req\":{\"path\":\"/x\",\"ms\":12.5},\"tags\":[1],\"a-b\":true}");
    assertThat(s.labels())
        .isEqualTo(
            Labels.of(
                "app",
                "api",
                "level",
                "stream-level",
                "level_extracted",
                "error",
                "req_path",
                "/x",
                "req_ms",
                "12.5",
                "a_b",
                "true"));
    Pipeline.State bad = run("| json", "not json");
    assertThat(bad.labels().get("__error__")).isEqualTo("JSONParserErr");
    assertThat(run("| json | __error__=\"\"", "not json")).isNull();
    assertThat(
            run(
                    "| json p=\"req.path\", first=\"tags[0]\"",
                    "{\"req\":{\"path\":\"/y\"},\"tags\":[7]}")
                .labels()
                .get("first"))
        .isEqualTo("7");
  }

  @Test
  void logfmtAndNumericFilters() {
    String line = "msg=\"GET /x\" status=503 latency=250ms size=20KB";
    assertThat(run("| logfmt | status >= 500", line)).isNotNull();
    assertThat(run("| logfmt | status < 500", line)).isNull();
    assertThat(run("| logfmt | latency > 200ms and latency < 1s", line)).isNotNull();
    assertThat(run("| logfmt | size == 20KB", line)).isNotNull();
    assertThat(run("| logfmt | msg = \"GET /x\"", line)).isNotNull();
    assertThat(run("| logfmt | missing > 1", line)).isNull();
    Pipeline.State err = run("| logfmt | msg > 1", line);
    assertThat(err.labels().get("__error__")).isEqualTo("LabelFilterErr");
  }

  @Test
  void regexpPatternUnpack() {
    assertThat(
            run("| regexp \"(?P<method>[A-Z]+) (?P<path>\\\\S+)\"", "x GET /a/b y")
                .labels()
                .get("path"))
        .isEqualTo("/a/b");
    Pipeline.State p =
        run(
            "| pattern \"<ip> - - [<_>] \\\"<method> <uri> <_>\\\" <status> <size>\"",
            "10.0.0.1 - - [22/Nov/2026:04:00:00 +0000] \"GET /index.html HTTP/1.1\" 200 512");
    assertThat(p.labels().get("ip")).isEqualTo("10.0.0.1");
    assertThat(p.labels().get("uri")).isEqualTo("/index.html");
    assertThat(p.labels().get("size")).isEqualTo("512");
    Pipeline.State u = run("| unpack", "{\"_entry\":\"original line\",\"pod\":\"p1\"}");
    assertThat(u.line).isEqualTo("original line");
    assertThat(u.labels().get("pod")).isEqualTo("p1");
  }

  @Test
  void formatsAndDropKeep() {
    Pipeline.State s =
        run(
            "| logfmt | line_format \"{{.status | ToLower}}: {{ .msg | replace \\\"GET\\\""
                + " \\\"get\\\" }} {{ default \\\"-\\\" .none }}\"",
            "msg=\"GET /x\" status=OK");
    assertThat(s.line).isEqualTo("ok: get /x -");
    Pipeline.State l =
        run("| logfmt | label_format st=status, both=\"{{.app}}/{{.status}}\"", "status=OK");
    assertThat(l.labels().get("st")).isEqualTo("OK");
    assertThat(l.labels().has("status")).isFalse();
    assertThat(l.labels().get("both")).isEqualTo("api/OK");
    assertThat(run("| logfmt | drop status, level", "status=OK a=1").labels())
        .isEqualTo(Labels.of("app", "api", "a", "1"));
    assertThat(run("| logfmt | keep a", "status=OK a=1").labels()).isEqualTo(Labels.of("a", "1"));
    assertThat(run("| logfmt | drop a=\"1\"", "a=1 b=2").labels().has("a")).isFalse();
  }

  @Test
  void patternLineFilters() {
    String line = "10.0.0.1 GET /api/users 200 12ms";
    assertThat(run("|> \"<_> GET <path> 200 <_>\"", line)).isNotNull();
    assertThat(run("|> \"<_> POST <_>\"", line)).isNull();
    assertThat(run("|> \"10.0.0.1 <_>\"", line)).isNotNull();
    assertThat(run("|> \"<_> 12\"", line)).isNull(); // anchored at the end
    assertThat(run("!> \"<_> 500 <_>\"", line)).isNotNull();
    assertThat(run("|> \"<_> 500 <_>\" or \"<_> 200 <_>\"", line)).isNotNull();
    LogExpr e = (LogExpr) LogQLParser.parse("{a=\"b\"} |> \"GET <_> status=500 <_>\"");
    assertThat(LineFilterQueries.of(e.stages()).toString())
        .contains("line:" + LogTokens.part("get"))
        .contains("line:" + LogTokens.part("status"))
        .contains("line:" + LogTokens.part("500"));
  }

  @Test
  void decolorize() {
    assertThat(run("| decolorize", "\u001b[31mred\u001b[0m plain \u001b[1;32mgreen\u001b[m").line)
        .isEqualTo("red plain green");
  }

  @Test
  void lineFiltersBecomeIndexQueries() {
    LogExpr e =
        (LogExpr)
            LogQLParser.parse(
                "{a=\"b\"} |= \"trace 4bf92f35 done\" != \"x\" |~ \"(?i)connection reset\" |"
                    + " line_format \"{{.a}}\" |= \"zzz\"");
    String q = LineFilterQueries.of(e.stages()).toString();
    // "trace" and "connection" may be the tail of a longer word: only inner words are required
    assertThat(q)
        .contains("#line:" + LogTokens.part("4bf92f35") + " ")
        .contains("line:parts[>=4]:done*")
        .contains("line:parts[>=5]:reset*");
    assertThat(q).doesNotContain("trace").doesNotContain("connection");
    assertThat(q).doesNotContain("zzz").doesNotContain("line:x");
    assertThat(
            LineFilterQueries.of(((LogExpr) LogQLParser.parse("{a=\"b\"} |~ \"\\\\d+\"")).stages()))
        .isNull();
    assertThat(LineFilterQueries.regexLiterals(".*(foo|bar).*")).containsExactly("foo", "bar");
    // a single word is the exact part or sits inside a longer one: only longer parts are walked
    assertThat(LineFilterQueries.needle("4bf92f3577b34da6").toString())
        .contains("line:" + LogTokens.part("4bf92f3577b34da6") + " ")
        .contains("line:parts[>=17]:*4bf92f3577b34da6*");
    assertThat(LineFilterQueries.needle("abc")).isNull();
    // an IP's parts are unselective: the whole word that holds it is looked up
    assertThat(LineFilterQueries.needle("10.0.0.1").toString()).contains("line:words:*10.0.0.1*");
    assertThat(LineFilterQueries.needle("e89b-12d3-a456").toString()).doesNotContain("*e89b");
  }
}
