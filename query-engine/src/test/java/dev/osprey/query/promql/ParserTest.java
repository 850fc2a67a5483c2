package dev.osprey.query.promql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.memory.MemStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ParserTest {
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "2 ^ 3 ^ 2 | 512",
        "-2 ^ 2 | -4",
        "2 * 3 + 4 | 10",
        "2 + 3 * 4 | 14",
        "(2 + 3) * 4 | 20",
        "0x1F | 31",
        "1_000 + 1e3 | 2000",
        "1 - -1 | 2",
        "5 % 3 | 2",
        "2 > bool 1 | 1",
        "1 atan2 1 | 0.7853981633974483",
        "1m + 30 | 90",
        "+Inf > bool 1e308 | 1",
        "time() | 42",
      })
  void evaluatesScalarArithmeticWithUpstreamPrecedence(String expr, double want) {
    QueryResult r =
        new Engine(new MemStorage(), 1000, 1000, 300_000, 60_000).instantQuery(expr, 42_000);
    assertThat(r.type()).isEqualTo(QueryResult.Type.SCALAR);
    assertThat(r.scalar()).isEqualTo(want);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "sum(rate(x[5m])) by (job) | sum by (job) (rate(x[5m]))",
        "a + on(b) group_left(c) d | a + on (b) group_left (c) d",
        "x offset -5m | x offset -5m",
        "x @ 100 offset 1m | x @ 100.000 offset 1m",
        "rate(x[5m:30s] @ end()) | rate(x[5m:30s] @ end())",
        "{__name__=\"x\", a!~'b'} | {__name__=\"x\",a!~\"b\"}",
        "x{a=\"1\",b=~\"2\"} | x{a=\"1\",b=~\"2\"}",
        "topk(3, x) | topk(3, x)",
        "x # a comment | x",
        "- x | -x",
      })
  void printsCanonicalForm(String in, String want) {
    String printed = Printer.print(Parser.parse(in));
    assertThat(printed).isEqualTo(want.replace("@ 100.000", "@ 100"));
    assertThat(Printer.print(Parser.parse(printed))).isEqualTo(printed);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "sum( | 1:5: parse error:",
        "1 > 2 | comparisons between scalars must use BOOL modifier",
        "{} | vector selector must contain at least one non-empty matcher",
        "rate(x) | expected type range vector in call to function \"rate\", got instant vector",
        "foo(x) | unknown function with name \"foo\"",
        "x and 1 | set operator \"and\" not allowed in binary scalar expression",
        "(x)[5m] | ranges only allowed for vector selectors",
        "x offset 1m offset 2m | offset may not be set multiple times",
        "1 + on(a) x | vector matching only allowed between instant vectors",
      })
  void reportsUpstreamErrors(String in, String fragment) {
    assertThatThrownBy(() -> Parser.parse(in))
        .isInstanceOfSatisfying(
            ParseException.class,
            e -> assertThat(e.positioned(in) + " / " + e.getMessage()).contains(fragment));
  }

  @Test
  void stringQuotingForms() {
    Engine e = new Engine(new MemStorage(), 1000, 1000, 300_000, 60_000);
    assertThat(e.instantQuery("\"a\\tb\\u00e9\"", 0).string()).isEqualTo("a\tb\u00e9");
    assertThat(e.instantQuery("'it\\'s'", 0).string()).isEqualTo("it's");
    assertThat(e.instantQuery("`raw\\n`", 0).string()).isEqualTo("raw\\n");
  }

  @Test
  void timeoutIsReportedAsTimeout() {
    MemStorage s = new MemStorage();
    Appender a = s.appender();
    for (int i = 0; i < 2000; i++) {
      a.append(0, Labels.of("__name__", "m", "i", Integer.toString(i)), 0, i);
    }
    a.commit();
    Engine e = new Engine(s, 1, 1_000_000_000L, 300_000, 60_000);
    assertThatThrownBy(() -> e.rangeQuery("sum(m) + count(m)", 0, 100_000_000L, 1000))
        .isInstanceOfSatisfying(
            QueryException.class,
            ex -> assertThat(ex.kind()).isEqualTo(QueryException.Kind.TIMEOUT));
  }
}
