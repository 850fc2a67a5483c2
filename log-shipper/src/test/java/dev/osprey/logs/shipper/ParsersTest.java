package dev.osprey.logs.shipper;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ParsersTest {
  private static CriParser.Result cri(String line) {
    byte[] b = line.getBytes(StandardCharsets.UTF_8);
    CriParser.Result r = new CriParser.Result();
    return CriParser.parse(b, 0, b.length, r) ? r : null;
  }

  @Test
  void criLinesAsKubeletWritesThem() {
    String line = "2026-11-22T04:05:06.123456789Z stderr P hello world";
    CriParser.Result r = cri(line);
    assertThat(r).isNotNull();
    assertThat(r.stderr).isTrue();
    assertThat(r.partial).isTrue();
    assertThat(r.timestampNanos)
        .isEqualTo(
            Instant.parse("2026-11-22T04:05:06.123456789Z").getEpochSecond() * 1_000_000_000L
                + 123456789);
    assertThat(line.substring(r.messageOffset)).isEqualTo("hello world");
    CriParser.Result empty = cri("2026-11-22T04:05:06Z stdout F ");
    assertThat(empty.partial).isFalse();
    assertThat(empty.messageOffset).isEqualTo("2026-11-22T04:05:06Z stdout F ".length());
    assertThat(cri("2026-11-22T04:05:06.1+02:00 stdout F:x m").timestampNanos)
        .isEqualTo(Instant.parse("2026-11-22T02:05:06.1Z").toEpochMilli() * 1_000_000L);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "hello",
        "2026-11-22T04:05:06Z stdin F x",
        "2026-11-22T04:05:06Z stdout X x",
        "2026-13-22T04:05:06Z stdout F x",
        "2026-02-30T04:05:06Z stdout F x",
        "2026-11-22 04:05:06Z stdout F x",
        "2026-11-22T04:05:06 stdout F x",
        "2026-11-22T04:05:06.Z stdout F x",
        "2026-11-22T04:05:06Z stdout FF x",
        "2026-11-22T04:05:06Z stdout"
      })
  void malformedCriIsRejected(String line) {
    assertThat(cri(line)).isNull();
  }

  @Test
  void dockerJsonFileLines() {
    DockerJsonParser.Result r =
        DockerJsonParser.parse(
            "{\"log\":\"caf\\u00e9 \\\"q\\\"\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-22T04:05:06.5Z\",\"attrs\":{\"a\":[1,true,null]}}");
    assertThat(r).isNotNull();
    assertThat(r.log()).isEqualTo("café \"q\"");
    assertThat(r.stderr()).isTrue();
    assertThat(r.partial()).isFalse();
    assertThat(r.timestampNanos())
        .isEqualTo(Instant.parse("2026-11-22T04:05:06.5Z").toEpochMilli() * 1_000_000L);
    assertThat(
            DockerJsonParser.parse(
                    "{\"log\":\"part\",\"stream\":\"stdout\",\"time\":\"2026-11-22T04:05:06Z\"}")
                .partial())
        .isTrue();
    assertThat(DockerJsonParser.parse("{\"log\":\"x\\n\"}")).isNull();
    assertThat(DockerJsonParser.parse("{\"log\":\"x\\q\",\"time\":\"2026-11-22T04:05:06Z\"}"))
        .isNull();
    assertThat(DockerJsonParser.parse("{\"log\":\"x\"} trailing")).isNull();
  }
}
