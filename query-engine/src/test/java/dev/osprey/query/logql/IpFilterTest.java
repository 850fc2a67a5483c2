package dev.osprey.query.logql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** LogQL's ip() line and label filters, with the address rules of Go's netip and Loki's scan. */
class IpFilterTest {
  private static boolean line(String pattern, String line) {
    return IpMatcher.of(pattern).matches(line);
  }

  @Test
  void singleAddressesInLines() {
    assertThat(line("192.168.0.1", "GET from 192.168.0.1 ok")).isTrue();
    assertThat(line("192.168.0.1", "GET from 192.168.0.10 ok")).isFalse();
    assertThat(line("192.168.0.1", "a=192.168.00.1")).isFalse(); // leading zero: not an address
    assertThat(line("192.168.0.1", "id=1192.168.0.1")).isTrue(); // Loki's scan starts inside
    assertThat(line("192.168.0.1", "no address here 1.2")).isFalse();
    assertThat(line("::1", "addr=::1 port=80")).isTrue();
    assertThat(line("2001:db8::7", "from 2001:0db8:0:0:0:0:0:7 x")).isTrue();
    assertThat(line("1.2.3.4", "mapped ::ffff:1.2.3.4 y")).isFalse(); // a v6 address
    assertThat(line("::ffff:1.2.3.4", "mapped ::ffff:1.2.3.4 y")).isTrue();
  }

  @Test
  void prefixesAndRanges() {
    assertThat(line("192.168.0.0/16", "x 192.168.255.3 y")).isTrue();
    assertThat(line("192.168.0.0/16", "x 192.169.0.1 y")).isFalse();
    assertThat(line("192.168.4.5/16", "x 192.168.9.9 y")).isTrue(); // host bits ignored
    assertThat(line("10.0.0.0/8", "a 11.0.0.1 b 10.200.1.1")).isTrue(); // second address
    assertThat(line("192.168.0.1-192.168.0.23", "x 192.168.0.5")).isTrue();
    assertThat(line("192.168.0.1-192.168.0.23", "x 192.168.0.24 y")).isFalse();
    assertThat(line("2001:db8::/32", "from 2001:db8:0:0:1::7 x")).isTrue();
    assertThat(line("2001:db8::/32", "from 2001:db9::7 x")).isFalse();
    assertThat(line("0.0.0.0/0", "from ::1 x")).isFalse(); // the other family never matches
  }

  @Test
  void badPatternsAreRefused() {
    for (String p :
        new String[] {
          "300.1.1.1",
          "1.2.3",
          "1.2.3.4/33",
          "1.2.3.4/",
          "abc",
          "192.168.0.9-192.168.0.1",
          "1.2.3.4-::1",
          "1::2::3",
          "1:2:3:4:5:6:7:8:9",
          "::1%eth0",
          ""
        }) {
      assertThatThrownBy(() -> IpMatcher.of(p), p).hasMessageContaining("ip: invalid pattern");
    }
  }

  @Test
  void inQueries() {
    assertThat(PipelineTest.run("|= ip(\"10.0.0.0/8\")", "client 10.1.2.3 done")).isNotNull();
    assertThat(PipelineTest.run("|= ip(\"10.0.0.0/8\")", "client 11.1.2.3 done")).isNull();
    assertThat(PipelineTest.run("!= ip(\"10.0.0.0/8\")", "client 11.1.2.3 done")).isNotNull();
    assertThat(PipelineTest.run("| logfmt | addr = ip(\"10.0.0.0/8\")", "addr=10.9.9.9"))
        .isNotNull();
    assertThat(PipelineTest.run("| logfmt | addr != ip(\"10.0.0.0/8\")", "addr=10.9.9.9")).isNull();
    assertThat(PipelineTest.run("| logfmt | other = ip(\"10.0.0.0/8\")", "addr=10.9.9.9"))
        .isNull(); // no such label
    assertThat(PipelineTest.run("| logfmt | addr = ip(\"10.0.0.0/8\") or addr = \"x\"", "addr=x"))
        .isNotNull();
    assertThatThrownBy(() -> LogQLParser.parse("{a=\"b\"} |~ ip(\"1.2.3.4\")"))
        .hasMessageContaining("ip: invalid operation");
    assertThatThrownBy(() -> LogQLParser.parse("{a=\"b\"} | x =~ ip(\"1.2.3.4\")"))
        .hasMessageContaining("ip: invalid operation");
    assertThatThrownBy(() -> LogQLParser.parse("{a=\"b\"} |= ip(\"1.2.3.400\")"))
        .isInstanceOf(LogQLParseException.class)
        .hasMessageContaining("ip: invalid pattern: \"1.2.3.400\"");
  }
}
