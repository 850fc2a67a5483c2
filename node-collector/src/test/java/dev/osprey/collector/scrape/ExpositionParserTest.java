package dev.osprey.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.collector.scrape.ExpositionParser.Entry;
import dev.osprey.core.labels.Labels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExpositionParserTest {
  record S(Labels labels, double v, Long t) {}

  static List<S> parse(String text, boolean om) throws ExpositionParseException {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    ExpositionParser p = new ExpositionParser(b, 0, b.length, om);
    List<S> out = new ArrayList<>();
    for (Entry e; (e = p.next()) != Entry.EOF; ) {
      if (e == Entry.SERIES) {
        out.add(new S(p.labels(), p.value(), p.hasTimestamp() ? p.timestampMillis() : null));
      }
    }
    return out;
  }

  @Test
  void textFormat004() throws Exception {
    String text =
        """
        # HELP http_requests_total The total number of HTTP requests.
        # TYPE http_requests_total counter
        http_requests_total{method="post",code="200"} 1027 1395066363000
        http_requests_total{method="post",code="400"}    3 1395066363000

        # Escaping in label values:
        msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
        metric_without_timestamp_and_labels 12.47
        something_weird{problem="division by zero"} +Inf -3982045
        nan_value NaN
        neg_inf -Inf
        trailing_comma{a="1",} 2
        spaced { a = "x" , b="y" } 3
        utf8{v="żółw 🐢"} 4
        rpc_duration_seconds{quantile="0.99"} 76656
        """;
    List<S> s = parse(text, false);
    assertThat(s).hasSize(11);
    assertThat(s.get(0).labels())
        .isEqualTo(Labels.of("__name__", "http_requests_total", "method", "post", "code", "200"));
    assertThat(s.get(0).v()).isEqualTo(1027);
    assertThat(s.get(0).t()).isEqualTo(1395066363000L);
    assertThat(s.get(2).labels().get("path")).isEqualTo("C:\\DIR\\FILE.TXT");
    assertThat(s.get(2).labels().get("error")).isEqualTo("Cannot find file:\n\"FILE.TXT\"");
    assertThat(s.get(2).v()).isEqualTo(1.458255915e9);
    assertThat(s.get(3).t()).isNull();
    assertThat(s.get(4).v()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(s.get(4).t()).isEqualTo(-3982045L);
    assertThat(s.get(5).v()).isNaN();
    assertThat(s.get(6).v()).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(s.get(7).labels().get("a")).isEqualTo("1");
    assertThat(s.get(8).labels()).isEqualTo(Labels.of("__name__", "spaced", "a", "x", "b", "y"));
    assertThat(s.get(9).labels().get("v")).isEqualTo("żółw 🐢");
  }

  @Test
  void metadataEntries() throws Exception {
    byte[] b =
        "# HELP x_total Some \\\\ help\\n2\n# TYPE x_total counter\n# just a comment\nx_total 1\n"
            .getBytes(StandardCharsets.UTF_8);
    ExpositionParser p = new ExpositionParser(b, 0, b.length, false);
    assertThat(p.next()).isEqualTo(Entry.HELP);
    assertThat(p.metaName()).isEqualTo("x_total");
    assertThat(p.metaText()).isEqualTo("Some \\ help\n2");
    assertThat(p.next()).isEqualTo(Entry.TYPE);
    assertThat(p.metaText()).isEqualTo("counter");
    assertThat(p.next()).isEqualTo(Entry.SERIES);
    assertThat(p.next()).isEqualTo(Entry.EOF);
  }

  @Test
  void openMetrics() throws Exception {
    String text =
        """
        # TYPE acme_http_router_request_seconds summary
        # UNIT acme_http_router_request_seconds seconds
        # HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.
        acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32 1520879607.789
        acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0
        # TYPE foo histogram
        foo_bucket{le="0.01"} 0
        foo_bucket{le="+Inf"} 17 # {trace_id="KOO5S4vxi0o"} 0.67
        foo_created 1520430000.123
        # EOF
        """;
    List<S> s = parse(text, true);
    assertThat(s).hasSize(5);
    assertThat(s.get(0).t()).isEqualTo(1520879607789L);
    assertThat(s.get(1).v()).isEqualTo(807283.0);
    assertThat(s.get(3).labels().get("le")).isEqualTo("+Inf");
    assertThat(s.get(3).v()).isEqualTo(17);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "'metric{a=\"1\"'|1|'unterminated label set'",
        "'ok 1\nmetric{a=1} 2'|2|'expected '",
        "'metric'|1|'expected a value'",
        "'metric 1x'|1|'invalid value'",
        "'metric 1 2 3'|1|'unexpected text after the timestamp'",
        "'metric 1 1.5'|1|'invalid timestamp'",
        "'0metric 1'|1|'invalid metric name'",
        "'m{a=\"1\",a=\"2\"} 1'|1|'duplicate label name a'",
        "'m{__name__=\"x\"} 1'|1|'reserved'",
        "'m{a=\"1\" b=\"2\"} 1'|1|'expected '','' or ''}'''",
        "'# TYPE m bogus'|1|'invalid metric type'",
        "'m 0x10'|1|'invalid value'",
        "'m 1d'|1|'invalid value'",
        "'m 1_000'|1|'invalid value'",
        "'m 99999999999999999999'|1|'timestamp'",
      })
  void textErrorsNameLineAndCause(String input, int line, String message) {
    String in = input.replace("\\n", "\n");
    if (message.equals("timestamp")) {
      in = "m 1 99999999999999999999";
    }
    String finalIn = in;
    assertThatThrownBy(() -> parse(finalIn, false))
        .isInstanceOfSatisfying(
            ExpositionParseException.class, e -> assertThat(e.line()).isEqualTo(line))
        .hasMessageContaining(message);
  }

  @Test
  void openMetricsRules() {
    assertThatThrownBy(() -> parse("m 1\n", true))
        .hasMessageContaining("data does not end with # EOF");
    assertThatThrownBy(() -> parse("m 1\n# EOF\nm 2\n", true))
        .hasMessageContaining("unexpected data after # EOF")
        .isInstanceOfSatisfying(
            ExpositionParseException.class, e -> assertThat(e.line()).isEqualTo(3));
    assertThatThrownBy(() -> parse("m 1\n\n# EOF\n", true)).hasMessageContaining("empty line");
    assertThatThrownBy(() -> parse("# random comment\n# EOF\n", true))
        .hasMessageContaining("unknown comment");
    assertThatThrownBy(() -> parse("# TYPE m untyped\n# EOF\n", true))
        .hasMessageContaining("invalid metric type");
  }

  @Test
  void invalidUtf8IsAnError() {
    byte[] b = {'m', '{', 'a', '=', '"', (byte) 0xff, '"', '}', ' ', '1', '\n'};
    ExpositionParser p = new ExpositionParser(b, 0, b.length, false);
    assertThatThrownBy(p::next).hasMessageContaining("invalid UTF-8");
  }

  @Test
  void columnIsReported() {
    assertThatThrownBy(() -> parse("ok 1\nbad{a=\"1\"} x\n", false))
        .isInstanceOfSatisfying(
            ExpositionParseException.class,
            e -> {
              assertThat(e.line()).isEqualTo(2);
              assertThat(e.column()).isEqualTo(12);
            })
        .hasMessageStartingWith("cannot parse exposition at line 2, column 12: invalid value");
  }
}
