package dev.osprey.query.promql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * format_query's line breaking. The cases and expected outputs are upstream's own (Prometheus's
 * prettier tests, run with a 10-byte line limit so that small expressions split), so the layout is
 * byte for byte what Prometheus answers.
 */
class PrettyPrinterTest {

  static Stream<Arguments> upstreamCases() {
    return Stream.of(
        Arguments.of("sum(foo)", "sum(foo)"),
        Arguments.of(
            "sum by() (task:errors:rate10s{job=\"s\"})",
            """
            sum(
              task:errors:rate10s{job="s"}
            )"""),
        Arguments.of(
            "sum(task:errors:rate10s{job=\"s\"}) without(job,foo)",
            """
            sum without (job, foo) (
              task:errors:rate10s{job="s"}
            )"""),
        Arguments.of(
            "topk(10, ask:errors:rate10s{job=\"s\"})",
            """
            topk(
              10,
              ask:errors:rate10s{job="s"}
            )"""),
        Arguments.of(
            "sum by(job,foo)\n(sum(task:errors:rate10s{job=\"s\"}) without(job,foo)) # c",
            """
            sum by (job, foo) (
              sum without (job, foo) (
                task:errors:rate10s{job="s"}
              )
            )"""),
        Arguments.of("a+b", "a + b"),
        Arguments.of("a == bool 1", "  a\n== bool\n  1"),
        Arguments.of("a + ignoring(job) b", "  a\n+ ignoring (job)\n  b"),
        Arguments.of("foo_1 + foo_2 + foo_3", "    foo_1\n  +\n    foo_2\n+\n  foo_3"),
        Arguments.of("foo + baar + foo_3", "  foo + baar\n+\n  foo_3"),
        Arguments.of(
            "foo_1 + ignoring(foo) foo_2 + ignoring(job) group_left foo_3"
                + " + on(instance) group_right foo_4",
            "      foo_1\n    + ignoring (foo)\n      foo_2\n  + ignoring (job) group_left ()\n"
                + "    foo_3\n+ on (instance) group_right ()\n  foo_4"),
        Arguments.of("rate(foo[1m])", "rate(\n  foo[1m]\n)"),
        Arguments.of(
            "rate(long_vector_selector[10m:1m] @ start() offset 1m)",
            "rate(\n  long_vector_selector[10m:1m] @ start() offset 1m\n)"),
        Arguments.of(
            "max_over_time(rate(demo_api_request_duration_seconds_count[1m])[1m:] @ start()"
                + " offset 1m)",
            """
            max_over_time(
              rate(
                demo_api_request_duration_seconds_count[1m]
              )[1m:] @ start() offset 1m
            )"""),
        Arguments.of(
            "label_replace(up{job=\"api-server\",service=\"a:c\"}, \"foo\", \"$1\", \"service\","
                + " \"(.*):.*\")",
            """
            label_replace(
              up{job="api-server",service="a:c"},
              "foo",
              "$1",
              "service",
              "(.*):.*"
            )"""),
        Arguments.of("((_foo_long_))", "(\n  (\n    _foo_long_\n  )\n)"),
        Arguments.of("(((foo_long)))", "(\n  (\n    (foo_long)\n  )\n)"),
        Arguments.of("a @ start()", "a @ start()"),
        Arguments.of("(1 + 2)", "(1 + 2)"),
        Arguments.of(
            "((foo_long + bar_long) + bar_2_long)",
            """
            (
                (
                    foo_long
                  +
                    bar_long
                )
              +
                bar_2_long
            )"""),
        Arguments.of(
            "(node_timex_offset_seconds > 0.05 and deriv(node_timex_offset_seconds[5m]) >= 0)"
                + " or (node_timex_offset_seconds < -0.05 and"
                + " deriv(node_timex_offset_seconds[5m]) <= 0)",
            """
              (
                    node_timex_offset_seconds
                  >
                    0.05
                and
                    deriv(
                      node_timex_offset_seconds[5m]
                    )
                  >=
                    0
              )
            or
              (
                    node_timex_offset_seconds
                  <
                    -0.05
                and
                    deriv(
                      node_timex_offset_seconds[5m]
                    )
                  <=
                    0
              )"""),
        Arguments.of(
            "(count by (job) (changes(process_start_time_seconds{job=\"alertmanager\"}[10m]) > 4)"
                + " / count by (job) (up{job=\"alertmanager\"})) >= 0.5",
            """
              (
                  count by (job) (
                      changes(
                        process_start_time_seconds{job="alertmanager"}[10m]
                      )
                    >
                      4
                  )
                /
                  count by (job) (
                    up{job="alertmanager"}
                  )
              )
            >=
              0.5"""),
        Arguments.of("-vector_selector", "-vector_selector"),
        Arguments.of("(-vector_selector)", "(\n  -vector_selector\n)"),
        Arguments.of(
            "-histogram_quantile(0.99, sum by (le) (rate(foo[1m])))",
            """
            -histogram_quantile(
              0.99,
              sum by (le) (
                rate(
                  foo[1m]
                )
              )
            )"""));
  }

  @ParameterizedTest
  @MethodSource("upstreamCases")
  void breaksLinesAsUpstream(String in, String want) {
    String got = Printer.pretty(Parser.parse(in), 10);
    assertThat(got).isEqualTo(want);
    // The layout never changes what the expression means.
    assertThat(Printer.print(Parser.parse(got))).isEqualTo(Printer.print(Parser.parse(in)));
  }

  @ParameterizedTest
  @MethodSource("upstreamCases")
  void shortExpressionsStayOnOneLineAtTheDefaultLimit(String in, String ignored) {
    String flat = Printer.print(Parser.parse(in));
    if (flat.length() <= 100) {
      assertThat(Printer.pretty(Parser.parse(in))).isEqualTo(flat);
    }
  }
}
