package dev.osprey.core.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PromDurationTest {
  @ParameterizedTest
  @CsvSource({
    "0,0",
    "0s,0",
    "1ms,1",
    "20s500ms,20500",
    "1m30s,90000",
    "5m59s,359000",
    "1h,3600000",
    "2d,172800000",
    "1w,604800000",
    "1y,31536000000",
    "1111111s,1111111000"
  })
  void parses(String in, long ms) {
    assertThat(PromDuration.parseMillis(in)).isEqualTo(ms);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "1", "m", "1s1m", "1m1m", "-1s", "1.5s", "1 s", "5x"})
  void rejects(String in) {
    assertThatThrownBy(() -> PromDuration.parseMillis(in))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @CsvSource({"0,0s", "90000,1m30s", "3600000,1h", "20500,20s500ms", "86400000,1d"})
  void formats(long ms, String out) {
    assertThat(PromDuration.format(ms)).isEqualTo(out);
  }
}
