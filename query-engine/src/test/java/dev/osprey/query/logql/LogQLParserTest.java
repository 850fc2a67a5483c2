package dev.osprey.query.logql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.query.logql.Ast.*;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LogQLParserTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "{app=\"api\"}",
        "{app=\"api\", env=~\"prod|dev\"} |= \"error\" != \"timeout\" |~ `(?i)warn` !~ \"x+\"",
        "{app=\"api\"} |= \"a\" or \"b\"",
        "|= \"connection reset\"",
        "{app=\"api\"} | json | level=\"error\" and status >= 500",
        "{app=\"api\"} | json a=\"x.y\", b=\"z[0]\" | a != \"\"",
        "{app=\"api\"} | logfmt | latency > 250ms or size <= 20KB",
        "{app=\"api\"} | logfmt --strict | (a=\"1\" , b=~\"2.*\")",
        "{app=\"api\"} | regexp \"(?P<method>\\\\w+) (?P<path>\\\\S+)\"",
        "{app=\"api\"} | pattern \"<ip> - - <_> \\\"<method> <uri> <_>\\\" <status>\"",
        "{app=\"api\"} | unpack | line_format \"{{.level | ToUpper}} {{ .msg }}\"",
        "{app=\"api\"} | label_format lvl=level, svc=\"{{.app}}-{{.env}}\" | drop a, b=\"x\" | keep app",
        "count_over_time({app=\"api\"}[5m])",
        "rate({app=\"api\"} |= \"error\" [1m] offset 5m)",
        "bytes_over_time({app=\"api\"}[1h])",
        "bytes_rate({app=\"api\"}[1h])",
        "absent_over_time({app=\"nope\"}[1m])",
        "sum_over_time({app=\"api\"} | logfmt | unwrap latency_ms [5m])",
        "avg_over_time({app=\"api\"} | logfmt | unwrap duration(latency) | __error__=\"\" [5m]) by (app)",
        "quantile_over_time(0.99, {app=\"api\"} | json | unwrap bytes(size) [5m]) by (path)",
        "sum by (app) (count_over_time({env=\"prod\"}[5m]))",
        "sum(count_over_time({env=\"prod\"}[5m])) by (app)",
        "topk(3, sum by (app) (rate({env=\"prod\"}[5m])))",
        "sum(rate({app=\"a\"} |= \"error\" [5m])) / sum(rate({app=\"a\"}[5m])) * 100",
        "count_over_time({app=\"a\"}[5m]) > bool 10",
        "sum without (env) (count_over_time({app=\"a\"}[5m])) and on (app) count_over_time({app=\"a\"}[5m])",
        "-1 + 2 ^ 3",
        "vector(1) + vector(1)",
        "sum by (level, detected_level) (count_over_time({app=\"a\"} | drop __error__[1m]))",
        "{app=\"a\"} | decolorize |= \"x\"",
        "# comment\n{app=\"a\"}",
      })
  void parses(String q) {
    assertThat(LogQLParser.parse(q)).isNotNull();
  }

  @Test
  void structure() {
    Expr e =
        LogQLParser.parse(
            "sum by (app) (count_over_time({env=\"prod\"} |= \"x\" | logfmt | lvl=\"e\" [5m]))");
    VectorAgg va = (VectorAgg) e;
    assertThat(va.op()).isEqualTo("sum");
    assertThat(va.grouping().labels()).containsExactly("app");
    RangeAgg ra = (RangeAgg) va.inner();
    assertThat(ra.range().rangeNanos()).isEqualTo(300_000_000_000L);
    assertThat(ra.range().log().matchers()).containsExactly(LabelMatcher.equal("env", "prod"));
    assertThat(ra.range().log().stages()).hasSize(3);
  }

  @Test
  void precedence() {
    BinOp b = (BinOp) LogQLParser.parse("1 + 2 * 3");
    assertThat(b.op()).isEqualTo("+");
    assertThat(((BinOp) b.r()).op()).isEqualTo("*");
    NumberFilter nf =
        (NumberFilter)
            ((LabelFilterStage)
                    ((LogExpr) LogQLParser.parse("{a=\"b\"} | d > 1m30s")).stages().get(0))
                .filter();
    assertThat(nf.value()).isEqualTo(90.0);
    assertThat(nf.kind()).isEqualTo(NumKind.DURATION);
  }

  @Test
  void errorsPointAtTheInput() {
    assertThatThrownBy(() -> LogQLParser.parse("{app=\"a\"} |= "))
        .isInstanceOf(LogQLParseException.class)
        .hasMessageStartingWith("parse error at line 1, col 14:");
    assertThatThrownBy(() -> LogQLParser.parse("sum_over_time({a=\"b\"}[5m])"))
        .hasMessageContaining("without unwrap");
    assertThatThrownBy(() -> LogQLParser.parse("{a=\"b\"} |~ \"(\""))
        .hasMessageContaining("invalid regular expression");
    assertThatThrownBy(() -> LogQLParser.parse("{a=\"b\"} | line_format \"{{ nope .x }}\""))
        .hasMessageContaining("function \"nope\" not defined");
    assertThatThrownBy(() -> LogQLParser.parse("count_over_time({a=\"b\"}[5x])"))
        .isInstanceOf(LogQLParseException.class);
  }
}
